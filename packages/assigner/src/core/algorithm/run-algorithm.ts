import { InvalidArgumentError, Slice, compareHigh } from '@dicer-ts/common';
import {
  compareResourceIds,
  type AlgorithmInput,
  type AlgorithmResult,
  type AlgorithmSliceAssignment,
  type AlgorithmStats,
  type ProposedSliceAssignment,
  type ReplicaBudgetStatus,
  type ResourceId,
} from './algorithm-types.js';
import { clampReplicas } from './constraint-phase.js';
import { deallocateUnhealthyResources } from './deallocation-phase.js';
import { calculateDesiredLoadRange } from './desired-load-range.js';
import { MAX_AVG_SLICE_REPLICAS, MIN_AVG_SLICE_REPLICAS } from './initial-assignment.js';
import { mergeColdestPairs } from './merge-phase.js';
import { MutableAssignment, ResourceState } from './mutable-assignment.js';
import { placeSlices } from './placement-phase.js';
import { splitHotSlices } from './split-hot-phase.js';
import { splitToMinimum } from './split-to-min-phase.js';

/**
 * One run of Dicer's assignment algorithm (`Algorithm.generateAssignment` with
 * `AlgorithmExecutor.run`): from the predecessor assignment, the healthy resources and the
 * measured load, the next assignment. Pure and deterministic: every tie is decided by slice order
 * and by the resource order (`compareResources`), never by hash iteration order.
 *
 * Decisions use the reservation-adjusted map `A = loadMap.withAddedUniformLoad(ratio × maxLoadHint
 * × N)`; the output records the unadjusted `loadMap.getLoad(slice)`. The phases run in Dicer's
 * order: Deallocation → Constraint → SplitHot → Merge → SplitToMin → Placement → Merge. With no
 * available resource the base is returned with its loads rewritten.
 *
 * @throws {InvalidArgumentError} when the base is not a complete, disjoint assignment or a
 *   resource is listed twice.
 * @example
 * const result = runAlgorithm({
 *   config: createAlgorithmConfig({ maxLoadHint: 100 }),
 *   availableResources: ['pod-0', 'pod-1'],
 *   base: generateInitialAssignment(['pod-0'], 1),
 *   loadMap: UNIFORM_LOAD_MAP,
 * });
 * @see algorithm.md §1, §3, §5
 */
