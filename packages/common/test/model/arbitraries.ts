/**
 * fast-check arbitraries for the assignment-side model, built through public constructors. Keys are
 * drawn from a tiny alphabet so that prefixes, ties on the 8-byte prefix and 9-byte successor keys
 * are common.
 */
import fc from 'fast-check';
import { Assignment } from '../../src/model/assignment.js';
import { Generation } from '../../src/model/generation.js';
import { SliceAssignment } from '../../src/model/slice-assignment.js';
import { SliceKey, compareBytes } from '../../src/model/slice-key.js';
import { Slice } from '../../src/model/slice.js';
import { type Squid, createTestSquid } from '../../src/model/squid.js';

/** Fixed-seed run parameters (style guide §8). */
export const FC_PARAMS = { seed: 42, numRuns: 200 } as const;

/** A key of 0–11 bytes over {0, 1, 2, 255}, or a random byte string. */
export const arbSliceKey: fc.Arbitrary<SliceKey> = fc
  .oneof(
    fc.array(fc.constantFrom(0, 1, 2, 255), { maxLength: 11 }).map((a) => Uint8Array.from(a)),
    fc.uint8Array({ maxLength: 12 }),
  )
  .map((b) => SliceKey.fromBytes(b));

/** `n` distinct sorted non-empty keys (slice boundaries). */
export function arbBoundaries(maxCount: number): fc.Arbitrary<SliceKey[]> {
  return fc.uniqueArray(arbSliceKey.filter((k) => !k.isMin()), {
    maxLength: maxCount,
    comparator: (a, b) => a.equals(b),
  }).map((keys) => keys.sort((a, b) => a.compare(b)));
}

/** A slice with random bounds (high may be infinity). */
export const arbSlice: fc.Arbitrary<Slice> = fc
  .tuple(arbSliceKey, fc.option(arbSliceKey, { nil: undefined }))
  .filter(([low, high]) => high === undefined || compareBytes(low.bytes, high.bytes) < 0)
  .map(([low, high]) => Slice.create(low, high));

/** A pool of test SQUIDs. */
export const SQUIDS: readonly Squid[] = Array.from({ length: 8 }, (_, i) => createTestSquid(`https://pod${i}:8080`));

/** A non-empty subset of the SQUID pool. */
export const arbResources: fc.Arbitrary<Squid[]> = fc.uniqueArray(fc.integer({ min: 0, max: SQUIDS.length - 1 }), {
  minLength: 1,
  maxLength: 3,
}).map((ix) => ix.map((i) => SQUIDS[i] as Squid));

/** The slices `["" .. b0), [b0 .. b1), …, [bn .. ∞)` of sorted boundaries. */
export function slicesFrom(boundaries: readonly SliceKey[]): Slice[] {
  const lows = [SliceKey.MIN, ...boundaries];
  return lows.map((low, i) => Slice.create(low, boundaries[i]));
}

/**
 * An assignment in non-loose incarnation `incarnation` with generation number `number`, whose
 * slices have generation numbers in [1, number].
 */
export function arbAssignment(incarnation: bigint, number: bigint): fc.Arbitrary<Assignment> {
  return arbBoundaries(12).chain((boundaries) => {
    const slices = slicesFrom(boundaries);
    return fc
      .tuple(
        fc.array(fc.tuple(arbResources, fc.bigInt({ min: 1n, max: number }), fc.option(fc.double({ min: 0, max: 1e6, noNaN: true }), { nil: undefined })), {
          minLength: slices.length,
          maxLength: slices.length,
        }),
        fc.boolean(),
      )
      .map(([values, isFrozen]) =>
        Assignment.create({
          isFrozen,
          generation: Generation.create(incarnation, number),
          sliceAssignments: slices.map((slice, i) => {
            const [resources, gen, load] = values[i] as [Squid[], bigint, number | undefined];
            return SliceAssignment.create({ slice, generation: Generation.create(incarnation, gen), resources, primaryRateLoad: load });
          }),
        }),
      );
  });
}

/**
 * A successor of `a` in a linear history: some runs of consecutive slices are re-split at new
 * boundaries inside the run and reassigned at generation `next`; the rest keep their slice
 * assignments untouched.
 */
export function arbSuccessor(a: Assignment, nextNumber: bigint): fc.Arbitrary<Assignment> {
  const n = a.sliceAssignments.length;
  const next = Generation.create(a.generation.incarnation, nextNumber);
  return fc
    .tuple(fc.array(fc.boolean(), { minLength: n, maxLength: n }), arbBoundaries(10), fc.array(arbResources, { minLength: 30, maxLength: 30 }))
    .map(([changed, extraBoundaries, resourcePool]) => {
      const out: SliceAssignment[] = [];
      let pick = 0;
      let i = 0;
      while (i < n) {
        const s = a.sliceAssignments[i] as SliceAssignment;
        if (!changed[i]) {
          out.push(s);
          i++;
          continue;
        }
        let j = i;
        while (j < n && changed[j]) j++;
        // Run [i, j): its key range, re-split at the extra boundaries that fall inside it.
        const low = s.slice.lowInclusive;
        const high = (a.sliceAssignments[j - 1] as SliceAssignment).slice.highExclusive;
        const run = Slice.create(low, high);
        const cuts = extraBoundaries.filter((k) => run.contains(k) && !k.equals(low));
        const lows = [low, ...cuts];
        lows.forEach((l, k) => {
          out.push(
            SliceAssignment.create({
              slice: Slice.create(l, cuts[k] ?? high),
              generation: next,
              resources: resourcePool[pick++ % resourcePool.length] as Squid[],
            }),
          );
        });
        i = j;
      }
      return Assignment.create({ isFrozen: a.isFrozen, generation: next, sliceAssignments: out });
    });
}
