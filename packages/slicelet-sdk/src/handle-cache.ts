/**
 * Hands out {@link SliceKeyHandle}s without allocating in steady state, by sharing them rather
 * than recycling them.
 *
 * A handle's answers depend only on its key, its start generation and the Slicelet's current state
 * (`close()` is metrics only, protocol.md §4), so two handles made for the same key while the same
 * assignment is current are indistinguishable. The cache keeps the handles made under the current
 * ownership snapshot and returns the existing one for a key it already holds. Unlike a free list
 * of closed handles, nothing is ever re-pointed: a handle object stands for one key and one start
 * generation for its whole life, so a reference kept after `close()` can never observe another
 * key or another start.
 *
 * Layout: `sets` four-way sets, newest first. A lookup mixes the key's cached 8-byte prefix, so it
 * reads no bytes and builds nothing. The first lookup under a new snapshot empties the cache (a few
 * microseconds once per assignment), so cached handles never keep an old assignment alive.
 * A miss makes a handle as before (plus a few array stores). Application-key strings have their
 * own bounded `Map` per snapshot, so a repeated string costs one `Map.get` and no FarmHash.
 *
 * @see protocol.md §4 (createHandle, isAssignedContinuously)
 */
import { InvalidArgumentError, SliceKey, writeFingerprint64 } from '@dicer-ts/common';
import type { OwnershipSnapshot } from './ownership.js';
import { type HandleContext, SliceKeyHandle } from './slice-key-handle.js';

/** Sets of a Slicelet's handle cache (four handles each). */
export const DEFAULT_HANDLE_CACHE_SETS = 4096;

/** Ways per set: with 1024 keys in 4096 sets, five landing in one set is a ~3 % chance. */
const WAYS = 4;

/** Most application-key strings remembered per snapshot before the string map starts over. */
export const DEFAULT_APPLICATION_KEY_CACHE_SIZE = 16_384;

/** The set-index hash of a key from its prefix words (as int32) and byte length. */
function mix(prefixHigh: number, prefixLow: number, length: number): number {
  let h = Math.imul(prefixHigh ^ length, 0x9e3779b1) ^ Math.imul(prefixLow, 0x85ebca6b);
  h ^= h >>> 16;
  h = Math.imul(h, 0x2c1b3c6d);
  return h ^ (h >>> 13);
}

/**
 * The per-Slicelet cache behind `Slicelet.createHandle`: one handle per key and ownership snapshot,
 * shared by every request for that key while the snapshot is current.
 */
export class SliceKeyHandleCache {
  private readonly context: HandleContext;
  private readonly mask: number;
  /** `sets × WAYS` slots; within a set, newest first. */
  private readonly slots: (SliceKeyHandle | undefined)[];
  /** Application key → handle (one `Map.get` per hit). */
  private readonly byString = new Map<string, SliceKeyHandle>();
  /**
   * The snapshot every cached handle was made under. When the Slicelet applies a new one, the
   * next lookup empties the cache, so that no cached handle keeps an old assignment alive.
   */
  private origin: OwnershipSnapshot | undefined = undefined;
  private readonly byStringLimit: number;
  /** Scratch for an application key's fingerprint (high word, low word). */
  private readonly words = new Uint32Array(2);

  /**
   * @param context the Slicelet state the handles read.
   * @param sets number of four-way sets, a power of two.
   * @param applicationKeyCacheSize most strings remembered per snapshot.
   * @throws {InvalidArgumentError} when `sets` is not a power of two up to 2^20.
   */
  constructor(context: HandleContext, sets: number = DEFAULT_HANDLE_CACHE_SETS, applicationKeyCacheSize = DEFAULT_APPLICATION_KEY_CACHE_SIZE) {
    if (!(Number.isInteger(sets) && sets > 0 && (sets & (sets - 1)) === 0 && sets <= 2 ** 20)) {
      throw new InvalidArgumentError(`sets must be a power of two up to 2^20, got ${sets}`);
    }
    this.context = context;
    this.mask = sets - 1;
    this.slots = new Array<SliceKeyHandle | undefined>(sets * WAYS).fill(undefined);
    this.byStringLimit = applicationKeyCacheSize;
  }

