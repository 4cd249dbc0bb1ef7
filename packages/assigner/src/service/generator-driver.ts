/**
 * Runs one target's generator (Dicer's `AssignmentGeneratorDriver` + `AssignmentGenerator`): feeds
 * Slicelet heartbeats into the health and load watchers, adopts newer assignments from any source,
 * decides when to regenerate (`core/regeneration-decision.ts`), runs the algorithm, writes through
 * the {@link Store} and distributes committed assignments to the watchers.
 *
 * Lifecycle: `running` → `shut-down` ({@link GeneratorDriver.shutdown}); after shutdown every event
 * is ignored and in-flight write results are dropped.
 *
 * Events: `watch-request` (a parsed `ClientRequest`), `assignment-received` (from the store watch),
 * `write-completed` / `write-failed` (a store write's outcome), `advance` (the timer). They go
 * through one serial queue per target: {@link enqueue} appends and, unless a step is already
 * running, drains the queue synchronously. A step never awaits: a store write is started, and its
 * result comes back later as another event. So a callback that calls back into the driver while it
 * distributes (the subscriber hub, the store) only appends to the queue.
 *
 * After every event: the health watcher is advanced, the regeneration decision taken (a generate
 * runs the algorithm and starts the write), and one timer armed for the earliest wake-up the
 * health watcher or the decision asked for.
 *
 * Assignment sync (store-ha.md §1.3): a sync state carrying an assignment (full or a diff) is
 * applied to the latest known assignment with `Assignment.fromDiff`; a strictly newer result
 * becomes the latest known assignment and is distributed (`store.informAssignment` + the
 * `onDistribute` callback). An assignment of another store incarnation is counted and still
 * distributed if newer.
 *
 * @see store-ha.md §1.3–1.4, algorithm.md §10, protocol.md §3.4 item 5
 */
import {
  Assignment,
  type Clock,
  type ClientRequest,
  type Logger,
  type SliceLoad,
  type Squid,
  type Target,
  componentLogger,
} from '@dicer-ts/common';
import { runAlgorithm } from '../core/algorithm/run-algorithm.js';
import { generateInitialAssignment } from '../core/algorithm/initial-assignment.js';
import type { AlgorithmSliceAssignment, ResourceId } from '../core/algorithm/algorithm-types.js';
import { HealthWatcher, availableResources, type HealthReport, type HealthWatcherOutput } from '../core/health-watcher.js';
import { KeyOfDeathDetector } from '../core/key-of-death-detector.js';
import { reachabilityFromHealth } from '../core/state-transfer.js';
import { StateTransferPlanner } from '../core/state-transfer-planner.js';
import { LoadWatcher, type SliceLoadReport } from '../core/load-watcher.js';
import { UNIFORM_LOAD_MAP, keySpaceFraction } from '../core/load-map.js';
import {
  RegenerationScheduler,
  type GenerationReason,
  type RegenerationDecision,
} from '../core/regeneration-decision.js';
import { toAlgorithmConfig, type TargetConfig } from '../core/target-config.js';
import type { AssignerMetrics } from '../debug/metrics.js';
import { targetLabels } from '../debug/metrics.js';
import type { ProposedAssignmentSlice, Store, WriteAssignmentResult } from '../store/store.js';

/** Where an adopted assignment came from (Dicer's `source` label values). */
export type AssignmentSource = 'Store' | 'Slicelet' | 'Clerk';

/** Timing knobs of a generator; tests shorten them. */
export interface GeneratorTimingOptions {
  /** A Slicelet without a heartbeat for this long is unhealthy; also the startup delay. @default 30_000 */
  readonly unhealthyTimeoutMs: number;
  /** How long a Terminating Slicelet is remembered. @default 300_000 */
  readonly terminatingTimeoutMs: number;
  /** Least time between generation attempts. @default 10_000 */
  readonly minGenerationIntervalMs: number;
  /** Periodic rebalancing; `undefined` takes the target config's (60 s). */
  readonly loadBalancingIntervalMs?: number | undefined;
  /** Server-wide kill switch for top keys. @default true */
  readonly allowTopKeys: boolean;
  /** Lifetime of state-transfer annotations (issue #10); `undefined` plans none, as Dicer. @default undefined */
  readonly stateTransferTimeoutMs?: number | undefined;
}

