import { InvalidArgumentError } from '@dicer-ts/common';

/** Entries the buffer starts with; it doubles when full. */
const INITIAL_CAPACITY = 1024;

/**
 * The load served in one tick, summed per (pod instance, key), in the order each pair was first
 * served: what a Slicelet's load accumulator is fed at the end of the tick, one increment per
 * (key, second).
 *
 * The simulator's hot path adds to it once per request, so it is flat typed arrays instead of a
 * `Map` per instance: entries are appended to parallel arrays, and a per-key head index chains the
 * entries of the same key on different instances (usually one: a key is served by its slice's
 * replicas). Adding allocates nothing once the arrays have grown to a tick's distinct pairs;
 * {@link TickLoadBuffer.clear} costs one write per entry, not per key.
 *
 * Order: walking entries `0 … size − 1` visits each instance's keys in first-served order, the
 * order a per-instance insertion-ordered `Map` would give, so feeding is unchanged by this layout.
 */
export class TickLoadBuffer {
  /** Key id → its latest entry, or −1. */
  private readonly head: Int32Array;
  private instances: Int32Array;
  private keys: Int32Array;
  private loads: Float64Array;
  /** Entry → the previous entry of the same key (another instance), or −1. */
  private next: Int32Array;
  private count = 0;

  /** @param keyCount the number of key ids (0 … keyCount − 1). */
  constructor(keyCount: number) {
    if (!Number.isSafeInteger(keyCount) || keyCount < 1) throw new InvalidArgumentError(`key count must be a positive integer, got ${keyCount}`);
    this.head = new Int32Array(keyCount).fill(-1);
    this.instances = new Int32Array(INITIAL_CAPACITY);
    this.keys = new Int32Array(INITIAL_CAPACITY);
    this.loads = new Float64Array(INITIAL_CAPACITY);
    this.next = new Int32Array(INITIAL_CAPACITY);
  }

  /** Adds `load` to the pair (`instance`, `keyId`). */
  add(instance: number, keyId: number, load: number): void {
    const instances = this.instances;
    const first = this.head[keyId] as number;
    for (let e = first; e >= 0; e = this.next[e] as number) {
      if (instances[e] === instance) {
        this.loads[e] = (this.loads[e] as number) + load;
        return;
      }
    }
    if (this.count === instances.length) this.grow();
    const e = this.count++;
    this.instances[e] = instance;
    this.keys[e] = keyId;
    this.loads[e] = load;
    this.next[e] = first;
    this.head[keyId] = e;
  }

  /** Number of distinct (instance, key) pairs since the last clear. */
  get size(): number {
    return this.count;
  }

  /** The instance of entry `i` (0 ≤ i < size). */
  instanceAt(i: number): number {
    return this.instances[i] as number;
  }

  /** The key id of entry `i`. */
  keyAt(i: number): number {
    return this.keys[i] as number;
  }

  /** The summed load of entry `i`. */
  loadAt(i: number): number {
    return this.loads[i] as number;
  }

  /** Forgets every entry (keeps the arrays). */
  clear(): void {
    const keys = this.keys;
    for (let e = 0; e < this.count; e++) this.head[keys[e] as number] = -1;
    this.count = 0;
  }

  private grow(): void {
    const capacity = this.instances.length * 2;
    const grown = <T extends Int32Array | Float64Array>(old: T, made: T): T => {
      made.set(old);
      return made;
    };
    this.instances = grown(this.instances, new Int32Array(capacity));
    this.keys = grown(this.keys, new Int32Array(capacity));
    this.loads = grown(this.loads, new Float64Array(capacity));
    this.next = grown(this.next, new Int32Array(capacity));
  }
}
