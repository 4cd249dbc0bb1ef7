import assert from 'node:assert/strict';
import { describe, it } from 'mocha';
import fc from 'fast-check';
import { SliceTable } from '../../src/lookup/slice-table.js';
import { SliceKey } from '../../src/model/slice-key.js';
import type { Slice } from '../../src/model/slice.js';
import { FC_PARAMS, arbBoundaries, arbSliceKey, slicesFrom } from '../model/arbitraries.js';

const identity = (s: Slice): Slice => s;

/** Boundaries that include 8-byte keys and their 9-byte successors, to exercise prefix ties. */
const arbTieBoundaries = fc
  .tuple(arbBoundaries(20), fc.array(fc.uint8Array({ minLength: 8, maxLength: 8 }), { maxLength: 5 }))
  .map(([keys, eights]) => {
    const extra = eights.flatMap((b) => {
      const k = SliceKey.fromBytes(b);
      return [k, k.successor(), SliceKey.fromBytes(b.subarray(0, 5))];
    });
    const all = [...keys, ...extra].filter((k) => !k.isMin()).sort((a, b) => a.compare(b));
    return all.filter((k, i) => i === 0 || !all[i - 1]!.equals(k));
  });

describe('SliceTable invariants', () => {
  it('finds the same slice as a linear scan for every key', () => {
    fc.assert(
      fc.property(arbTieBoundaries, fc.array(arbSliceKey, { maxLength: 30 }), (boundaries, keys) => {
        const slices = slicesFrom(boundaries);
        const table = SliceTable.create(slices, identity);
        // Probe every bound as well: ties are where the byte fallback matters.
        for (const k of [...keys, ...boundaries, ...boundaries.map((b) => b.successor())]) {
          const expected = slices.findIndex((s) => s.contains(k));
          assert.equal(table.lookupIndex(k), expected, `key ${k}`);
        }
      }),
      FC_PARAMS,
    );
  });

  it('finds the same slice from 8-byte prefix words and from the application key', () => {
    fc.assert(
      fc.property(arbTieBoundaries, fc.array(fc.string({ maxLength: 20 }), { maxLength: 20 }), (boundaries, appKeys) => {
        const table = SliceTable.create(slicesFrom(boundaries), identity);
        for (const b of boundaries.filter((k) => k.bytes.length === 8)) {
          assert.equal(table.lookupIndexByPrefix(b.prefixHigh, b.prefixLow), table.lookupIndex(b));
        }
        for (const s of appKeys) {
          const key = SliceKey.fromApplicationKey(s);
          assert.equal(table.lookupIndexByPrefix(key.prefixHigh, key.prefixLow), table.lookupIndex(key));
          assert.equal(table.lookupIndexForApplicationKey(s), table.lookupIndex(key));
        }
      }),
      FC_PARAMS,
    );
  });
});

describe('SliceTable', () => {
  it('rejects slices that do not start at the empty key', () => {
    const k = SliceKey.fromBytes(Uint8Array.of(1));
    assert.throws(() => SliceTable.create(slicesFrom([k]).slice(1), identity), RangeError);
  });

  it('handles a single full slice and a 4,096-slice FarmHash table', () => {
    assert.equal(SliceTable.create(slicesFrom([]), identity).lookupIndex(SliceKey.fromApplicationKey('x')), 0);
    const bounds = Array.from({ length: 4095 }, (_, i) => SliceKey.fromApplicationKey(`b${i}`)).sort((a, b) => a.compare(b));
    const slices = slicesFrom(bounds);
    const table = SliceTable.create(slices, identity);
    for (let i = 0; i < 2000; i++) {
      const key = SliceKey.fromApplicationKey(`key-${i}`);
      assert.ok(slices[table.lookupIndex(key)]!.contains(key));
    }
  });
});