/** What a {@link GeneratorDriver} needs. */
export interface GeneratorDriverOptions {
  readonly target: Target;
  readonly config: TargetConfig;
  readonly store: Store;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly metrics: AssignerMetrics;
  readonly timing: GeneratorTimingOptions;
  /** Called (inside the queue) with each assignment that becomes the latest known one. */
  readonly onDistribute: (assignment: Assignment) => void;
  /** How many recent generations the debug page shows. @default 20 */
  readonly historySize?: number;
}

/** One generation attempt, for the debug page. */
export interface GenerationRecord {
  /** When the attempt started (injected clock). */
  readonly atMs: number;
  /** Why it was made. */
  readonly reason: GenerationReason;
  /** The committed generation (as a string), or the outcome when nothing was committed. */
  readonly outcome: { readonly kind: 'committed'; readonly generation: string } | { readonly kind: 'occ-failure' | 'error' | 'pending' };
  /** Share of the key space whose owners changed, by kind. */
  readonly churn: ChurnRatios;
  /** The slice count of the proposal. */
  readonly slices: number;
  /** Milliseconds the algorithm took (wall clock). */
  readonly algorithmMs: number;
}

/** Share of the key space whose owners changed in a generation. */
export interface ChurnRatios {
  /** Moved because an owner left (unhealthy or terminating). */
  readonly removal: number;
  /** Moved onto a resource that held nothing before. */
  readonly addition: number;
  /** Moved for load balance. */
  readonly loadBalancing: number;
}

/** A copy of a generator's state for the debug page and tests. */
export interface GeneratorSnapshot {
  readonly target: Target;
  readonly config: TargetConfig;
  readonly latestAssignment: Assignment | undefined;
  /** Every tracked pod with its current state and expiry (`HealthWatcher.liveResources`). */
  readonly health: HealthReport | undefined;
  readonly lastWatchAtMs: number;
  readonly history: readonly GenerationRecord[];
  /** The per-resource load after the last generation, by Squid string. */
  readonly loadByResource: ReadonlyMap<string, number>;
  /** Transfer id → when it was first issued (epoch ms), for transfers in flight; empty without state transfers. */
  readonly stateTransferIssuedAtMs: ReadonlyMap<number, number>;
}

type DriverEvent =
  | { readonly kind: 'watch-request'; readonly request: ClientRequest }
  | { readonly kind: 'assignment-received'; readonly assignment: Assignment }
  | { readonly kind: 'write-completed'; readonly result: WriteAssignmentResult; readonly record: number }
  | { readonly kind: 'write-failed'; readonly err: unknown; readonly record: number }
  | { readonly kind: 'advance' };

/** The algorithm's resource identifier for a Squid: unique per incarnation. */
function resourceIdOf(squid: Squid): ResourceId {
  return `${squid.resourceAddress.toString()} ${squid.creationTimeMs} ${squid.uuid}`;
}

/** Converts a wire load report to the load watcher's form (windows in ms). */
function toLoadReport(load: SliceLoad): SliceLoadReport {
  return {
    slice: load.slice,
    primaryRateLoad: load.primaryRateLoad,
    windowLowInclusiveMs: Number(load.windowLowInclusiveSeconds) * 1000,
    windowHighExclusiveMs: Number(load.windowHighExclusiveSeconds) * 1000,
    numReplicas: load.numReplicas,
    topKeys: load.topKeys.map((k) => ({ key: k.key, load: k.underestimatedPrimaryRateLoad })),
  };
}

/**
 * One target's generator; see the file comment.
 */
export class GeneratorDriver {
  readonly target: Target;
  readonly config: TargetConfig;
  private readonly options: GeneratorDriverOptions;
  private readonly log: Logger;
  private readonly labels: Record<string, string>;
  private readonly health: HealthWatcher;
  private readonly load: LoadWatcher;
  /** Detection and metrics only, as in Dicer: it never changes an assignment (algorithm.md §9). */
  private readonly keyOfDeath = new KeyOfDeathDetector();
  private keyOfDeathWakeAtMs: number | undefined;
  private readonly scheduler: RegenerationScheduler;
  /** State-transfer planning (issue #10), when enabled. */
  private readonly transfers: StateTransferPlanner | undefined;
  private readonly algorithmConfig;
  private latest: Assignment | undefined;
  /** `latest.assignedResources()`, computed once per assignment: the decision reads it on every heartbeat. */
  private latestResources: readonly Squid[] = [];
  private available: Squid[] = [];
  private healthWakeAtMs: number | undefined;
  private readonly queue: DriverEvent[] = [];
  private draining = false;
  private state: 'running' | 'shut-down' = 'running';
  private cancelTimer: (() => void) | undefined;
  private timerAtMs: number | undefined;
  private readonly cancelStoreWatch: () => void;
  private readonly history: GenerationRecord[] = [];
  private historyBase = 0;
  private loadByResource = new Map<string, number>();
  private lastDecisionKey = '';
  /** When the last watch request arrived (injected clock); read by the inactivity scan. */
  lastWatchAtMs: number;

