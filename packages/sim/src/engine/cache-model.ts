import { InvalidArgumentError } from '@dicer-ts/common';

/**
 * A per-pod LRU cache of keys, to estimate the hit rate a policy would give a cache-backed
 * service: a request hits when its key was requested on this pod recently enough to still be
 * among the last `capacity` distinct keys. A restarted pod starts cold.
 *
 * A doubly linked list in typed arrays plus a key → node hash index (open addressing, linear
 * probing, at most half full, deletion by backward shift) in typed arrays too: a hit is a probe or
 * two and a few array writes, a miss adds one insertion (and one deletion once full). Allocates
 * nothing after construction; the simulator calls this once per served request.
 */
export class CacheModel {
  /** Hash slot → key id, or −1 when empty. */
  private readonly slotKey: Int32Array;
  /** Hash slot → list node of its key. */
  private readonly slotNode: Int32Array;
  /** `slotKey.length − 1` (a power of two minus one). */
  private readonly mask: number;
  /** `32 − log2(slotKey.length)`: a key's home slot is the top bits of its multiplicative hash. */
  private readonly shift: number;
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
    let slots = 2;
    while (slots < 2 * capacity) slots *= 2;
    this.slotKey = new Int32Array(slots).fill(-1);
    this.slotNode = new Int32Array(slots);
    this.mask = slots - 1;
    this.shift = 32 - Math.log2(slots);
  }

  /** Records an access to `keyId`; returns whether it was a hit. */
  access(keyId: number): boolean {
    if (this.capacity === 0) return false;
    const slot = this.find(keyId);
    if (this.slotKey[slot] === keyId) {
      const node = this.slotNode[slot] as number;
      if (node !== this.head) {
        this.unlink(node);
        this.pushFront(node);
      }
      return true;
    }
    let fresh: number;
    let free = slot;
    if (this.used < this.capacity) {
      fresh = this.used++;
    } else {
      fresh = this.tail;
      this.unlink(fresh);
      this.remove(this.keys[fresh] as number);
      free = this.find(keyId); // the removal may have shifted entries into the probe path
    }
    this.keys[fresh] = keyId;
    this.slotKey[free] = keyId;
    this.slotNode[free] = fresh;
    this.pushFront(fresh);
    return false;
  }

  /** Number of keys held. */
  get size(): number {
    return this.used;
  }

  /** The slot holding `keyId`, or the empty slot where its probe ends. */
  private find(keyId: number): number {
    const mask = this.mask;
    const slotKey = this.slotKey;
    let slot = homeSlot(keyId, this.shift);
    for (;;) {
      const k = slotKey[slot] as number;
      if (k === keyId || k === -1) return slot;
      slot = (slot + 1) & mask;
    }
  }

  /** Removes `keyId` (present) from the index, shifting later entries of its probe run back. */
  private remove(keyId: number): void {
    const mask = this.mask;
    const slotKey = this.slotKey;
    const slotNode = this.slotNode;
    let hole = this.find(keyId);
    let slot = hole;
    for (;;) {
      slot = (slot + 1) & mask;
      const k = slotKey[slot] as number;
      if (k === -1) break;
      const home = homeSlot(k, this.shift);
      // Move k into the hole unless its home lies cyclically in (hole, slot].
      if (hole <= slot ? home > hole && home <= slot : home > hole || home <= slot) continue;
      slotKey[hole] = k;
      slotNode[hole] = slotNode[slot] as number;
      hole = slot;
    }
    slotKey[hole] = -1;
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

/** Fibonacci hashing: the top bits of `keyId × 2^32/φ`, which spread even strided ids evenly. */
function homeSlot(keyId: number, shift: number): number {
  return Math.imul(keyId, 0x9e3779b1) >>> shift;
}
