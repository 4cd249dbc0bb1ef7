import type { Holder, MutableAssignment, ResourceState } from './mutable-assignment.js';

/**
 * Constraint (Dicer's replica clamp): visits the slices in key order and sets each replica count
 * to `clamp(current, minReplicas, maxReplicas)` (both already capped at N).
 *
 * - Scale up keeps every replica and adds new ones (newly assigned) on the currently coldest
 *   eligible resources that do not hold the slice; loads update after each slice, so orphaned
 *   slices fill cold resources greedily in key order.
 * - Scale down keeps the replicas on the resources with the lowest total load not counting this
 *   slice, with their flags; equal totals keep the earlier resource in resource order.
 *
 * @returns the number of replicas added plus removed.
 * @see algorithm.md §5.2
 */
export function clampReplicas(model: MutableAssignment, minReplicas: number, maxReplicas: number): number {
  let changed = 0;
  for (const node of model.nodes()) {
    const current = node.replicas;
    const target = Math.min(Math.max(current, minReplicas), maxReplicas);
    if (target > current) {
      const added: Holder[] = [];
      for (const r of model.eligible.coldestFirst) {
        if (added.length === target - current) break;
        if (!node.holderOn(r)) added.push({ resource: r, isNewlyAssigned: true });
      }
      changed += added.length;
      model.setHolders(node, [...node.holders, ...added]);
    } else if (target < current) {
      const p = node.perReplicaLoad;
      const kept = node.holders
        .map((h, index) => ({ h, index, others: otherLoad(h.resource, p) }))
        .sort((a, b) => (a.others !== b.others ? (a.others < b.others ? -1 : 1) : a.index - b.index))
        .slice(0, target)
        .map((x) => x.h);
      changed += current - target;
      model.setHolders(node, kept);
    }
  }
  return changed;
}

/** The resource's load without this slice's replica (0 when that was all it held). */
function otherLoad(r: ResourceState, perReplicaLoad: number): number {
  return r.slices.size <= 1 ? 0 : Math.max(0, r.load - perReplicaLoad);
}
