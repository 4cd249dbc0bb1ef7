/** Conformance: `assignment_test_data.json` (Dicer `AssignmentSuite`). */
import assert from 'node:assert/strict';
import { describe } from 'mocha';
import { fromBinary, toBinary } from '@bufbuild/protobuf';
import { DiffAssignmentPSchema } from '../../src/gen/dicer/common/proto/common_pb.js';
import { Assignment, type FromDiffResult } from '../../src/model/assignment.js';
import { DiffAssignment } from '../../src/model/diff-assignment.js';
import { Generation } from '../../src/model/generation.js';
import { SliceKey } from '../../src/model/slice-key.js';
import {
  type SimpleDiffAssignmentJson,
  type SimpleSliceAssignmentJson,
  generationOf,
  simpleAssignment,
  simpleDiffAssignment,
  simpleSliceAssignment,
  testSquid,
} from './simple-assignment.js';
import { VectorTally, sliceOf, type GenerationJson, type SliceJson } from './vector-cases.js';

interface AssignmentData {
  readonly full_diff_round_trip_test_cases: readonly SimpleDiffAssignmentJson[];
  readonly partial_diff_round_trip_test_assignments: readonly SimpleDiffAssignmentJson[];
  readonly from_diff_with_loose_incarnation_data: {
    loose_incarnations: readonly string[];
    initial_assignment: SimpleDiffAssignmentJson;
    next_assignment: SimpleDiffAssignmentJson;
  };
  readonly from_diff_failure_test_cases: readonly {
    known_assignment?: SimpleDiffAssignmentJson;
    diff: SimpleDiffAssignmentJson;
    expected_diff_unused?: 'NO_KNOWN' | 'TOO_STALE_KNOWN' | 'INCONSISTENCY' | 'TOO_STALE_DIFF' | 'DIFF_MATCHES_KNOWN';
    expected_error?: string;
  }[];
  readonly to_diff_with_higher_diff_generation_test_case: {
    assignment: SimpleDiffAssignmentJson;
    diff_generation: GenerationJson;
    expected_error: string;
  };
  readonly is_assigned_key_test_cases: readonly {
    assignment: SimpleDiffAssignmentJson;
    calls: readonly { slice_key?: string; resource: string; resource_salt?: string; expected_result?: boolean }[];
  }[];
  readonly get_slice_set_for_resource_test_cases: readonly {
    assignment: SimpleDiffAssignmentJson;
    calls: readonly { resource: string; resource_salt?: string; expected_slices?: readonly SliceJson[] }[];
  }[];
  readonly get_assigned_slice_assignments_test_cases: readonly {
    assignment: SimpleDiffAssignmentJson;
    calls: readonly { resource: string; expected_slice_assignments?: readonly SimpleSliceAssignmentJson[] }[];
  }[];
}

const UNUSED_KIND = {
  NO_KNOWN: 'no-known',
  TOO_STALE_KNOWN: 'too-stale-known',
  INCONSISTENCY: 'inconsistency',
  TOO_STALE_DIFF: 'too-stale-diff',
  DIFF_MATCHES_KNOWN: 'diff-matches-known',
} as const;

function applied(result: FromDiffResult): Assignment {
  if (result.kind !== 'applied') throw new assert.AssertionError({ message: `expected an applied diff, got ${result.kind}` });
  return result.assignment;
}

function roundTrip(diff: DiffAssignment): DiffAssignment {
  return DiffAssignment.fromProto(fromBinary(DiffAssignmentPSchema, toBinary(DiffAssignmentPSchema, diff.toProto())));
}

/** Sets the incarnation of the assignment generation and of every slice generation (loose cases). */
function withIncarnation(json: SimpleDiffAssignmentJson, incarnation: string): SimpleDiffAssignmentJson {
  return {
    ...json,
    generation: { ...json.generation, incarnation },
    slice_assignments: (json.slice_assignments ?? []).map((s) => ({ ...s, generation: { ...s.generation, incarnation } })),
  };
}

