import { computeFingerprint64, fingerprintHigh, fingerprintLow } from '../model/fingerprint64.js';
import { compareBytes, type SliceKey } from '../model/slice-key.js';
import type { Slice } from '../model/slice.js';

/** Upper bound on the bucket index size (2^16 buckets, 256 KiB of Uint32). */
const MAX_BUCKET_BITS = 16;

/**
 * An immutable lookup structure from a key to the entry (e.g. the `SliceAssignment`) whose slice
 * holds it, for the Clerk and Slicelet hot paths. Lookups allocate nothing.
 *
 * Layout: the slices' low bounds as two `Uint32Array`s of their cached big-endian prefix words
 * (`SliceKey.prefixHigh`/`prefixLow`), plus a bucket index over the top bits of `prefixHigh` that
 * narrows the search to the few slices whose low bound falls in the key's bucket. Within a bucket a
 * binary search compares the two prefix numbers and only on a tie falls back to the bytes. With
 * FarmHash keys spread uniformly, a 4,096-slice table usually needs one or two comparisons.
 *
 * Invariant: the slices are ordered, disjoint and cover the key space (`entries[0]` starts at
 * `""`), as in a complete {@link SliceMap}; the constructor checks order, not coverage.
 */
export class SliceTable<T> {
  /** The entries, in key order; `lookupIndex` returns indices into this array. */
  readonly entries: readonly T[];
  private readonly lows: readonly SliceKey[];
  private readonly lowHigh: Uint32Array;
  private readonly lowLow: Uint32Array;
  /** 1 when the low bound is longer than 8 bytes, so that a prefix tie needs the bytes. */
  private readonly lowIsLong: Uint8Array;
  private readonly shift: number;
  /** `bucketStart[b]` = number of low bounds whose top bits are below `b`. */
  private readonly bucketStart: Uint32Array;

  private constructor(entries: readonly T[], slices: readonly Slice[]) {
    const n = entries.length;
    this.entries = entries;
    this.lows = slices.map((s) => s.lowInclusive);
    this.lowHigh = new Uint32Array(n);
    this.lowLow = new Uint32Array(n);
    this.lowIsLong = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      const low = this.lows[i] as SliceKey;
      this.lowHigh[i] = low.prefixHigh;
      this.lowLow[i] = low.prefixLow;
      this.lowIsLong[i] = low.bytes.length > 8 ? 1 : 0;
      if (i > 0 && (this.lows[i - 1] as SliceKey).compare(low) >= 0) {
        throw new RangeError(`SliceTable slices must be ordered by low bound: ${slices[i - 1]} then ${slices[i]}`);
      }
    }
    const bits = Math.min(MAX_BUCKET_BITS, Math.max(1, Math.ceil(Math.log2(Math.max(n, 1))) + 1));
    this.shift = 32 - bits;
    const buckets = 1 << bits;
    this.bucketStart = new Uint32Array(buckets + 1);
    let i = 0;
    for (let b = 0; b <= buckets; b++) {
      while (i < n && (this.lowHigh[i] as number) >>> this.shift < b) i++;
      this.bucketStart[b] = i;
    }
  }

  /**
   * A table over `entries`, ordered by slice and covering the key space (e.g. the slice
   * assignments of an `Assignment`).
   *
   * @throws {RangeError} when `entries` is empty or its slices are not ordered from `""`.
   */
  static create<T>(entries: readonly T[], getSlice: (entry: T) => Slice): SliceTable<T> {
    const slices = entries.map(getSlice);
    if (slices.length === 0 || !(slices[0] as Slice).lowInclusive.isMin()) {
      throw new RangeError('SliceTable needs entries whose first slice starts at ""');
    }
    return new SliceTable(entries, slices);
  }

  /** The number of entries. */
  get size(): number {
    return this.entries.length;
  }

  /** The index of the entry whose slice holds `key`. Allocation-free. */
  lookupIndex(key: SliceKey): number {
    const kh = key.prefixHigh;
    const kl = key.prefixLow;
    const bucket = kh >>> this.shift;
    let lo = this.bucketStart[bucket] as number;
    let hi = this.bucketStart[bucket + 1] as number;
    // Count the low bounds in the bucket that are <= key: the answer is (that position) - 1.
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const h = this.lowHigh[mid] as number;
      let lowLeKey: boolean;
      if (h !== kh) lowLeKey = h < kh;
      else {
        const l = this.lowLow[mid] as number;
        if (l !== kl) lowLeKey = l < kl;
        else lowLeKey = compareBytes((this.lows[mid] as SliceKey).bytes, key.bytes) <= 0;
      }
      if (lowLeKey) lo = mid + 1;
      else hi = mid;
    }
    return lo - 1;
  }

  /** The entry whose slice holds `key`. Allocation-free. */
  lookup(key: SliceKey): T {
    return this.entries[this.lookupIndex(key)] as T;
  }

  /**
   * The index of the entry holding the 8-byte key whose big-endian words are `prefixHigh` and
   * `prefixLow`, i.e. a FarmHash key computed without materializing a `SliceKey`: on a prefix tie
   * a low bound of at most 8 bytes is ≤ the key (it is the key or a zero-padded prefix of it) and a
   * longer one is greater (the key is its prefix), so no bytes are read. Allocation-free.
   */
  lookupIndexByPrefix(prefixHigh: number, prefixLow: number): number {
    const bucket = prefixHigh >>> this.shift;
    let lo = this.bucketStart[bucket] as number;
    let hi = this.bucketStart[bucket + 1] as number;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const h = this.lowHigh[mid] as number;
      const l = this.lowLow[mid] as number;
      const lowLeKey = h !== prefixHigh ? h < prefixHigh : l !== prefixLow ? l < prefixLow : this.lowIsLong[mid] === 0;
      if (lowLeKey) lo = mid + 1;
      else hi = mid;
    }
    return lo - 1;
  }

  /**
   * The index of the entry holding `SliceKey.fromApplicationKey(key)`, without creating the key:
   * the FarmHash fingerprint's little-endian bytes read big-endian are the byte-swapped halves.
   * Allocation-free for ASCII strings of up to 85 characters.
   */
  lookupIndexForApplicationKey(key: string | Uint8Array): number {
    computeFingerprint64(key);
    // The search of lookupIndexByPrefix, repeated here so that the two words stay local values:
    // passed as arguments, uint32s above 2^31 would be boxed (allocated) on every call.
    const kh = byteSwap32(fingerprintLow());
    const kl = byteSwap32(fingerprintHigh());
    const bucket = kh >>> this.shift;
    let lo = this.bucketStart[bucket] as number;
    let hi = this.bucketStart[bucket + 1] as number;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const h = this.lowHigh[mid] as number;
      const l = this.lowLow[mid] as number;
      const lowLeKey = h !== kh ? h < kh : l !== kl ? l < kl : this.lowIsLong[mid] === 0;
      if (lowLeKey) lo = mid + 1;
      else hi = mid;
    }
    return lo - 1;
  }
}

function byteSwap32(v: number): number {
  return (((v & 0xff) << 24) | ((v & 0xff00) << 8) | ((v >>> 8) & 0xff00) | (v >>> 24)) >>> 0;
}
