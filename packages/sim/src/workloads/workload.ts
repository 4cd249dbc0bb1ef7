import type { KeySpace } from '../engine/key-space.js';

/**
 * A source of simulated requests over a fixed set of keys. The simulator asks it, once per tick,
 * for the requests of that tick; the same seed gives the same request stream whatever the policy.
 */
export interface Workload {
  /** The keys requests are made for. */
  readonly keySpace: KeySpace;
  /**
   * Calls `emit(keyId, cost)` for every request made in `[startMs, startMs + tickMs)`, in order.
   * Ticks are asked for in increasing time order.
   */
  requestsIn(startMs: number, tickMs: number, emit: (keyId: number, cost: number) => void): void;
  /**
   * The expected share of the load each key carries at `atMs` (sums to 1), used to weigh the keys a
   * policy moves.
   */
  keyShares(atMs: number): Float64Array;
  /** The mean total load per second (cost units) over the run, used to size `maxLoadHint`. */
  readonly meanLoadPerSecond: number;
}

/**
 * A synthetic workload: `ratePerSecond` requests of cost `costPerRequest` over `keys` keys whose
 * popularity follows Zipf(`zipfExponent`) (0 is uniform), with optional modifiers.
 */
export interface SyntheticWorkloadSpec {
  readonly kind: 'synthetic';
  /** Number of distinct keys. */
  readonly keys: number;
  /** Mean requests per second. */
  readonly ratePerSecond: number;
  /** Zipf exponent `s` of key popularity; 0 for uniform. @default 0 */
  readonly zipfExponent?: number;
  /** The load one request puts on the pod serving it. @default 1 */
  readonly costPerRequest?: number;
  /**
   * A hot key that appears at `atMs` and takes `share` of all requests from then on; with
   * `moveEveryMs` a different key becomes the hot one every that many ms.
   */
  readonly hotKey?: { readonly atMs: number; readonly share: number; readonly moveEveryMs?: number };
  /** Diurnal rate: `rate × (1 + amplitude × sin(2π t / periodMs))`. */
  readonly diurnal?: { readonly periodMs: number; readonly amplitude: number };
  /**
   * Popularity drift: every `everyMs`, `swaps` of the 1,000 most popular ranks trade places with a
   * random rank, so the set of popular keys changes over time.
   */
  readonly drift?: { readonly everyMs: number; readonly swaps: number };
}

/**
 * Replays a trace of requests: `file` (CSV lines `timeMs,key,cost`, a header line allowed) or
 * `requests` given inline. Times are relative to the start of the run.
 */
export interface TraceWorkloadSpec {
  readonly kind: 'trace';
  readonly file?: string;
  readonly requests?: readonly { readonly timeMs: number; readonly key: string; readonly cost?: number }[];
}

/** Any workload a scenario can name. */
export type WorkloadSpec = SyntheticWorkloadSpec | TraceWorkloadSpec;