  constructor(options: GeneratorDriverOptions) {
    this.options = options;
    this.target = options.target;
    this.config = options.config;
    this.log = componentLogger(options.logger, 'generator', { target: options.target.toString() });
    this.labels = targetLabels(options.target);
    this.health = new HealthWatcher({
      observeSliceletReadiness: options.config.observeSliceletReadiness,
      unhealthyTimeoutMs: options.timing.unhealthyTimeoutMs,
      terminatingTimeoutMs: options.timing.terminatingTimeoutMs,
      startupDelayMs: options.timing.unhealthyTimeoutMs,
    });
    this.load = new LoadWatcher({
      minDurationMs: options.config.loadWatcherMinDurationMs,
      maxAgeMs: options.config.loadWatcherMaxAgeMs,
      useTopKeys: options.config.loadWatcherUseTopKeys,
      allowTopKeys: options.timing.allowTopKeys,
    });
    this.transfers =
      options.timing.stateTransferTimeoutMs === undefined ? undefined : new StateTransferPlanner({ timeoutMs: options.timing.stateTransferTimeoutMs });
    this.scheduler = new RegenerationScheduler({
      loadBalancingIntervalMs: options.timing.loadBalancingIntervalMs ?? options.config.loadBalancingIntervalMs,
      minGenerationIntervalMs: options.timing.minGenerationIntervalMs,
    });
    this.algorithmConfig = toAlgorithmConfig(options.config);
    this.lastWatchAtMs = options.clock.nowMs();
    this.log.info('generator started');
    this.cancelStoreWatch = options.store.watchAssignments(options.target, (assignment) =>
      this.enqueue({ kind: 'assignment-received', assignment }),
    );
    const known = options.store.getLatestKnownAssignment(options.target);
    if (known !== undefined) this.enqueue({ kind: 'assignment-received', assignment: known });
    this.enqueue({ kind: 'advance' });
  }

  /** The latest known assignment, from any source. */
  get latestAssignment(): Assignment | undefined {
    return this.latest;
  }

  /** Whether {@link shutdown} was called. */
  get isShutDown(): boolean {
    return this.state === 'shut-down';
  }

  /**
   * Takes one watch request: heartbeat and load for a Slicelet, assignment sync for both kinds.
   * Validation of the load reports happens first, so a bad report rejects the whole call and
   * changes nothing (protocol.md §8 item 17).
   *
   * @throws {InvalidArgumentError} for a load report the load watcher rejects.
   */
  onWatchRequest(request: ClientRequest): void {
    if (this.state === 'shut-down') return;
    this.lastWatchAtMs = this.options.clock.nowMs();
    if (request.subscriber.kind === 'slicelet') {
      const data = request.subscriber.data;
      const reports = [...data.attributedLoads, ...(data.unattributedLoad === undefined ? [] : [data.unattributedLoad])].map(toLoadReport);
      const started = performance.now();
      // Validates everything before storing anything; throws on a bad report.
      this.load.reportLoad(this.options.clock.nowMs(), data.squid.resourceAddress.toString(), reports, this.options.clock.nowMs());
      this.options.metrics.generatorLatency.observe({ ...this.labels, operation: 'reportLoad' }, (performance.now() - started) / 1000);
    }
    this.enqueue({ kind: 'watch-request', request });
  }

  /** Stops the generator: cancels the timer and the store watch; later events are ignored. Idempotent. */
  shutdown(reason: string): void {
    if (this.state === 'shut-down') return;
    this.state = 'shut-down';
    this.cancelTimer?.();
    this.cancelTimer = undefined;
    this.cancelStoreWatch();
    this.queue.length = 0;
    this.log.info({ reason }, 'generator shut down');
  }

