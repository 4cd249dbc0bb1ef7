import assert from 'node:assert/strict';
import { Generation, Slice, SliceKey, SliceSet, type Squid } from '@dicer-ts/common';
import fc from 'fast-check';
import { describe, it } from 'mocha';
import {
  OwnershipSnapshot,
  continuityPieces,
  diffOwnership,
  ownedSliceLoads,
  ownedSliceSet,
} from '../src/ownership.js';
import { type SliceSpec, assignmentOf, key, squidOf } from './fixtures.js';

const A = squidOf('pod-a', 1);
const A_RESTARTED = squidOf('pod-a', 2);
const B = squidOf('pod-b', 3);
const C = squidOf('pod-c', 4);

describe('ownership', () => {
  describe('ownedSliceSet', () => {
    it('coalesces adjacent owned slices and sorts them', () => {
      const a = assignmentOf(1n, 10n, [
        { low: undefined, owners: [B] },
        { low: 0x20, owners: [A] },
        { low: 0x40, owners: [A, B] },
        { low: 0x60, owners: [B] },
        { low: 0x80, owners: [A] },
      ]);
      assert.deepEqual(
        ownedSliceSet(a, A).slices.map(String),
        [Slice.create(key(0x20), key(0x60)), Slice.atLeast(key(0x80))].map(String),
      );
    });

    it('matches by address, so a restarted pod keeps its slices (Affinity)', () => {
      const a = assignmentOf(1n, 10n, [{ low: undefined, owners: [A] }]);
      assert.ok(ownedSliceSet(a, A_RESTARTED).equals(SliceSet.FULL));
      assert.ok(ownedSliceSet(a, B).isEmpty());
    });

    it('is empty without an assignment', () => {
      assert.ok(ownedSliceSet(undefined, A).isEmpty());
    });
  });

  describe('ownedSliceLoads', () => {
    it('gives each owned slice its replica count and recorded load', () => {
      const a = assignmentOf(1n, 10n, [
        { low: undefined, owners: [A, B], load: 12 },
        { low: 0x80, owners: [B] },
      ]);
      const loads = ownedSliceLoads(a, A);
      assert.equal(loads.length, 1);
      assert.equal(loads[0]!.numReplicas, 2);
      assert.equal(loads[0]!.primaryRateLoad, 12);
      assert.ok(loads[0]!.slice.equals(Slice.create(SliceKey.MIN, key(0x80))));
    });
  });

  describe('continuityPieces', () => {
    it('uses annotation numbers of exactly this SQUID and the slice number elsewhere', () => {
      const a = assignmentOf(1n, 10n, [
        {
          low: undefined,
          owners: [A],
          number: 9n,
          annotations: [
            { owner: A, low: 0x10, high: 0x20, number: 3n },
            { owner: A, low: 0x30, high: undefined, number: 5n },
          ],
        },
      ]);
      const pieces = continuityPieces(a, A).map((p) => `${p.slice}@${p.sinceNumber}`);
      assert.deepEqual(pieces, [
        `${Slice.create(SliceKey.MIN, key(0x10))}@9`,
        `${Slice.create(key(0x10), key(0x20))}@3`,
        `${Slice.create(key(0x20), key(0x30))}@9`,
        `${Slice.atLeast(key(0x30))}@5`,
      ]);
    });

    it('ignores annotations of another incarnation at the same address', () => {
      const a = assignmentOf(1n, 10n, [
        { low: undefined, owners: [A], annotations: [{ owner: A, low: undefined, high: undefined, number: 2n }] },
      ]);
      assert.deepEqual(
        continuityPieces(a, A_RESTARTED).map((p) => p.sinceNumber),
        [10n],
      );
    });
  });

  describe('OwnershipSnapshot.isAssignedContinuously', () => {
    const a = assignmentOf(3n, 100n, [
      { low: undefined, owners: [A], number: 50n, annotations: [{ owner: A, low: undefined, high: 0x10, number: 20n }] },
      { low: 0x40, owners: [B] },
    ]);
    const snapshot = OwnershipSnapshot.create(a, A);

    it('is true when the piece was owned since at or before the start', () => {
      assert.equal(snapshot.isAssignedContinuously(key(0x05), 3n, 20n), true);
      assert.equal(snapshot.isAssignedContinuously(key(0x20), 3n, 50n), true);
    });

    it('is false when the piece was (re)assigned after the start', () => {
      assert.equal(snapshot.isAssignedContinuously(key(0x05), 3n, 19n), false);
      assert.equal(snapshot.isAssignedContinuously(key(0x20), 3n, 49n), false);
    });

    it('is false for a key not owned', () => {
      assert.equal(snapshot.isAssignedContinuously(key(0x50), 3n, 100n), false);
    });

    it('is false for an EMPTY start', () => {
      assert.equal(snapshot.isAssignedContinuously(key(0x05), 0n, 0n), false);
    });

    it('is false for a start of an older incarnation and true for a newer one', () => {
      assert.equal(snapshot.isAssignedContinuously(key(0x05), 1n, 1000n), false);
      assert.equal(snapshot.isAssignedContinuously(key(0x05), 5n, 1n), true);
    });

    it('is false for everything in the EMPTY snapshot', () => {
      assert.equal(OwnershipSnapshot.EMPTY.isAssignedContinuously(key(0x05), 3n, 100n), false);
      assert.ok(OwnershipSnapshot.EMPTY.generation.equals(Generation.EMPTY));
    });
  });
});

