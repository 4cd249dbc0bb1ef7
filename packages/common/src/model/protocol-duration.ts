/**
 * The range check Dicer applies when it turns a wire duration into a Scala `FiniteDuration`, which
 * holds a signed 64-bit nanosecond count: a value in unit U is accepted only if
 * `|v| <= floor((2^63 - 1) / nanosPerU)` (so `-2^63 ms` is rejected too).
 *
 * @see protocol.md §3.8; vectors README §2.6; Databricks `caching/util` `ProtocolDuration`
 */
import { InvalidArgumentError } from '../errors.js';

/** Units a wire duration can be expressed in. */
export type DurationUnit = 'nanos' | 'micros' | 'millis' | 'seconds';

const MAX_NANOS = (1n << 63n) - 1n;
const NANOS_PER: Readonly<Record<DurationUnit, bigint>> = {
  nanos: 1n,
  micros: 1_000n,
  millis: 1_000_000n,
  seconds: 1_000_000_000n,
};

/** The text Dicer throws for an out-of-range duration. */
export const DURATION_OVERFLOW_MESSAGE = 'Exceeds maximum supported duration';

/** Largest magnitude accepted in `unit` (e.g. 9223372036854 for millis). */
export function maxDuration(unit: DurationUnit): bigint {
  return MAX_NANOS / NANOS_PER[unit];
}

/** True when `value` in `unit` fits a `FiniteDuration`. */
export function isSupportedDuration(value: bigint, unit: DurationUnit): boolean {
  const limit = maxDuration(unit);
  return value <= limit && value >= -limit;
}

/**
 * Checks a wire duration and returns it unchanged.
 *
 * @throws {InvalidArgumentError} `Exceeds maximum supported duration` when it does not fit.
 */
export function checkDuration(value: bigint, unit: DurationUnit): bigint {
  if (!isSupportedDuration(value, unit)) throw new InvalidArgumentError(DURATION_OVERFLOW_MESSAGE);
  return value;
}

/** Scala `FiniteDuration.toString` for milliseconds, e.g. `500 milliseconds`, `1 millisecond`. */
export function formatMillisDuration(ms: bigint): string {
  return `${ms} ${ms === 1n || ms === -1n ? 'millisecond' : 'milliseconds'}`;
}
