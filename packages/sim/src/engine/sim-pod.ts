import { ResourceAddress, Squid } from '@dicer-ts/common';
import { CacheModel } from './cache-model.js';

/**
 * The lifecycle of a simulated pod: `starting` (process up, not serving yet), `running`,
 * `terminating` (graceful shutdown: still serves while it drains), `down` (gone: crashed or
 * exited). `down` is final for the instance; a restart makes a new instance.
 */
export type PodState = 'starting' | 'running' | 'terminating' | 'down';

/**
 * Virtual creation times start here, so Squid creation times look like real epoch milliseconds
 * (2026-01-01T00:00:00Z) and increase with virtual time.
 */
export const SIM_EPOCH_MS = 1_767_225_600_000;

/**
 * One incarnation of a simulated pod. A pod slot (its stable address, as a StatefulSet pod name
 * or a Service endpoint) may see several instances over a run: each restart is a new instance
 * with a new Squid at the same address, and a cold cache.
 */
export class SimPod {
  /** The Squid the instance heartbeats with: its address, creation time and a UUID made from its id. */
  readonly squid: Squid;
  state: PodState = 'starting';
  /**
   * How much load one unit of request cost puts on this pod: 1 normally, more for a pod that has
   * gone slow (the same work takes longer, so the pod reports more load).
   */
  costFactor = 1;
  readonly cache: CacheModel;
  /** Load served since the last metrics sample. */
  windowLoad = 0;

  constructor(
    /** Unique across the run. */
    readonly instance: number,
    /** The pod slot (address) index. */
    readonly slot: number,
    readonly address: string,
    readonly createdAtMs: number,
    cacheCapacity: number,
  ) {
    this.squid = Squid.fromUuidHalves(ResourceAddress.create(address), BigInt(SIM_EPOCH_MS + Math.round(createdAtMs)), BigInt(instance + 1), 1n);
    this.cache = new CacheModel(cacheCapacity);
  }

  /** Whether requests reaching this instance are served. */
  get isServing(): boolean {
    return this.state === 'running' || this.state === 'terminating';
  }
}
