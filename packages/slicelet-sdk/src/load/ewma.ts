import { InvalidArgumentError } from '@dicer-ts/common';

/**
 * Dicer's load half-life: a second of load counts half as much 120 s later.
 *
 * @see algorithm.md §7.1, protocol.md §6
 */
export const DEFAULT_LOAD_HALF_LIFE_SECONDS = 120;

const MS_PER_SECOND = 1000;

/**
 * An exponentially weighted moving average over a sequence of values, bias-corrected by the weight
 * it has seen so far (Dicer's `EwmaAccumulator`, the core of `EwmaCounter`).
 *
 * State is `weightedSum` and `totalWeight`: (seed, 1) with a seed, (0, 0) without. Each appended
 * value `v` gives `weightedSum = α·v + (1−α)·weightedSum` and, while the weight is below 1,
 * `totalWeight = min(1, α + (1−α)·totalWeight)`; the value is `weightedSum / totalWeight`. A seed
 * therefore counts as a full history, while an unseeded average is exact from the first value on.
 * The operation order is Scala's, so results agree with the vectors to the last bit where they
 * can (see vectors/README.md §5 on `Math.pow`).
 *
 * @see vectors/README.md §3 (`ewma_accumulator`, `ewma_counter`)
 */
export class EwmaAccumulator {
  /** The weight of the newest value, in (0, 1). */
  readonly alpha: number;
  private readonly oneMinusAlpha: number;
  private weightedSum: number;
  /** Invariant: 0 ≤ totalWeight ≤ 1, and once it is 1 it stays 1. */
  private totalWeight: number;

  /**
   * @param alpha the weight of each new value; must be strictly between 0 and 1.
   * @param seed a prior value that counts as a whole history (weight 1).
   * @throws {InvalidArgumentError} when `alpha` is not in (0, 1).
   */
  constructor(alpha: number, seed?: number) {
    if (!(alpha > 0 && alpha < 1)) {
      throw new InvalidArgumentError(`alpha must be in (0, 1), got ${alpha}`);
    }
    this.alpha = alpha;
    this.oneMinusAlpha = 1 - alpha;
    this.weightedSum = seed ?? 0;
    this.totalWeight = seed === undefined ? 0 : 1;
  }

  /** Appends one value (the newest). */
  appendValue(value: number): void {
    this.weightedSum = this.alpha * value + this.oneMinusAlpha * this.weightedSum;
    // Skipping the update at exactly 1 keeps a seeded (or long-running) average free of rounding
    // drift in the weight, as Dicer does.
    if (this.totalWeight !== 1) {
      this.totalWeight = Math.min(1, this.alpha + this.oneMinusAlpha * this.totalWeight);
    }
  }

  /**
   * Appends `count` zero values at once, in closed form (`d = (1−α)^count`), so a long idle period
   * costs one `Math.pow`.
   *
   * @throws {InvalidArgumentError} when `count` is not a positive integer.
   */
  appendZeros(count: number): void {
    if (!(count > 0) || !Number.isInteger(count)) {
      throw new InvalidArgumentError(`count must be a positive integer, got ${count}`);
    }
    const decay = Math.pow(this.oneMinusAlpha, count);
    this.weightedSum *= decay;
    this.totalWeight = Math.min(1, decay * (this.totalWeight - 1) + 1);
  }

  /** The bias-corrected average: `weightedSum / totalWeight`, or 0 before any value or seed. */
  get value(): number {
    return this.totalWeight === 0 ? 0 : this.weightedSum / this.totalWeight;
  }
}

/** The reading of an {@link EwmaCounter}: the rate and the window of whole seconds it covers. */
export interface EwmaValue {
  /** The counter's start (epoch ms). */
  readonly windowLowMs: number;
  /** The start plus the whole seconds completed so far (epoch ms, exclusive). */
  readonly windowHighMs: number;
  /** The bias-corrected weighted mean load per second over the completed seconds (and the seed). */
  readonly weightedValue: number;
}

/**
 * The per-second weight `α = 1 − 2^(−1/halfLife)` of an {@link EwmaCounter} with this half-life.
 *
 * @throws {InvalidArgumentError} when `halfLifeSeconds` is not positive.
 */
export function ewmaAlphaForHalfLife(halfLifeSeconds: number): number {
  if (!(halfLifeSeconds > 0) || !Number.isFinite(halfLifeSeconds)) {
    throw new InvalidArgumentError(`halfLifeSeconds must be positive, got ${halfLifeSeconds}`);
  }
  return 1 - Math.pow(2, -1 / halfLifeSeconds);
}

