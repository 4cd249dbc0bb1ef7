import type { DesiredLoadRange } from './desired-load-range.js';
import type { Holder, MutableAssignment, ResourceState, SliceNode } from './mutable-assignment.js';
import { resourcePenalty } from './placement-penalty.js';

/** One placement move with the change of the total penalty it causes (negative is better). */
export type PlacementMove =
  | { readonly kind: 'reassign'; readonly node: SliceNode; readonly from: ResourceState; readonly to: ResourceState; readonly delta: number }
  | { readonly kind: 'replicate'; readonly node: SliceNode; readonly to: ResourceState; readonly delta: number }
  | { readonly kind: 'dereplicate'; readonly node: SliceNode; readonly from: ResourceState; readonly delta: number };

/** What the move deltas read besides the model. */
export interface MoveCostContext {
  readonly range: DesiredLoadRange;
  /** Dicer's `ChurnConfig.maxPenaltyRatio`. */
  readonly churnPenaltyRatio: number;
}

/** The change of `r`'s penalty when its load becomes `load + delta` and its emptiness `emptyAfter`. */
function penaltyChange(ctx: MoveCostContext, r: ResourceState, delta: number, emptyAfter: boolean): number {
  const before = resourcePenalty(ctx.range, r.load, r.isNew, r.slices.size === 0);
  return resourcePenalty(ctx.range, r.load + delta, r.isNew, emptyAfter) - before;
}

/**
 * The part of a reassign's delta that depends only on the slice and its holder `from`: `from`'s
 * penalty change (empty afterwards if the slice was all it held) plus the churn, paid only when the
 * replica on `from` came from the base assignment.
 */
export function reassignSourceDelta(ctx: MoveCostContext, node: SliceNode, from: Holder): number {
  const p = node.perReplicaLoad;
  const churn = from.isNewlyAssigned ? 0 : p * ctx.churnPenaltyRatio;
  return penaltyChange(ctx, from.resource, -p, from.resource.slices.size === 1) + churn;
}

/** The part of a reassign's delta for the receiving resource `to`. */
export function reassignTargetDelta(ctx: MoveCostContext, node: SliceNode, to: ResourceState): number {
  return penaltyChange(ctx, to, node.perReplicaLoad, false);
}

/**
 * The delta of adding a replica of `node` on `to`: every holder sheds `p − p'` (p' = L/(r+1)), `to`
 * gains p', plus the replication cost `p` and the churn `p' × churnPenaltyRatio` (always paid).
 */
export function replicateDelta(ctx: MoveCostContext, node: SliceNode, to: ResourceState): number {
  const p = node.perReplicaLoad;
  const next = node.rawLoad / (node.replicas + 1);
  let delta = penaltyChange(ctx, to, next, false) + p + next * ctx.churnPenaltyRatio;
  for (const h of node.holders) delta += penaltyChange(ctx, h.resource, next - p, false);
  return delta;
}

/**
 * The delta of removing `from`'s replica of `node` (only offered when `from` holds more than one
 * slice): every other holder gains `p' − p` (p' = L/(r−1)), and `−p'` undoes the replication cost.
 * No churn.
 */
export function dereplicateDelta(ctx: MoveCostContext, node: SliceNode, from: ResourceState): number {
  const p = node.perReplicaLoad;
  const next = node.rawLoad / (node.replicas - 1);
  let delta = penaltyChange(ctx, from, -p, from.slices.size === 1) - next;
  for (const h of node.holders) if (h.resource !== from) delta += penaltyChange(ctx, h.resource, next - p, false);
  return delta;
}

/** Applies a move to the model; every new replica is marked newly assigned. */
export function applyMove(model: MutableAssignment, move: PlacementMove): void {
  const node = move.node;
  switch (move.kind) {
    case 'reassign':
      model.setHolders(node, [
        ...node.holders.filter((h) => h.resource !== move.from),
        { resource: move.to, isNewlyAssigned: true },
      ]);
      return;
    case 'replicate':
      model.setHolders(node, [...node.holders, { resource: move.to, isNewlyAssigned: true }]);
      return;
    case 'dereplicate':
      model.setHolders(node, node.holders.filter((h) => h.resource !== move.from));
      return;
  }
}
