import { InvalidArgumentError } from '@dicer-ts/common';

/**
 * A per-pod LRU cache of keys, to estimate the hit rate a policy would give a cache-backed
 * service: a request hits when its key was requested on this pod recently enough to still be
 * among the last `capacity` distinct keys. A restarted pod starts cold.
 *
 * A doubly linked list in typed arrays plus one Map from key to list node: a hit is one Map lookup
 * and a few array writes, a miss adds one insertion (and one deletion once full). No allocation
 * after the first `capacity` misses.
 */
export class CacheModel {
  private readonly nodeOf = new Map<number, number>();
  private readonly keys: Int32Array;
  private readonly prev: Int32Array;
  private readonly next: Int32Array;
  /** Most recently used node, or −1. */
  private head = -1;
  /** Least recently used node, or −1. */
  private tail = -1;
  private used = 0;

  /** @param capacity the number of keys the pod can hold; 0 disables caching (every access misses). */
  constructor(readonly capacity: number) {
    if (!Number.isSafeInteger(capacity) || capacity < 0) throw new InvalidArgumentError(`cache capacity must be a non-negative integer, got ${capacity}`);
    this.keys = new Int32Array(capacity);
    this.prev = new Int32Array(capacity);
    this.next = new Int32Array(capacity);
  }

  /** Records an access to `keyId`; returns whether it was a hit. */
  access(keyId: number): boolean {
    if (this.capacity === 0) return false;
    const node = this.nodeOf.get(keyId);
    if (node !== undefined) {
      if (node !== this.head) {
        this.unlink(node);
        this.pushFront(node);
      }
      return true;
    }
    let fresh: number;
    if (this.used < this.capacity) {
      fresh = this.used++;
    } else {
      fresh = this.tail;
      this.unlink(fresh);
      this.nodeOf.delete(this.keys[fresh] as number);
    }
    this.keys[fresh] = keyId;
    this.nodeOf.set(keyId, fresh);
    this.pushFront(fresh);
    return false;
  }

  /** Number of keys held. */
  get size(): number {
    return this.nodeOf.size;
  }

  private unlink(node: number): void {
    const p = this.prev[node] as number;
    const n = this.next[node] as number;
    if (p >= 0) this.next[p] = n;
    else this.head = n;
    if (n >= 0) this.prev[n] = p;
    else this.tail = p;
  }

  private pushFront(node: number): void {
    this.prev[node] = -1;
    this.next[node] = this.head;
    if (this.head >= 0) this.prev[this.head] = node;
    this.head = node;
    if (this.tail < 0) this.tail = node;
  }
}
