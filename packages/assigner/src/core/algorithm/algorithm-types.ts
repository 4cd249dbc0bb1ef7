import type { Slice } from '@dicer-ts/common';
import type { LoadMap } from '../load-map.js';
import type { AlgorithmConfig } from './algorithm-config.js';

/**
 * A resource as the pure algorithm sees it: an opaque identifier string (an address, or a string
 * encoding of a Squid whose order is Squid order). Two different strings are different
 * resources, so a restarted pod must get a new identifier to count as new.
 */
export type ResourceId = string;

/** Orders resources; decides every tie the spec leaves to Squid order. */
export type ResourceComparator = (a: ResourceId, b: ResourceId) => number;

/**
 * The default resource order: UTF-16 code-unit order of the identifier strings (`<`). Adapters
 * that need Squid order pass their own comparator.
 */
export const compareResourceIds: ResourceComparator = (a, b) => (a < b ? -1 : a > b ? 1 : 0);

/** One slice of an assignment given to or returned by the algorithm. */
export interface AlgorithmSliceAssignment {
  readonly slice: Slice;
  /** The resources holding a replica of the slice; no duplicates. */
  readonly resources: readonly ResourceId[];
}

/** One slice of the algorithm's result. */
export interface ProposedSliceAssignment extends AlgorithmSliceAssignment {
  /** The resources holding the slice, sorted by the run's resource order, at least one. */
  readonly resources: readonly ResourceId[];
  /** The measured (unadjusted) load of the whole slice, `loadMap.getLoad(slice)`. */
  readonly primaryRateLoad: number;
}

/**
 * Everything one run reads. The run is deterministic: equal inputs give equal results (the time
 * source matters only if the placement deadline is reached).
 */
export interface AlgorithmInput {
  /** The numeric configuration. */
  readonly config: AlgorithmConfig;
  /** The healthy (Running) resources; no duplicates. */
  readonly availableResources: readonly ResourceId[];
  /** The predecessor assignment: a complete, disjoint list of slices in any order. */
  readonly base: readonly AlgorithmSliceAssignment[];
  /** The measured load; `UNIFORM_LOAD_MAP` when load information is incomplete. */
  readonly loadMap: LoadMap;
  /** @default {@link compareResourceIds} */
  readonly compareResources?: ResourceComparator;
  /**
   * The time source for the placement deadline (`placementTimeoutMs`); without one, only the
   * iteration budget bounds placement.
   */
  readonly nowMs?: () => number;
}

/**
 * Whether the result's slice-replica total is within `[32N, 64N]` (Dicer logs a DEGRADED error,
 * without failing, when it is not).
 */
export type ReplicaBudgetStatus = 'ok' | 'too-few-slice-replicas' | 'too-many-slice-replicas';

/** Counters describing one run, for metrics and tests. */
export interface AlgorithmStats {
  /** Slices split by SplitHot. */
  readonly hotSplits: number;
  /** Slices split by SplitToMin. */
  readonly minSplits: number;
  /** Pairs merged by the first Merge phase. */
  readonly merges: number;
  /** Pairs merged by the final Merge phase. */
  readonly finalMerges: number;
  /** Replicas added or removed by the Constraint phase. */
  readonly clampedReplicas: number;
  /** Placement loop iterations (moves applied plus resources excluded). */
  readonly placementIterations: number;
  /** Reassign moves applied by placement. */
  readonly reassigns: number;
  /** Replicate moves applied by placement. */
  readonly replicates: number;
  /** Dereplicate moves applied by placement. */
  readonly dereplicates: number;
  /** True when placement stopped at `placementTimeoutMs` with resources still eligible. */
  readonly placementTimedOut: boolean;
  /** True when placement stopped at `placementIterationBudget` with resources still eligible. */
  readonly placementBudgetExhausted: boolean;
  /** The slice-replica total of the result. */
  readonly totalReplicas: number;
  /** Whether the total is in the `[32N, 64N]` band. */
  readonly replicaBudget: ReplicaBudgetStatus;
}

/** The output of {@link runAlgorithm}. */
export interface AlgorithmResult {
  /** The new assignment, complete and disjoint, in key order. */
  readonly slices: readonly ProposedSliceAssignment[];
  /** Counters of the run. */
  readonly stats: AlgorithmStats;
}