  /** A copy of the state for the debug page. */
  snapshot(): GeneratorSnapshot {
    return {
      target: this.target,
      config: this.config,
      latestAssignment: this.latest,
      health: this.health.liveResources(),
      lastWatchAtMs: this.lastWatchAtMs,
      history: [...this.history],
      loadByResource: new Map(this.loadByResource),
      stateTransferIssuedAtMs: new Map(this.transfers?.issuedAtMs ?? []),
    };
  }

  private enqueue(event: DriverEvent): void {
    if (this.state === 'shut-down') return;
    this.queue.push(event);
    if (this.draining) return;
    this.draining = true;
    try {
      for (let e = this.queue.shift(); e !== undefined; e = this.queue.shift()) {
        if (this.isShutDown) break;
        try {
          this.step(e);
        } catch (err) {
          // A bug in one step must not wedge the target: log it and go on with the next event.
          this.log.error({ err, event: e.kind }, 'generator step failed');
        }
      }
    } finally {
      this.draining = false;
    }
  }

  private step(event: DriverEvent): void {
    const nowMs = this.options.clock.nowMs();
    switch (event.kind) {
      case 'watch-request':
        this.onRequest(event.request, nowMs);
        break;
      case 'assignment-received':
        this.adopt(event.assignment, 'Store', nowMs);
        break;
      case 'write-completed':
        this.onWriteCompleted(event.result, event.record, nowMs);
        break;
      case 'write-failed':
        this.onWriteFailed(event.err, event.record, nowMs);
        break;
      case 'advance':
        this.applyHealth(this.health.onAdvance(nowMs));
        this.keyOfDeathWakeAtMs = this.keyOfDeath.onAdvance(nowMs).wakeAtMs;
        this.options.metrics.keyOfDeathHeuristic.set(this.labels, this.keyOfDeath.stats.heuristic);
        break;
    }
    this.evaluate(nowMs);
  }

  private onRequest(request: ClientRequest, nowMs: number): void {
    const isSlicelet = request.subscriber.kind === 'slicelet';
    if (request.subscriber.kind === 'slicelet') {
      const data = request.subscriber.data;
      this.applyHealth(this.health.onEvent({ kind: 'health-status-observed', squid: data.squid, state: data.state }, nowMs));
      this.applyHealth(
        this.health.onEvent({ kind: 'slicelet-generation-observed', generation: request.syncAssignmentState.generation }, nowMs),
      );
    }
    const diff = request.syncAssignmentState.diff;
    if (diff === undefined) return;
    let result;
    try {
      result = Assignment.fromDiff(this.latest, diff);
    } catch (err) {
      this.log.debug({ err }, 'client diff not applicable');
      this.options.metrics.unusedAssignmentDiffs.inc({ ...this.labels, reason: 'error' });
      return;
    }
    if (result.kind === 'applied') this.adopt(result.assignment, isSlicelet ? 'Slicelet' : 'Clerk', nowMs);
    else if (result.kind !== 'diff-matches-known' && result.kind !== 'too-stale-diff') {
      this.options.metrics.unusedAssignmentDiffs.inc({ ...this.labels, reason: result.kind });
    }
  }

  /** Makes `assignment` the latest known one if it is strictly newer, and distributes it. */
  private adopt(assignment: Assignment, source: AssignmentSource, nowMs: number): void {
    if (this.latest !== undefined && assignment.generation.compare(this.latest.generation) <= 0) return;
    const storeIncarnation = this.options.store.storeIncarnation;
    if (assignment.generation.incarnation !== storeIncarnation) {
      const mismatchType = assignment.generation.incarnation < storeIncarnation ? 'ASSIGNMENT_LOWER' : 'ASSIGNMENT_HIGHER';
      this.options.metrics.storeIncarnationMismatch.inc({ ...this.labels, mismatchType });
    }
    this.latest = assignment;
    this.latestResources = assignment.assignedResources();
    if (source !== 'Store') this.options.store.informAssignment(this.target, assignment);
    this.options.metrics.distributedAssignments.inc({ ...this.labels, source });
    this.options.metrics.assignmentSlices.set(this.labels, assignment.sliceAssignments.length);
    this.options.metrics.latestKnownGeneration.set(this.labels, Number(assignment.generation.number));
    // Our own commits are logged once, as 'assignment committed'; adoptions from peers at info.
    this.log[source === 'Store' ? 'debug' : 'info'](
      { generation: assignment.generation.toString(), slices: assignment.sliceAssignments.length, source },
      'assignment distributed',
    );
    this.applyHealth(
      this.health.onEvent(
        { kind: 'assignment-observed', generation: assignment.generation, resources: this.latestResources },
        nowMs,
      ),
    );
    this.options.onDistribute(assignment);
  }

