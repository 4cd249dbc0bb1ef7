import assert from 'node:assert/strict';
import { describe, it } from 'mocha';
import fc from 'fast-check';
import { SliceSet } from '../../src/model/slice-set.js';
import { compareHigh } from '../../src/model/slice.js';
import { FC_PARAMS, arbSlice, arbSliceKey } from './arbitraries.js';

const arbSet = fc.array(arbSlice, { maxLength: 6 }).map((s) => SliceSet.create(s));

describe('SliceSet invariants', () => {
  it('keeps its slices sorted, disjoint and non-touching', () => {
    fc.assert(
      fc.property(arbSet, (set) => {
        for (let i = 1; i < set.slices.length; i++) {
          const prev = set.slices[i - 1]!;
          const next = set.slices[i]!;
          assert.ok(compareHigh(prev.highExclusive, next.lowInclusive) < 0, `${prev} then ${next}`);
        }
      }),
      FC_PARAMS,
    );
  });

  it('agrees with key membership for union, intersection and subtraction', () => {
    fc.assert(
      fc.property(arbSet, arbSet, fc.array(arbSliceKey, { minLength: 10, maxLength: 30 }), (a, b, keys) => {
        // Probe the bounds too: that is where off-by-one errors live.
        const probes = [...keys, ...a.slices.flatMap((s) => [s.lowInclusive, ...(s.highExclusive ? [s.highExclusive] : [])]), ...b.slices.map((s) => s.lowInclusive)];
        const union = a.union(b);
        const inter = a.intersection(b);
        const diff = a.subtract(b);
        for (const k of probes) {
          assert.equal(union.contains(k), a.contains(k) || b.contains(k), `union at ${k}`);
          assert.equal(inter.contains(k), a.contains(k) && b.contains(k), `intersection at ${k}`);
          assert.equal(diff.contains(k), a.contains(k) && !b.contains(k), `${a} - ${b} at ${k}`);
        }
        assert.ok(SliceSet.create(union.slices).equals(union));
        assert.ok(SliceSet.create(diff.slices).equals(diff));
      }),
      FC_PARAMS,
    );
  });
});

describe('SliceSet', () => {
  it('subtracts the full set to nothing and nothing to itself', () => {
    const s = SliceSet.create([SliceSet.FULL.slices[0]!]);
    assert.ok(s.subtract(SliceSet.FULL).isEmpty());
    assert.ok(s.subtract(SliceSet.EMPTY).equals(SliceSet.FULL));
  });
});
