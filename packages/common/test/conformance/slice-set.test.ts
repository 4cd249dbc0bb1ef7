/** Conformance: `slice_set_test_data.json` (Dicer `SliceSetSuite`). */
import assert from 'node:assert/strict';
import { describe } from 'mocha';
import { SliceSet } from '../../src/model/slice-set.js';
import { VectorTally, sliceOf, type SliceJson } from './vector-cases.js';

interface SliceSetData {
  readonly canonicalization_test_cases: readonly {
    description: string;
    input_slices?: readonly SliceJson[];
    expected_output_slices?: readonly SliceJson[];
  }[];
}

describe('conformance: slice_set_test_data.json', () => {
  const tally = new VectorTally('slice_set_test_data.json');
  const data = tally.load<SliceSetData>();
  for (const c of data.canonicalization_test_cases) {
    tally.case(`canonicalizes: ${c.description}`, () => {
      const input = (c.input_slices ?? []).map(sliceOf);
      const expected = (c.expected_output_slices ?? []).map(sliceOf);
      const got = SliceSet.create(input);
      assert.deepEqual(got.slices.map(String), expected.map(String));
      // Input order must not matter.
      assert.ok(SliceSet.create([...input].reverse()).equals(got));
    });
  }
});
