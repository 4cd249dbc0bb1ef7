/**
 * Counts the vector cases a conformance file runs and passes, and prints the tally (with every case
 * deliberately not run and its reason) after the file's suite.
 */
import { after, it } from 'mocha';

/** A vector case that a suite does not run, with the reason. */
export interface SkippedCase {
  readonly name: string;
  readonly reason: string;
}

/** One tally per vector file. */
export class VectorTally {
  private ran = 0;
  private passed = 0;

  /**
   * @param file the vector file name, e.g. `squid_test_data.json`.
   * @param notRun cases this suite does not run, each with its reason (printed, never hidden).
   */
  constructor(
    readonly file: string,
    readonly notRun: readonly SkippedCase[] = [],
  ) {
    after(() => {
      const lines = [`[vectors] ${file}: ${this.ran} cases ran, ${this.passed} passed, ${notRun.length} not run`];
      for (const c of notRun) lines.push(`[vectors]   not run: ${c.name} (${c.reason})`);
      process.stdout.write(`${lines.join('\n')}\n`);
    });
  }

  /** Declares a mocha test for one vector case and counts it. */
  case(name: string, body: () => void): void {
    it(name, () => {
      this.ran++;
      body();
      this.passed++;
    });
  }
}

/** Asserts that `fn` throws an error whose message contains `expected` ("" = any error). */
export function throwsContaining(fn: () => unknown, expected: string): Error {
  let thrown: unknown;
  try {
    fn();
  } catch (err) {
    thrown = err;
  }
  if (thrown === undefined) throw new Error(`expected an error containing ${JSON.stringify(expected)}, got none`);
  if (!(thrown instanceof Error)) throw new Error(`expected an Error, got ${String(thrown)}`);
  if (!thrown.message.includes(expected)) {
    throw new Error(`expected an error containing ${JSON.stringify(expected)}, got ${JSON.stringify(thrown.message)}`);
  }
  return thrown;
}

/** Decodes a vector's base64 bytes field (absent = empty). */
export function b64(value: string | undefined): Uint8Array {
  return Uint8Array.from(Buffer.from(value ?? '', 'base64'));
}