  private applyHealth(output: HealthWatcherOutput): void {
    this.healthWakeAtMs = output.wakeAtMs;
    for (const action of output.actions) {
      this.available = availableResources(action.report);
      const kod = this.keyOfDeath.onEvent(action, this.options.clock.nowMs());
      this.keyOfDeathWakeAtMs = kod.wakeAtMs;
      for (const a of kod.actions) {
        if (a.kind === 'transition-to-poisoned') {
          this.options.metrics.keyOfDeathPoisoned.inc(this.labels);
          this.log.warn({ heuristic: this.keyOfDeath.stats.heuristic }, 'pods keep crashing: possible key of death');
        } else {
          this.log.info('key-of-death suspicion cleared');
        }
      }
      this.options.metrics.keyOfDeathHeuristic.set(this.labels, this.keyOfDeath.stats.heuristic);
      const counts = new Map<string, number>([['unknown', 0], ['not-ready', 0], ['running', 0], ['terminating', 0]]);
      for (const r of action.report.resources) counts.set(r.computed, (counts.get(r.computed) ?? 0) + 1);
      for (const [healthStatus, n] of counts) this.options.metrics.podsetSize.set({ ...this.labels, healthStatus }, n);
    }
  }

  private evaluate(nowMs: number): void {
    const latest = this.latest;
    const decision = this.scheduler.decide(nowMs, {
      latestAssignment:
        latest === undefined
          ? undefined
          : { isFrozen: latest.isFrozen, incarnation: latest.generation.incarnation, resources: this.latestResources },
      storeIncarnation: this.options.store.storeIncarnation,
      availableResources: this.available,
    });
    this.countDecision(decision);
    if (decision.kind === 'generate') this.generate(decision.reason, nowMs);
    const decisionWake = decision.kind === 'skip' ? decision.wakeAtMs : undefined;
    this.armTimer([this.healthWakeAtMs, decisionWake, this.keyOfDeathWakeAtMs]);
  }

  private countDecision(decision: RegenerationDecision): void {
    const reason = decision.kind === 'skip' && decision.reason === 'rate-limited' ? `rate-limited-${decision.heldBack}` : decision.reason;
    // Skips repeat on every heartbeat; count a skip only when it differs from the last decision.
    const key = `${decision.kind}:${reason}`;
    if (decision.kind === 'skip' && key === this.lastDecisionKey) return;
    this.lastDecisionKey = key;
    this.options.metrics.generationDecisions.inc({ ...this.labels, decision: decision.kind, reason });
  }

