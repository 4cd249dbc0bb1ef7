import type { Holder, MutableAssignment, ResourceState, SliceNode } from './mutable-assignment.js';
import { PriorityQueue } from './priority-queue.js';

/** A pair of adjacent slices that may merge, keyed by their combined raw load. */
interface MergeCandidate {
  readonly left: SliceNode;
  readonly right: SliceNode;
  readonly priority: number;
  /** The pair's original position from the left; an updated pair keeps it, so ties stay leftmost first. */
  readonly order: number;
  stale: boolean;
}

/**
 * Merge (Dicer's `MergePhase`, run after SplitHot and again after Placement): while the
 * slice-replica total exceeds `maxTotalReplicas` (64N), merges the adjacent pair with the smallest
 * combined adjusted load (the total, not per-replica; ties leftmost first). Neighbouring pairs are
 * re-keyed with the merged slice. The merged slice gets exactly `minReplicas` replicas, chosen by
 * {@link chooseMergedHolders}, which can discard replication.
 *
 * @returns the number of merges made.
 * @see algorithm.md §5.4, §5.7
 */
export function mergeColdestPairs(model: MutableAssignment, maxTotalReplicas: number, minReplicas: number): number {
  if (model.totalReplicas <= maxTotalReplicas) return 0;
  const queue = new PriorityQueue<MergeCandidate>((a, b) =>
    a.priority !== b.priority ? (a.priority < b.priority ? -1 : 1) : a.order - b.order,
  );
  // The candidate where a node is the left side, and where it is the right side.
  const asLeft = new Map<SliceNode, MergeCandidate>();
  const asRight = new Map<SliceNode, MergeCandidate>();
  const link = (left: SliceNode, right: SliceNode, order: number): void => {
    const c: MergeCandidate = { left, right, priority: left.rawLoad + right.rawLoad, order, stale: false };
    asLeft.set(left, c);
    asRight.set(right, c);
    queue.push(c);
  };
  let order = 0;
  for (const node of model.nodes()) if (node.next) link(node, node.next, order++);

  let merges = 0;
  while (model.totalReplicas > maxTotalReplicas && queue.size > 0) {
    const c = queue.pop() as MergeCandidate;
    if (c.stale) continue;
    const before = asRight.get(c.left);
    const after = asLeft.get(c.right);
    asRight.delete(c.left);
    asLeft.delete(c.left);
    asRight.delete(c.right);
    asLeft.delete(c.right);
    const merged = model.merge(c.left, c.right, chooseMergedHolders(c.left, c.right, minReplicas));
    merges++;
    if (before) {
      before.stale = true;
      link(before.left, merged, before.order);
    }
    if (after) {
      after.stale = true;
      link(merged, after.right, after.order);
    }
  }
  return merges;
}

/**
 * The `minReplicas` resources that hold a merged slice: from the healthy holders of either half,
 * those with the most shared per-replica load (the load of the halves they held), then the lowest
 * total load (read before the merge, so it still includes the halves), then the earlier resource.
 * A replica stays "not newly assigned" only if its resource held both halves and neither replica
 * was newly assigned.
 *
 * @see algorithm.md §5.4 (M2)
 */
export function chooseMergedHolders(left: SliceNode, right: SliceNode, minReplicas: number): Holder[] {
  interface Choice {
    readonly resource: ResourceState;
    shared: number;
    halves: number;
    anyNew: boolean;
  }
  const choices: Choice[] = [];
  for (const part of [left, right]) {
    const p = part.perReplicaLoad;
    for (const h of part.holders) {
      if (!h.resource.healthy) continue;
      let c = choices.find((x) => x.resource === h.resource);
      if (!c) {
        c = { resource: h.resource, shared: 0, halves: 0, anyNew: false };
        choices.push(c);
      }
      c.shared += p;
      c.halves++;
      c.anyNew ||= h.isNewlyAssigned;
    }
  }
  choices.sort((a, b) => {
    if (a.shared !== b.shared) return a.shared > b.shared ? -1 : 1;
    if (a.resource.load !== b.resource.load) return a.resource.load < b.resource.load ? -1 : 1;
    return a.resource.rank - b.resource.rank;
  });
  return choices
    .slice(0, minReplicas)
    .map((c) => ({ resource: c.resource, isNewlyAssigned: c.halves < 2 || c.anyNew }));
}
