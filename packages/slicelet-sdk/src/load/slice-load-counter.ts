import type { Slice, SliceKey } from '@dicer-ts/common';
import { EwmaCounter } from './ewma.js';
import type { LoadTotals } from './load-totals.js';
import { TopKeysSketch, topKeysHash } from './top-keys.js';
import type { TopKey, TopKeysEntry } from './top-keys.js';

/** How a {@link SliceLoadCounter} measures: the accumulator's resolved load options. */
export interface SliceLoadCounterConfig {
  readonly halfLifeSeconds: number;
  readonly topKeysSupport: number;
  readonly topKeysError: number;
}

/** A {@link SliceLoadCounter} reading before the Slicelet-wide 1 % floor is applied. */
export interface SliceLoadReading {
  readonly slice: Slice;
  readonly numReplicas: number;
  readonly windowLowMs: number;
  readonly windowHighMs: number;
  readonly primaryRateLoad: number;
  /** Hot keys with their shares; empty while the slice's rate is 0. */
  readonly topKeys: readonly TopKey[];
}

/**
 * The load of one slice as this Slicelet measures it: an {@link EwmaCounter} for the rate and a
 * {@link TopKeysSketch} for the hot keys (Dicer: one accumulator per assigned slice in
 * `SliceletLoadAccumulator`). It is also what a key's handle caches, so that `incrementLoadBy`
 * reaches it without a lookup: holding one is safe until the accumulator's assignment epoch
 * changes, after which the slice may have been dropped and the handle must resolve its key again.
 *
 * @see algorithm.md §7.1, protocol.md §4 (Load accumulator)
 */
export class SliceLoadCounter {
  /** The slice measured (the full slice for the unattributed counter). */
  readonly slice: Slice;
  /** Replica count of the slice when the counter was made; a change makes a new counter. */
  readonly numReplicas: number;
  /** False only for the Slicelet's single unattributed counter. */
  readonly isAttributed: boolean;
  private readonly rate: EwmaCounter;
  private readonly sketch: TopKeysSketch;
  private readonly totals: LoadTotals;

  /**
   * @param startMs the counter's start (epoch ms), the low end of every window it reports.
   * @param seed a prior per-replica rate (the assignment's recorded load / replica count).
   */
  constructor(
    slice: Slice,
    numReplicas: number,
    isAttributed: boolean,
    startMs: number,
    seed: number | undefined,
    config: SliceLoadCounterConfig,
    totals: LoadTotals,
  ) {
    this.slice = slice;
    this.numReplicas = numReplicas;
    this.isAttributed = isAttributed;
    this.rate = new EwmaCounter(startMs, config.halfLifeSeconds, seed);
    this.sketch = new TopKeysSketch({
      support: config.topKeysSupport,
      error: config.topKeysError,
      halfLifeSeconds: config.halfLifeSeconds,
    });
    this.totals = totals;
  }

  /**
   * Records `value` units of load for `key` at `nowMs`: the hot path. Values that are not positive
   * finite numbers are ignored (Dicer ignores values ≤ 0; NaN and ∞ would poison the rate and make
   * the Assigner reject the whole heartbeat). Allocates nothing unless the key is new to the
   * top-keys sketch.
   */
  incrementBy(key: SliceKey, value: number, nowMs: number): void {
    this.incrementHashed(key, topKeysHash(key), value, nowMs);
  }

  /**
   * {@link SliceLoadCounter.incrementBy} for a caller that has cached `hash = topKeysHash(key)`
   * (what `KeyLoadRecorder` does).
   */
  incrementHashed(key: SliceKey, hash: number, value: number, nowMs: number): void {
    // The body of incrementReturningEntry rather than a call to it: one call level less keeps the
    // whole path inlinable, and a call that is not inlined boxes `nowMs` (16 bytes per call).
    if (!(value > 0 && value < Number.POSITIVE_INFINITY)) return;
    this.rate.incrementBy(value, nowMs);
    this.sketch.incrementHashed(key, hash, value, this.rate.completedSeconds);
    this.totals.record(key, value, this.isAttributed);
  }

  /**
   * {@link SliceLoadCounter.incrementHashed} at the instant in `time[0]` (the Slicelet's one-cell
   * clock: a typed array is never boxed across a call, an epoch-ms double is), returning the key's
   * top-keys entry (undefined when `value` was ignored) so that a handle can pass it to
   * {@link SliceLoadCounter.incrementEntry} next time, skipping the sketch's lookup.
   */
  incrementReturningEntry(key: SliceKey, hash: number, value: number, time: Float64Array): TopKeysEntry | undefined {
    if (!(value > 0 && value < Number.POSITIVE_INFINITY)) return undefined;
    this.rate.incrementAt(value, time);
    const entry = this.sketch.incrementHashed(key, hash, value, this.rate.completedSeconds);
    this.totals.record(key, value, this.isAttributed);
    return entry;
  }

  /**
   * {@link SliceLoadCounter.incrementHashed} for `entry.key` at the instant in `time[0]`, given its
   * entry from this counter (from {@link SliceLoadCounter.incrementReturningEntry}) while
   * `entry.tracked` holds. Allocation-free.
   */
  incrementEntry(entry: TopKeysEntry, value: number, time: Float64Array): void {
    if (!(value > 0 && value < Number.POSITIVE_INFINITY)) return;
    this.rate.incrementAt(value, time);
    this.sketch.incrementEntry(entry, value, this.rate.completedSeconds);
    this.totals.record(entry.key, value, this.isAttributed);
  }

  /** The rate, window and hot keys after advancing time to `nowMs`. */
  read(nowMs: number): SliceLoadReading {
    this.rate.advanceTo(nowMs);
    const primaryRateLoad = this.rate.weightedValue;
    return {
      slice: this.slice,
      numReplicas: this.numReplicas,
      windowLowMs: this.rate.startMs,
      windowHighMs: this.rate.windowHighMs,
      primaryRateLoad,
      // Dicer reports no top keys while the slice's rate is 0: their loads would all be 0.
      topKeys: primaryRateLoad > 0 ? this.sketch.topKeys() : [],
    };
  }
}