  private generate(reason: GenerationReason, nowMs: number): void {
    const squids = new Map<ResourceId, Squid>();
    const idOf = (s: Squid): ResourceId => {
      const id = resourceIdOf(s);
      squids.set(id, s);
      return id;
    };
    const available = this.available.map(idOf);
    const compare = (a: ResourceId, b: ResourceId): number => (squids.get(a) as Squid).compare(squids.get(b) as Squid);
    const latest = this.latest;
    const started = performance.now();
    let slices: ProposedAssignmentSlice[];
    try {
      if (latest === undefined) {
        const initial = generateInitialAssignment(available, this.algorithmConfig.minReplicas, compare);
        slices = initial.map((s) => ({ slice: s.slice, resources: s.resources.map((id) => squids.get(id) as Squid) }));
        this.options.metrics.generatorLatency.observe(
          { ...this.labels, operation: 'generateInitialAssignment' },
          (performance.now() - started) / 1000,
        );
      } else {
        const base: AlgorithmSliceAssignment[] = latest.sliceAssignments.map((s) => ({ slice: s.slice, resources: s.resources.map(idOf) }));
        const loadStarted = performance.now();
        const measured = this.load.getPrimaryRateLoadMap(
          nowMs,
          latest.sliceAssignments.map((s) => ({ slice: s.slice, primaryRateLoad: s.primaryRateLoad })),
        );
        this.options.metrics.generatorLatency.observe(
          { ...this.labels, operation: 'getPrimaryRateLoadMap' },
          (performance.now() - loadStarted) / 1000,
        );
        const result = runAlgorithm({
          config: this.algorithmConfig,
          availableResources: available,
          base,
          loadMap: measured ?? UNIFORM_LOAD_MAP,
          compareResources: compare,
          nowMs: () => performance.now(),
        });
        if (result.stats.placementTimedOut) this.options.metrics.placementCutoffs.inc({ ...this.labels, reason: 'timeout' });
        if (result.stats.placementBudgetExhausted) this.options.metrics.placementCutoffs.inc({ ...this.labels, reason: 'budget' });
        slices = result.slices.map((s) => ({
          slice: s.slice,
          resources: s.resources.map((id) => squids.get(id) as Squid),
          primaryRateLoad: s.primaryRateLoad,
        }));
        this.options.metrics.generatorLatency.observe({ ...this.labels, operation: 'generateAssignment' }, (performance.now() - started) / 1000);
      }
    } catch (err) {
      // The algorithm rejected its input (a bug or a bad config): count it as a failed write so
      // that the decision retries after the rate limit rather than never.
      this.scheduler.onWriteCompleted('error', nowMs);
      this.log.error({ err, reason }, 'assignment generation failed');
      return;
    }
    const algorithmMs = performance.now() - started;
    const churn = churnOf(latest, slices, new Set(this.available.map(resourceIdOf)));
    this.recordLoad(slices);
    const record = this.pushHistory({ atMs: nowMs, reason, outcome: { kind: 'pending' }, churn, slices: slices.length, algorithmMs });
    const predecessor = latest !== undefined && latest.generation.incarnation === this.options.store.storeIncarnation ? latest : undefined;
    this.log.debug({ reason, slices: slices.length }, 'writing assignment');
    // State transfer (issue #10): planned inside the commit, with the health of this moment.
    const finalize = this.transfers?.finalizer(predecessor, reachabilityFromHealth(this.health.latestReport), nowMs);
    this.options.store.writeAssignment(this.target, false, { predecessor, slices, finalize }).then(
      (result) => this.enqueue({ kind: 'write-completed', result, record }),
      (err: unknown) => this.enqueue({ kind: 'write-failed', err, record }),
    );
  }

  private onWriteCompleted(result: WriteAssignmentResult, record: number, nowMs: number): void {
    this.scheduler.onWriteCompleted(result.kind, nowMs);
    if (result.kind === 'occ-failure') {
      this.options.metrics.assignmentWrites.inc({ ...this.labels, canonicalCode: 'FAILED_PRECONDITION', isMeaningfulAssignmentChange: 'false' });
      this.log.info({ existingGeneration: result.existingGeneration.toString() }, 'assignment write lost the compare-and-swap');
      this.updateHistory(record, { kind: 'occ-failure' });
      return;
    }
    const entry = this.history[record - this.historyBase];
    const meaningful = entry === undefined || entry.churn.addition + entry.churn.removal + entry.churn.loadBalancing > 0;
    this.options.metrics.assignmentWrites.inc({ ...this.labels, canonicalCode: 'OK', isMeaningfulAssignmentChange: String(meaningful) });
    this.options.metrics.latestWrittenGeneration.set(this.labels, Number(result.assignment.generation.number));
    if (entry !== undefined) {
      this.options.metrics.churnGauge.removal.set(this.labels, entry.churn.removal);
      this.options.metrics.churnGauge.addition.set(this.labels, entry.churn.addition);
      this.options.metrics.churnGauge.load_balancing.set(this.labels, entry.churn.loadBalancing);
      this.options.metrics.churnCounter.removal.inc(this.labels, entry.churn.removal);
      this.options.metrics.churnCounter.addition.inc(this.labels, entry.churn.addition);
      this.options.metrics.churnCounter.load_balancing.inc(this.labels, entry.churn.loadBalancing);
    }
    this.updateHistory(record, { kind: 'committed', generation: result.assignment.generation.toString() });
    if (this.transfers !== undefined) {
      this.transfers.onCommitted(result.assignment);
      this.log.info({ ...this.transfers.lastCounts, inFlight: this.transfers.inFlight }, 'state transfers planned');
    }
    this.log.info(
      { generation: result.assignment.generation.toString(), slices: result.assignment.sliceAssignments.length, reason: entry?.reason },
      'assignment committed',
    );
    this.adopt(result.assignment, 'Store', nowMs);
  }

