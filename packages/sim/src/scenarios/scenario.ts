import { InvalidArgumentError } from '@dicer-ts/common';
import type { AlgorithmConfig, AlgorithmConfigOptions } from '@dicer-ts/assigner';
import type { WorkloadSpec } from '../workloads/workload.js';

/** A pod lifecycle event of a scenario; `atMs` is virtual time from the start of the run. */
export type ScenarioEvent =
  /**
   * Restarts every pod in turn. `deployment`: start a replacement pod (new address), wait until it
   * runs, then terminate the old one; `statefulset`: terminate pod i (highest first), and start it
   * again at the same address once it is gone.
   */
  | { readonly kind: 'rolling-restart'; readonly atMs: number; readonly style: 'deployment' | 'statefulset'; readonly pauseMs?: number }
  /** Pod `pod` (slot index) dies without warning; it comes back after `restartAfterMs` if given. */
  | { readonly kind: 'crash'; readonly atMs: number; readonly pod: number; readonly restartAfterMs?: number }
  /** `count` new pods start. */
  | { readonly kind: 'scale-out'; readonly atMs: number; readonly count: number }
  /** The `count` newest pods terminate gracefully. */
  | { readonly kind: 'scale-in'; readonly atMs: number; readonly count: number }
  /** Pod `pod` takes `factor` times the load per request until `durationMs` passes (forever without it). */
  | { readonly kind: 'slow-pod'; readonly atMs: number; readonly pod: number; readonly factor: number; readonly durationMs?: number };

/** The Dicer policy's settings: the algorithm's config plus the watchers' timings. */
export interface DicerPolicySpec {
  readonly kind: 'dicer';
  /** The name in reports. @default 'dicer' */
  readonly name?: string;
  /**
   * The algorithm config; `maxLoadHint` defaults to the target config's, else to the scenario's
   * `pods.capacity`, else to the workload's mean load per pod (the service runs at its declared
   * capacity). Raw ratios (`imbalanceToleranceRatio`,
   * `uniformLoadReservationRatio`) override the hints, for values no hint names.
   */
  readonly config?: Partial<AlgorithmConfigOptions> & Partial<Pick<AlgorithmConfig, 'imbalanceToleranceRatio' | 'uniformLoadReservationRatio'>>;
  /**
   * A Dicer target config file (`<target>.textproto` or `.json`, relative to the scenario file):
   * its max_load_hint, hints, key replication and load/health watcher settings are the base that
   * `config` overrides.
   */
  readonly targetConfigFile?: string;
  /** The same as {@link DicerPolicySpec.targetConfigFile}, inline, in text format. */
  readonly targetConfigText?: string;
  /** LoadWatcher `min_duration_seconds`, in ms. @default 60_000 (or the target config's) */
  readonly minLoadWindowMs?: number;
  /** Whether Slicelets report top keys (LoadWatcher `use_top_keys`). @default true */
  readonly useTopKeys?: boolean;
}

/** Consistent hashing with virtual nodes (each pod at `virtualNodes` points of a 64-bit ring). */
export interface ConsistentHashPolicySpec {
  readonly kind: 'consistent-hash';
  readonly name?: string;
  /** @default 128 */
  readonly virtualNodes?: number;
}

/**
 * Consistent hashing with bounded loads (Mirrokni, Thorup, Zadimoghaddam 2018): a request walks
 * the ring past pods whose load this second would exceed `(1 + epsilon)` × the mean.
 */
export interface BoundedLoadPolicySpec {
  readonly kind: 'bounded-load';
  readonly name?: string;
  /** @default 128 */
  readonly virtualNodes?: number;
  /** @default 0.25 */
  readonly epsilon?: number;
}

/** Static equal ranges: the key space cut into one equal range per pod, recut on membership change. */
export interface StaticRangePolicySpec {
  readonly kind: 'static';
  readonly name?: string;
}

/** Any policy a scenario can run. */
export type PolicySpec = DicerPolicySpec | ConsistentHashPolicySpec | BoundedLoadPolicySpec | StaticRangePolicySpec;