export function runAlgorithm(input: AlgorithmInput): AlgorithmResult {
  const { config, loadMap } = input;
  const compare = input.compareResources ?? compareResourceIds;
  const base = sortedCompleteBase(input.base);
  const available = [...input.availableResources].sort(compare);
  for (let i = 1; i < available.length; i++) {
    if (compare(available[i - 1] as ResourceId, available[i] as ResourceId) === 0) {
      throw new InvalidArgumentError(`duplicate available resource ${available[i]}`);
    }
  }
  const n = available.length;
  if (n === 0) {
    return {
      slices: base.map((b) => ({
        slice: b.slice,
        resources: [...b.resources].sort(compare),
        primaryRateLoad: loadMap.getLoad(b.slice),
      })),
      stats: emptyStats(base.reduce((sum, b) => sum + b.resources.length, 0)),
    };
  }

  // §3: derived quantities.
  const adjusted = loadMap.withAddedUniformLoad(config.uniformLoadReservationRatio * config.maxLoadHint * n);
  const range = calculateDesiredLoadRange(config.maxLoadHint, config.imbalanceToleranceRatio, adjusted.totalLoad, n);
  const minReplicas = Math.min(config.minReplicas, n);
  const maxReplicas = Math.min(config.maxReplicas, n);
  const minTotalReplicas = MIN_AVG_SLICE_REPLICAS * n;
  const maxTotalReplicas = MAX_AVG_SLICE_REPLICAS * n;

  // Every resource of the run, in resource order; ranks decide ties.
  const inBase = new Set<ResourceId>();
  for (const b of base) for (const r of b.resources) inBase.add(r);
  const isAvailable = new Set(available);
  const ids = [...new Set([...available, ...inBase])].sort(compare);
  const rankOf = new Map<ResourceId, number>();
  const resources = ids.map((id, rank) => {
    rankOf.set(id, rank);
    return new ResourceState(id, rank, isAvailable.has(id), !inBase.has(id));
  });
  const model = new MutableAssignment(
    resources,
    base.map((b) => ({ slice: b.slice, holders: b.resources.map((r) => rankOf.get(r) as number) })),
    adjusted,
  );

  deallocateUnhealthyResources(model);
  const clampedReplicas = clampReplicas(model, minReplicas, maxReplicas);
  const hotSplits = splitHotSlices(model, adjusted, range.splitThreshold);
  const merges = mergeColdestPairs(model, maxTotalReplicas, minReplicas);
  const minSplits = splitToMinimum(model, adjusted, minTotalReplicas);
  const placement = placeSlices(model, {
    range,
    churnPenaltyRatio: config.churnPenaltyRatio,
    minReplicas,
    maxReplicas,
    minTotalReplicas,
    timeoutMs: config.placementTimeoutMs,
    iterationBudget: config.placementIterationBudget,
    ...(input.nowMs !== undefined ? { nowMs: input.nowMs } : {}),
  });
  const finalMerges = mergeColdestPairs(model, maxTotalReplicas, minReplicas);

  const slices: ProposedSliceAssignment[] = [];
  for (const node of model.nodes()) {
    slices.push({
      slice: node.slice,
      resources: node.holders.map((h) => h.resource.id),
      primaryRateLoad: loadMap.getLoad(node.slice),
    });
  }
  const total = model.totalReplicas;
  const replicaBudget: ReplicaBudgetStatus =
    total < minTotalReplicas ? 'too-few-slice-replicas' : total > maxTotalReplicas ? 'too-many-slice-replicas' : 'ok';
  const stats: AlgorithmStats = {
    hotSplits,
    minSplits,
    merges,
    finalMerges,
    clampedReplicas,
    placementIterations: placement.iterations,
    reassigns: placement.reassigns,
    replicates: placement.replicates,
    dereplicates: placement.dereplicates,
    placementTimedOut: placement.timedOut,
    placementBudgetExhausted: placement.budgetExhausted,
    totalReplicas: total,
    replicaBudget,
  };
  return { slices, stats };
}

/** The base sorted by slice, checked to cover `["", ∞)` without gaps or overlaps. */
function sortedCompleteBase(base: readonly AlgorithmSliceAssignment[]): AlgorithmSliceAssignment[] {
  const sorted = [...base].sort((a, b) => a.slice.compare(b.slice));
  let cursor: Slice['highExclusive'] = Slice.FULL.lowInclusive;
  for (const b of sorted) {
    if (cursor === undefined || !b.slice.lowInclusive.equals(cursor)) {
      throw new InvalidArgumentError(`base assignment is not complete and disjoint at ${b.slice}`);
    }
    if (new Set(b.resources).size !== b.resources.length) {
      throw new InvalidArgumentError(`slice ${b.slice} lists a resource twice`);
    }
    cursor = b.slice.highExclusive;
  }
  if (sorted.length === 0 || compareHigh(cursor, undefined) !== 0) {
    throw new InvalidArgumentError('base assignment does not cover the whole key space');
  }
  return sorted;
}

function emptyStats(totalReplicas: number): AlgorithmStats {
  return {
    hotSplits: 0,
    minSplits: 0,
    merges: 0,
    finalMerges: 0,
    clampedReplicas: 0,
    placementIterations: 0,
    reassigns: 0,
    replicates: 0,
    dereplicates: 0,
    placementTimedOut: false,
    placementBudgetExhausted: false,
    totalReplicas,
    replicaBudget: 'ok',
  };
}
