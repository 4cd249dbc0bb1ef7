import { InvalidArgumentError } from '@dicer-ts/common';
/**
 * A per-pod LRU cache of keys, to estimate the hit rate a policy would give a cache-backed
 * service: a request hits when its key was requested on this pod recently enough to still be
 * among the last `capacity` distinct keys. A restarted pod starts cold.
 */
export class CacheModel {
  /** Insertion order of a Map is its recency order: the first key is the least recently used. */
  private readonly entries = new Map<number, true>();

  /** @param capacity the number of keys the pod can hold; 0 disables caching (every access misses). */
  constructor(readonly capacity: number) {
    if (!Number.isSafeInteger(capacity) || capacity < 0) throw new InvalidArgumentError(`cache capacity must be a non-negative integer, got ${capacity}`);
  }

  /** Records an access to `keyId`; returns whether it was a hit. */
  access(keyId: number): boolean {
    if (this.capacity === 0) return false;
    const entries = this.entries;
    if (entries.delete(keyId)) {
      entries.set(keyId, true);
      return true;
    }
    entries.set(keyId, true);
    if (entries.size > this.capacity) entries.delete(entries.keys().next().value as number);
    return false;
  }

  /** Number of keys held. */
  get size(): number {
    return this.entries.size;
  }
}
