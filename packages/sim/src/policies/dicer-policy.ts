import { InvalidArgumentError, type Slice, type Squid } from '@dicer-ts/common';
import {
  HealthWatcher,
  IMBALANCE_TOLERANCE_RATIOS,
  UNIFORM_LOAD_RESERVATION_RATIOS,
  LoadWatcher,
  RegenerationScheduler,
  UNIFORM_LOAD_MAP,
  availableResourcesOf,
  createAlgorithmConfig,
  generateInitialSquidAssignment,
  runAlgorithmForSquids,
  toAlgorithmConfig,
  validateAlgorithmConfig,
  type AlgorithmConfig,
  type TargetConfig,
  type HealthWatcherOutput,
  type SliceLoadReport,
} from '@dicer-ts/assigner';
import { LoadAccumulator } from '@dicer-ts/slicelet-sdk';
import { boundaryOf } from '../engine/key-space.js';
import { createRoutingTable } from '../engine/routing-table.js';
import { SIM_EPOCH_MS, type SimPod } from '../engine/sim-pod.js';
import type { DicerPolicySpec } from '../scenarios/scenario.js';
import type { Policy, PolicyHost } from './policy.js';

/** The store incarnation of the simulated Assigner (one Assigner, never restarted). */
const INCARNATION = 1n;

/** One slice of the current assignment. */
interface AssignedSlice {
  readonly slice: Slice;
  readonly resources: readonly Squid[];
  readonly primaryRateLoad?: number | undefined;
}

/**
 * dicer-ts itself, driven in virtual time through the Assigner's real pure core (imported from
 * `@dicer-ts/assigner`, never re-implemented) and the Slicelet's real load accounting (from
 * `@dicer-ts/slicelet-sdk`):
 *
 * - each pod runs a Slicelet `LoadAccumulator` (EWMA per slice, top-keys sketch) fed by every
 *   request it serves, and heartbeats every `heartbeatIntervalMs` with its state (`running`, or
 *   `terminating` from the moment it drains) and its load report;
 * - the heartbeat goes to the real `HealthWatcher` (30 s expiry, 30 s startup delay) and
 *   `LoadWatcher` (60 s minimum window, 10 s decay half-life, top keys);
 * - after every event and timer the real `RegenerationScheduler` decides (first assignment, health
 *   change, load balancing every minute, at most one attempt per 10 s); a generation runs the real
 *   `generateInitialSquidAssignment` / `runAlgorithmForSquids` (Squid order decides ties, as in
 *   the Assigner) on the LoadWatcher's map (or the uniform map) and is "written" at once (an
 *   in-memory store);
 * - the assignment reaches the Slicelets `sliceletDelayMs` later (their accumulators keep a slice's
 *   counter only if its bounds and replica count are unchanged) and the Clerks after the
 *   propagation delay.
 *
 * @see algorithm.md §7, §8, §10
 */
export class DicerPolicy implements Policy {
  readonly name: string;
  readonly kind = 'dicer';
  readonly config: AlgorithmConfig;
  private host!: PolicyHost;
  private readonly observeSliceletReadiness: boolean;
  private health!: HealthWatcher;
  private readonly load: LoadWatcher;
  private readonly scheduler = new RegenerationScheduler();
  private readonly accumulators = new Map<number, LoadAccumulator>();
  private readonly byUuid = new Map<string, SimPod>();
  private readonly wakes = new Set<number>();
  /** Load served in the current tick: instance → key id → load. */
  private readonly pending = new Map<number, Map<number, number>>();
  private available: Squid[] = [];
  private generation = 0n;
  private assignment: { readonly slices: readonly AssignedSlice[]; readonly squids: readonly Squid[] } | undefined;

