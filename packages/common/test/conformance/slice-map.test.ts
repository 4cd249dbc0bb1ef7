/** Conformance: `slice_map_test_data.json` (Dicer `SliceMapSuite`). */
import assert from 'node:assert/strict';
import { describe } from 'mocha';
import { SliceMap } from '../../src/model/slice-map.js';
import type { Slice } from '../../src/model/slice.js';
import { VectorTally, sliceOf, type SliceJson } from './vector-cases.js';

interface SliceMapData {
  readonly validate_complete_slices_test_cases: readonly { slices?: readonly SliceJson[]; expected_error?: string }[];
  readonly intersect_test_cases: readonly {
    left_entries?: readonly { slice: SliceJson; value: string }[];
    right_entries?: readonly { slice: SliceJson; value: number }[];
    expected_intersection_entries?: readonly { slice: SliceJson; left_index?: number; right_index?: number }[];
  }[];
  readonly partial_slice_map_test_cases: readonly {
    input_slices?: readonly SliceJson[];
    expected_entries?: readonly { slice: SliceJson; value_type: 'SOME' | 'GAP' }[];
  }[];
  readonly partial_slice_map_error_test_cases: readonly { input_slices?: readonly SliceJson[]; expected_error: string }[];
}

const identity = (s: Slice): Slice => s;

describe('conformance: slice_map_test_data.json', () => {
  const tally = new VectorTally('slice_map_test_data.json');
  const data = tally.load<SliceMapData>();

  data.validate_complete_slices_test_cases.forEach((c, i) => {
    tally.case(`validate complete slices ${i}: ${c.expected_error ?? 'valid'}`, () => {
      const slices = (c.slices ?? []).map(sliceOf);
      if (c.expected_error === undefined) {
        const map = SliceMap.createComplete(slices, identity);
        assert.equal(map.size, slices.length);
      } else {
        assert.throws(() => SliceMap.createComplete(slices, identity), (e: Error) => e.message.includes(c.expected_error as string));
      }
    });
  });

  data.intersect_test_cases.forEach((c, i) => {
    tally.case(`intersectSlices ${i}`, () => {
      const left = SliceMap.createComplete(c.left_entries ?? [], (e) => sliceOf(e.slice));
      const right = SliceMap.createComplete(c.right_entries ?? [], (e) => sliceOf(e.slice));
      const got = SliceMap.intersectSlices(left, right).map((e) => ({
        slice: e.slice.toString(),
        left: e.leftIndex,
        right: e.rightIndex,
        values: [e.left.value, e.right.value],
      }));
      const expected = (c.expected_intersection_entries ?? []).map((e) => ({
        slice: sliceOf(e.slice).toString(),
        left: e.left_index ?? 0,
        right: e.right_index ?? 0,
        values: [(c.left_entries ?? [])[e.left_index ?? 0]?.value, (c.right_entries ?? [])[e.right_index ?? 0]?.value],
      }));
      assert.deepEqual(got, expected);
    });
  });

  data.partial_slice_map_test_cases.forEach((c, i) => {
    tally.case(`gap-fills partial map ${i}`, () => {
      const map = SliceMap.createFromOrderedDisjointEntries((c.input_slices ?? []).map(sliceOf), identity);
      const got = map.entries.map((e) => ({ slice: e.slice.toString(), type: e.kind === 'some' ? 'SOME' : 'GAP' }));
      const expected = (c.expected_entries ?? []).map((e) => ({ slice: sliceOf(e.slice).toString(), type: e.value_type }));
      assert.deepEqual(got, expected);
      SliceMap.validateComplete(map.slices());
    });
  });

  data.partial_slice_map_error_test_cases.forEach((c, i) => {
    tally.case(`rejects partial map ${i}: ${c.expected_error}`, () => {
      const slices = (c.input_slices ?? []).map(sliceOf);
      assert.throws(() => SliceMap.createFromOrderedDisjointEntries(slices, identity), (e: Error) => e.message.includes(c.expected_error));
    });
  });
});
