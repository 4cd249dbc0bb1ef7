import { SliceKey, InvalidArgumentError } from '@dicer-ts/common';

/**
 * A point of the key space where a routing segment starts, as the first 8 bytes of a SliceKey
 * (two unsigned 32-bit words, zero-padded) plus whether the key is longer than 8 bytes. That is
 * enough to compare it exactly with the 8-byte keys the simulator routes: an 8-byte key equal to
 * the prefix of a longer boundary (such as `k\0` after hot-key isolation) lies below it.
 */
export interface KeyBoundary {
  readonly high: number;
  readonly low: number;
  readonly longer: boolean;
}

/** The {@link KeyBoundary} of a SliceKey. */
export function boundaryOf(key: SliceKey): KeyBoundary {
  return { high: key.prefixHigh, low: key.prefixLow, longer: key.bytes.length > 8 };
}

/**
 * The simulated application keys: key `i` is the string `<prefix><i>` (or a trace's key), placed
 * in the key space by Dicer's own key function (`SliceKey.fromApplicationKey`, FarmHash
 * Fingerprint64), so slices cut by the real algorithm see the same distribution as in production.
 *
 * Keys are identified by dense integer ids; their positions are kept as two 32-bit words and the
 * ids sorted by position, so mapping every key onto a new set of boundaries is one linear merge.
 * The SliceKey objects needed for load reporting are made lazily.
 */
export class KeySpace {
  /** Number of keys. */
  readonly size: number;
  /** Key id → bytes 0..3 of its SliceKey (unsigned big-endian). */
  readonly high: Uint32Array;
  /** Key id → bytes 4..7 of its SliceKey. */
  readonly low: Uint32Array;
  /** Key ids in key-space order. */
  readonly order: Int32Array;
  private readonly names: ((id: number) => string) | readonly string[];
  private readonly keys: (SliceKey | undefined)[];

  private constructor(names: ((id: number) => string) | readonly string[], size: number) {
    this.size = size;
    this.names = names;
    this.high = new Uint32Array(size);
    this.low = new Uint32Array(size);
    this.keys = new Array<SliceKey | undefined>(size);
    for (let i = 0; i < size; i++) {
      const key = SliceKey.fromApplicationKey(this.nameOf(i));
      this.high[i] = key.prefixHigh;
      this.low[i] = key.prefixLow;
    }
    const order = Array.from({ length: size }, (_, i) => i);
    const hi = this.high;
    const lo = this.low;
    order.sort((a, b) => (hi[a] as number) - (hi[b] as number) || (lo[a] as number) - (lo[b] as number) || a - b);
    this.order = Int32Array.from(order);
  }

  /** `count` synthetic keys named `<prefix>0` … `<prefix><count−1>`. */
  static synthetic(count: number, prefix = 'key-'): KeySpace {
    if (!Number.isSafeInteger(count) || count < 1) throw new InvalidArgumentError(`key count must be a positive integer, got ${count}`);
    return new KeySpace((id) => `${prefix}${id}`, count);
  }

  /** One key per distinct name, in the order given. */
  static fromNames(names: readonly string[]): KeySpace {
    if (names.length === 0) throw new InvalidArgumentError('a key space needs at least one key');
    return new KeySpace(names, names.length);
  }

  /** The application key of id `id`. */
  nameOf(id: number): string {
    return typeof this.names === 'function' ? this.names(id) : (this.names[id] as string);
  }

  /**
   * The SliceKey of id `id` (made on first use, then cached). Rebuilt from the two stored prefix
   * words rather than by hashing the name again: an application key is exactly its 8 fingerprint
   * bytes, little-endian, so the fingerprint's low word is the byte-swapped first prefix word.
   */
  sliceKey(id: number): SliceKey {
    let key = this.keys[id];
    if (key === undefined) {
      key = SliceKey.fromFingerprintWords(byteSwap(this.low[id] as number), byteSwap(this.high[id] as number));
      this.keys[id] = key;
    }
    return key;
  }

  /**
   * Maps every key to the segment that holds it: segment `j` starts at `starts[j]` (sorted,
   * ascending) and ends where segment `j + 1` starts; keys below `starts[0]` fall in `wrapSegment`
   * (the last segment for a ring, 0 when `starts[0]` is the empty key).
   *
   * @param out receives, for each key id, its segment index.
   */
  assignSegments(starts: readonly KeyBoundary[], out: Int32Array, wrapSegment = starts.length - 1): void {
    const n = starts.length;
    let j = -1; // the last segment whose start is ≤ the key
    const order = this.order;
    const hi = this.high;
    const lo = this.low;
    for (let i = 0; i < order.length; i++) {
      const id = order[i] as number;
      const h = hi[id] as number;
      const l = lo[id] as number;
      while (j + 1 < n && atOrAbove(h, l, starts[j + 1] as KeyBoundary)) j++;
      out[id] = j < 0 ? wrapSegment : j;
    }
  }
}

/** `word` (unsigned 32-bit) with its four bytes reversed. */
function byteSwap(word: number): number {
  return (((word & 0xff) << 24) | ((word & 0xff00) << 8) | ((word >>> 8) & 0xff00) | (word >>> 24)) >>> 0;
}

function atOrAbove(high: number, low: number, b: KeyBoundary): boolean {
  if (high !== b.high) return high > b.high;
  if (low !== b.low) return low > b.low;
  return !b.longer;
}
