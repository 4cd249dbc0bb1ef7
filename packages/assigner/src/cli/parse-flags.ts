import { parseArgs } from 'node:util';
import { InvalidArgumentError } from '@dicer-ts/common';

/** The values of parsed flags: a string for a flag that takes one, `true` for a switch. */
export type FlagValues = Record<string, string | boolean | undefined>;

/**
 * Parses `argv` strictly (unknown flags and positionals are errors) against flags that each take
 * a string value or are boolean switches.
 *
 * @throws {InvalidArgumentError} with node's message, which names the offending flag.
 */
export function parseFlags(argv: readonly string[], flags: Readonly<Record<string, 'string' | 'boolean'>>): FlagValues {
  try {
    return parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: Object.fromEntries(Object.entries(flags).map(([name, type]) => [name, { type }])) as never,
    }).values as FlagValues;
  } catch (err) {
    throw new InvalidArgumentError((err as Error).message);
  }
}
