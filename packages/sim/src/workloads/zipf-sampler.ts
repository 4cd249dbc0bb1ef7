import { InvalidArgumentError } from '@dicer-ts/common';
import type { Random } from '@dicer-ts/common';

/** Buckets of the guide table: a power of two, so `u × GUIDE_BUCKETS` and `b / GUIDE_BUCKETS` are exact. */
const GUIDE_BUCKETS = 4096;

/**
 * Samples ranks 0..n−1 with probability ∝ 1 / (rank + 1)^s (Zipf; s = 0 is uniform) by inverse
 * transform over a precomputed cumulative distribution, no allocation. A guide table (for each
 * of 4,096 equal slices of [0, 1), the first rank whose cumulative probability exceeds the
 * slice's start) narrows the binary search to a few ranks; the rank returned for a given draw is
 * exactly the one a search over the whole table finds.
 */
export class ZipfSampler {
  /** Probability of each rank. */
  readonly probabilities: Float64Array;
  private readonly cdf: Float64Array;
  /** Bucket b → the first rank whose cdf exceeds b / GUIDE_BUCKETS; the last entry is n − 1. */
  private readonly guide: Int32Array;

  constructor(
    readonly n: number,
    readonly exponent: number,
  ) {
    if (!Number.isSafeInteger(n) || n < 1) throw new InvalidArgumentError(`Zipf needs at least one rank, got ${n}`);
    if (!(exponent >= 0 && Number.isFinite(exponent))) throw new InvalidArgumentError(`Zipf exponent must be finite and ≥ 0, got ${exponent}`);
    this.probabilities = new Float64Array(n);
    this.cdf = new Float64Array(n);
    let total = 0;
    for (let r = 0; r < n; r++) {
      const w = exponent === 0 ? 1 : Math.pow(r + 1, -exponent);
      this.probabilities[r] = w;
      total += w;
    }
    let acc = 0;
    for (let r = 0; r < n; r++) {
      const p = (this.probabilities[r] as number) / total;
      this.probabilities[r] = p;
      acc += p;
      this.cdf[r] = acc;
    }
    this.cdf[n - 1] = 1;
    this.guide = new Int32Array(GUIDE_BUCKETS + 1);
    let r = 0;
    for (let b = 0; b < GUIDE_BUCKETS; b++) {
      while (r < n - 1 && (this.cdf[r] as number) <= b / GUIDE_BUCKETS) r++;
      this.guide[b] = r;
    }
    this.guide[GUIDE_BUCKETS] = n - 1;
  }

  /** One rank. */
  sample(random: Random): number {
    const u = random.next();
    if (this.exponent === 0) return Math.min(this.n - 1, Math.floor(u * this.n));
    const cdf = this.cdf;
    // u lies in [b, b + 1) / GUIDE_BUCKETS, so the answer lies in [guide[b], guide[b + 1]].
    const b = Math.floor(u * GUIDE_BUCKETS);
    let lo = this.guide[b] as number;
    let hi = this.guide[b + 1] as number;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((cdf[mid] as number) > u) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  }
}