/** A simulation scenario, as written in a JSON file (every optional field has a default). */
export interface Scenario {
  readonly name: string;
  readonly description?: string;
  /** @default 1 */
  readonly seed?: number;
  /** Virtual duration of the run (ms). */
  readonly durationMs: number;
  /** Metrics are recorded from this time on; before it the policies converge. @default 300_000 */
  readonly warmupMs?: number;
  /** Width of a metrics sample (ms). @default 10_000 */
  readonly sampleIntervalMs?: number;
  readonly pods: {
    readonly count: number;
    /**
     * What one pod can serve, in load per second: samples where a pod exceeds it count as
     * overloaded, and it is Dicer's default `maxLoadHint` (the per-pod capacity). @default none
     */
    readonly capacity?: number;
    /** Keys each pod's LRU cache holds. @default 1000 */
    readonly cacheKeys?: number;
    /** From process start to ready. @default 5_000 */
    readonly startupMs?: number;
    /** From the termination signal to exit (Kubernetes' grace period). @default 30_000 */
    readonly terminationGraceMs?: number;
  };
  readonly network?: {
    /** From publication to the Clerks routing by a decision. @default 5_000 */
    readonly propagationDelayMs?: number;
    /** From publication to the Slicelets knowing it. @default 1_000 */
    readonly sliceletDelayMs?: number;
    /** Slicelet heartbeat (and load report) interval. @default 5_000 */
    readonly heartbeatIntervalMs?: number;
    /** Heartbeat expiry: how long a crash goes unnoticed. @default 30_000 */
    readonly unhealthyTimeoutMs?: number;
  };
  readonly workload: WorkloadSpec;
  readonly events?: readonly ScenarioEvent[];
  /** @default dicer, consistent-hash, bounded-load and static */
  readonly policies?: readonly PolicySpec[];
}

/** A scenario with every default applied. */
export interface ResolvedScenario {
  readonly name: string;
  readonly description: string;
  readonly seed: number;
  readonly durationMs: number;
  readonly warmupMs: number;
  readonly sampleIntervalMs: number;
  readonly pods: {
    readonly count: number;
    readonly capacity: number | undefined;
    readonly cacheKeys: number;
    readonly startupMs: number;
    readonly terminationGraceMs: number;
  };
  readonly network: {
    readonly propagationDelayMs: number;
    readonly sliceletDelayMs: number;
    readonly heartbeatIntervalMs: number;
    readonly unhealthyTimeoutMs: number;
  };
  readonly workload: WorkloadSpec;
  readonly events: readonly ScenarioEvent[];
  readonly policies: readonly PolicySpec[];
}

/** The policies run when a scenario names none. */
export const DEFAULT_POLICIES: readonly PolicySpec[] = Object.freeze([
  { kind: 'dicer' },
  { kind: 'consistent-hash' },
  { kind: 'bounded-load' },
  { kind: 'static' },
]);

const POLICY_KINDS = new Set(['dicer', 'consistent-hash', 'bounded-load', 'static']);
const EVENT_KINDS = new Set(['rolling-restart', 'crash', 'scale-out', 'scale-in', 'slow-pod']);

/**
 * Applies the defaults of a {@link Scenario} and checks it.
 *
 * @throws {InvalidArgumentError} naming the field and the value when something is out of range.
 */