// --- properties ---------------------------------------------------------------------------------

const SQUIDS: readonly Squid[] = [A, B, C, A_RESTARTED];

/** Random assignments: sorted unique one-byte boundaries, 1–2 owners per slice, optional annotations. */
const arbAssignmentSpecs = fc
  .uniqueArray(fc.integer({ min: 1, max: 254 }), { maxLength: 8 })
  .chain((bounds) => {
    const lows = [undefined, ...[...bounds].sort((x, y) => x - y)];
    return fc.tuple(
      ...lows.map((low, i) => {
        const high = lows[i + 1];
        return fc
          .record({
            owners: fc.uniqueArray(fc.constantFrom(...SQUIDS), { minLength: 1, maxLength: 2, selector: (s) => s.toString() }),
            number: fc.bigInt({ min: 10n, max: 20n }),
            annotate: fc.boolean(),
            annotationNumber: fc.bigInt({ min: 1n, max: 10n }),
          })
          .map(({ owners, number, annotate, annotationNumber }): SliceSpec => {
            // One annotation covering the upper half of the slice (or all of it when it is one byte wide).
            const lowByte = low ?? 0;
            const mid = high === undefined ? Math.min(255, lowByte + 1) : Math.floor((lowByte + high) / 2);
            const annotationLow = mid > lowByte ? mid : low;
            return {
              low,
              owners,
              number,
              annotations: annotate ? [{ owner: owners[0]!, low: annotationLow, high, number: annotationNumber }] : [],
            };
          });
      }),
    );
  });

/** The rule of protocol.md §4 evaluated directly on the assignment, as a reference. */
function naiveContinuous(specs: readonly SliceSpec[], squid: Squid, k: SliceKey, startInc: bigint, startNum: bigint): boolean {
  const a = assignmentOf(2n, 30n, specs);
  if (startInc === 0n && startNum === 0n) return false;
  const sa = a.sliceAssignments.find((s) => s.contains(k))!;
  if (!sa.resources.some((r) => r.resourceAddress.equals(squid.resourceAddress))) return false;
  const annotation = sa.annotationsFor(squid).find((x) => x.subslice.contains(k));
  const since = Generation.create(2n, annotation?.generationNumber ?? sa.generation.number);
  return since.compare(Generation.create(startInc, startNum)) <= 0;
}

describe('ownership invariants', () => {
  it('covers the whole key space with the slices of all Slicelets', () => {
    fc.assert(
      fc.property(arbAssignmentSpecs, (specs) => {
        const a = assignmentOf(2n, 30n, specs);
        let union = SliceSet.EMPTY;
        for (const s of SQUIDS) union = union.union(ownedSliceSet(a, s));
        assert.ok(union.equals(SliceSet.FULL));
      }),
      { seed: 42, numRuns: 200 },
    );
  });

  it('adds and removes exactly the difference between two ownerships', () => {
    fc.assert(
      fc.property(arbAssignmentSpecs, arbAssignmentSpecs, fc.constantFrom(...SQUIDS), (s1, s2, squid) => {
        const before = ownedSliceSet(assignmentOf(2n, 30n, s1), squid);
        const after = ownedSliceSet(assignmentOf(2n, 31n, s2), squid);
        const { added, removed } = diffOwnership(before, after);
        const addedSet = SliceSet.create(added);
        const removedSet = SliceSet.create(removed);
        assert.ok(before.subtract(removedSet).union(addedSet).equals(after));
        assert.ok(addedSet.intersection(before).isEmpty());
        assert.ok(removedSet.intersection(after).isEmpty());
      }),
      { seed: 42, numRuns: 200 },
    );
  });

  it('answers continuity exactly as the generation rule of protocol.md §4', () => {
    fc.assert(
      fc.property(
        arbAssignmentSpecs,
        fc.constantFrom(...SQUIDS),
        fc.integer({ min: 0, max: 255 }),
        fc.bigInt({ min: 0n, max: 3n }),
        fc.bigInt({ min: 0n, max: 25n }),
        (specs, squid, byte, startInc, startNum) => {
          const snapshot = OwnershipSnapshot.create(assignmentOf(2n, 30n, specs), squid);
          const k = key(byte);
          assert.equal(snapshot.isAssignedContinuously(k, startInc, startNum), naiveContinuous(specs, squid, k, startInc, startNum));
        },
      ),
      { seed: 42, numRuns: 500 },
    );
  });
});
