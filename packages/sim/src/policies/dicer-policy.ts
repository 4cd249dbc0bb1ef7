import { InvalidArgumentError, type Slice, type SliceKey, type Squid } from '@dicer-ts/common';
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
import { LoadAccumulator, type SliceLoadCounter } from '@dicer-ts/slicelet-sdk';
import { boundaryOf } from '../engine/key-space.js';
import { createRoutingTable, type RoutingTable } from '../engine/routing-table.js';
import { TickLoadBuffer } from '../engine/tick-load-buffer.js';
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

/** An assignment as written: its slices, their routing table (key id → slice index) and its Squids. */
interface WrittenAssignment {
  readonly generation: bigint;
  readonly slices: readonly AssignedSlice[];
  readonly table: RoutingTable;
  readonly squids: readonly Squid[];
}

/**
 * One pod instance's Slicelet accounting and the simulator's cache of where its keys' load goes.
 *
 * `counters[g]` is the accumulator's counter for every key of slice `g` of the assignment the
 * Slicelet last applied (`applied`): that slice's counter if the pod holds it, else the
 * unattributed one. It is what `accumulator.counterFor(key)` returns for each such key, resolved
 * once per (slice, assignment) through the slice's low key instead of once per key and second.
 */
interface PodAccounting {
  readonly accumulator: LoadAccumulator;
  applied: WrittenAssignment | undefined;
  counters: (SliceLoadCounter | undefined)[];
  /** The accumulator's `assignmentEpoch` that `counters` was resolved at. */
  epoch: number;
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
  /** Instance id → its Slicelet accounting, while the instance is up. */
  private readonly accounting: (PodAccounting | undefined)[] = [];
  private readonly byUuid = new Map<string, SimPod>();
  private readonly wakes = new Set<number>();
  /** Load served in the current tick, per (instance, key); made at attach (it needs the key count). */
  private pending!: TickLoadBuffer;
  private available: Squid[] = [];
  private generation = 0n;
  private assignment: WrittenAssignment | undefined;

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
    this.pending = new TickLoadBuffer(host.keySpace.size);
    this.health = new HealthWatcher({ unhealthyTimeoutMs: host.unhealthyTimeoutMs, observeSliceletReadiness: this.observeSliceletReadiness });
  }

  onPodRunning(pod: SimPod): void {
    this.byUuid.set(pod.squid.uuid, pod);
    const accumulator = new LoadAccumulator(wall(this.host.queue.nowMs));
    this.accounting[pod.instance] = { accumulator, applied: undefined, counters: [], epoch: accumulator.assignmentEpoch };
    if (this.assignment !== undefined) this.deliverLater(pod, this.assignment);
    this.heartbeat(pod, true);
  }

  onPodTerminating(pod: SimPod): void {
    this.heartbeat(pod, false); // the Slicelet reports TERMINATING as soon as it starts draining
  }

  onPodDown(pod: SimPod): void {
    this.accounting[pod.instance] = undefined; // its pending load of this tick is dropped at the tick's end
  }

  onServed(pod: SimPod, keyId: number, load: number): void {
    this.pending.add(pod.instance, keyId, load);
  }

  /**
   * Feeds the tick's load to the Slicelets' accumulators, one increment per (pod, key) with the
   * sum of the second: the same as one increment per request, because the EWMA counters bucket
   * by whole second and the top-keys sketch weighs every increment of a second alike.
   */
  onTickEnd(tickStartMs: number): void {
    const at = wall(tickStartMs);
    const keySpace = this.host.keySpace;
    const pending = this.pending;
    for (let i = 0; i < pending.size; i++) {
      const pod = this.accounting[pending.instanceAt(i)];
      if (pod === undefined) continue;
      const keyId = pending.keyAt(i);
      const key = keySpace.sliceKey(keyId);
      counterOf(pod, keyId, key).incrementBy(key, pending.loadAt(i), at);
    }
    pending.clear();
  }

  private heartbeat(pod: SimPod, loop: boolean): void {
    if (pod.state === 'down') return;
    const now = this.host.queue.nowMs;
    this.onHealth(this.health.onEvent({ kind: 'health-status-observed', squid: pod.squid, state: pod.state === 'terminating' ? 'terminating' : 'running' }, now));
    const accumulator = this.accounting[pod.instance]?.accumulator;
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
    const table = createRoutingTable(
      this.host.keySpace,
      slices.map((s) => boundaryOf(s.slice.lowInclusive)),
      slices.map((s) => Int32Array.from(s.resources, (squid) => (this.byUuid.get(squid.uuid) as SimPod).instance)),
      slices.length,
      0,
    );
    const written: WrittenAssignment = { generation: this.generation, slices, table, squids: [...assigned.values()] };
    this.assignment = written;
    this.onHealth(
      this.health.onEvent({ kind: 'assignment-observed', generation: { incarnation: INCARNATION, number: this.generation }, resources: this.assignment.squids }, now),
    );
    this.host.publish(table, { reason, computeMs });
    for (const pod of this.host.livePods()) if (pod.state !== 'starting') this.deliverLater(pod, written);
  }

  /** The Slicelet of `pod` learns the assignment `sliceletDelayMs` from now. */
  private deliverLater(pod: SimPod, written: WrittenAssignment): void {
    this.host.queue.scheduleIn(this.host.sliceletDelayMs, () => {
      const accounting = this.accounting[pod.instance];
      if (accounting === undefined) return;
      const mine = written.slices
        .filter((s) => s.resources.some((r) => r.uuid === pod.squid.uuid))
        .map((s) => ({ slice: s.slice, numReplicas: s.resources.length, primaryRateLoad: s.primaryRateLoad }));
      const { accumulator } = accounting;
      if (accumulator.onAssignmentChanged({ incarnation: INCARNATION, number: written.generation }, mine, wall(this.host.queue.nowMs))) {
        accounting.applied = written;
        accounting.counters = new Array<SliceLoadCounter | undefined>(written.slices.length).fill(undefined);
        accounting.epoch = accumulator.assignmentEpoch;
      }
    });
  }
}

/**
 * The counter `pod`'s accumulator puts load for `key` (id `keyId`) in: the same as
 * `accumulator.counterFor(key)`, cached per slice of the applied assignment.
 */
function counterOf(pod: PodAccounting, keyId: number, key: SliceKey): SliceLoadCounter {
  const applied = pod.applied;
  if (applied === undefined || pod.epoch !== pod.accumulator.assignmentEpoch) return pod.accumulator.counterFor(key);
  const g = applied.table.keyGroup[keyId] as number;
  let counter = pod.counters[g];
  if (counter === undefined) {
    counter = pod.accumulator.counterFor((applied.slices[g] as AssignedSlice).slice.lowInclusive);
    pod.counters[g] = counter;
  }
  return counter;
}

/** The Slicelets' epoch-millisecond clock for virtual time `nowMs`. */
function wall(nowMs: number): number {
  return SIM_EPOCH_MS + nowMs;
}