export function resolveScenario(scenario: Scenario): ResolvedScenario {
  const s = scenario;
  if (typeof s.name !== 'string' || s.name === '') throw new InvalidArgumentError(`scenario.name must be a non-empty string, got ${String(s.name)}`);
  const positive = (name: string, v: unknown): number => {
    if (typeof v !== 'number' || !(v > 0) || !Number.isFinite(v)) throw new InvalidArgumentError(`${name} must be a positive number, got ${String(v)}`);
    return v;
  };
  const nonNegative = (name: string, v: unknown): number => {
    if (typeof v !== 'number' || !(v >= 0) || !Number.isFinite(v)) throw new InvalidArgumentError(`${name} must be a non-negative number, got ${String(v)}`);
    return v;
  };
  if (s.pods === undefined || !Number.isSafeInteger(s.pods.count) || s.pods.count < 1) {
    throw new InvalidArgumentError(`scenario.pods.count must be a positive integer, got ${String(s.pods?.count)}`);
  }
  if (s.workload === undefined || (s.workload.kind !== 'synthetic' && s.workload.kind !== 'trace')) {
    throw new InvalidArgumentError(`scenario.workload.kind must be synthetic or trace, got ${String((s.workload as { kind?: unknown } | undefined)?.kind)}`);
  }
  const events = s.events ?? [];
  for (const e of events) {
    if (!EVENT_KINDS.has(e.kind)) throw new InvalidArgumentError(`unknown event kind ${String((e as { kind: unknown }).kind)}`);
    nonNegative(`${e.kind}.atMs`, e.atMs);
    if ((e.kind === 'crash' || e.kind === 'slow-pod') && !(Number.isSafeInteger(e.pod) && e.pod >= 0 && e.pod < s.pods.count)) {
      throw new InvalidArgumentError(`${e.kind}.pod must be a pod index below ${s.pods.count}, got ${String(e.pod)}`);
    }
    if ((e.kind === 'scale-out' || e.kind === 'scale-in') && !(Number.isSafeInteger(e.count) && e.count >= 1)) {
      throw new InvalidArgumentError(`${e.kind}.count must be a positive integer, got ${String(e.count)}`);
    }
    if (e.kind === 'slow-pod') positive('slow-pod.factor', e.factor);
    if (e.kind === 'rolling-restart' && e.style !== 'deployment' && e.style !== 'statefulset') {
      throw new InvalidArgumentError(`rolling-restart.style must be deployment or statefulset, got ${String(e.style)}`);
    }
  }
  const policies = s.policies ?? DEFAULT_POLICIES;
  if (policies.length === 0) throw new InvalidArgumentError('scenario.policies must name at least one policy');
  const names = new Set<string>();
  for (const p of policies) {
    if (!POLICY_KINDS.has(p.kind)) throw new InvalidArgumentError(`unknown policy kind ${String((p as { kind: unknown }).kind)}`);
    const name = p.name ?? p.kind;
    if (names.has(name)) throw new InvalidArgumentError(`policy name ${name} is used twice`);
    names.add(name);
  }
  return Object.freeze({
    name: s.name,
    description: s.description ?? '',
    seed: s.seed ?? 1,
    durationMs: positive('scenario.durationMs', s.durationMs),
    warmupMs: nonNegative('scenario.warmupMs', s.warmupMs ?? 300_000),
    sampleIntervalMs: positive('scenario.sampleIntervalMs', s.sampleIntervalMs ?? 10_000),
    pods: {
      count: s.pods.count,
      capacity: s.pods.capacity === undefined ? undefined : positive('scenario.pods.capacity', s.pods.capacity),
      cacheKeys: nonNegative('scenario.pods.cacheKeys', s.pods.cacheKeys ?? 1000),
      startupMs: nonNegative('scenario.pods.startupMs', s.pods.startupMs ?? 5_000),
      terminationGraceMs: nonNegative('scenario.pods.terminationGraceMs', s.pods.terminationGraceMs ?? 30_000),
    },
    network: {
      propagationDelayMs: nonNegative('scenario.network.propagationDelayMs', s.network?.propagationDelayMs ?? 5_000),
      sliceletDelayMs: nonNegative('scenario.network.sliceletDelayMs', s.network?.sliceletDelayMs ?? 1_000),
      heartbeatIntervalMs: positive('scenario.network.heartbeatIntervalMs', s.network?.heartbeatIntervalMs ?? 5_000),
      unhealthyTimeoutMs: positive('scenario.network.unhealthyTimeoutMs', s.network?.unhealthyTimeoutMs ?? 30_000),
    },
    workload: s.workload,
    events,
    policies,
  });
}
