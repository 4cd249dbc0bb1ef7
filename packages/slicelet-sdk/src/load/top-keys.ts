import { InvalidArgumentError, SliceKey } from '@dicer-ts/common';
import { DEFAULT_LOAD_HALF_LIFE_SECONDS } from './ewma.js';

/**
 * Dicer's top-key support: a key is hot when it may carry more than 5 % of its slice's load.
 *
 * @see algorithm.md §7.1, protocol.md §6
 */
export const DEFAULT_TOP_KEYS_SUPPORT = 0.05;

/** Dicer's top-key error bound: per-key load estimates are off by at most 0.5 % of the total. */
export const DEFAULT_TOP_KEYS_ERROR = 0.005;

/** Options of a {@link TopKeysSketch}; the defaults are Dicer's. */
export interface TopKeysSketchOptions {
  /**
   * Fraction of the (decayed) total above which a key's upper-bound load makes it a top key.
   * @default DEFAULT_TOP_KEYS_SUPPORT (0.05)
   */
  readonly support?: number;
  /**
   * Error bound as a fraction of the total; keys whose upper bound falls to or below it are
   * forgotten at the next scan.
   * @default DEFAULT_TOP_KEYS_ERROR (0.005)
   */
  readonly error?: number;
  /**
   * Half-life of a key's load.
   * @default DEFAULT_LOAD_HALF_LIFE_SECONDS (120)
   */
  readonly halfLifeSeconds?: number;
}

/** A hot key and its share of the slice's decayed load (an underestimate). */
export interface TopKey {
  readonly key: SliceKey;
  /** `minSum / total`, in [0, 1]: never more than the key's true share. */
  readonly contribution: number;
}

/**
 * A key's entry in a {@link TopKeysSketch}, as {@link TopKeysSketch.incrementHashed} returns it so
 * that a caller may skip the lookup next time ({@link TopKeysSketch.incrementEntry}) while
 * {@link TopKeysEntry.tracked} holds. Opaque otherwise.
 */
export interface TopKeysEntry {
  readonly key: SliceKey;
  /** True while the entry is in its sketch; a scan that forgets the key makes it false for good. */
  readonly tracked: boolean;
}

/** One tracked key; entries whose hashes collide are chained through `next`. */
interface Entry extends TopKeysEntry {
  readonly key: SliceKey;
  tracked: boolean;
  /** Decayed load seen since the key was (re)inserted: a lower bound of its true load. */
  minSum: number;
  /** Upper bound of the load missed before insertion: `error × total` at that moment. */
  maxError: number;
  next: Entry | undefined;
}

/**
 * When the amplification of new increments passes this, everything is rescaled so that it does
 * not overflow (at a 120 s half-life this is every ~2 h of an otherwise scan-free sketch).
 */
const RESCALE_LIMIT = 2 ** 64;

/**
 * The top-keys sketch kept for each slice: time-decayed lossy counting (Dicer's
 * `LossyEwmaCounter`, support 0.05, error 0.005, half-life 120 s).
 *
 * Guarantees, with `total` the decayed load of every increment so far: each tracked key's true
 * decayed load lies in `[minSum, minSum + maxError]`; every key whose true load exceeds
 * `error × total` is tracked; so every key with a share above `support` is reported, and a
 * reported contribution never exceeds the key's true share (it is off by at most `error`).
 *
 * Decay per second is `d = 2^(−1/halfLife)`. Instead of multiplying every entry by `d` each
 * second, an increment at second `s` is amplified by `α·d^(base − s)` (α = 1 − d), which grows
 * with time; ratios between entries and the total are what a reader sees, so this is the same as
 * decaying everything. A scan runs when the table reaches a threshold (initially `⌈1/error⌉`,
 * afterwards twice the surviving size and never less than the initial one): it rebases the
 * amplification to the current second and drops keys whose upper bound is at most
 * `error × total`, which keeps at most `1/error` keys after a scan.
 *
 * Keys are found through a `Map` keyed by a 30-bit hash of the key's cached 8-byte prefix and its
 * length, so incrementing an existing key allocates nothing (not even a string).
 *
 * @see algorithm.md §7.1, protocol.md §4 (Load accumulator)
 */
export class TopKeysSketch {
  /** The support threshold in (error, 1). */
  readonly support: number;
  /** The error bound in (0, support). */
  readonly error: number;
  private readonly decay: number;
  private readonly alpha: number;
  private readonly initialScanThreshold: number;
  private scanThreshold: number;
  private readonly entries = new Map<number, Entry>();
  private entryCount = 0;
  /** The second at which the amplification is exactly α. */
  private baseSecond = 0;
  /** The latest second seen; time never moves back. */
  private currentSecond = 0;
  /** `α·d^(baseSecond − currentSecond)`: the weight of a unit increment now. */
  private amplification: number;
  /** Sum of all amplified increments (the decayed total, in current units). */
  private total = 0;

  /** @throws {InvalidArgumentError} unless 0 < error < support < 1 and the half-life is positive. */
  constructor(options: TopKeysSketchOptions = {}) {
    const support = options.support ?? DEFAULT_TOP_KEYS_SUPPORT;
    const error = options.error ?? DEFAULT_TOP_KEYS_ERROR;
    const halfLifeSeconds = options.halfLifeSeconds ?? DEFAULT_LOAD_HALF_LIFE_SECONDS;
    if (!(error > 0 && error < 1)) throw new InvalidArgumentError(`error must be in (0, 1), got ${error}`);
    if (!(support > error && support < 1)) {
      throw new InvalidArgumentError(`support must be in (error, 1), got ${support} with error ${error}`);
    }
    if (!(halfLifeSeconds > 0) || !Number.isFinite(halfLifeSeconds)) {
      throw new InvalidArgumentError(`halfLifeSeconds must be positive, got ${halfLifeSeconds}`);
    }
    this.support = support;
    this.error = error;
    this.decay = Math.pow(2, -1 / halfLifeSeconds);
    this.alpha = 1 - this.decay;
    this.amplification = this.alpha;
    this.initialScanThreshold = Math.ceil(1 / error);
    this.scanThreshold = this.initialScanThreshold;
  }