  private onWriteFailed(err: unknown, record: number, nowMs: number): void {
    this.scheduler.onWriteCompleted('error', nowMs);
    const code = typeof err === 'object' && err !== null && 'code' in err ? String((err as { code: unknown }).code) : 'UNKNOWN';
    this.options.metrics.assignmentWrites.inc({ ...this.labels, canonicalCode: code, isMeaningfulAssignmentChange: 'false' });
    this.log.warn({ err }, 'assignment write failed; retrying after the rate limit');
    this.updateHistory(record, { kind: 'error' });
  }

  private recordLoad(slices: readonly ProposedAssignmentSlice[]): void {
    const byResource = new Map<string, number>();
    for (const r of this.available) byResource.set(r.toString(), 0);
    for (const s of slices) {
      const perReplica = (s.primaryRateLoad ?? 0) / s.resources.length;
      for (const r of s.resources) byResource.set(r.toString(), (byResource.get(r.toString()) ?? 0) + perReplica);
    }
    this.loadByResource = byResource;
    const loads = [...byResource.values()];
    for (const [resource, load] of byResource) this.options.metrics.perResourceLoad.set({ ...this.labels, resource }, load);
    const mean = loads.reduce((a, b) => a + b, 0) / Math.max(1, loads.length);
    if (mean > 0) this.options.metrics.loadImbalance.set(this.labels, Math.max(...loads) / mean);
  }

  private pushHistory(record: GenerationRecord): number {
    this.history.push(record);
    const limit = this.options.historySize ?? 20;
    while (this.history.length > limit) {
      this.history.shift();
      this.historyBase++;
    }
    return this.historyBase + this.history.length - 1;
  }

  private updateHistory(record: number, outcome: GenerationRecord['outcome']): void {
    const i = record - this.historyBase;
    const entry = this.history[i];
    if (entry !== undefined) this.history[i] = { ...entry, outcome };
  }

  private armTimer(wakes: readonly (number | undefined)[]): void {
    if (this.state === 'shut-down') return;
    const defined = wakes.filter((w): w is number => w !== undefined);
    const wakeAtMs = defined.length === 0 ? undefined : Math.min(...defined);
    if (wakeAtMs === this.timerAtMs && this.cancelTimer !== undefined) return;
    this.cancelTimer?.();
    this.cancelTimer = undefined;
    this.timerAtMs = wakeAtMs;
    if (wakeAtMs === undefined) return;
    const clock = this.options.clock;
    this.cancelTimer = clock.setTimer(Math.max(0, wakeAtMs - clock.nowMs()), () => {
      this.cancelTimer = undefined;
      this.timerAtMs = undefined;
      this.enqueue({ kind: 'advance' });
    });
  }
}

/**
 * Share of the key space whose owner set changed between `previous` and `next`, split into
 * removal (an old owner is no longer available), addition (a new owner held nothing before) and
 * load balancing (everything else).
 */
export function churnOf(
  previous: Assignment | undefined,
  next: readonly ProposedAssignmentSlice[],
  availableIds: ReadonlySet<ResourceId>,
): ChurnRatios {
  if (previous === undefined) return { removal: 0, addition: 0, loadBalancing: 0 };
  const oldOwners = new Set<ResourceId>();
  for (const s of previous.sliceAssignments) for (const r of s.resources) oldOwners.add(resourceIdOf(r));
  let removal = 0;
  let addition = 0;
  let loadBalancing = 0;
  const map = previous.sliceMap;
  for (const proposed of next) {
    const newIds = new Set(proposed.resources.map(resourceIdOf));
    for (let i = map.indexOf(proposed.slice.lowInclusive); i < map.entries.length; i++) {
      const old = map.entries[i]!;
      const overlap = old.slice.intersection(proposed.slice);
      if (overlap === undefined) break;
      const oldIds = old.resources.map(resourceIdOf);
      const same = oldIds.length === newIds.size && oldIds.every((id) => newIds.has(id));
      if (same) continue;
      const fraction = keySpaceFraction(overlap);
      if (oldIds.some((id) => !availableIds.has(id))) removal += fraction;
      else if ([...newIds].some((id) => !oldOwners.has(id))) addition += fraction;
      else loadBalancing += fraction;
    }
  }
  return { removal, addition, loadBalancing };
}
