import type { MutableAssignment } from './mutable-assignment.js';

/**
 * Deallocation (Dicer's first phase): removes every unhealthy resource from every slice it holds.
 * A slice can be left with no replica; the Constraint phase fixes it next.
 *
 * @returns the number of replicas removed.
 * @see algorithm.md §5.1
 */
export function deallocateUnhealthyResources(model: MutableAssignment): number {
  let removed = 0;
  for (const node of model.nodes()) {
    const kept = node.holders.filter((h) => h.resource.healthy);
    if (kept.length !== node.holders.length) {
      removed += node.holders.length - kept.length;
      model.setHolders(node, kept);
    }
  }
  return removed;
}