  /**
   * @param defaultMaxLoadHint `maxLoadHint` when neither the target config nor the spec gives one.
   * @param targetConfig a resolved Dicer target config (`<target>.textproto`): its algorithm config
   *   and load/health watcher settings are the base that `spec.config` overrides.
   * @throws {InvalidArgumentError} for a config that breaks a rule of the algorithm's config.
   */
  constructor(spec: DicerPolicySpec, defaultMaxLoadHint: number, targetConfig?: TargetConfig) {
    this.name = spec.name ?? 'dicer';
    const o = spec.config ?? {};
    const base = targetConfig === undefined ? createAlgorithmConfig({ maxLoadHint: defaultMaxLoadHint }) : toAlgorithmConfig(targetConfig);
    const tolerance = o.imbalanceToleranceHint;
    const reservation = o.uniformLoadReservationHint;
    if (tolerance !== undefined && !(tolerance in IMBALANCE_TOLERANCE_RATIOS)) {
      throw new InvalidArgumentError(`imbalanceToleranceHint must be one of default, tight, loose, got ${String(tolerance)}`);
    }
    if (reservation !== undefined && !(reservation in UNIFORM_LOAD_RESERVATION_RATIOS)) {
      throw new InvalidArgumentError(`uniformLoadReservationHint must be one of no-reservation, small, medium, large, got ${String(reservation)}`);
    }
    this.config = validateAlgorithmConfig({
      maxLoadHint: o.maxLoadHint ?? base.maxLoadHint,
      imbalanceToleranceRatio: o.imbalanceToleranceRatio ?? (tolerance === undefined ? base.imbalanceToleranceRatio : IMBALANCE_TOLERANCE_RATIOS[tolerance]),
      uniformLoadReservationRatio:
        o.uniformLoadReservationRatio ?? (reservation === undefined ? base.uniformLoadReservationRatio : UNIFORM_LOAD_RESERVATION_RATIOS[reservation]),
      minReplicas: o.minReplicas ?? base.minReplicas,
      maxReplicas: o.maxReplicas ?? base.maxReplicas,
      churnPenaltyRatio: o.churnPenaltyRatio ?? base.churnPenaltyRatio,
      placementTimeoutMs: o.placementTimeoutMs ?? base.placementTimeoutMs,
      placementIterationBudget: o.placementIterationBudget ?? base.placementIterationBudget,
    });
    const minDurationMs = spec.minLoadWindowMs ?? targetConfig?.loadWatcherMinDurationMs;
    const useTopKeys = spec.useTopKeys ?? targetConfig?.loadWatcherUseTopKeys;
    const maxAgeMs = targetConfig?.loadWatcherMaxAgeMs;
    this.load = new LoadWatcher({
      ...(minDurationMs === undefined ? {} : { minDurationMs }),
      ...(useTopKeys === undefined ? {} : { useTopKeys }),
      ...(maxAgeMs === undefined ? {} : { maxAgeMs }),
    });
    this.observeSliceletReadiness = targetConfig?.observeSliceletReadiness ?? false;
  }

  /** The latest assignment written (empty before the first one), in key order. */
  get assignedSlices(): readonly { readonly slice: Slice; readonly resources: readonly Squid[]; readonly primaryRateLoad?: number | undefined }[] {
    return this.assignment?.slices ?? [];
  }

  /** The pod instance a Squid belongs to. */
  podOf(squid: Squid): SimPod | undefined {
    return this.byUuid.get(squid.uuid);
  }

  attach(host: PolicyHost): void {
    this.host = host;
    this.health = new HealthWatcher({ unhealthyTimeoutMs: host.unhealthyTimeoutMs, observeSliceletReadiness: this.observeSliceletReadiness });
  }

  onPodRunning(pod: SimPod): void {
    this.byUuid.set(pod.squid.uuid, pod);
    this.accumulators.set(pod.instance, new LoadAccumulator(wall(this.host.queue.nowMs)));
    if (this.assignment !== undefined) this.deliverLater(pod, this.generation, this.assignment.slices);
    this.heartbeat(pod, true);
  }

  onPodTerminating(pod: SimPod): void {
    this.heartbeat(pod, false); // the Slicelet reports TERMINATING as soon as it starts draining
  }

  onPodDown(pod: SimPod): void {
    this.accumulators.delete(pod.instance);
    this.pending.delete(pod.instance);
  }

  onServed(pod: SimPod, keyId: number, load: number): void {
    let perKey = this.pending.get(pod.instance);
    if (perKey === undefined) {
      perKey = new Map();
      this.pending.set(pod.instance, perKey);
    }
    perKey.set(keyId, (perKey.get(keyId) ?? 0) + load);
  }

  /**
   * Feeds the tick's load to the Slicelets' accumulators, one increment per (pod, key) with the
   * sum of the second: the same as one increment per request, because the EWMA counters bucket
   * by whole second and the top-keys sketch weighs every increment of a second alike.
   */
  onTickEnd(tickStartMs: number): void {
    const at = wall(tickStartMs);
    const keySpace = this.host.keySpace;
    for (const [instance, perKey] of this.pending) {
      const accumulator = this.accumulators.get(instance);
      if (accumulator !== undefined) for (const [keyId, load] of perKey) accumulator.incrementPrimaryRateBy(keySpace.sliceKey(keyId), load, at);
      perKey.clear();
    }
  }

