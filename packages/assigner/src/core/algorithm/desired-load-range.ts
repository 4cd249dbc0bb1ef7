import { InvalidArgumentError } from '@dicer-ts/common';

/**
 * The per-resource load band one run aims for (Dicer's `DesiredLoadRange`).
 *
 * @see algorithm.md §3.3
 */
export interface DesiredLoadRange {
  /** The per-replica adjusted load above which SplitHot cuts a slice (the absolute tolerance). */
  readonly splitThreshold: number;
  /** The lowest acceptable load for a resource that held slices in the base assignment. */
  readonly minDesiredExisting: number;
  /** The lowest acceptable load for a new resource: the full average. */
  readonly minDesiredNew: number;
  /** The highest acceptable load. */
  readonly maxDesired: number;
}

/**
 * Dicer's `calculateDesiredLoadRange`: the tolerance is relative to `max(maxLoadHint, avg)`, new
 * resources must reach the full average, and every bound is floored at `Number.MIN_VALUE`.
 *
 * @param totalAdjustedLoad the reservation-adjusted total load.
 * @param resourceCount the number of available resources, N.
 * @throws {InvalidArgumentError} when N ≤ 0 or the resulting range is invalid.
 */
export function calculateDesiredLoadRange(
  maxLoadHint: number,
  imbalanceToleranceRatio: number,
  totalAdjustedLoad: number,
  resourceCount: number,
): DesiredLoadRange {
  if (!(resourceCount > 0)) {
    throw new InvalidArgumentError(`resource count must be positive, got ${resourceCount}`);
  }
  const avg = totalAdjustedLoad / resourceCount;
  const adjustedMaxHint = Math.max(maxLoadHint, avg);
  const tolerance = Math.max(imbalanceToleranceRatio * adjustedMaxHint, Number.MIN_VALUE);
  const splitThreshold = tolerance;
  const minDesiredExisting = Math.max(avg - tolerance, Number.MIN_VALUE);
  const minDesiredNew = Math.max(avg, Number.MIN_VALUE);
  const maxDesired = Math.max(avg + tolerance, minDesiredExisting, minDesiredNew);
  if (!(splitThreshold > 0)) throw new InvalidArgumentError(`split threshold must be positive, got ${splitThreshold}`);
  if (!(minDesiredExisting > 0) || !(minDesiredNew > 0)) {
    throw new InvalidArgumentError(`minimum desired loads must be positive, got ${minDesiredExisting} and ${minDesiredNew}`);
  }
  if (!(maxDesired >= minDesiredExisting && maxDesired >= minDesiredNew)) {
    throw new InvalidArgumentError(`maximum desired load ${maxDesired} is below a minimum`);
  }
  return { splitThreshold, minDesiredExisting, minDesiredNew, maxDesired };
}
