/**
 * Small helpers the demo's entry points share to read numeric flags from `node:util` `parseArgs`
 * values, failing with a message that names the flag.
 */
import { InvalidArgumentError } from '@dicer-ts/common';

/** The string value of flag `name`, or undefined when absent. */
export function stringFlag(values: Readonly<Record<string, unknown>>, name: string): string | undefined {
  const value = values[name];
  return typeof value === 'string' ? value : undefined;
}

/**
 * The numeric value of flag `name` (within `[min, max]`), or `fallback` when absent.
 *
 * @throws {InvalidArgumentError} naming the flag when the value is not a number in range.
 */
export function numberFlag(values: Readonly<Record<string, unknown>>, name: string, fallback: number, min = 0, max = Number.MAX_SAFE_INTEGER): number {
  const text = stringFlag(values, name);
  if (text === undefined) return fallback;
  const value = Number(text);
  if (text.trim() === '' || !Number.isFinite(value) || value < min || value > max) {
    throw new InvalidArgumentError(`--${name} must be a number from ${min} to ${max}, got ${JSON.stringify(text)}`);
  }
  return value;
}
