import { InvalidArgumentError, Slice } from '@dicer-ts/common';
import type { SliceKey } from '@dicer-ts/common';
import { DEFAULT_LOAD_HALF_LIFE_SECONDS, ewmaAlphaForHalfLife } from './ewma.js';
import type { KeyLoadReport, SliceLoadReport, SliceletLoadReport } from './load-report.js';
import { LoadTotals } from './load-totals.js';
import { SliceLoadCounter } from './slice-load-counter.js';
import type { SliceLoadCounterConfig, SliceLoadReading } from './slice-load-counter.js';
import { DEFAULT_TOP_KEYS_ERROR, DEFAULT_TOP_KEYS_SUPPORT, TopKeysSketch } from './top-keys.js';

/**
 * Dicer's `TOP_KEYS_MINIMUM_LOAD_FRACTION`: a hot key is reported only when it carries at least
 * 1 % of the Slicelet's total (attributed plus unattributed) load, so at most ~100 keys go out.
 *
 * @see algorithm.md §7.1
 */
export const DEFAULT_TOP_KEYS_MINIMUM_LOAD_FRACTION = 0.01;

/** Options of a {@link LoadAccumulator}; every default is Dicer's. */
export interface LoadAccumulatorOptions {
  /**
   * Half-life of the per-slice rates and of the top-keys sketches.
   * @default DEFAULT_LOAD_HALF_LIFE_SECONDS (120)
   */
  readonly halfLifeSeconds?: number;
  /**
   * Top-keys support (share of a slice's load that makes a key hot).
   * @default DEFAULT_TOP_KEYS_SUPPORT (0.05)
   */
  readonly topKeysSupport?: number;
  /**
   * Top-keys error bound.
   * @default DEFAULT_TOP_KEYS_ERROR (0.005)
   */
  readonly topKeysError?: number;
  /**
   * Share of the Slicelet's total load a hot key needs to be reported.
   * @default DEFAULT_TOP_KEYS_MINIMUM_LOAD_FRACTION (0.01)
   */
  readonly topKeysMinimumLoadFraction?: number;
}

/**
 * A slice assigned to this Slicelet, as the accumulator needs it from an assignment.
 *
 * @see protocol.md §4 (Load accumulator: "On assignment change")
 */
export interface AssignedSliceLoad {
  readonly slice: Slice;
  /** The slice's replica count (size of its resource set); a positive integer. */
  readonly numReplicas: number;
  /** The whole-slice load the assignment recorded (`primary_rate_load_opt`), if any. */
  readonly primaryRateLoad?: number | undefined;
}

/**
 * An assignment generation as the accumulator compares them (incarnation, then number): matches
 * the shape of the common `Generation` model, so that one can be passed directly.
 */
export interface LoadGeneration {
  readonly incarnation: bigint;
  readonly number: bigint;
}

const EMPTY_GENERATION: LoadGeneration = { incarnation: 0n, number: 0n };

function compareGenerations(a: LoadGeneration, b: LoadGeneration): number {
  if (a.incarnation !== b.incarnation) return a.incarnation < b.incarnation ? -1 : 1;
  if (a.number !== b.number) return a.number < b.number ? -1 : 1;
  return 0;
}

/**
 * The load accounting of one Slicelet (Dicer's `SliceletLoadAccumulator`): a
 * {@link SliceLoadCounter} per assigned slice plus one for unattributed load, the running totals,
 * and the heartbeat report.
 *
 * - **Attribution**: load for a key inside a slice assigned here counts for that slice; anything
 *   else counts as unattributed load (full slice, one replica, made at construction, never reset).
 * - **Assignments** ({@link LoadAccumulator.onAssignmentChanged}) apply only with a strictly higher
 *   generation. A slice keeps its counter iff it has the same bounds and the same replica count;
 *   otherwise it gets a new counter starting now, seeded with `primaryRateLoad / numReplicas` when
 *   the assignment recorded a load. Counters of slices no longer assigned are dropped. Nothing is
 *   apportioned across changed boundaries.
 * - **Hot path**: a key's handle resolves its counter with {@link LoadAccumulator.counterFor} and
 *   keeps it until {@link LoadAccumulator.assignmentEpoch} changes (see `KeyLoadRecorder`), so an
 *   increment costs one epoch compare, one top-keys `Map.get` and a few additions.
 * - **Report** ({@link LoadAccumulator.readLoad}): each rate is read at `nowMs`; a hot key's load
 *   is `contribution × slice rate` (none while the rate is 0); then every hot key below 1 % of the
 *   total load is dropped.
 *
 * Pure: time arrives as `nowMs` (epoch ms, from the Slicelet's injected clock); no timers, no I/O.
 *
 * @see algorithm.md §7.1; protocol.md §3.6, §4 (Load accumulator)
 */
