/**
 * Conformance: `slice_load_test_data.json` and `slicelet_data_test_data.json` (Dicer
 * `ClientRequestSuite`). Protos are read with protobuf-es `fromJson`, which keeps proto2 presence
 * exactly as the JSON states it.
 */
import assert from 'node:assert/strict';
import { describe } from 'mocha';
import type { JsonValue } from '@bufbuild/protobuf';
import { loadVector } from '@dicer-ts/test-harness';
import { proto } from '@dicer-ts/common';
import { Slice } from '../../src/model/slice.js';
import { SliceLoad } from '../../src/model/slice-load.js';
import { SliceletData } from '../../src/model/slicelet-data.js';
import { VectorTally, throwsContaining } from './vector-tally.js';

interface SliceLoadTestData {
  invalid_cases?: Array<{ expected_error: string; slice_load: JsonValue; debug_name: string }>;
  round_tripping_cases?: JsonValue[];
  empty_slice_case?: JsonValue;
  empty_num_replicas_case?: JsonValue;
}

interface SliceletDataTestData {
  round_tripping_cases?: JsonValue[];
}

const LoadSchema = proto.ClientRequestP_SliceletDataP_SliceLoadPSchema;
const SliceletSchema = proto.ClientRequestP_SliceletDataPSchema;

const LOAD_FILE = 'slice_load_test_data.json';
const loads = loadVector<SliceLoadTestData>(LOAD_FILE);

describe(`vectors: ${LOAD_FILE}`, () => {
  const tally = new VectorTally(LOAD_FILE);
  (loads.invalid_cases ?? []).forEach((c, i) => {
    tally.case(`invalid_cases[${i}] (${c.debug_name}) fails with ${JSON.stringify(c.expected_error)}`, () => {
      throwsContaining(() => SliceLoad.fromProto(proto.fromJson(LoadSchema, c.slice_load)), c.expected_error);
    });
  });
  (loads.round_tripping_cases ?? []).forEach((json, i) => {
    tally.case(`round_tripping_cases[${i}]: toProto(fromProto(p)) equals p exactly`, () => {
      const p = proto.fromJson(LoadSchema, json);
      const back = SliceLoad.fromProto(p).toProto();
      assert.deepEqual(proto.toBinary(LoadSchema, back), proto.toBinary(LoadSchema, p));
      assert.deepEqual(proto.toJson(LoadSchema, back, { useProtoFieldName: true }), json);
      assert.ok(SliceLoad.fromProto(back).equals(SliceLoad.fromProto(p)));
    });
  });
  tally.case('empty_slice_case: a missing slice is the full slice', () => {
    const load = SliceLoad.fromProto(proto.fromJson(LoadSchema, loads.empty_slice_case!));
    assert.ok(load.slice.equals(Slice.FULL));
  });
  tally.case('empty_num_replicas_case: a missing num_replicas is 1', () => {
    const load = SliceLoad.fromProto(proto.fromJson(LoadSchema, loads.empty_num_replicas_case!));
    assert.equal(load.numReplicas, 1);
  });
});

const SLICELET_FILE = 'slicelet_data_test_data.json';
const slicelets = loadVector<SliceletDataTestData>(SLICELET_FILE);

describe(`vectors: ${SLICELET_FILE}`, () => {
  const tally = new VectorTally(SLICELET_FILE);
  (slicelets.round_tripping_cases ?? []).forEach((json, i) => {
    tally.case(`round_tripping_cases[${i}]: toProto(fromProto(p)) equals p exactly`, () => {
      const p = proto.fromJson(SliceletSchema, json);
      const data = SliceletData.fromProto(p);
      const back = data.toProto();
      assert.deepEqual(proto.toBinary(SliceletSchema, back), proto.toBinary(SliceletSchema, p));
      assert.deepEqual(proto.toJson(SliceletSchema, back, { useProtoFieldName: true }), json);
      assert.ok(SliceletData.fromProto(back).equals(data));
    });
  });
});