  private heartbeat(pod: SimPod, loop: boolean): void {
    if (pod.state === 'down') return;
    const now = this.host.queue.nowMs;
    this.onHealth(this.health.onEvent({ kind: 'health-status-observed', squid: pod.squid, state: pod.state === 'terminating' ? 'terminating' : 'running' }, now));
    const accumulator = this.accumulators.get(pod.instance);
    if (accumulator !== undefined) {
      const report = accumulator.readLoad(wall(now));
      const reports: SliceLoadReport[] = report.attributedLoads.map((r) => ({
        slice: r.slice,
        primaryRateLoad: r.primaryRateLoad,
        windowLowInclusiveMs: Number(r.windowLowInclusiveSeconds) * 1000,
        windowHighExclusiveMs: Number(r.windowHighExclusiveSeconds) * 1000,
        numReplicas: r.numReplicas,
        topKeys: r.topKeys.map((k) => ({ key: k.sliceKey, load: k.underestimatedPrimaryRateLoad })),
      }));
      this.load.reportLoad(now, pod.address, reports, wall(now));
    }
    this.evaluate();
    if (loop) this.host.queue.scheduleIn(this.host.heartbeatIntervalMs, () => this.heartbeat(pod, true));
  }

  private onHealth(output: HealthWatcherOutput): void {
    for (const action of output.actions) {
      if (action.kind === 'health-report') {
        this.available = availableResourcesOf(action.report.resources.filter((r) => r.computed === 'running').map((r) => r.squid));
      }
    }
    this.wakeAt(output.wakeAtMs);
  }

  private wakeAt(atMs: number | undefined): void {
    if (atMs === undefined || this.wakes.has(atMs)) return;
    this.wakes.add(atMs);
    this.host.queue.schedule(atMs, () => {
      this.wakes.delete(atMs);
      this.onHealth(this.health.onAdvance(this.host.queue.nowMs));
      this.evaluate();
    });
  }

  private evaluate(): void {
    const now = this.host.queue.nowMs;
    const current = this.assignment;
    const decision = this.scheduler.decide(now, {
      latestAssignment: current === undefined ? undefined : { isFrozen: false, incarnation: INCARNATION, resources: current.squids },
      storeIncarnation: INCARNATION,
      availableResources: this.available,
    });
    if (decision.kind === 'skip') {
      this.wakeAt(decision.wakeAtMs);
      return;
    }
    this.generate(decision.reason);
    this.scheduler.onWriteCompleted('committed', now);
    this.evaluate(); // arms the next load-balancing timer
  }

  private generate(reason: string): void {
    const now = this.host.queue.nowMs;
    const squids = [...this.available];
    const started = performance.now();
    let slices: AssignedSlice[];
    const previous = this.assignment;
    if (previous === undefined) {
      slices = generateInitialSquidAssignment(squids, this.config.minReplicas);
    } else {
      const loadMap = this.load.getPrimaryRateLoadMap(now, previous.slices) ?? UNIFORM_LOAD_MAP;
      slices = runAlgorithmForSquids({ config: this.config, availableResources: squids, base: previous.slices, loadMap }).slices;
    }
    const computeMs = performance.now() - started;
    this.generation++;
    // The Squids the assignment names (deduplicated by UUID), for the health-change comparison.
    const assigned = new Map<string, Squid>();
    for (const slice of slices) for (const r of slice.resources) assigned.set(r.uuid, r);
    this.assignment = { slices, squids: [...assigned.values()] };
    this.onHealth(
      this.health.onEvent({ kind: 'assignment-observed', generation: { incarnation: INCARNATION, number: this.generation }, resources: this.assignment.squids }, now),
    );
    const table = createRoutingTable(
      this.host.keySpace,
      slices.map((s) => boundaryOf(s.slice.lowInclusive)),
      slices.map((s) => Int32Array.from(s.resources, (squid) => (this.byUuid.get(squid.uuid) as SimPod).instance)),
      slices.length,
      0,
    );
    this.host.publish(table, { reason, computeMs });
    for (const pod of this.host.livePods()) if (pod.state !== 'starting') this.deliverLater(pod, this.generation, slices);
  }

  /** The Slicelet of `pod` learns the assignment `sliceletDelayMs` from now. */
  private deliverLater(pod: SimPod, generation: bigint, slices: readonly AssignedSlice[]): void {
    this.host.queue.scheduleIn(this.host.sliceletDelayMs, () => {
      const accumulator = this.accumulators.get(pod.instance);
      if (accumulator === undefined) return;
      const mine = slices
        .filter((s) => s.resources.some((r) => r.uuid === pod.squid.uuid))
        .map((s) => ({ slice: s.slice, numReplicas: s.resources.length, primaryRateLoad: s.primaryRateLoad }));
      accumulator.onAssignmentChanged({ incarnation: INCARNATION, number: generation }, mine, wall(this.host.queue.nowMs));
    });
  }
}

/** The Slicelets' epoch-millisecond clock for virtual time `nowMs`. */
function wall(nowMs: number): number {
  return SIM_EPOCH_MS + nowMs;
}
