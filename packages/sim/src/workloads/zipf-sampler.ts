import { InvalidArgumentError } from '@dicer-ts/common';
import type { Random } from '@dicer-ts/common';

/**
 * Samples ranks 0..n−1 with probability ∝ 1 / (rank + 1)^s (Zipf; s = 0 is uniform) by inverse
 * transform over a precomputed cumulative distribution: O(log n) per sample, no allocation.
 */
export class ZipfSampler {
  /** Probability of each rank. */
  readonly probabilities: Float64Array;
  private readonly cdf: Float64Array;

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
  }

  /** One rank. */
  sample(random: Random): number {
    const u = random.next();
    if (this.exponent === 0) return Math.min(this.n - 1, Math.floor(u * this.n));
    const cdf = this.cdf;
    let lo = 0;
    let hi = this.n - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((cdf[mid] as number) > u) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  }
}
