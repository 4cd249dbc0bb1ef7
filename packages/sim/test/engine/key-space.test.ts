import assert from 'node:assert/strict';
import fc from 'fast-check';
import { SliceKey } from '@dicer-ts/common';
import { KeySpace, boundaryOf } from '../../src/engine/key-space.js';

describe('KeySpace', () => {
  it('places key i at SliceKey.fromApplicationKey("key-<i>")', () => {
    const ks = KeySpace.synthetic(10);
    assert.ok(ks.sliceKey(3).equals(SliceKey.fromApplicationKey('key-3')));
    assert.equal(ks.high[3], ks.sliceKey(3).prefixHigh);
  });

  it('rebuilds every SliceKey byte for byte from its stored prefix words', () => {
    const ks = KeySpace.fromNames(Array.from({ length: 2000 }, (_, i) => `user:${i * 7919}`));
    for (let i = 0; i < ks.size; i++) assert.deepEqual(ks.sliceKey(i).bytes, SliceKey.fromApplicationKey(ks.nameOf(i)).bytes, ks.nameOf(i));
  });

  it('lists the keys in key-space order', () => {
    const ks = KeySpace.synthetic(500);
    for (let i = 1; i < ks.size; i++) assert.ok(ks.sliceKey(ks.order[i - 1] as number).compare(ks.sliceKey(ks.order[i] as number)) < 0);
  });

  it('puts a key equal to a longer boundary\'s prefix below that boundary (hot-key slices [k, k\\0))', () => {
    const ks = KeySpace.fromNames(['a', 'b', 'c']);
    const k = ks.sliceKey(1);
    const starts = [boundaryOf(SliceKey.MIN), boundaryOf(k), boundaryOf(k.successor())];
    const out = new Int32Array(3);
    ks.assignSegments(starts, out, 0);
    assert.equal(out[1], 1);
  });
});

describe('KeySpace invariants', () => {
  it('assigns every key to the last segment whose start is at or below it', () => {
    const ks = KeySpace.synthetic(300);
    const arbKey = fc.uint8Array({ minLength: 1, maxLength: 10 }).map((b) => SliceKey.fromBytes(b));
    fc.assert(
      fc.property(fc.uniqueArray(arbKey, { maxLength: 20, comparator: (a, b) => a.equals(b) }), (keys) => {
        const starts = [SliceKey.MIN, ...keys.filter((k) => !k.equals(SliceKey.MIN))].sort((a, b) => a.compare(b));
        const out = new Int32Array(ks.size);
        ks.assignSegments(starts.map(boundaryOf), out, 0);
        for (let id = 0; id < ks.size; id++) {
          const key = ks.sliceKey(id);
          let expected = 0;
          starts.forEach((s, j) => {
            if (key.compare(s) >= 0) expected = j;
          });
          assert.equal(out[id], expected);
        }
      }),
      { seed: 42, numRuns: 100 },
    );
  });
});
