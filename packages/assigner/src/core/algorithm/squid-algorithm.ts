import { InternalError, type Slice, type Squid } from '@dicer-ts/common';
import type { LoadMap } from '../load-map.js';
import type { AlgorithmConfig } from './algorithm-config.js';
import type { AlgorithmSliceAssignment, AlgorithmStats } from './algorithm-types.js';
import { generateInitialAssignment } from './initial-assignment.js';
import { runAlgorithm } from './run-algorithm.js';

/** A slice and the Squids holding it (a common `SliceAssignment` fits this shape). */
export interface SquidSliceAssignment {
  readonly slice: Slice;
  readonly resources: readonly Squid[];
}

/** One slice of {@link runAlgorithmForSquids}'s result. */
export interface ProposedSquidSliceAssignment extends SquidSliceAssignment {
  /** The resources in Squid order. */
  readonly resources: readonly Squid[];
  /** The measured (unadjusted) load of the whole slice. */
  readonly primaryRateLoad: number;
}

/** The input of {@link runAlgorithmForSquids}: {@link AlgorithmInput} over Squids. */
export interface SquidAlgorithmInput {
  readonly config: AlgorithmConfig;
  /** The healthy (Running) Squids; deduplicated by address with {@link availableResourcesOf}. */
  readonly availableResources: readonly Squid[];
  /** The predecessor, e.g. `assignment.sliceAssignments`. */
  readonly base: readonly SquidSliceAssignment[];
  readonly loadMap: LoadMap;
  /** The time source for the placement deadline. */
  readonly nowMs?: () => number;
}

/**
 * Dicer's `Resources.create`: one Squid per address, the one with the latest creation time (on a
 * tie, the first one given). The result is in Squid order.
 *
 * @see algorithm.md §1
 */
export function availableResourcesOf(squids: Iterable<Squid>): Squid[] {
  const indexed = [...squids].map((squid, index) => ({ squid, index }));
  indexed.sort((a, b) => a.squid.resourceAddress.compare(b.squid.resourceAddress) || a.index - b.index);
  const kept: Squid[] = [];
  let best: { squid: Squid; index: number } | undefined;
  for (const entry of indexed) {
    if (best && best.squid.resourceAddress.equals(entry.squid.resourceAddress)) {
      if (entry.squid.creationTimeMs > best.squid.creationTimeMs) best = entry;
      continue;
    }
    if (best) kept.push(best.squid);
    best = entry;
  }
  if (best) kept.push(best.squid);
  return kept.sort((a, b) => a.compare(b));
}

/**
 * {@link runAlgorithm} over Squids: every tie the spec leaves to Squid order (address in Java URI
 * order, creation time, UUID) is decided by it.
 */
export function runAlgorithmForSquids(input: SquidAlgorithmInput): {
  readonly slices: ProposedSquidSliceAssignment[];
  readonly stats: AlgorithmStats;
} {
  const available = availableResourcesOf(input.availableResources);
  const ids = new SquidIds([...available, ...input.base.flatMap((s) => s.resources)]);
  const result = runAlgorithm({
    config: input.config,
    availableResources: available.map((s) => ids.idOf(s)),
    base: input.base.map((s) => ({ slice: s.slice, resources: s.resources.map((r) => ids.idOf(r)) })),
    loadMap: input.loadMap,
    ...(input.nowMs !== undefined ? { nowMs: input.nowMs } : {}),
  });
  return {
    slices: result.slices.map((s) => ({
      slice: s.slice,
      resources: s.resources.map((id) => ids.squidOf(id)),
      primaryRateLoad: s.primaryRateLoad,
    })),
    stats: result.stats,
  };
}

/** {@link generateInitialAssignment} over Squids (deduplicated by address, dealt in Squid order). */
export function generateInitialSquidAssignment(availableResources: readonly Squid[], minReplicas: number): SquidSliceAssignment[] {
  const available = availableResourcesOf(availableResources);
  const ids = new SquidIds(available);
  return generateInitialAssignment(available.map((s) => ids.idOf(s)), minReplicas).map((s: AlgorithmSliceAssignment) => ({
    slice: s.slice,
    resources: s.resources.map((id) => ids.squidOf(id)),
  }));
}

/**
 * Identifiers for Squids whose string order is Squid order: the Squids are sorted, equal ones
 * share an id, and each id is its position, zero-padded.
 */
class SquidIds {
  private readonly sorted: Squid[];
  private readonly width: number;

  constructor(squids: readonly Squid[]) {
    const sorted = [...squids].sort((a, b) => a.compare(b));
    this.sorted = sorted.filter((s, i) => i === 0 || (sorted[i - 1] as Squid).compare(s) !== 0);
    this.width = String(this.sorted.length).length;
  }

  idOf(squid: Squid): string {
    let lo = 0;
    let hi = this.sorted.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const c = (this.sorted[mid] as Squid).compare(squid);
      if (c === 0) return String(mid).padStart(this.width, '0');
      if (c < 0) lo = mid + 1;
      else hi = mid - 1;
    }
    throw new InternalError(`unknown Squid ${squid}`);
  }

  squidOf(id: string): Squid {
    return this.sorted[Number(id)] as Squid;
  }
}