export class LoadAccumulator {
  private readonly config: SliceLoadCounterConfig;
  private readonly minimumKeyLoadFraction: number;
  private readonly totals = new LoadTotals();
  private readonly unattributed: SliceLoadCounter;
  /** Counters of the assigned slices, sorted by slice and disjoint. */
  private attributed: readonly SliceLoadCounter[] = [];
  /**
   * The cached 8-byte prefix words of each attributed slice's low key (same order), so that the
   * binary search in {@link LoadAccumulator.counterFor} compares numbers from flat arrays and
   * touches a key object only on a prefix tie.
   */
  private lowPrefixHigh = new Float64Array(0);
  private lowPrefixLow = new Float64Array(0);
  private generationHeld: LoadGeneration = EMPTY_GENERATION;
  private epoch = 0;

  /**
   * @param startMs construction instant (epoch ms): the start of the unattributed counter.
   * @throws {InvalidArgumentError} for an option out of range.
   */
  constructor(startMs: number, options: LoadAccumulatorOptions = {}) {
    const halfLifeSeconds = options.halfLifeSeconds ?? DEFAULT_LOAD_HALF_LIFE_SECONDS;
    const topKeysSupport = options.topKeysSupport ?? DEFAULT_TOP_KEYS_SUPPORT;
    const topKeysError = options.topKeysError ?? DEFAULT_TOP_KEYS_ERROR;
    const fraction = options.topKeysMinimumLoadFraction ?? DEFAULT_TOP_KEYS_MINIMUM_LOAD_FRACTION;
    ewmaAlphaForHalfLife(halfLifeSeconds); // validates
    new TopKeysSketch({ support: topKeysSupport, error: topKeysError, halfLifeSeconds }); // validates
    if (!(fraction >= 0 && fraction <= 1)) {
      throw new InvalidArgumentError(`topKeysMinimumLoadFraction must be in [0, 1], got ${fraction}`);
    }
    this.config = Object.freeze({ halfLifeSeconds, topKeysSupport, topKeysError });
    this.minimumKeyLoadFraction = fraction;
    this.unattributed = new SliceLoadCounter(Slice.FULL, 1, false, startMs, undefined, this.config, this.totals);
  }

  /**
   * A number that changes whenever the set of counters changes (each applied assignment). A cached
   * {@link SliceLoadCounter} is valid while this is unchanged.
   */
  get assignmentEpoch(): number {
    return this.epoch;
  }

  /** The generation of the last applied assignment (`0#0` before any). */
  get generation(): LoadGeneration {
    return this.generationHeld;
  }

  /** The slices assigned here, in key order, as of the last applied assignment. */
  assignedSlices(): Slice[] {
    return this.attributed.map((c) => c.slice);
  }

  /**
   * Applies a new assignment: `assigned` lists the slices assigned to this Slicelet (any order,
   * disjoint) with their replica counts and recorded loads. Ignored unless `generation` is strictly
   * higher than the one held.
   *
   * @returns true when applied (and the assignment epoch changed).
   * @throws {InvalidArgumentError} for overlapping slices, a replica count that is not a positive
   *   integer, or a recorded load that is negative or not finite.
   */
  onAssignmentChanged(generation: LoadGeneration, assigned: readonly AssignedSliceLoad[], nowMs: number): boolean {
    if (compareGenerations(generation, this.generationHeld) <= 0) return false;
    const sorted = [...assigned].sort((a, b) => a.slice.compare(b.slice));
    for (let i = 0; i < sorted.length; i++) {
      const entry = sorted[i]!;
      if (!Number.isInteger(entry.numReplicas) || entry.numReplicas <= 0) {
        throw new InvalidArgumentError(`numReplicas must be a positive integer, got ${entry.numReplicas} for ${entry.slice}`);
      }
      const load = entry.primaryRateLoad;
      if (load !== undefined && !(load >= 0 && load < Number.POSITIVE_INFINITY)) {
        throw new InvalidArgumentError(`primaryRateLoad must be finite and non-negative, got ${load} for ${entry.slice}`);
      }
      const previous = sorted[i - 1];
      if (previous !== undefined && previous.slice.intersects(entry.slice)) {
        throw new InvalidArgumentError(`assigned slices overlap: ${previous.slice} and ${entry.slice}`);
      }
    }
    const old = this.attributed;
    let j = 0;
    const next: SliceLoadCounter[] = [];
    for (const entry of sorted) {
      // Both lists are sorted, so one forward walk finds a kept counter.
      while (j < old.length && old[j]!.slice.compare(entry.slice) < 0) j++;
      const candidate = old[j];
      if (candidate !== undefined && candidate.slice.equals(entry.slice) && candidate.numReplicas === entry.numReplicas) {
        next.push(candidate);
        continue;
      }
      const seed = entry.primaryRateLoad === undefined ? undefined : entry.primaryRateLoad / entry.numReplicas;
      next.push(new SliceLoadCounter(entry.slice, entry.numReplicas, true, nowMs, seed, this.config, this.totals));
    }
    this.attributed = next;
    this.lowPrefixHigh = Float64Array.from(next, (c) => c.slice.lowInclusive.prefixHigh);
    this.lowPrefixLow = Float64Array.from(next, (c) => c.slice.lowInclusive.prefixLow);
    this.generationHeld = generation;
    this.epoch++;
    return true;
  }