describe('conformance: assignment_test_data.json', () => {
  const tally = new VectorTally('assignment_test_data.json');
  const data = tally.load<AssignmentData>();

  data.full_diff_round_trip_test_cases.forEach((c, i) => {
    tally.case(`full diff round trip ${i}`, () => {
      const a = simpleAssignment(c);
      const diff = a.toDiff(Generation.EMPTY);
      assert.ok(diff.isFull());
      const bytes = toBinary(DiffAssignmentPSchema, diff.toProto());
      const back = DiffAssignment.fromProto(fromBinary(DiffAssignmentPSchema, bytes));
      assert.ok(back.equals(diff));
      assert.deepEqual(toBinary(DiffAssignmentPSchema, back.toProto()), bytes);
      assert.ok(applied(Assignment.fromDiff(undefined, back)).equals(a));
    });
  });

  const partials = data.partial_diff_round_trip_test_assignments.map(simpleAssignment);
  partials.forEach((known, i) => {
    partials.forEach((a, j) => {
      for (const viaProto of [false, true]) {
        tally.case(`partial diff round trip known=${i} target=${j}${viaProto ? ' through proto' : ''}`, () => {
          const order = known.generation.compare(a.generation);
          if (order < 0) {
            let diff = a.toDiff(known.generation);
            assert.ok(!diff.isFull(), 'same non-loose incarnation gives a partial diff');
            assert.ok(diff.sliceAssignments().every((s) => s.generation.compare(known.generation) > 0));
            if (viaProto) diff = roundTrip(diff);
            assert.ok(applied(Assignment.fromDiff(known, diff)).equals(a));
          } else {
            let diff = a.toDiff(Generation.EMPTY);
            if (viaProto) diff = roundTrip(diff);
            assert.equal(Assignment.fromDiff(known, diff).kind, order === 0 ? 'diff-matches-known' : 'too-stale-diff');
          }
        });
      }
    });
  });

  const loose = data.from_diff_with_loose_incarnation_data;
  for (const incarnation of loose.loose_incarnations) {
    tally.case(`loose incarnation ${incarnation}: diffs are full and a loose diff_generation is ignored`, () => {
      const initial = simpleAssignment(withIncarnation(loose.initial_assignment, incarnation));
      const next = simpleAssignment(withIncarnation(loose.next_assignment, incarnation));
      const proto = next.toDiff(initial.generation).toProto();
      assert.equal(proto.diffGeneration, undefined);
      const withDiffGeneration = fromBinary(DiffAssignmentPSchema, toBinary(DiffAssignmentPSchema, proto));
      withDiffGeneration.diffGeneration = initial.generation.toProto();
      for (const p of [proto, withDiffGeneration]) {
        const diff = DiffAssignment.fromProto(fromBinary(DiffAssignmentPSchema, toBinary(DiffAssignmentPSchema, p)));
        assert.ok(applied(Assignment.fromDiff(initial, diff)).equals(next));
      }
    });
  }

  data.from_diff_failure_test_cases.forEach((c, i) => {
    tally.case(`fromDiff failure ${i}: ${c.expected_diff_unused ?? c.expected_error}`, () => {
      const known = c.known_assignment === undefined ? undefined : simpleAssignment(c.known_assignment);
      const diff = simpleDiffAssignment(c.diff);
      if (c.expected_error !== undefined) {
        assert.throws(() => Assignment.fromDiff(known, diff), (e: Error) => e.message.includes(c.expected_error as string));
      } else {
        assert.equal(Assignment.fromDiff(known, diff).kind, UNUSED_KIND[c.expected_diff_unused ?? 'NO_KNOWN']);
      }
    });
  });

  const higher = data.to_diff_with_higher_diff_generation_test_case;
  tally.case('toDiff rejects a newer diff generation', () => {
    const a = simpleAssignment(higher.assignment);
    assert.throws(() => a.toDiff(generationOf(higher.diff_generation)), (e: Error) => e.message.includes(higher.expected_error));
  });

  data.is_assigned_key_test_cases.forEach((c, i) => {
    tally.case(`isAssignedKey ${i} (${c.assignment.is_consistent === true ? 'Strong' : 'Affinity'})`, () => {
      const a = simpleAssignment(c.assignment);
      for (const call of c.calls) {
        const key = SliceKey.fromBytes(new TextEncoder().encode(call.slice_key ?? ''));
        const squid = testSquid(call.resource, call.resource_salt ?? '');
        assert.equal(a.isAssignedKey(key, squid), call.expected_result ?? false, `${call.slice_key} / ${call.resource} ${call.resource_salt ?? ''}`);
      }
    });
  });

  data.get_slice_set_for_resource_test_cases.forEach((c, i) => {
    tally.case(`getSliceSetForResource ${i}`, () => {
      const a = simpleAssignment(c.assignment);
      for (const call of c.calls) {
        const got = a.getSliceSetForResource(testSquid(call.resource, call.resource_salt ?? ''));
        assert.deepEqual(got.slices.map(String), (call.expected_slices ?? []).map((s) => sliceOf(s).toString()), call.resource);
      }
    });
  });

  data.get_assigned_slice_assignments_test_cases.forEach((c, i) => {
    tally.case(`getAssignedSliceAssignments ${i}`, () => {
      const a = simpleAssignment(c.assignment);
      for (const call of c.calls) {
        const got = a.getAssignedSliceAssignments(testSquid(call.resource));
        const expected = (call.expected_slice_assignments ?? []).map(simpleSliceAssignment);
        assert.equal(got.length, expected.length, call.resource);
        got.forEach((s, k) => assert.ok(s.equals(expected[k] as (typeof expected)[number]), `${s} != ${expected[k]}`));
      }
    });
  });
});
