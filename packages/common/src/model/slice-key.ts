import { InvalidArgumentError } from '../errors.js';
import { computeFingerprint64, fingerprintHigh, fingerprintLow } from './fingerprint64.js';

/**
 * A point in Dicer's key space: an arbitrary byte string ordered unsigned-lexicographically, a
 * proper prefix first. `SliceKey.MIN` (empty) is the smallest key; "infinity" is not a SliceKey but
 * the absence of a slice's high bound.
 *
 * Each key caches its first 8 bytes, zero-padded, as two unsigned 32-bit big-endian numbers, so
 * that most comparisons (and every comparison between 8-byte hashed keys) are two number compares,
 * as Dicer's `SliceKey` does with its `Long` prefix.
 *
 * @see protocol.md §2.2
 */
export class SliceKey {
  /** The empty key, the low bound of the key space. */
  static readonly MIN: SliceKey = new SliceKey(new Uint8Array(0));

  /** The key's bytes. Never mutate them: keys are shared and compared by value. */
  readonly bytes: Uint8Array;
  /** Bytes 0..3 (zero-padded) as an unsigned big-endian number. */
  readonly prefixHigh: number;
  /** Bytes 4..7 (zero-padded) as an unsigned big-endian number. */
  readonly prefixLow: number;

  private constructor(bytes: Uint8Array) {
    this.bytes = bytes;
    this.prefixHigh = readPrefixWord(bytes, 0);
    this.prefixLow = readPrefixWord(bytes, 4);
  }

  /**
   * The key Dicer's recommended function gives an application key: FarmHash Fingerprint64 of the
   * bytes (UTF-8 for a string), written as 8 little-endian bytes (Guava `HashCode.asBytes` order),
   * byte-identical to Dicer's `SliceKeyHelper.FarmHashFingerprint64`.
   */
  static fromApplicationKey(key: string | Uint8Array): SliceKey {
    // Pure-JS FarmHash (fingerprint64.ts): faster than the WASM `farmhash-modern`, and correct for
    // lengths that are multiples of 64 from 128 bytes up, where `farmhash-modern` is not.
    computeFingerprint64(key);
    return SliceKey.fromFingerprintWords(fingerprintHigh(), fingerprintLow());
  }

  /**
   * The 8-byte little-endian key of the unsigned 64-bit fingerprint whose high and low 32-bit
   * halves are `high` and `low` (unsigned).
   */
  static fromFingerprintWords(high: number, low: number): SliceKey {
    const bytes = new Uint8Array(8);
    bytes[0] = low & 0xff;
    bytes[1] = (low >>> 8) & 0xff;
    bytes[2] = (low >>> 16) & 0xff;
    bytes[3] = low >>> 24;
    bytes[4] = high & 0xff;
    bytes[5] = (high >>> 8) & 0xff;
    bytes[6] = (high >>> 16) & 0xff;
    bytes[7] = high >>> 24;
    return new SliceKey(bytes);
  }

  /** The 8-byte little-endian key of an unsigned 64-bit fingerprint. */
  static fromFingerprint(fingerprint: bigint): SliceKey {
    if (fingerprint < 0n || fingerprint > 0xffff_ffff_ffff_ffffn) {
      throw new InvalidArgumentError(`fingerprint must be an unsigned 64-bit value, got ${fingerprint}`);
    }
    return SliceKey.fromFingerprintWords(Number(fingerprint >> 32n), Number(fingerprint & 0xffff_ffffn));
  }

  /** A key with exactly these bytes (Dicer's identity key function); the bytes are copied. */
  static fromBytes(bytes: Uint8Array): SliceKey {
    if (bytes.length === 0) return SliceKey.MIN;
    return new SliceKey(Uint8Array.from(bytes));
  }

  /** Unsigned lexicographic comparison: negative, zero or positive. */
  compare(other: SliceKey): number {
    if (this.prefixHigh !== other.prefixHigh) return this.prefixHigh < other.prefixHigh ? -1 : 1;
    if (this.prefixLow !== other.prefixLow) return this.prefixLow < other.prefixLow ? -1 : 1;
    return compareBytes(this.bytes, other.bytes);
  }

  /** True when both keys hold the same bytes. */
  equals(other: SliceKey): boolean {
    return this === other || this.compare(other) === 0;
  }

  /** True when this key sorts before `other`. */
  isLessThan(other: SliceKey): boolean {
    return this.compare(other) < 0;
  }

  /** The smallest key greater than this one: these bytes followed by 0x00. */
  successor(): SliceKey {
    const bytes = new Uint8Array(this.bytes.length + 1);
    bytes.set(this.bytes);
    return new SliceKey(bytes);
  }

  /** True for the empty key. */
  isMin(): boolean {
    return this.bytes.length === 0;
  }

  /**
   * Dicer's debug form: an 8-byte key as `0x%016x`; a 9-byte key ending in 0x00 as the same plus
   * a literal `\0`; otherwise printable ASCII with other bytes as `\xHH`; the empty key as `""`.
   */
  toString(): string {
    const b = this.bytes;
    if (b.length === 0) return '""';
    if (b.length === 8) return `0x${hex(b, 8)}`;
    if (b.length === 9 && b[8] === 0) return `0x${hex(b, 8)}\\0`;
    let out = '';
    for (const byte of b) {
      out += byte >= 32 && byte <= 126 ? String.fromCharCode(byte) : `\\x${byte.toString(16).toUpperCase().padStart(2, '0')}`;
    }
    return out;
  }
}

/** Unsigned lexicographic comparison of two byte strings; a proper prefix sorts first. */
export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const d = (a[i] as number) - (b[i] as number);
    if (d !== 0) return d < 0 ? -1 : 1;
  }
  return a.length === b.length ? 0 : a.length < b.length ? -1 : 1;
}

function readPrefixWord(bytes: Uint8Array, offset: number): number {
  let word = 0;
  for (let i = 0; i < 4; i++) {
    word = word * 256 + (offset + i < bytes.length ? (bytes[offset + i] as number) : 0);
  }
  return word;
}

function hex(bytes: Uint8Array, count: number): string {
  let out = '';
  for (let i = 0; i < count; i++) out += (bytes[i] as number).toString(16).padStart(2, '0');
  return out;
}
