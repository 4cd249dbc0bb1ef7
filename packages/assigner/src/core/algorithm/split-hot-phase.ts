import type { LoadMap } from '../load-map.js';
import type { MutableAssignment } from './mutable-assignment.js';
import { splitWhileHot } from './splitter.js';

/**
 * SplitHot (Dicer's `Splitter.splitHotSlices`): splits every slice whose per-replica adjusted load
 * exceeds the split threshold, hottest first, with no cap on the slice count (Merge removes any
 * excess). This is also how a hot key ends up in its own slice `[k, k\0)` (§5.8).
 *
 * @returns the number of splits made.
 * @see algorithm.md §5.3
 */
export function splitHotSlices(model: MutableAssignment, adjusted: LoadMap, splitThreshold: number): number {
  return splitWhileHot(model, adjusted, splitThreshold, () => false);
}
