/**
 * The load generator's key choice: Zipf-distributed keys `key-<rank>` over a configurable key
 * space, plus a switchable hot key that, when on, takes a fixed share of all requests (the
 * "celebrity" a real cache meets). Pure: randomness comes in as a {@link Random}.
 */
import { InvalidArgumentError, type Random } from '@dicer-ts/common';
import { Zipf } from './zipf.js';

/** Keys in the demo's key space by default. */
export const DEFAULT_KEY_COUNT = 10_000;
/** Zipf exponent by default: a mild skew, as a cache sees. */
export const DEFAULT_ZIPF_EXPONENT = 0.8;
/** The hot key's name by default. */
export const DEFAULT_HOT_KEY = 'hot-key';
/** The share of all requests the hot key takes when on, by default. */
export const DEFAULT_HOT_KEY_FRACTION = 0.4;

/** Options of {@link Workload}. */
export interface WorkloadOptions {
  /** Distinct keys. @default 10000 */
  readonly keyCount?: number;
  /** Zipf exponent; 0 is uniform. @default 0.8 */
  readonly zipfExponent?: number;
  /** The hot key. @default 'hot-key' */
  readonly hotKey?: string;
  /** Share of requests for the hot key while it is on, in [0, 1]. @default 0.4 */
  readonly hotKeyFraction?: number;
  /** Whether the hot key starts on. @default false */
  readonly hotKeyOn?: boolean;
}

/** A key chooser. */
export class Workload {
  /** The hot key's name. */
  readonly hotKey: string;
  /** The hot key's share while on. */
  readonly hotKeyFraction: number;
  /** Whether the hot key is on. */
  hotKeyOn: boolean;
  private readonly zipf: Zipf;
  private readonly keys: readonly string[];

  /** @throws {InvalidArgumentError} for a bad option. */
  constructor(options: WorkloadOptions = {}) {
    const keyCount = options.keyCount ?? DEFAULT_KEY_COUNT;
    this.zipf = new Zipf(keyCount, options.zipfExponent ?? DEFAULT_ZIPF_EXPONENT);
    this.hotKey = options.hotKey ?? DEFAULT_HOT_KEY;
    this.hotKeyFraction = options.hotKeyFraction ?? DEFAULT_HOT_KEY_FRACTION;
    if (!(this.hotKeyFraction >= 0 && this.hotKeyFraction <= 1)) {
      throw new InvalidArgumentError(`hotKeyFraction must be in [0, 1], got ${this.hotKeyFraction}`);
    }
    this.hotKeyOn = options.hotKeyOn ?? false;
    // Key names are made once so the request loop does not build strings.
    this.keys = Array.from({ length: keyCount }, (_, i) => `key-${i}`);
  }

  /** Number of distinct Zipf keys. */
  get keyCount(): number {
    return this.keys.length;
  }

  /** Picks the next request's key. */
  nextKey(random: Random): string {
    if (this.hotKeyOn && random.next() < this.hotKeyFraction) return this.hotKey;
    return this.keys[this.zipf.sample(random)]!;
  }
}
