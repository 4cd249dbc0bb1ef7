/**
 * Helpers shared by the conformance suites: JSON-to-model converters for the vector conventions
 * (`/work/shared/vectors/README.md` §1–§2) and a per-file tally that prints how many cases ran and
 * passed, and lists every case not run with its reason.
 */
import { loadVector } from '@dicer-ts/test-harness';
import { after, it } from 'mocha';
import { Slice } from '../../src/model/slice.js';
import { SliceKey } from '../../src/model/slice-key.js';

/** `SliceP` in the vectors' JSON form. */
export interface SliceJson {
  readonly low_inclusive?: string;
  readonly high_exclusive?: string;
}

/** `GenerationP` in the vectors' JSON form. */
export interface GenerationJson {
  readonly incarnation?: string;
  readonly number?: string;
}

/** Base64 → bytes; absent is empty. */
export function bytes(b64?: string): Uint8Array {
  return Uint8Array.from(Buffer.from(b64 ?? '', 'base64'));
}

/** Decimal int64 string → bigint; absent is 0 (proto2 default). */
export function i64(s?: string): bigint {
  return BigInt(s ?? '0');
}

/** A JSON double (numbers, or "NaN"/"Infinity"/"-Infinity" strings). */
export function f64(v?: number | string): number | undefined {
  return v === undefined ? undefined : typeof v === 'number' ? v : Number(v);
}

/** A vector slice as a model slice (high absent = ∞). */
export function sliceOf(json: SliceJson): Slice {
  return Slice.create(
    SliceKey.fromBytes(bytes(json.low_inclusive)),
    json.high_exclusive === undefined ? undefined : SliceKey.fromBytes(bytes(json.high_exclusive)),
  );
}

/**
 * Registers one mocha `it` per vector case and prints, after the file's suite, how many ran and
 * passed, plus every case deliberately not run and why.
 */
export class VectorTally {
  private ran = 0;
  private passed = 0;
  private readonly skipped: string[] = [];

  constructor(readonly file: string) {
    after(() => {
      const notRun = this.skipped.length === 0 ? '' : `; not run: ${this.skipped.length} (${this.skipped.join('; ')})`;
      console.log(`      [conformance] ${this.file}: ran ${this.ran}, passed ${this.passed}${notRun}`);
    });
  }

  /** Loads the vector file (a missing file fails the suite). */
  load<T>(): T {
    return loadVector<T>(this.file);
  }

  /** One vector case as a mocha test, counted. */
  case(title: string, body: () => void): void {
    it(title, () => {
      this.ran++;
      body();
      this.passed++;
    });
  }

  /** Records a case that is deliberately not run, with its reason (printed in the tally). */
  notRun(title: string, reason: string): void {
    this.skipped.push(`${title}: ${reason}`);
  }
}
