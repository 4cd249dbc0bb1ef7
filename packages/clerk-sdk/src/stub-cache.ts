/**
 * The Clerk's stubs by resource address, in an `lru-cache` bounded by count and (optionally) idle
 * time, closing every stub it drops. Dicer's `ResourceRouter` keeps stubs by SQUID, expiring 1 h
 * after last access; keyed by address here, so a restarted pod at the same address keeps its stub.
 */
import { LRUCache } from 'lru-cache';
import type { Clock, Logger, ResourceAddress } from '@dicer-ts/common';
import type { RequestCounter, RoutedResource } from './routing-table.js';

/** Counters of a {@link StubCache}, monotonic except `size`. */
export interface StubCacheStats {
  /** Stubs held now. */
  readonly size: number;
  /** Stubs made by the factory. */
  readonly createdTotal: number;
  /** Stubs handed to `closeStub` (evicted, idle, unassigned or closed with the Clerk). */
  readonly closedTotal: number;
  /** Of those, dropped because the cache was full. */
  readonly evictedTotal: number;
  /** `closeStub` calls that threw or rejected. */
  readonly closeErrorsTotal: number;
}

/** Options of {@link StubCache}. */
export interface StubCacheOptions<Stub> {
  readonly factory: (resource: ResourceAddress, counter: RequestCounter) => Stub;
  readonly close: ((stub: Stub, resource: ResourceAddress) => void | Promise<void>) | undefined;
  /** Stubs kept at most. */
  readonly max: number;
  /** Idle expiry; 0 disables it. */
  readonly idleMs: number;
  readonly clock: Clock;
  readonly logger: Logger;
}

interface Entry<Stub> {
  readonly stub: Stub;
  readonly address: ResourceAddress;
}

/** Stubs per resource, made lazily by the user's factory and closed when dropped. */
export class StubCache<Stub> {
  private readonly cache: LRUCache<string, Entry<Stub>>;
  private readonly factory: (resource: ResourceAddress, counter: RequestCounter) => Stub;
  private readonly closeFn: ((stub: Stub, resource: ResourceAddress) => void | Promise<void>) | undefined;
  private readonly logger: Logger;
  private createdTotal = 0;
  private closedTotal = 0;
  private evictedTotal = 0;
  private closeErrorsTotal = 0;

  constructor(options: StubCacheOptions<Stub>) {
    this.factory = options.factory;
    this.closeFn = options.close;
    this.logger = options.logger;
    const clock = options.clock;
    this.cache = new LRUCache<string, Entry<Stub>>({
      max: options.max,
      ...(options.idleMs > 0 ? { ttl: options.idleMs, updateAgeOnGet: true, updateAgeOnHas: false } : {}),
      // No cached "now" with a timer per millisecond: the lookup path must not allocate timers.
      ttlResolution: 0,
      perf: { now: () => clock.nowMs() },
      dispose: (entry, _key, reason) => this.dispose(entry, reason),
    });
  }

  /** The stub of `resource`, made by the factory on a miss (the factory's exceptions propagate). */
  get(resource: RoutedResource): Stub {
    const hit = this.cache.get(resource.key);
    if (hit !== undefined) return hit.stub;
    const stub = this.factory(resource.address, resource);
    this.createdTotal++;
    this.cache.set(resource.key, { stub, address: resource.address });
    return stub;
  }

  /** Whether a stub for the address text `key` is held (no recency update). */
  has(key: string): boolean {
    return this.cache.has(key);
  }

  /** Closes the stubs of resources not in `assigned` (their resource left the assignment). */
  retainOnly(assigned: ReadonlyMap<string, unknown>): void {
    for (const key of [...this.cache.keys()]) {
      if (!assigned.has(key)) this.cache.delete(key);
    }
  }

  /** Closes stubs idle longer than the idle expiry. */
  purgeStale(): void {
    this.cache.purgeStale();
  }

  /** Closes every stub. */
  clear(): void {
    this.cache.clear();
  }

  /** Counters for metrics. */
  stats(): StubCacheStats {
    return {
      size: this.cache.size,
      createdTotal: this.createdTotal,
      closedTotal: this.closedTotal,
      evictedTotal: this.evictedTotal,
      closeErrorsTotal: this.closeErrorsTotal,
    };
  }

  private dispose(entry: Entry<Stub>, reason: LRUCache.DisposeReason): void {
    this.closedTotal++;
    if (reason === 'evict') this.evictedTotal++;
    if (this.closeFn === undefined) return;
    const onError = (err: unknown): void => {
      this.closeErrorsTotal++;
      this.logger.warn({ err, resource: entry.address.uri, reason }, 'closing a stub failed');
    };
    try {
      const result = this.closeFn(entry.stub, entry.address);
      if (result !== undefined) result.then(undefined, onError);
    } catch (err) {
      onError(err);
    }
  }
}
