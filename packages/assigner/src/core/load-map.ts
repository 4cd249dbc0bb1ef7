import { InvalidArgumentError, Slice, SliceKey, compareHigh } from '@dicer-ts/common';

/**
 * One entry of a {@link LoadMap}: the load measured over a slice. Invariant: `load` is finite and
 * non-negative.
 */
export interface LoadMapEntry {
  readonly slice: Slice;
  readonly load: number;
}

/** The load of one hot key inside an entry given to {@link LoadMapBuilder.putLoad}. */
export interface KeyLoad {
  readonly key: SliceKey;
  readonly load: number;
}

/**
 * The result of {@link LoadMap.getSplit}: the cut point and the load of `[slice.low, splitKey)`.
 * `splitKey` is `undefined` for infinity (the slice's own high bound when that is infinite).
 */
export interface LoadSplit {
  readonly splitKey: SliceKey | undefined;
  readonly prefixLoad: number;
}

/**
 * Dicer's minimum length of a synthesized split key, `MIN_BYTES_LENGTH_FOR_SYNTHESIZED_KEY_BOUNDARIES`:
 * keys cut inside an entry are at least 8 bytes long, so a uniform map splits into the 2^b
 * hash-space partition of 8-byte keys.
 */
export const MIN_SYNTHESIZED_KEY_BYTES = 8;

/**
 * An immutable, complete and disjoint map from slices to non-negative load, with load apportioned
 * inside an entry by key-space fraction (Dicer's `LoadMap`).
 *
 * A key is the number `0x0.<key bytes>` and infinity is 1.0, so `k` and `k\0…` are the same point:
 * an entry whose bounds differ only by trailing zeros (a single-key entry `[k, k\0)`) has width 0
 * and counts only when fully covered.
 *
 * @see algorithm.md §6
 */
export class LoadMap {
  /** The entries in key order; they cover `["", ∞)` without gaps or overlaps. */
  readonly entries: readonly LoadMapEntry[];

  private constructor(entries: readonly LoadMapEntry[]) {
    this.entries = entries;
  }

  /** A builder that accepts non-overlapping entries in any order and fills gaps with load 0. */
  static builder(): LoadMapBuilder {
    return new LoadMapBuilder((entries) => new LoadMap(entries));
  }

  /** A map from a complete list of entries; gaps are filled with load 0. */
  static fromEntries(entries: Iterable<LoadMapEntry>): LoadMap {
    const builder = LoadMap.builder();
    for (const e of entries) builder.putLoad(e.slice, e.load);
    return builder.build();
  }

  /** The total load, `getLoad(Slice.FULL)`. */
  get totalLoad(): number {
    return this.getLoad(Slice.FULL);
  }

  /**
   * The load over `slice`: the sum of the fully covered entries plus, for a partially covered
   * entry, its load times the covered fraction of its key range.
   */
  getLoad(slice: Slice): number {
    let total = 0;
    const entries = this.entries;
    for (let i = this.indexOf(slice.lowInclusive); i < entries.length; i++) {
      const e = entries[i] as LoadMapEntry;
      if (slice.highExclusive !== undefined && e.slice.lowInclusive.compare(slice.highExclusive) >= 0) break;
      total += cutLoad(e, slice);
    }
    return total;
  }

  /**
   * Where to cut `slice` so that the prefix carries about `desired` load: walks the entries from
   * low to high and synthesizes a key of at least 8 bytes inside the entry where the desired load
   * is reached. An entry that cannot be cut (single key, too narrow, or the cut rounds to a
   * bound) is taken whole or not at all, whichever is closer to the remaining load; on a tie it
   * is taken only when it is the first entry visited. If the whole slice carries no more than
   * `desired`, the result is `(slice.high, whole load)`.
   *
   * @throws {InvalidArgumentError} when `desired` is negative or not finite.
   * @see algorithm.md §6.3
   */
  getSplit(slice: Slice, desired: number): LoadSplit {
    if (!Number.isFinite(desired) || desired < 0) {
      throw new InvalidArgumentError(`desired load must be finite and non-negative, got ${desired}`);
    }
    let accumulated = 0;
    let first = true;
    const entries = this.entries;
    for (let i = this.indexOf(slice.lowInclusive); i < entries.length; i++) {
      const e = entries[i] as LoadMapEntry;
      if (slice.highExclusive !== undefined && e.slice.lowInclusive.compare(slice.highExclusive) >= 0) break;
      const low = maxKey(e.slice.lowInclusive, slice.lowInclusive);
      const high = compareHigh(e.slice.highExclusive, slice.highExclusive) <= 0 ? e.slice.highExclusive : slice.highExclusive;
      const load = cutLoad(e, slice);
      const remaining = desired - accumulated;
      if (remaining <= 0) return { splitKey: low, prefixLoad: accumulated };
      let splitKey: SliceKey | undefined;
      let piece: number;
      if (load <= remaining) {
        splitKey = high;
        piece = load;
      } else {
        const r = remaining / load;
        const len = Math.max(MIN_SYNTHESIZED_KEY_BYTES, keyLength(low), keyLength(high));
        const lowValue = scaledValue(low, len);
        const size = scaledValue(high, len) - lowValue;
        const split = roundedFraction(size, r);
        if (split === 0n || split === size) {
          const takeWhole = load - remaining < remaining || (load - remaining === remaining && first);
          splitKey = takeWhole ? high : low;
          piece = takeWhole ? load : 0;
        } else {
          splitKey = keyFromValue(lowValue + split, len);
          piece = load * bigRatio(split, size);
        }
      }
      first = false;
      if (splitKey !== undefined && compareHigh(splitKey, e.slice.highExclusive) < 0) {
        return { splitKey, prefixLoad: accumulated + piece };
      }
      accumulated += piece;
    }
    return { splitKey: slice.highExclusive, prefixLoad: accumulated };
  }

