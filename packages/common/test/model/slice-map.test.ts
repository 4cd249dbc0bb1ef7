import assert from 'node:assert/strict';
import { describe, it } from 'mocha';
import fc from 'fast-check';
import { SliceMap } from '../../src/model/slice-map.js';
import type { Slice } from '../../src/model/slice.js';
import { FC_PARAMS, arbBoundaries, arbSliceKey, slicesFrom } from './arbitraries.js';

const identity = (s: Slice): Slice => s;

describe('SliceMap invariants', () => {
  it('covers the whole key space with disjoint slices after gap filling', () => {
    fc.assert(
      fc.property(arbBoundaries(10), fc.array(fc.boolean(), { minLength: 11, maxLength: 11 }), (boundaries, keep) => {
        const some = slicesFrom(boundaries).filter((_, i) => keep[i]);
        const map = SliceMap.createFromOrderedDisjointEntries(some, identity);
        SliceMap.validateComplete(map.slices());
        assert.deepEqual(
          map.entries.filter((e) => e.kind === 'some').map((e) => e.slice.toString()),
          some.map(String),
        );
        // No two gaps are adjacent: each hole is filled by exactly one gap.
        for (let i = 1; i < map.entries.length; i++) {
          assert.ok(!(map.entries[i - 1]!.kind === 'gap' && map.entries[i]!.kind === 'gap'));
        }
      }),
      FC_PARAMS,
    );
  });

  it('finds the one entry holding each key', () => {
    fc.assert(
      fc.property(arbBoundaries(10), fc.array(arbSliceKey, { maxLength: 20 }), (boundaries, keys) => {
        const map = SliceMap.createComplete(slicesFrom(boundaries), identity);
        for (const k of keys) {
          const holding = map.entries.filter((s) => s.contains(k));
          assert.equal(holding.length, 1);
          assert.equal(map.lookup(k), holding[0]);
        }
      }),
      FC_PARAMS,
    );
  });

  it('intersects two complete maps into pieces that cover the key space and lie in both entries', () => {
    fc.assert(
      fc.property(arbBoundaries(8), arbBoundaries(8), (b1, b2) => {
        const left = SliceMap.createComplete(slicesFrom(b1), identity);
        const right = SliceMap.createComplete(slicesFrom(b2), identity);
        const pieces = SliceMap.intersectSlices(left, right);
        SliceMap.validateComplete(pieces.map((p) => p.slice));
        for (const p of pieces) assert.ok(p.left.containsSlice(p.slice) && p.right.containsSlice(p.slice));
      }),
      FC_PARAMS,
    );
  });
});
