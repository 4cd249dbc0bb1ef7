/** Conformance: `slice_assignment_test_data.json` (Dicer `SliceAssignmentSuite`) and `transfer_test_data.json`. */
import assert from 'node:assert/strict';
import { describe } from 'mocha';
import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import {
  type DiffAssignmentP_SliceAssignmentP,
  DiffAssignmentP_SliceAssignmentPSchema,
  DiffAssignmentP_TransferPSchema,
} from '../../src/gen/dicer/common/proto/common_pb.js';
import { ResourceTableBuilder } from '../../src/model/resource-table.js';
import { SliceAssignment } from '../../src/model/slice-assignment.js';
import { transferFromProto } from '../../src/model/subslice-annotation.js';
import { type SimpleSliceAssignmentJson, simpleSliceAssignment, testSquid } from './simple-assignment.js';
import { VectorTally, bytes, type GenerationJson, type SliceJson } from './vector-cases.js';

interface SliceAssignmentProtoJson {
  readonly slice?: SliceJson;
  readonly generation?: GenerationJson;
  readonly resource_indices?: readonly number[];
  readonly subslice_annotations?: readonly {
    resource_id?: number;
    subslice?: SliceJson;
    generation_number?: string;
    state_transfer?: { id?: number; from_resource_id?: number };
  }[];
  readonly primary_rate_load_opt?: number | string;
}
interface SliceAssignmentData {
  readonly invariant_test_cases: readonly { expected_error: string; slice_assignment: SimpleSliceAssignmentJson }[];
  readonly proto_validity_test_cases: readonly { expected_error: string; invalid_proto: SliceAssignmentProtoJson }[];
  readonly round_trip_test_cases: readonly SimpleSliceAssignmentJson[];
}

/** The JSON form as a real proto, through protobuf-es's JSON reader (accepts the snake_case names). */
function sliceAssignmentProto(json: SliceAssignmentProtoJson): DiffAssignmentP_SliceAssignmentP {
  const p = create(DiffAssignmentP_SliceAssignmentPSchema);
  if (json.slice !== undefined) {
    p.slice = create(DiffAssignmentP_SliceAssignmentPSchema.field.slice.message, { lowInclusive: bytes(json.slice.low_inclusive) });
    if (json.slice.high_exclusive !== undefined) p.slice.highExclusive = bytes(json.slice.high_exclusive);
  }
  if (json.generation !== undefined) {
    p.generation = create(DiffAssignmentP_SliceAssignmentPSchema.field.generation.message, {
      incarnation: BigInt(json.generation.incarnation ?? '0'),
      number: BigInt(json.generation.number ?? '0'),
    });
  }
  p.resourceIndices = [...(json.resource_indices ?? [])];
  for (const a of json.subslice_annotations ?? []) {
    const annotation = create(DiffAssignmentP_SliceAssignmentPSchema.field.subsliceAnnotations.message, {
      resourceId: a.resource_id ?? 0,
      generationNumber: BigInt(a.generation_number ?? '0'),
    });
    if (a.subslice !== undefined) {
      annotation.subslice = create(DiffAssignmentP_SliceAssignmentPSchema.field.slice.message, { lowInclusive: bytes(a.subslice.low_inclusive) });
      if (a.subslice.high_exclusive !== undefined) annotation.subslice.highExclusive = bytes(a.subslice.high_exclusive);
    }
    p.subsliceAnnotations.push(annotation);
  }
  if (json.primary_rate_load_opt !== undefined) p.primaryRateLoadOpt = Number(json.primary_rate_load_opt);
  return p;
}

describe('conformance: slice_assignment_test_data.json', () => {
  const tally = new VectorTally('slice_assignment_test_data.json');
  const data = tally.load<SliceAssignmentData>();

  data.invariant_test_cases.forEach((c, i) => {
    tally.case(`invariant ${i}: rejects with "${c.expected_error}"`, () => {
      assert.throws(() => simpleSliceAssignment(c.slice_assignment), (e: Error) => e.message.includes(c.expected_error));
    });
  });

  data.proto_validity_test_cases.forEach((c, i) => {
    tally.case(`proto validity ${i}: rejects with "${c.expected_error}"`, () => {
      const resources = [testSquid('Pod0'), testSquid('Pod1')];
      const proto = sliceAssignmentProto(c.invalid_proto);
      // Through bytes as well, so presence survives the codec.
      const decoded = fromBinary(DiffAssignmentP_SliceAssignmentPSchema, toBinary(DiffAssignmentP_SliceAssignmentPSchema, proto));
      assert.throws(() => SliceAssignment.fromProto(decoded, resources), (e: Error) => e.message.includes(c.expected_error));
    });
  });

  data.round_trip_test_cases.forEach((c, i) => {
    tally.case(`round trip ${i}`, () => {
      const original = simpleSliceAssignment(c);
      const table = new ResourceTableBuilder();
      const proto = original.toProto(table);
      const bytesOut = toBinary(DiffAssignmentP_SliceAssignmentPSchema, proto);
      const back = SliceAssignment.fromProto(fromBinary(DiffAssignmentP_SliceAssignmentPSchema, bytesOut), table.resources());
      assert.ok(back.equals(original), `${back} != ${original}`);
      const again = back.toProto(new ResourceTableBuilder());
      assert.deepEqual(toBinary(DiffAssignmentP_SliceAssignmentPSchema, again), bytesOut);
    });
  });
});

describe('conformance: transfer_test_data.json', () => {
  const tally = new VectorTally('transfer_test_data.json');
  const data = tally.load<{ proto_validity_test_cases: readonly { expected_error: string; transfer: { id?: number; from_resource_id?: number } }[] }>();
  data.proto_validity_test_cases.forEach((c, i) => {
    tally.case(`transfer ${i}: rejects with "${c.expected_error}"`, () => {
      const proto = create(DiffAssignmentP_TransferPSchema, { id: c.transfer.id ?? 0 });
      if (c.transfer.from_resource_id !== undefined) proto.fromResourceId = c.transfer.from_resource_id;
      assert.throws(() => transferFromProto(proto, [testSquid('Pod0')]), (e: Error) => e.message.includes(c.expected_error));
    });
  });
});