  /**
   * A map whose every entry carries, in addition, `load` times its fraction of the key space
   * (Dicer's `withAddedUniformLoad`, used for the uniform load reservation). Single-key entries
   * get nothing; the total grows by `load` up to float rounding.
   *
   * @throws {InvalidArgumentError} when `load` is negative or not finite.
   * @see algorithm.md §6.4
   */
  withAddedUniformLoad(load: number): LoadMap {
    checkLoad(load, () => 'uniform load');
    return new LoadMap(
      this.entries.map((e) => ({ slice: e.slice, load: e.load + load * keySpaceFraction(e.slice) })),
    );
  }

  /** The index of the entry containing `key` (the last entry whose low bound is ≤ key). */
  private indexOf(key: SliceKey): number {
    const entries = this.entries;
    let lo = 0;
    let hi = entries.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((entries[mid] as LoadMapEntry).slice.lowInclusive.compare(key) <= 0) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }
}

/**
 * Builds a {@link LoadMap}. Entries must not overlap; the builder sorts them and fills the gaps
 * with load-0 entries when {@link LoadMapBuilder.build} is called.
 */
export class LoadMapBuilder {
  private readonly pending: LoadMapEntry[] = [];

  /** @internal Use {@link LoadMap.builder}. */
  constructor(private readonly create: (entries: readonly LoadMapEntry[]) => LoadMap) {}

  /**
   * Adds the load of `slice`. `load` excludes the listed hot keys: each key becomes its own
   * single-key entry `[k, k\0)`, and the stretches between keys get `load` apportioned by
   * key-space fraction of the original entry, the last stretch taking what remains (at least 0).
   * When the last key's successor is the slice's high bound, that remainder is dropped, as in Dicer.
   *
   * @throws {InvalidArgumentError} for a negative or non-finite load, a key outside `slice`, or a
   *   duplicate key.
   * @see algorithm.md §6.1
   */
  putLoad(slice: Slice, load: number, keyLoads: readonly KeyLoad[] = []): this {
    checkLoad(load, () => `load of ${slice}`);
    if (keyLoads.length === 0) {
      this.pending.push({ slice, load });
      return this;
    }
    const keys = [...keyLoads].sort((a, b) => a.key.compare(b.key));
    const whole: LoadMapEntry = { slice, load };
    let cursor: SliceKey = slice.lowInclusive;
    let apportioned = 0;
    for (let i = 0; i < keys.length; i++) {
      const k = keys[i] as KeyLoad;
      if (!slice.contains(k.key)) throw new InvalidArgumentError(`key ${k.key} is outside ${slice}`);
      if (i > 0 && (keys[i - 1] as KeyLoad).key.equals(k.key)) throw new InvalidArgumentError(`duplicate key ${k.key}`);
      checkLoad(k.load, () => `load of key ${k.key}`);
      if (cursor.compare(k.key) < 0) {
        const stretch = Slice.create(cursor, k.key);
        const share = cutLoad(whole, stretch);
        apportioned += share;
        this.pending.push({ slice: stretch, load: share });
      }
      const next = k.key.successor();
      this.pending.push({ slice: Slice.create(k.key, next), load: k.load });
      cursor = next;
    }
    if (compareHigh(cursor, slice.highExclusive) < 0) {
      this.pending.push({ slice: Slice.create(cursor, slice.highExclusive), load: Math.max(0, load - apportioned) });
    }
    return this;
  }

  /**
   * The map: entries sorted, gaps filled with load 0.
   *
   * @throws {InvalidArgumentError} when two entries overlap.
   */
  build(): LoadMap {
    const sorted = [...this.pending].sort((a, b) => a.slice.compare(b.slice));
    const out: LoadMapEntry[] = [];
    let cursor: SliceKey | undefined = SliceKey.MIN;
    for (const e of sorted) {
      if (cursor === undefined || e.slice.lowInclusive.compare(cursor) < 0) {
        throw new InvalidArgumentError(`load map entries overlap at ${e.slice}`);
      }
      if (e.slice.lowInclusive.compare(cursor) > 0) out.push({ slice: Slice.create(cursor, e.slice.lowInclusive), load: 0 });
      out.push(e);
      cursor = e.slice.highExclusive;
    }
    if (cursor !== undefined) out.push({ slice: Slice.atLeast(cursor), load: 0 });
    return this.create(out);
  }
}