/**
 * A rate counter: increments are summed into 1-second buckets measured from `startMs`, and each
 * finished second's total is appended to an {@link EwmaAccumulator} with
 * `α = 1 − 2^(−1/halfLifeSeconds)` (Dicer's `EwmaCounter`). The current, unfinished second is not
 * part of the value. Empty seconds are appended as zeros in one closed-form step.
 *
 * Time only moves forward: an instant earlier than the latest one seen counts into the current
 * second. Reading the value at an instant advances time to it, exactly like an increment does.
 * Incrementing allocates nothing.
 *
 * @see algorithm.md §7.1, protocol.md §4 (Load accumulator)
 */
export class EwmaCounter {
  /** The instant the counter started (epoch ms): the low end of its window. */
  readonly startMs: number;
  private readonly accumulator: EwmaAccumulator;
  /** Index (seconds since start) of the open bucket; every earlier second has been appended. */
  private currentSecond = 0;
  /** The sum of increments in the open bucket. */
  private bucketSum = 0;
  /** `startMs + (currentSecond + 1) * 1000`: an increment before this needs no bucket change. */
  private nextSecondAtMs: number;

  /**
   * @param startMs the counter's start instant (epoch ms).
   * @param halfLifeSeconds after this long a second's load weighs half as much.
   * @param seed a prior rate that counts as a whole history (Dicer seeds a new slice's counter with
   *   the load the assignment recorded for it, divided by its replica count).
   * @throws {InvalidArgumentError} "halfLifeSeconds must be positive" when it is not.
   */
  constructor(startMs: number, halfLifeSeconds: number = DEFAULT_LOAD_HALF_LIFE_SECONDS, seed?: number) {
    this.startMs = startMs;
    this.accumulator = new EwmaAccumulator(ewmaAlphaForHalfLife(halfLifeSeconds), seed);
    this.nextSecondAtMs = startMs + MS_PER_SECOND;
  }

  /** Adds `value` to the second that holds `nowMs` (or to the open second if `nowMs` is older). */
  incrementBy(value: number, nowMs: number): void {
    // One compare on the hot path; the division is needed only when a second may have ended.
    if (nowMs >= this.nextSecondAtMs) this.advanceTo(nowMs);
    this.bucketSum += value;
  }

  /**
   * {@link EwmaCounter.incrementBy} at the instant held in `time[0]`. Handles pass the Slicelet's
   * one-cell clock rather than its value: an epoch-ms double handed to a call the JIT does not
   * inline is boxed (a 16-byte heap number per call), a typed array never is.
   */
  incrementAt(value: number, time: Float64Array): void {
    const nowMs = time[0] as number;
    if (nowMs >= this.nextSecondAtMs) this.advanceTo(nowMs);
    this.bucketSum += value;
  }

  /**
   * Moves time to `nowMs`: appends the open second if `nowMs` is past it, then any whole empty
   * seconds as zeros. Does nothing for an instant not past the open second.
   */
  advanceTo(nowMs: number): void {
    const second = Math.floor((nowMs - this.startMs) / MS_PER_SECOND);
    // Written as a negation so that a NaN instant moves nothing.
    if (!(second > this.currentSecond)) return;
    this.accumulator.appendValue(this.bucketSum);
    const emptySeconds = second - this.currentSecond - 1;
    if (emptySeconds > 0) this.accumulator.appendZeros(emptySeconds);
    this.bucketSum = 0;
    this.currentSecond = second;
    this.nextSecondAtMs = this.startMs + (second + 1) * MS_PER_SECOND;
  }

  /** The rate over the completed seconds, after advancing time to `nowMs`. */
  valueAt(nowMs: number): EwmaValue {
    this.advanceTo(nowMs);
    return {
      windowLowMs: this.startMs,
      windowHighMs: this.windowHighMs,
      weightedValue: this.accumulator.value,
    };
  }

  /** The rate over the seconds completed so far, without moving time (allocation-free). */
  get weightedValue(): number {
    return this.accumulator.value;
  }

  /** The exclusive end of the completed seconds (epoch ms), without moving time. */
  get windowHighMs(): number {
    return this.startMs + this.currentSecond * MS_PER_SECOND;
  }

  /** Whole seconds completed since the start: the index of the open second. */
  get completedSeconds(): number {
    return this.currentSecond;
  }
}
