import type { DesiredLoadRange } from './desired-load-range.js';

/** Dicer's `EMPTY_RESOURCE_PENALTY_MULTIPLIER`: an empty resource costs `100 × maxDesired`. */
export const EMPTY_RESOURCE_PENALTY_MULTIPLIER = 100;
/** Dicer's `UNDERSHOOT_PENALTY_COEFFICIENT`. */
export const UNDERSHOOT_PENALTY_COEFFICIENT = 4;
/** Dicer's `OVERSHOOT_PENALTY_COEFFICIENT`. */
export const OVERSHOOT_PENALTY_COEFFICIENT = 16;
/** A move is applied only when it lowers the total penalty by more than this. */
export const PLACEMENT_IMPROVEMENT_EPSILON = 1e-10;

/**
 * The penalty of one resource at `load` (Dicer's placement objective). An empty resource costs a
 * flat `100 × maxDesired` whatever its load, which is how every available resource ends up with a
 * slice. Otherwise the penalty is 0 inside `[min, maxDesired]` (min is `minDesiredNew` for a new
 * resource, else `minDesiredExisting`), grows as `(1 + d/min)² × d × 4` below it (d = min − load)
 * and as `(load/max)² × (load − max) × 16` above it.
 *
 * @see algorithm.md §5.6
 */
export function resourcePenalty(range: DesiredLoadRange, load: number, isNew: boolean, isEmpty: boolean): number {
  if (isEmpty) return EMPTY_RESOURCE_PENALTY_MULTIPLIER * range.maxDesired;
  const min = isNew ? range.minDesiredNew : range.minDesiredExisting;
  if (load < min) {
    const under = min - load;
    const f = 1 + under / min;
    return f * f * under * UNDERSHOOT_PENALTY_COEFFICIENT;
  }
  const max = range.maxDesired;
  if (load > max) {
    const f = load / max;
    return f * f * (load - max) * OVERSHOOT_PENALTY_COEFFICIENT;
  }
  return 0;
}
