/**
 * The Clerk's stubs by resource address, in an `lru-cache` bounded by count, plus an idle expiry,
 * closing every stub it drops. Dicer's `ResourceRouter` keeps stubs by SQUID, expiring 1 h after
 * last access; keyed by address here, so a restarted pod at the same address keeps its stub.
 *
 * Idle time is tracked coarsely, not with lru-cache's TTL: reading the clock on every lookup made
 * `getStubForKey` several times slower (lru-cache's TTL path measured ~130–220 ns per get against
 * ~50 ns without). A lookup stores the time of the last {@link StubCache.purgeStale} sweep (the
 * Clerk's monitor tick, every second by default), so expiry is exact to one tick.
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
  /** The sweep time at the last lookup (see the class comment). */
  lastUsedAtMs: number;
}

/** Stubs per resource, made lazily by the user's factory and closed when dropped. */
export class StubCache<Stub> {
  private readonly cache: LRUCache<string, Entry<Stub>>;
  private readonly factory: (resource: ResourceAddress, counter: RequestCounter) => Stub;
  private readonly closeFn: ((stub: Stub, resource: ResourceAddress) => void | Promise<void>) | undefined;
  private readonly logger: Logger;
  /**
   * Options object reused by every `LRUCache.get`: its default parameter (`getOptions = {}`) would
   * allocate one per lookup. lru-cache writes `status` into it, which stays `undefined` unless a
   * diagnostics channel subscribes to lru-cache metrics.
   */
  private readonly getOptions: LRUCache.GetOptions<string, Entry<Stub>, unknown> = {};
  private readonly clock: Clock;
  private readonly idleMs: number;
  /** The clock at the last sweep: what lookups record as their time. */
  private sweptAtMs: number;
  private createdTotal = 0;
  private closedTotal = 0;
  private evictedTotal = 0;
  private closeErrorsTotal = 0;

  constructor(options: StubCacheOptions<Stub>) {
    this.factory = options.factory;
    this.closeFn = options.close;
    this.logger = options.logger;
    this.clock = options.clock;
    this.idleMs = options.idleMs;
    this.sweptAtMs = options.clock.nowMs();
    this.cache = new LRUCache<string, Entry<Stub>>({
      max: options.max,
      dispose: (entry, _key, reason) => this.dispose(entry, reason),
    });
  }

  /** The stub of `resource`, made by the factory on a miss (the factory's exceptions propagate). */
  get(resource: RoutedResource): Stub {
    const hit = this.cache.get(resource.key, this.getOptions);
    if (hit !== undefined) {
      hit.lastUsedAtMs = this.sweptAtMs;
      return hit.stub;
    }
    const stub = this.factory(resource.address, resource);
    this.createdTotal++;
    this.cache.set(resource.key, { stub, address: resource.address, lastUsedAtMs: this.sweptAtMs });
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

  /**
   * Closes stubs not used for at least the idle expiry (none when it is 0), and starts a new sweep
   * period: lookups from now on record this time.
   */
  purgeStale(): void {
    const now = this.clock.nowMs();
    this.sweptAtMs = now;
    if (this.idleMs <= 0) return;
    const stale: string[] = [];
    for (const [key, entry] of this.cache.entries()) {
      if (now - entry.lastUsedAtMs >= this.idleMs) stale.push(key);
    }
    for (const key of stale) this.cache.delete(key);
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
