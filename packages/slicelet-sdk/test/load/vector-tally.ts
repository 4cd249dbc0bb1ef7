/**
 * Helpers for the load conformance suites: JSON-to-model converters for the vector conventions
 * (`shared/vectors/README.md` §1–§2) and a per-file tally that prints how many cases ran and
 * passed, lists every case not run with its reason, and fails unless every case of the file was
 * either run or listed.
 */
import assert from 'node:assert/strict';
import { Slice, SliceKey } from '@dicer-ts/common';
import { loadVector } from '@dicer-ts/test-harness';
import { after, it } from 'mocha';

/** `SliceP` in the vectors' JSON form. */
export interface SliceJson {
  readonly low_inclusive?: string;
  readonly high_exclusive?: string;
}

/** Base64 → bytes; absent is empty. */
export function bytes(b64?: string): Uint8Array {
  return Uint8Array.from(Buffer.from(b64 ?? '', 'base64'));
}

/** A vector slice as a model slice (low absent = MIN, high absent = ∞). */
export function sliceOf(json: SliceJson | undefined): Slice {
  if (json === undefined) return Slice.FULL;
  return Slice.create(
    SliceKey.fromBytes(bytes(json.low_inclusive)),
    json.high_exclusive === undefined ? undefined : SliceKey.fromBytes(bytes(json.high_exclusive)),
  );
}

/** Dicer's `toSliceKey(Long)`: the 8-byte big-endian two's-complement encoding of an int64. */
export function int64Key(decimal: string): SliceKey {
  const out = new Uint8Array(8);
  let v = BigInt.asUintN(64, BigInt(decimal));
  for (let i = 7; i >= 0; i--) {
    out[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return SliceKey.fromBytes(out);
}

/**
 * Registers one mocha `it` per vector case, counts them, and after the suite prints
 * `ran N of M, passed P` plus the cases not run and why.
 */
export class VectorTally {
  private ran = 0;
  private passed = 0;
  private registered = 0;
  private readonly skipped: string[] = [];

  /** @param expectedCases how many cases the file holds (counted from its JSON by the caller). */
  constructor(
    readonly file: string,
    private readonly expectedCases: () => number,
  ) {
    after(() => {
      const notRun = this.skipped.length === 0 ? '' : `; not run: ${this.skipped.length} (${this.skipped.join('; ')})`;
      console.log(
        `      [conformance] ${this.file}: ran ${this.ran} of ${this.expectedCases()}, passed ${this.passed}${notRun}`,
      );
    });
  }

  /** Loads the vector file (a missing file fails the suite). */
  static load<T>(file: string): T {
    return loadVector<T>(file);
  }

  /** One vector case as a mocha test, counted. */
  case(title: string, body: () => void): void {
    this.registered++;
    it(title, () => {
      this.ran++;
      body();
      this.passed++;
    });
  }

  /** Records a case deliberately not run, with its reason (printed in the tally). */
  notRun(title: string, reason: string): void {
    this.skipped.push(`${title}: ${reason}`);
  }

  /** A last test asserting that every case of the file was registered or listed as not run. */
  checkComplete(): void {
    it(`covers every case of ${this.file}`, () => {
      assert.equal(this.registered + this.skipped.length, this.expectedCases());
    });
  }
}
