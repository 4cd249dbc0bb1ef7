import type { LoadMap } from '../load-map.js';
import type { MutableAssignment, SliceNode } from './mutable-assignment.js';
import { PriorityQueue } from './priority-queue.js';

/**
 * Splits `node` at the median of its adjusted load (Dicer's `Splitter.split`): the cut comes from
 * `adjusted.getSplit(slice, load / 2)` and must fall strictly inside the slice. Both halves keep
 * the parent's replicas and flags. Fails (returns `undefined`) for a single-key slice, a slice too
 * narrow for a synthesized key, and a slice with zero load.
 *
 * @see algorithm.md §5.3
 */
export function splitAtLoadMedian(
  model: MutableAssignment,
  adjusted: LoadMap,
  node: SliceNode,
): [SliceNode, SliceNode] | undefined {
  const slice = node.slice;
  const load = adjusted.getLoad(slice);
  const { splitKey, prefixLoad } = adjusted.getSplit(slice, load / 2);
  if (splitKey === undefined) return undefined;
  if (splitKey.compare(slice.lowInclusive) <= 0) return undefined;
  if (slice.highExclusive !== undefined && splitKey.compare(slice.highExclusive) >= 0) return undefined;
  return model.split(node, splitKey, prefixLoad, load);
}

/**
 * The split loop shared by SplitHot and SplitToMin: a max-queue of slices by `(perReplicaLoad,
 * slice)` (ties go to the larger slice); pops the hottest and stops once it is at or below
 * `threshold` or `done()` holds; an unsplittable slice is dropped, the halves of a split go back
 * into the queue.
 *
 * @returns the number of splits made.
 */
export function splitWhileHot(
  model: MutableAssignment,
  adjusted: LoadMap,
  threshold: number,
  done: () => boolean,
): number {
  const queue = new PriorityQueue<{ node: SliceNode; p: number }>((a, b) =>
    a.p !== b.p ? (a.p > b.p ? -1 : 1) : b.node.slice.compare(a.node.slice),
  );
  for (const node of model.nodes()) queue.push({ node, p: node.perReplicaLoad });
  let splits = 0;
  while (queue.size > 0 && !done()) {
    const { node, p } = queue.pop() as { node: SliceNode; p: number };
    if (p <= threshold) break;
    const halves = splitAtLoadMedian(model, adjusted, node);
    if (!halves) continue;
    splits++;
    for (const half of halves) queue.push({ node: half, p: half.perReplicaLoad });
  }
  return splits;
}