  /**
   * The counter that load for `key` goes to: the assigned slice containing it, else the
   * unattributed counter. A binary search; allocates nothing.
   */
  counterFor(key: SliceKey): SliceLoadCounter {
    const counters = this.attributed;
    const prefixHigh = key.prefixHigh;
    const prefixLow = key.prefixLow;
    const lowHighs = this.lowPrefixHigh;
    const lowLows = this.lowPrefixLow;
    // Find the last slice whose low key is ≤ key; only it can contain the key.
    let lo = 0;
    let hi = counters.length - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const h = lowHighs[mid]!;
      const l = lowLows[mid]!;
      const atOrAbove =
        prefixHigh !== h
          ? prefixHigh > h
          : prefixLow !== l
            ? prefixLow > l
            : key.compare(counters[mid]!.slice.lowInclusive) >= 0;
      if (atOrAbove) {
        found = mid;
        lo = mid + 1;
      } else {
        hi = mid - 1;
      }
    }
    if (found < 0) return this.unattributed;
    const counter = counters[found]!;
    const high = counter.slice.highExclusive;
    return high === undefined || key.compare(high) < 0 ? counter : this.unattributed;
  }

  /**
   * Records `value` units of load for `key` at `nowMs` (Dicer's `incrementPrimaryRateBy`),
   * resolving the slice each time; handles use a cached counter instead (`KeyLoadRecorder`).
   * Values that are not positive finite numbers are ignored.
   */
  incrementPrimaryRateBy(key: SliceKey, value: number, nowMs: number): void {
    this.counterFor(key).incrementBy(key, value, nowMs);
  }

  /**
   * The load report for a heartbeat at `nowMs`: every rate is advanced to `nowMs`, hot keys get
   * `contribution × slice rate`, and hot keys below the minimum fraction of the total are dropped.
   */
  readLoad(nowMs: number): SliceletLoadReport {
    const unattributed = this.unattributed.read(nowMs);
    const attributed = this.attributed.map((c) => c.read(nowMs));
    let total = unattributed.primaryRateLoad;
    for (const reading of attributed) total += reading.primaryRateLoad;
    const minimumKeyLoad = this.minimumKeyLoadFraction * total;
    return {
      attributedLoads: attributed.map((r) => toReport(r, minimumKeyLoad)),
      unattributedLoad: toReport(unattributed, minimumKeyLoad),
    };
  }

  /** Sum of every accepted increment for keys in assigned slices (a running total). */
  get attributedLoadTotal(): number {
    return this.totals.attributedLoadTotal;
  }

  /** Sum of every accepted increment for keys outside the assigned slices (a running total). */
  get unattributedLoadTotal(): number {
    return this.totals.unattributedLoadTotal;
  }

  /** Publishes the load seen since the last call to the key-distribution histogram. */
  updateLoadDistribution(): void {
    this.totals.updateDistribution();
  }

  /**
   * The published load of keys whose first byte is ≤ `index` (0–255), cumulated over every update.
   *
   * @throws {InvalidArgumentError} for an index outside 0–255.
   */
  loadDistributionBucket(index: number): number {
    return this.totals.distributionBucket(index);
  }
}

function toReport(reading: SliceLoadReading, minimumKeyLoad: number): SliceLoadReport {
  const topKeys: KeyLoadReport[] = [];
  for (const top of reading.topKeys) {
    const load = top.contribution * reading.primaryRateLoad;
    if (load >= minimumKeyLoad) topKeys.push({ sliceKey: top.key, underestimatedPrimaryRateLoad: load });
  }
  return {
    primaryRateLoad: reading.primaryRateLoad,
    windowLowInclusiveSeconds: BigInt(Math.floor(reading.windowLowMs / 1000)),
    windowHighExclusiveSeconds: BigInt(Math.floor(reading.windowHighMs / 1000)),
    slice: reading.slice,
    topKeys,
    numReplicas: reading.numReplicas,
  };
}
