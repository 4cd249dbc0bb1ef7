/** Conformance: `slice_assignment_test_data.json` (Dicer `SliceAssignmentSuite`) and `transfer_test_data.json`. */
import assert from 'node:assert/strict';
import { describe } from 'mocha';
import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import {
  type DiffAssignmentP_SliceAssignmentP,
  DiffAssignmentP_SliceAssignmentPSchema,
  DiffAssignmentP_SubsliceAnnotationPSchema,
  DiffAssignmentP_TransferPSchema,
  GenerationPSchema,
} from '../../src/gen/dicer/common/proto/common_pb.js';
import { type SliceP, SlicePSchema } from '../../src/gen/dicer/friend/proto/friend_pb.js';
import { ResourceTableBuilder } from '../../src/model/resource-table.js';
import { SliceAssignment } from '../../src/model/slice-assignment.js';
import { transferFromProto } from '../../src/model/subslice-annotation.js';
import { type SimpleSliceAssignmentJson, simpleSliceAssignment, testSquid } from './simple-assignment.js';
import { VectorTally, bytes, i64, type GenerationJson, type SliceJson } from './vector-cases.js';

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

function sliceProto(json: SliceJson): SliceP {
  const p = create(SlicePSchema, { lowInclusive: bytes(json.low_inclusive) });
  if (json.high_exclusive !== undefined) p.highExclusive = bytes(json.high_exclusive);
  return p;
}

function sliceAssignmentProto(json: SliceAssignmentProtoJson): DiffAssignmentP_SliceAssignmentP {
  const p = create(DiffAssignmentP_SliceAssignmentPSchema);
  if (json.slice !== undefined) p.slice = sliceProto(json.slice);
  if (json.generation !== undefined) {
    p.generation = create(GenerationPSchema, { incarnation: i64(json.generation.incarnation), number: i64(json.generation.number) });
  }
  p.resourceIndices = [...(json.resource_indices ?? [])];
  for (const a of json.subslice_annotations ?? []) {
    const annotation = create(DiffAssignmentP_SubsliceAnnotationPSchema, {
      resourceId: a.resource_id ?? 0,
      generationNumber: i64(a.generation_number),
    });
    if (a.subslice !== undefined) annotation.subslice = sliceProto(a.subslice);
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
