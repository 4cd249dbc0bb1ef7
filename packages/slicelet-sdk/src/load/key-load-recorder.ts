import type { SliceKey } from '@dicer-ts/common';
import type { LoadAccumulator } from './load-accumulator.js';
import type { SliceLoadCounter } from './slice-load-counter.js';
import { topKeysHash } from './top-keys.js';

/**
 * The load side of a `SliceKeyHandle`: one key's path into a {@link LoadAccumulator}, caching the
 * {@link SliceLoadCounter} its key resolves to (on the first increment, so a handle that records
 * no load costs nothing) and re-resolving it only when the accumulator's assignment epoch changes. {@link KeyLoadRecorder.incrementLoadBy} allocates nothing (unless the
 * key is new to its slice's top-keys sketch) and costs one integer compare, one `Map.get` and a
 * few additions.
 *
 * A handle that wants to avoid even this object can hold the three fields itself: a counter from
 * `accumulator.counterFor(key)`, the `accumulator.assignmentEpoch` it was resolved at, and
 * `topKeysHash(key)` for `counter.incrementHashed`.
 *
 * @see protocol.md §4 (`incrementLoadBy`)
 */
export class KeyLoadRecorder {
  /** The key whose load this records. */
  readonly key: SliceKey;
  private readonly accumulator: LoadAccumulator;
  /** `topKeysHash(key)`, computed on the first increment. */
  private hash = 0;
  /** Undefined until the first increment: a handle that never records load never searches. */
  private counter: SliceLoadCounter | undefined;
  /** The accumulator epoch `counter` was resolved at; −1 before the first resolution. */
  private epoch = -1;

  constructor(accumulator: LoadAccumulator, key: SliceKey) {
    this.accumulator = accumulator;
    this.key = key;
  }

  /**
   * Records `value` units of load for the key at `nowMs` (epoch ms from the Slicelet's clock).
   * Values that are not positive finite numbers are ignored.
   */
  incrementLoadBy(value: number, nowMs: number): void {
    const accumulator = this.accumulator;
    let counter = this.counter;
    if (counter === undefined || this.epoch !== accumulator.assignmentEpoch) {
      if (counter === undefined) this.hash = topKeysHash(this.key);
      counter = this.counter = accumulator.counterFor(this.key);
      this.epoch = accumulator.assignmentEpoch;
    }
    counter.incrementHashed(this.key, this.hash, value, nowMs);
  }
}
