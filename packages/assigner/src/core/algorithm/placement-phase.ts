import type { DesiredLoadRange } from './desired-load-range.js';
import { compareLoadThenRank } from './eligible-resource-set.js';
import { compareSliceNodes, type MutableAssignment, type ResourceState, type SliceNode } from './mutable-assignment.js';
import { PLACEMENT_IMPROVEMENT_EPSILON } from './placement-penalty.js';
import {
  applyMove,
  dereplicateDelta,
  reassignSourceDelta,
  reassignTargetDelta,
  replicateDelta,
  type MoveCostContext,
  type PlacementMove,
} from './placement-moves.js';

/** What placement reads besides the model. */
export interface PlacementContext {
  readonly range: DesiredLoadRange;
  readonly churnPenaltyRatio: number;
  /** `min(minReplicas, N)`. */
  readonly minReplicas: number;
  /** `min(maxReplicas, N)`. */
  readonly maxReplicas: number;
  /** 32N: dereplication is offered only above it. */
  readonly minTotalReplicas: number;
  /** The wall-clock cap, measured with `nowMs` when given. */
  readonly timeoutMs: number;
  /** The cap on loop iterations. */
  readonly iterationBudget: number;
  /** The time source for the cap; without one only the iteration budget applies. */
  readonly nowMs?: () => number;
}

/** The counters of one placement. */
export interface PlacementOutcome {
  readonly iterations: number;
  readonly reassigns: number;
  readonly replicates: number;
  readonly dereplicates: number;
  readonly timedOut: boolean;
  readonly budgetExhausted: boolean;
}

/**
 * Placement (Dicer's `PlacementPhase`), a greedy local search. Each iteration takes the hottest
 * eligible resource `h` and considers, in this order:
 *
 * 1. if `h` holds more than one slice: reassigning each of its slices to each eligible resource
 *    that does not hold it, then (only while the replica total exceeds 32N) dropping `h`'s replica
 *    of each slice with more than `minReplicas` replicas;
 * 2. replicating each of its slices with fewer than `maxReplicas` replicas onto each eligible
 *    resource that does not hold it (allowed even when `h` holds a single slice).
 *
 * Slices are visited in key order and targets from coldest to hottest; the first candidate with
 * the strictly smallest delta wins. If that delta is below `−1e-10` the move is applied, otherwise
 * `h` is excluded for good. The loop ends when no resource is eligible, at the iteration budget,
 * or at the deadline.
 *
 * A target's share of a delta depends only on its load and on two flags (new, empty), and the
 * penalty is convex in load, so within each of the four (new, empty) kinds the coldest resource
 * not holding the slice scores best. Only those (at most four per slice, in coldest-first order)
 * are scored: the same choice as scanning every target, up to float rounding, at O(k) instead of
 * O(k·N) per iteration.
 *
 * @see algorithm.md §5.6
 */
export function placeSlices(model: MutableAssignment, ctx: PlacementContext): PlacementOutcome {
  const costs: MoveCostContext = { range: ctx.range, churnPenaltyRatio: ctx.churnPenaltyRatio };
  const started = ctx.nowMs?.();
  let iterations = 0;
  let reassigns = 0;
  let replicates = 0;
  let dereplicates = 0;
  let timedOut = false;
  let budgetExhausted = false;
  const eligible = model.eligible;
  while (eligible.size > 0) {
    if (iterations >= ctx.iterationBudget) {
      budgetExhausted = true;
      break;
    }
    if (ctx.nowMs !== undefined && started !== undefined && ctx.nowMs() - started >= ctx.timeoutMs) {
      timedOut = true;
      break;
    }
    iterations++;
    const h = eligible.hottest();
    if (!h) break;
    const slices: SliceNode[] = [...h.slices].sort(compareSliceNodes);
    // The first candidate with the strictly smallest negative delta (no closures: this loop is hot).
    let best: PlacementMove | undefined;
    let bestDelta = 0;
    const leaders = leadersByKind(eligible.coldestFirst, ctx.maxReplicas + 1);
    const targets: ResourceState[] = [];
    if (slices.length > 1) {
      for (const node of slices) {
        const holder = node.holderOn(h);
        if (!holder) continue;
        const source = reassignSourceDelta(costs, node, holder);
        for (const to of bestTargets(leaders, node, targets)) {
          const delta = source + reassignTargetDelta(costs, node, to);
          if (delta < bestDelta) {
            best = { kind: 'reassign', node, from: h, to, delta };
            bestDelta = delta;
          }
        }
      }
      if (model.totalReplicas > ctx.minTotalReplicas) {
        for (const node of slices) {
          if (node.replicas <= ctx.minReplicas) continue;
          const delta = dereplicateDelta(costs, node, h);
          if (delta < bestDelta) {
            best = { kind: 'dereplicate', node, from: h, delta };
            bestDelta = delta;
          }
        }
      }
    }
    for (const node of slices) {
      if (node.replicas >= ctx.maxReplicas) continue;
      for (const to of bestTargets(leaders, node, targets)) {
        const delta = replicateDelta(costs, node, to);
        if (delta < bestDelta) {
          best = { kind: 'replicate', node, to, delta };
          bestDelta = delta;
        }
      }
    }
    const move: PlacementMove | undefined = best;
    if (move !== undefined && bestDelta < -PLACEMENT_IMPROVEMENT_EPSILON) {
      applyMove(model, move);
      if (move.kind === 'reassign') reassigns++;
      else if (move.kind === 'replicate') replicates++;
      else dereplicates++;
    } else {
      model.exclude(h);
    }
  }
  return { iterations, reassigns, replicates, dereplicates, timedOut, budgetExhausted };
}

/**
 * For each kind of target (existing or new, non-empty or empty), its `count` coldest eligible
 * resources, enough to skip every holder of any slice (a slice has at most `maxReplicas`).
 */
function leadersByKind(coldestFirst: readonly ResourceState[], count: number): ResourceState[][] {
  const kinds: ResourceState[][] = [[], [], [], []];
  let full = 0;
  for (const r of coldestFirst) {
    const kind = kinds[(r.isNew ? 2 : 0) + (r.slices.size === 0 ? 1 : 0)] as ResourceState[];
    if (kind.length < count) {
      kind.push(r);
      if (kind.length === count && ++full === kinds.length) break;
    }
  }
  return kinds;
}

/**
 * Fills `out` with the coldest non-holder of `node` of each kind, coldest first (an insertion sort
 * of at most four into a reused array: this runs for every slice of every iteration).
 */
function bestTargets(leaders: readonly ResourceState[][], node: SliceNode, out: ResourceState[]): ResourceState[] {
  out.length = 0;
  for (const kind of leaders) {
    for (const r of kind) {
      if (node.holderOn(r)) continue;
      let i = out.length;
      out.push(r);
      while (i > 0 && compareLoadThenRank(out[i - 1] as ResourceState, r) > 0) {
        out[i] = out[i - 1] as ResourceState;
        i--;
      }
      out[i] = r;
      break;
    }
  }
  return out;
}