/** Dicer's `UNIFORM_LOAD_MAP`: `{FULL → 1.0}`, the fallback when load is unknown. */
export const UNIFORM_LOAD_MAP: LoadMap = LoadMap.builder().putLoad(Slice.FULL, 1).build();

/** The fraction of the key space `slice` covers (`UNIFORM_LOAD_MAP.getLoad(slice)`); 0 for a single key. */
export function keySpaceFraction(slice: Slice): number {
  if (slice === Slice.FULL || (slice.lowInclusive.isMin() && slice.highExclusive === undefined)) return 1;
  const len = Math.max(MIN_SYNTHESIZED_KEY_BYTES, keyLength(slice.lowInclusive), keyLength(slice.highExclusive));
  const size = scaledValue(slice.highExclusive, len) - scaledValue(slice.lowInclusive, len);
  return bigRatio(size, scaledValue(undefined, len));
}

/** The load an entry contributes to `slice`: all of it when covered, else its apportioned share. */
function cutLoad(e: LoadMapEntry, slice: Slice): number {
  const es = e.slice;
  const lowInside = es.lowInclusive.compare(slice.lowInclusive) >= 0;
  const highInside = compareHigh(es.highExclusive, slice.highExclusive) <= 0;
  if (lowInside && highInside) return e.load;
  if (e.load === 0) return 0;
  const low = lowInside ? es.lowInclusive : slice.lowInclusive;
  const high = highInside ? es.highExclusive : slice.highExclusive;
  if (high !== undefined && low.compare(high) >= 0) return 0;
  const len = Math.max(
    MIN_SYNTHESIZED_KEY_BYTES,
    keyLength(es.lowInclusive),
    keyLength(es.highExclusive),
    keyLength(low),
    keyLength(high),
  );
  const entrySize = scaledValue(es.highExclusive, len) - scaledValue(es.lowInclusive, len);
  if (entrySize === 0n) return 0;
  const cutSize = scaledValue(high, len) - scaledValue(low, len);
  return e.load * bigRatio(cutSize, entrySize);
}

/** Throws unless `load` is finite and ≥ 0; `what` names it (built only on failure: this is a hot path). */
function checkLoad(load: number, what: () => string): void {
  if (!Number.isFinite(load) || load < 0) throw new InvalidArgumentError(`${what()} must be finite and non-negative, got ${load}`);
}

function maxKey(a: SliceKey, b: SliceKey): SliceKey {
  return a.compare(b) >= 0 ? a : b;
}

function keyLength(k: SliceKey | undefined): number {
  return k === undefined ? 0 : k.bytes.length;
}

/**
 * The key as an integer of `len` bytes (`len ≥ 8` and ≥ the key's length): its bytes, big-endian,
 * zero-padded on the right. Infinity is `2^(8·len)`.
 */
function scaledValue(k: SliceKey | undefined, len: number): bigint {
  if (k === undefined) return 1n << BigInt(8 * len);
  let v = (BigInt(k.prefixHigh) << 32n) | BigInt(k.prefixLow);
  const bytes = k.bytes;
  for (let i = MIN_SYNTHESIZED_KEY_BYTES; i < bytes.length; i++) v = (v << 8n) | BigInt(bytes[i] as number);
  const padded = Math.max(MIN_SYNTHESIZED_KEY_BYTES, bytes.length);
  return len > padded ? v << BigInt(8 * (len - padded)) : v;
}

/** The key of exactly `len` big-endian bytes holding `value`. */
function keyFromValue(value: bigint, len: number): SliceKey {
  const bytes = new Uint8Array(len);
  let v = value;
  for (let i = len - 1; i >= 0; i--) {
    bytes[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return SliceKey.fromBytes(bytes);
}

const TWO_POW_53 = 1n << 53n;
const TWO_POW_1023 = 1n << 1023n;

function bitLength(v: bigint): number {
  if (v <= 0n) return 0;
  const hex = v.toString(16);
  return (hex.length - 1) * 4 + (32 - Math.clz32(parseInt(hex[0] as string, 16)));
}

/**
 * `num / den` as a double without overflow: both are shifted right so that `den` fits in 1023
 * bits, then converted (round-half-even, as Java's `BigInteger.doubleValue`) and divided.
 */
function bigRatio(num: bigint, den: bigint): number {
  if (den < TWO_POW_1023) return Number(num) / Number(den);
  const shift = bitLength(den) - 1023;
  if (shift > 0) {
    const s = BigInt(shift);
    return Number(num >> s) / Number(den >> s);
  }
  return Number(num) / Number(den);
}

/**
 * `round(ratio × size)` clamped to `[0, size]`: the size is cut to its 53 most significant bits,
 * multiplied as a double, rounded half-up (`Math.round`, as Java) and shifted back.
 */
function roundedFraction(size: bigint, ratio: number): bigint {
  if (ratio >= 1) return size;
  const shift = size < TWO_POW_53 ? 0 : bitLength(size) - 53;
  const s = BigInt(shift);
  const scaled = BigInt(Math.round(ratio * Number(size >> s))) << s;
  if (scaled < 0n) return 0n;
  return scaled > size ? size : scaled;
}