  /** The handle for `key` under the current snapshot: the cached one, else a new one (cached). */
  handleFor(key: SliceKey): SliceKeyHandle {
    const origin = this.currentOrigin();
    const base = (mix(key.prefixHigh | 0, key.prefixLow | 0, key.bytes.length) & this.mask) * WAYS;
    const slots = this.slots;
    for (let i = base; i < base + WAYS; i++) {
      const h = slots[i];
      if (h !== undefined && h.origin === origin && (h.key === key || h.key.equals(key))) return h.reopen();
    }
    return this.insert(base, new SliceKeyHandle(this.context, key));
  }

  /**
   * The handle for `SliceKey.fromApplicationKey(applicationKey)`: one `Map.get` on the string when
   * this snapshot has seen it; else the key is hashed (without creating it when its handle is in
   * the slots, allocation-free for ASCII keys of up to 85 characters) and the string remembered.
   */
  handleForApplicationKey(applicationKey: string): SliceKeyHandle {
    const origin = this.currentOrigin();
    let handle = this.byString.get(applicationKey);
    if (handle !== undefined) return handle.reopen();
    handle = this.handleForFingerprint(applicationKey, origin);
    if (this.byString.size >= this.byStringLimit) this.byString.clear();
    this.byString.set(applicationKey, handle);
    return handle;
  }

  /** Drops every cached handle (the Slicelet calls it on close, so it retains no keys). */
  clear(): void {
    this.slots.fill(undefined);
    this.byString.clear();
    this.origin = undefined;
  }

  /** The current snapshot, after emptying the cache if it was filled under an older one. */
  private currentOrigin(): OwnershipSnapshot {
    const origin = this.context.ownership;
    if (origin !== this.origin) {
      this.clear();
      this.origin = origin;
    }
    return origin;
  }

  private handleForFingerprint(applicationKey: string, origin: OwnershipSnapshot): SliceKeyHandle {
    const words = this.words;
    writeFingerprint64(applicationKey, words);
    // The key's bytes are the fingerprint little-endian, so its big-endian prefix words are the
    // byte-swapped halves (as SliceTable.lookupIndexForApplicationKey). Kept as int32 locals: a
    // uint32 above 2^31 passed as an argument would be boxed on every call.
    const low = words[1] as number;
    const high = words[0] as number;
    const kh = ((low & 0xff) << 24) | ((low & 0xff00) << 8) | ((low >>> 8) & 0xff00) | (low >>> 24);
    const kl = ((high & 0xff) << 24) | ((high & 0xff00) << 8) | ((high >>> 8) & 0xff00) | (high >>> 24);
    const base = (mix(kh, kl, 8) & this.mask) * WAYS;
    const slots = this.slots;
    for (let i = base; i < base + WAYS; i++) {
      const h = slots[i];
      if (h !== undefined && h.origin === origin && isFingerprintKey(h.key, kh, kl)) return h.reopen();
    }
    return this.insert(base, new SliceKeyHandle(this.context, SliceKey.fromFingerprintWords(high, low)));
  }

  /** Puts `handle` first in the set at `base`, shifting the others down (the last one is evicted). */
  private insert(base: number, handle: SliceKeyHandle): SliceKeyHandle {
    const slots = this.slots;
    for (let i = base + WAYS - 1; i > base; i--) slots[i] = slots[i - 1];
    slots[base] = handle;
    return handle;
  }
}

/** Whether `key` is the 8-byte key whose prefix words, as int32, are `kh` and `kl`. */
function isFingerprintKey(key: SliceKey, kh: number, kl: number): boolean {
  return (key.prefixHigh | 0) === kh && (key.prefixLow | 0) === kl && key.bytes.length === 8;
}