  /**
   * Adds `value` (> 0) to `key` at `second` (whole seconds since the slice's counter started; an
   * earlier second than one already seen counts as the latest). Allocates only when `key` is new.
   */
  increment(key: SliceKey, value: number, second: number): void {
    this.incrementHashed(key, topKeysHash(key), value, second);
  }

  /**
   * {@link TopKeysSketch.increment} for a caller that has cached `hash = topKeysHash(key)` (a
   * handle computes it once), saving the hashing on every call. Returns the key's entry, which a
   * caller may keep for {@link TopKeysSketch.incrementEntry} (it may already be untracked when
   * this increment's scan forgot it).
   */
  incrementHashed(key: SliceKey, hash: number, value: number, second: number): TopKeysEntry {
    if (second > this.currentSecond) this.advanceTo(second);
    const amplified = value * this.amplification;
    const head = this.entries.get(hash);
    for (let e = head; e !== undefined; e = e.next) {
      if (e.key === key || e.key.equals(key)) {
        e.minSum += amplified;
        this.total += amplified;
        return e;
      }
    }
    const entry: Entry = { key, tracked: true, minSum: amplified, maxError: this.error * this.total, next: head };
    this.entries.set(hash, entry);
    this.entryCount++;
    this.total += amplified;
    if (this.entryCount >= this.scanThreshold) this.scan();
    return entry;
  }

  /**
   * The same as {@link TopKeysSketch.incrementHashed} for `entry.key`, given its entry from this
   * sketch while `entry.tracked` holds: no lookup. The caller guarantees both (an entry of another
   * sketch or an untracked one would lose the increment).
   */
  incrementEntry(entry: TopKeysEntry, value: number, second: number): void {
    if (second > this.currentSecond) this.advanceTo(second);
    const amplified = value * this.amplification;
    (entry as Entry).minSum += amplified;
    this.total += amplified;
  }

  /**
   * The hot keys: those whose upper bound exceeds `support × total`, each with its lower-bound
   * share `minSum / total`, in key order. Empty before any load.
   */
  topKeys(): TopKey[] {
    const result: TopKey[] = [];
    if (!(this.total > 0)) return result;
    const threshold = this.support * this.total;
    for (const head of this.entries.values()) {
      for (let e: Entry | undefined = head; e !== undefined; e = e.next) {
        if (e.minSum + e.maxError > threshold) result.push({ key: e.key, contribution: e.minSum / this.total });
      }
    }
    result.sort((a, b) => a.key.compare(b.key));
    return result;
  }

  /**
   * The bounds the sketch holds on `key`'s share of the decayed total: `lower = minSum / total`,
   * `upper = (minSum + maxError) / total`; `undefined` when the key is not tracked (its share is
   * then at most `error`). For debugging and tests; allocates.
   */
  shareBounds(key: SliceKey): { readonly lower: number; readonly upper: number } | undefined {
    for (let e = this.entries.get(topKeysHash(key)); e !== undefined; e = e.next) {
      if (e.key.equals(key)) return { lower: e.minSum / this.total, upper: (e.minSum + e.maxError) / this.total };
    }
    return undefined;
  }

  /** Number of keys currently tracked. */
  get size(): number {
    return this.entryCount;
  }

  private advanceTo(second: number): void {
    this.currentSecond = second;
    this.amplification = this.alpha * Math.pow(this.decay, this.baseSecond - second);
    if (this.amplification > RESCALE_LIMIT) this.rebase();
  }

  /** Moves the base to the current second, scaling every stored sum down to match. */
  private rebase(): void {
    const factor = Math.pow(this.decay, this.currentSecond - this.baseSecond);
    for (const head of this.entries.values()) {
      for (let e: Entry | undefined = head; e !== undefined; e = e.next) {
        e.minSum *= factor;
        e.maxError *= factor;
      }
    }
    this.total *= factor;
    this.baseSecond = this.currentSecond;
    this.amplification = this.alpha;
  }

  /** Rebases, then forgets every key whose upper bound is at most `error × total`. */
  private scan(): void {
    this.rebase();
    const floor = this.error * this.total;
    for (const [hash, head] of this.entries) {
      let kept: Entry | undefined;
      for (let e: Entry | undefined = head; e !== undefined; ) {
        const next: Entry | undefined = e.next;
        if (e.minSum + e.maxError > floor) {
          e.next = kept;
          kept = e;
        } else {
          e.tracked = false;
          e.next = undefined;
          this.entryCount--;
        }
        e = next;
      }
      if (kept === undefined) this.entries.delete(hash);
      else if (kept !== head) this.entries.set(hash, kept);
    }
    this.scanThreshold = Math.max(this.initialScanThreshold, 2 * this.entryCount);
  }
}

/**
 * The sketch's hash of a key: 30 bits (a V8 small integer, so `Map` lookups need no heap number)
 * of the key's cached 8-byte prefix and its length. Keys sharing a prefix and length collide and
 * are told apart by their bytes.
 */
export function topKeysHash(key: SliceKey): number {
  let h = Math.imul(key.prefixHigh ^ key.bytes.length, 0x9e3779b1) ^ Math.imul(key.prefixLow, 0x85ebca6b);
  h ^= h >>> 15;
  h = Math.imul(h, 0x2c1b3c6d);
  h ^= h >>> 13;
  return h & 0x3fffffff;
}
