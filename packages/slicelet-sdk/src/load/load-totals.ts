import { InvalidArgumentError } from '@dicer-ts/common';
import type { SliceKey } from '@dicer-ts/common';

/** Number of buckets of the key-distribution histogram: one per value of a key's first byte. */
export const LOAD_DISTRIBUTION_BUCKETS = 256;

/**
 * The running load totals of one Slicelet, the numbers behind Dicer's Prometheus counters
 * `dicer_slicelet_attributed_load_total`, `dicer_slicelet_unattributed_load_total` and
 * `dicer_slicelet_slicekey_load_distribution_bucket_total` (bucket `i` has `le = (i+1)/256`, the
 * last `+Inf`). Recording allocates nothing; the Slicelet copies these into its metrics.
 *
 * The distribution is cumulative over bucket indexes, like a Prometheus histogram: bucket `i` holds
 * the load of every key whose first byte is ≤ `i` (the empty key counts as byte 0), as of the last
 * {@link LoadTotals.updateDistribution} call. Dicer refreshes it every 5 s.
 *
 * @see protocol.md §4 (Prometheus-only side structures)
 */
export class LoadTotals {
  private attributed = 0;
  private unattributed = 0;
  /** Load per first byte since the last update (not cumulative). */
  private readonly pending = new Float64Array(LOAD_DISTRIBUTION_BUCKETS);
  /** Published cumulative counters. */
  private readonly published = new Float64Array(LOAD_DISTRIBUTION_BUCKETS);

  /** Counts an accepted increment of `value` for `key`, attributed to an assigned slice or not. */
  record(key: SliceKey, value: number, isAttributed: boolean): void {
    if (isAttributed) this.attributed += value;
    else this.unattributed += value;
    const bytes = key.bytes;
    this.pending[bytes.length === 0 ? 0 : bytes[0]!] += value;
  }

  /** Sum of every accepted increment for keys in slices assigned to this Slicelet. */
  get attributedLoadTotal(): number {
    return this.attributed;
  }

  /** Sum of every accepted increment for keys not assigned to this Slicelet. */
  get unattributedLoadTotal(): number {
    return this.unattributed;
  }

  /** Adds the load recorded since the last update, cumulated over bucket indexes, to each bucket. */
  updateDistribution(): void {
    let running = 0;
    for (let i = 0; i < LOAD_DISTRIBUTION_BUCKETS; i++) {
      running += this.pending[i]!;
      this.published[i] = this.published[i]! + running;
      this.pending[i] = 0;
    }
  }

  /**
   * The published counter of bucket `index` (0–255): the load of keys whose first byte is ≤ `index`.
   *
   * @throws {InvalidArgumentError} for an index outside 0–255.
   */
  distributionBucket(index: number): number {
    if (!Number.isInteger(index) || index < 0 || index >= LOAD_DISTRIBUTION_BUCKETS) {
      throw new InvalidArgumentError(`bucket index must be an integer in [0, 255], got ${index}`);
    }
    return this.published[index]!;
  }
}
