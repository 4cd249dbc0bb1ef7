/**
 * `SliceKeyHandle`: a request's view of one key on this Slicelet. The hot path: neither method
 * allocates or does I/O.
 *
 * Per applied assignment the Slicelet publishes a {@link HandleContext}: the {@link
 * OwnershipSnapshot} (a lookup table from key to "owned since which generation") and, per table
 * entry, the load counter keys there record to. A handle resolves its key once per snapshot (one
 * allocation-free table lookup), caching its continuity answer and its counter; after that
 * {@link SliceKeyHandle.isAssignedContinuously} is one reference compare and
 * {@link SliceKeyHandle.incrementLoadBy} an epoch compare plus the counter's own work (a few
 * additions: the handle also keeps its key's top-keys entry, so the sketch's `Map.get` is skipped
 * while the sketch tracks the key). `Slicelet.createHandle` shares handles through a
 * `SliceKeyHandleCache` (handle-cache.ts), so a request allocates nothing in steady state.
 *
 * @see protocol.md §4 (createHandle, isAssignedContinuously, incrementLoadBy)
 */
import type { Generation, SliceKey } from '@dicer-ts/common';
import type { LoadAccumulator } from './load/load-accumulator.js';
import type { SliceLoadCounter } from './load/slice-load-counter.js';
import { type TopKeysEntry, topKeysHash } from './load/top-keys.js';
import type { OwnershipSnapshot } from './ownership.js';

/**
 * The Slicelet state a handle reads. The Slicelet replaces `ownership`, `counters` and
 * `countersEpoch` together for each applied assignment, after the accumulator took it.
 */
export interface HandleContext {
  /** The snapshot of the latest applied assignment; replaced, never mutated. */
  readonly ownership: OwnershipSnapshot;
  /** The load counter of each entry of `ownership`'s lookup table (see {@link ownershipCounters}). */
  readonly counters: readonly SliceLoadCounter[];
  /** The accumulator's assignment epoch `counters` were resolved at. */
  readonly countersEpoch: number;
  readonly accumulator: LoadAccumulator;
  /**
   * A one-cell time (epoch ms) the Slicelet refreshes every {@link COARSE_TIME_INTERVAL_MS} from its
   * clock: reading `Date.now()` costs more than an increment (≈ 90 ns on a busy VM), and rates are
   * bucketed by whole seconds, so a time up to 100 ms old changes nothing that matters.
   */
  readonly nowMs: Float64Array;
}

/** How often a Slicelet refreshes the time its handles stamp load increments with. */
export const COARSE_TIME_INTERVAL_MS = 100;

/**
 * The counter for each lookup-table entry of `ownership`: owned pieces resolve to their slice's
 * counter, gaps to the unattributed one. Call after `accumulator.onAssignmentChanged`.
 */
export function ownershipCounters(ownership: OwnershipSnapshot, accumulator: LoadAccumulator): SliceLoadCounter[] {
  return ownership.entryLowKeys().map((low) => accumulator.counterFor(low));
}

/**
 * A handle on one key, made by `Slicelet.createHandle(key)` at the start of a request. It remembers
 * the latest assignment generation at creation (the *start*), so a request can ask whether this
 * Slicelet has owned the key without interruption since it began, and it records the request's
 * load for the key.
 *
 * @example
 * ```ts
 * const handle = slicelet.createHandle(userId); // or a SliceKey
 * try {
 *   if (!handle.isAssignedContinuously()) return redirectOrRefuse();
 *   handle.incrementLoadBy(1);
 *   return serve(userId);
 * } finally {
 *   handle.close();
 * }
 * ```
 */
export class SliceKeyHandle {
  /** The key. */
  readonly key: SliceKey;
  /** The latest assignment generation when the handle was made (EMPTY before any assignment). */
  readonly startGeneration: Generation;
  /**
   * @internal The ownership snapshot current when the handle was made (its start generation's):
   * the handle cache shares a handle only while this is still current.
   */
  readonly origin: OwnershipSnapshot;
  private readonly context: HandleContext;
  /** `topKeysHash(key)`, for the counter's sketch. */
  private readonly hash: number;
  /** The snapshot `index` and `continuous` were resolved for. */
  private seen: OwnershipSnapshot | undefined = undefined;
  private index = -1;
  private continuous = false;
  private counter: SliceLoadCounter | undefined = undefined;
  /** The accumulator epoch `counter` was resolved at. */
  private counterEpoch = -1;
  /** The key's entry in `counter`'s top-keys sketch, from the last increment. */
  private entry: TopKeysEntry | undefined = undefined;
  private closed = false;

  /** @internal Made by `Slicelet.createHandle`. */
  constructor(context: HandleContext, key: SliceKey) {
    this.context = context;
    this.key = key;
    this.origin = context.ownership;
    this.startGeneration = this.origin.generation;
    this.hash = topKeysHash(key);
  }

  /**
   * True when, in the current assignment, this Slicelet owns the key and has owned it continuously
   * since the handle's start generation (Dicer's rule, subslice annotations of exactly this SQUID
   * included). False before any assignment, for a key not owned, and after an incarnation change.
   * Allocation-free.
   */
  isAssignedContinuously(): boolean {
    if (this.context.ownership !== this.seen) this.resolve();
    return this.continuous;
  }

  /**
   * Records `value` units of load for the key (to its owned slice's counter, else as unattributed
   * load). Values that are not positive finite numbers are ignored. Allocation-free once the key is
   * known to its slice's top-keys sketch; no I/O.
   */
  incrementLoadBy(value: number): void {
    const context = this.context;
    const epoch = context.accumulator.assignmentEpoch;
    let counter = this.counter;
    if (counter === undefined || this.counterEpoch !== epoch) {
      this.entry = undefined;
      if (context.ownership !== this.seen) this.resolve();
      // The per-entry counters are the accumulator's current ones unless it moved on without us.
      counter =
        this.index >= 0 && context.countersEpoch === epoch
          ? (context.counters[this.index] as SliceLoadCounter)
          : context.accumulator.counterFor(this.key);
      this.counter = counter;
      this.counterEpoch = epoch;
    }
    const entry = this.entry;
    // The key's top-keys entry spares the sketch's Map lookup while the sketch still tracks it.
    if (entry !== undefined && entry.tracked) counter.incrementEntry(entry, value, context.nowMs);
    else this.entry = counter.incrementReturningEntry(this.key, this.hash, value, context.nowMs);
  }

  /**
   * Whether {@link SliceKeyHandle.close} was called since `createHandle` last returned this object.
   * `Slicelet.createHandle` shares one handle between requests for the same key under the same
   * assignment, so with concurrent requests for a key this reflects the latest one's close.
   */
  get isClosed(): boolean {
    return this.closed;
  }

  /**
   * Ends the handle's request. Dicer uses it for metrics only; the handle keeps answering after
   * close (and a later `createHandle` for the same key under the same assignment may return this
   * very object, which answers exactly the same). Idempotent.
   */
  close(): void {
    this.closed = true;
  }

  /** @internal The handle cache hands this handle out again. */
  reopen(): this {
    this.closed = false;
    return this;
  }

  private resolve(): void {
    const ownership = this.context.ownership;
    const start = this.startGeneration;
    this.seen = ownership;
    this.index = ownership.indexOf(this.key);
    this.continuous = ownership.isContinuousAt(this.index, start.incarnation, start.number);
  }
}
