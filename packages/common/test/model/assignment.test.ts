import assert from 'node:assert/strict';
import { describe, it } from 'mocha';
import fc from 'fast-check';
import { fromBinary, toBinary } from '@bufbuild/protobuf';
import { DiffAssignmentPSchema } from '../../src/gen/dicer/common/proto/common_pb.js';
import { Assignment } from '../../src/model/assignment.js';
import { DiffAssignment } from '../../src/model/diff-assignment.js';
import { Generation } from '../../src/model/generation.js';
import { SliceAssignment } from '../../src/model/slice-assignment.js';
import { Slice } from '../../src/model/slice.js';
import { SliceKey } from '../../src/model/slice-key.js';
import { createTestSquid } from '../../src/model/squid.js';
import { FC_PARAMS, SQUIDS, arbAssignment, arbSuccessor } from './arbitraries.js';

const INCARNATION = 2n;

/** model → proto → bytes → proto → model. */
function viaBytes(diff: DiffAssignment): DiffAssignment {
  return DiffAssignment.fromProto(fromBinary(DiffAssignmentPSchema, toBinary(DiffAssignmentPSchema, diff.toProto())));
}

function applied(known: Assignment | undefined, diff: DiffAssignment): Assignment {
  const result = Assignment.fromDiff(known, diff);
  assert.equal(result.kind, 'applied');
  return (result as { assignment: Assignment }).assignment;
}

const arbPair = arbAssignment(INCARNATION, 100n).chain((a) => arbSuccessor(a, 200n).map((b) => [a, b] as const));

describe('Assignment invariants', () => {
  it('gives B when the diff from A to B is applied onto A (same non-loose incarnation)', () => {
    fc.assert(
      fc.property(arbPair, ([a, b]) => {
        const diff = b.toDiff(a.generation);
        assert.ok(!diff.isFull());
        assert.ok(applied(a, diff).equals(b), `${applied(a, diff)}\n!=\n${b}`);
        assert.ok(applied(a, viaBytes(diff)).equals(b));
      }),
      FC_PARAMS,
    );
  });

  it('round-trips model → proto → bytes → proto → model, full and partial', () => {
    fc.assert(
      fc.property(arbPair, ([a, b]) => {
        for (const diff of [a.toDiff(Generation.EMPTY), b.toDiff(a.generation), b.toDiff(Generation.create(INCARNATION, 150n))]) {
          const back = viaBytes(diff);
          assert.ok(back.equals(diff));
          assert.deepEqual(toBinary(DiffAssignmentPSchema, back.toProto()), toBinary(DiffAssignmentPSchema, diff.toProto()));
        }
        assert.ok(applied(undefined, viaBytes(b.toDiff(Generation.EMPTY))).equals(b));
      }),
      FC_PARAMS,
    );
  });

  it('never applies a diff onto a newer or equal known assignment', () => {
    fc.assert(
      fc.property(arbPair, ([a, b]) => {
        assert.equal(Assignment.fromDiff(b, a.toDiff(Generation.EMPTY)).kind, 'too-stale-diff');
        assert.equal(Assignment.fromDiff(b, b.toDiff(Generation.EMPTY)).kind, 'diff-matches-known');
      }),
      FC_PARAMS,
    );
  });
});

describe('Assignment', () => {
  const gen = (n: bigint) => Generation.create(INCARNATION, n);
  const split = SliceKey.fromBytes(Uint8Array.of(0x80));
  const known = Assignment.create({
    generation: gen(10n),
    sliceAssignments: [SliceAssignment.create({ slice: Slice.FULL, generation: gen(5n), resources: [SQUIDS[0]!] })],
  });

  describe('fromDiff', () => {
    it('keeps the part of a known slice that falls in a gap of a partial diff', () => {
      const target = Assignment.create({
        generation: gen(20n),
        sliceAssignments: [
          SliceAssignment.create({ slice: Slice.create(SliceKey.MIN, split), generation: gen(20n), resources: [SQUIDS[1]!] }),
          SliceAssignment.create({ slice: Slice.atLeast(split), generation: gen(5n), resources: [SQUIDS[0]!] }),
        ],
      });
      // Not what a linear history produces (the known slice is split without a new generation),
      // but fromDiff must still clip the known slice to the gap rather than emit it whole.
      const result = Assignment.fromDiff(known, target.toDiff(gen(10n)));
      assert.equal(result.kind, 'applied');
      assert.ok((result as { assignment: Assignment }).assignment.equals(target));
    });

    it('reports no-known for a partial diff with nothing known', () => {
      const diff = known.toDiff(gen(6n));
      assert.equal(Assignment.fromDiff(undefined, diff).kind, 'no-known');
    });
  });

  describe('isAssignedKey', () => {
    it('matches by address in Affinity mode and by SQUID in Strong mode', () => {
      const strong = Assignment.create({ consistencyMode: 'strong', generation: gen(10n), sliceAssignments: known.sliceAssignments });
      // The same pod restarted: same address, new UUID.
      const restarted = createTestSquid(SQUIDS[0]!.resourceAddress.uri, 'restart');
      const key = SliceKey.fromApplicationKey('k');
      assert.equal(known.isAssignedKey(key, SQUIDS[0]!), true);
      assert.equal(known.isAssignedKey(key, restarted), true);
      assert.equal(strong.isAssignedKey(key, SQUIDS[0]!), true);
      assert.equal(strong.isAssignedKey(key, restarted), false);
      assert.equal(known.isAssignedKey(key, SQUIDS[1]!), false);
    });
  });
});
