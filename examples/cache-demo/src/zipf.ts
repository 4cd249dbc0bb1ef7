/**
 * A Zipf sampler over ranks `0 … n-1`: rank `i` is drawn with probability proportional to
 * `1 / (i + 1)^s`. Pure: randomness comes in as a {@link Random}. The cumulative distribution is
 * built once (n doubles) and each draw is one binary search.
 */
import { InvalidArgumentError, type Random } from '@dicer-ts/common';

/** A Zipf distribution over `n` ranks with exponent `s` (s = 0 is uniform). */
export class Zipf {
  /** Number of ranks. */
  readonly n: number;
  /** The exponent. */
  readonly s: number;
  /** `cdf[i]` = P(rank ≤ i); the last entry is exactly 1. */
  private readonly cdf: Float64Array;

  /**
   * @throws {InvalidArgumentError} when `n` is not a positive integer or `s` is negative or not finite.
   */
  constructor(n: number, s: number) {
    if (!(Number.isInteger(n) && n > 0)) throw new InvalidArgumentError(`n must be a positive integer, got ${n}`);
    if (!(Number.isFinite(s) && s >= 0)) throw new InvalidArgumentError(`s must be a non-negative number, got ${s}`);
    this.n = n;
    this.s = s;
    this.cdf = new Float64Array(n);
    let total = 0;
    for (let i = 0; i < n; i++) {
      total += 1 / Math.pow(i + 1, s);
      this.cdf[i] = total;
    }
    for (let i = 0; i < n; i++) this.cdf[i] = this.cdf[i]! / total;
    this.cdf[n - 1] = 1;
  }

  /** The probability of rank `i`. */
  probability(i: number): number {
    if (!(Number.isInteger(i) && i >= 0 && i < this.n)) return 0;
    return this.cdf[i]! - (i === 0 ? 0 : this.cdf[i - 1]!);
  }

  /** Draws a rank. */
  sample(random: Random): number {
    const u = random.next();
    let lo = 0;
    let hi = this.n - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.cdf[mid]! > u) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  }
}
