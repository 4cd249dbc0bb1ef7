/** Conformance: `diff_assignment_test_data.json` (Dicer `DiffAssignmentSuite`). */
import assert from 'node:assert/strict';
import { describe } from 'mocha';
import { fromBinary, toBinary } from '@bufbuild/protobuf';
import { type DiffAssignmentP, DiffAssignmentPSchema } from '../../src/gen/dicer/common/proto/common_pb.js';
import { DiffAssignment } from '../../src/model/diff-assignment.js';
import { type SimpleDiffAssignmentJson, generationOf, simpleDiffAssignment, testSquid } from './simple-assignment.js';
import { VectorTally, type GenerationJson } from './vector-cases.js';

interface FromProtoValidityCase {
  readonly expected_error: string;
  readonly clear_generation?: boolean;
  readonly select_resources?: { indexes?: readonly number[] };
  readonly select_slice_assignments?: { indexes?: readonly number[] };
  readonly alter_slice_generation?: { slice_index?: number; new_generation?: GenerationJson };
  readonly alter_slice_resources?: { slice_index?: number; new_resource_indices?: readonly number[] };
}
interface DiffAssignmentData {
  readonly invariant_validity_test_cases: readonly { expected_error: string; diff_assignment: SimpleDiffAssignmentJson }[];
  readonly round_trip_test_cases: readonly SimpleDiffAssignmentJson[];
  readonly assigned_resources_test_cases: readonly { diff_assignment: SimpleDiffAssignmentJson; expected_assigned_resources?: readonly string[] }[];
  readonly valid_diff_assignment: SimpleDiffAssignmentJson;
  readonly from_proto_validity_test_cases: readonly FromProtoValidityCase[];
}

/** Encodes and decodes `proto` so the checks run on what a peer would receive. */
function viaBytes(proto: DiffAssignmentP): DiffAssignmentP {
  return fromBinary(DiffAssignmentPSchema, toBinary(DiffAssignmentPSchema, proto));
}

/** Applies the one transformation a `from_proto_validity` case sets. */
function transform(proto: DiffAssignmentP, c: FromProtoValidityCase): void {
  if (c.clear_generation === true) proto.generation = undefined;
  if (c.select_resources !== undefined) {
    const all = proto.resources;
    proto.resources = (c.select_resources.indexes ?? []).map((i) => all[i] as (typeof all)[number]);
  }
  if (c.select_slice_assignments !== undefined) {
    const all = proto.sliceAssignments;
    proto.sliceAssignments = (c.select_slice_assignments.indexes ?? []).map((i) => all[i] as (typeof all)[number]);
  }
  if (c.alter_slice_generation !== undefined) {
    const target = proto.sliceAssignments[c.alter_slice_generation.slice_index ?? 0];
    if (target === undefined) throw new Error('alter_slice_generation: no such slice');
    target.generation = generationOf(c.alter_slice_generation.new_generation).toProto();
  }
  if (c.alter_slice_resources !== undefined) {
    const target = proto.sliceAssignments[c.alter_slice_resources.slice_index ?? 0];
    if (target === undefined) throw new Error('alter_slice_resources: no such slice');
    target.resourceIndices = [...(c.alter_slice_resources.new_resource_indices ?? [])];
  }
}

describe('conformance: diff_assignment_test_data.json', () => {
  const tally = new VectorTally('diff_assignment_test_data.json');
  const data = tally.load<DiffAssignmentData>();

  data.invariant_validity_test_cases.forEach((c, i) => {
    tally.case(`invariant ${i}: rejects with "${c.expected_error}"`, () => {
      assert.throws(() => simpleDiffAssignment(c.diff_assignment), (e: Error) => e.message.includes(c.expected_error));
    });
  });

  data.round_trip_test_cases.forEach((c, i) => {
    tally.case(`round trip ${i}`, () => {
      const diff = simpleDiffAssignment(c);
      const bytes = toBinary(DiffAssignmentPSchema, diff.toProto());
      const back = DiffAssignment.fromProto(fromBinary(DiffAssignmentPSchema, bytes));
      assert.ok(back.equals(diff), `${back} != ${diff}`);
      assert.deepEqual(toBinary(DiffAssignmentPSchema, back.toProto()), bytes);
    });
  });

  data.assigned_resources_test_cases.forEach((c, i) => {
    tally.case(`assigned resources ${i}`, () => {
      const got = simpleDiffAssignment(c.diff_assignment).assignedResources();
      const expected = (c.expected_assigned_resources ?? []).map((n) => testSquid(n)).sort((a, b) => a.compare(b));
      assert.deepEqual(got.map(String), expected.map(String));
    });
  });

  data.from_proto_validity_test_cases.forEach((c, i) => {
    tally.case(`from_proto validity ${i}: rejects with "${c.expected_error}"`, () => {
      const valid = simpleDiffAssignment(data.valid_diff_assignment).toProto();
      // The untransformed proto decodes: the transformation alone causes the error.
      DiffAssignment.fromProto(viaBytes(valid));
      const proto = viaBytes(valid);
      transform(proto, c);
      assert.throws(() => DiffAssignment.fromProto(viaBytes(proto)), (e: Error) => e.message.includes(c.expected_error));
    });
  });
});
