import type { SliceKey } from '@dicer-ts/common';
import type { LoadAccumulator } from './load-accumulator.js';
import type { SliceLoadCounter } from './slice-load-counter.js';
import { topKeysHash } from './top-keys.js';

/**
 * The load side of a `SliceKeyHandle`: one key's path into a {@link LoadAccumulator}, caching the
 * {@link SliceLoadCounter} its key resolves to and re-resolving it only when the accumulator's
 * assignment epoch changes. {@link KeyLoadRecorder.incrementLoadBy} allocates nothing (unless the
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
  /** `topKeysHash(key)`, computed once. */
  private readonly hash: number;
  private counter: SliceLoadCounter;
  private epoch: number;

  constructor(accumulator: LoadAccumulator, key: SliceKey) {
    this.accumulator = accumulator;
    this.key = key;
    this.hash = topKeysHash(key);
    this.counter = accumulator.counterFor(key);
    this.epoch = accumulator.assignmentEpoch;
  }

  /**
   * Records `value` units of load for the key at `nowMs` (epoch ms from the Slicelet's clock).
   * Values that are not positive finite numbers are ignored.
   */
  incrementLoadBy(value: number, nowMs: number): void {
    const accumulator = this.accumulator;
    if (this.epoch !== accumulator.assignmentEpoch) {
      this.counter = accumulator.counterFor(this.key);
      this.epoch = accumulator.assignmentEpoch;
    }
    this.counter.incrementHashed(this.key, this.hash, value, nowMs);
  }
}
