import type { LoadMap } from '../load-map.js';
import type { MutableAssignment } from './mutable-assignment.js';
import { splitWhileHot } from './splitter.js';

/**
 * SplitToMin (Dicer's `ensureMinTotalSliceReplicas`): splits the hottest slices (any with load
 * above 0) until the slice-replica total reaches `minTotalReplicas` (32N). A split adds as many
 * replicas as the slice has and moves no load; zero-load slices cannot be split.
 *
 * @returns the number of splits made.
 * @see algorithm.md §5.5
 */
export function splitToMinimum(model: MutableAssignment, adjusted: LoadMap, minTotalReplicas: number): number {
  return splitWhileHot(model, adjusted, -1, () => model.totalReplicas >= minTotalReplicas);
}
