/**
 * `SliceKeyHandle`: a request's view of one key on this Slicelet. The hot path: neither method
 * allocates or does I/O.
 *
 * - {@link SliceKeyHandle.isAssignedContinuously} answers from a per-assignment cache: the
 *   Slicelet replaces its {@link OwnershipSnapshot} once per applied assignment, and the handle
 *   recomputes its answer (one allocation-free table lookup) only when it sees a new snapshot.
 * - {@link SliceKeyHandle.incrementLoadBy} keeps the load counter its key resolves to and the
 *   top-keys hash of its key, re-resolving the counter only when the accumulator's assignment epoch
 *   changes (the fields `KeyLoadRecorder` would hold, inlined so the handle is the only object).
 *
 * @see protocol.md §4 (createHandle, isAssignedContinuously, incrementLoadBy)
 */
import type { Clock, Generation, SliceKey } from '@dicer-ts/common';
import type { LoadAccumulator } from './load/load-accumulator.js';
import type { SliceLoadCounter } from './load/slice-load-counter.js';
import { topKeysHash } from './load/top-keys.js';
import type { OwnershipSnapshot } from './ownership.js';

/**
 * The Slicelet state a handle reads. The Slicelet owns it and swaps `ownership` for each applied
 * assignment (after updating the accumulator), so a handle sees both change together.
 */
export interface HandleContext {
  /** The snapshot of the latest applied assignment; replaced, never mutated. */
  readonly ownership: OwnershipSnapshot;
  readonly accumulator: LoadAccumulator;
  readonly clock: Clock;
}

/**
 * A handle on one key, made by `Slicelet.createHandle(key)` at the start of a request. It remembers
 * the latest assignment generation at creation (the *start*), so a request can ask whether this
 * Slicelet has owned the key without interruption since it began, and it records the request's
 * load for the key.
 *
 * @example
 * ```ts
 * const handle = slicelet.createHandle(SliceKey.fromApplicationKey(userId));
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
  private readonly context: HandleContext;
  private readonly startIncarnation: bigint;
  private readonly startNumber: bigint;
  private readonly hash: number;
  /** The snapshot {@link continuous} was computed for. */
  private seen: OwnershipSnapshot | undefined = undefined;
  private continuous = false;
  private counter: SliceLoadCounter | undefined = undefined;
  private counterEpoch = -1;
  private closed = false;

  /** @internal Made by `Slicelet.createHandle`. */
  constructor(context: HandleContext, key: SliceKey) {
    this.context = context;
    this.key = key;
    const start = context.ownership.generation;
    this.startGeneration = start;
    this.startIncarnation = start.incarnation;
    this.startNumber = start.number;
    this.hash = topKeysHash(key);
  }

  /**
   * True when, in the current assignment, this Slicelet owns the key and has owned it continuously
   * since the handle's start generation (Dicer's rule, subslice annotations of exactly this SQUID
   * included). False before any assignment, for a key not owned, and after an incarnation change.
   * Allocation-free.
   */
  isAssignedContinuously(): boolean {
    const ownership = this.context.ownership;
    if (ownership !== this.seen) {
      this.seen = ownership;
      this.continuous = ownership.isAssignedContinuously(this.key, this.startIncarnation, this.startNumber);
    }
    return this.continuous;
  }

  /**
   * Records `value` units of load for the key (to its owned slice's counter, else as unattributed
   * load). Values that are not positive finite numbers are ignored. Allocation-free once the key is
   * known to its slice's top-keys sketch; no I/O.
   */
  incrementLoadBy(value: number): void {
    const accumulator = this.context.accumulator;
    let counter = this.counter;
    if (counter === undefined || this.counterEpoch !== accumulator.assignmentEpoch) {
      counter = accumulator.counterFor(this.key);
      this.counter = counter;
      this.counterEpoch = accumulator.assignmentEpoch;
    }
    counter.incrementHashed(this.key, this.hash, value, this.context.clock.nowMs());
  }

  /** Whether {@link SliceKeyHandle.close} was called. */
  get isClosed(): boolean {
    return this.closed;
  }

  /**
   * Ends the handle's request. Dicer uses it for metrics only; the handle keeps answering after
   * close. Idempotent.
   */
  close(): void {
    this.closed = true;
  }
}
