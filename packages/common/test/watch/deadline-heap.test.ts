import assert from 'node:assert/strict';
import { describe, it } from 'mocha';
import fc from 'fast-check';
import { DeadlineHeap } from '../../src/watch/deadline-heap.js';

describe('DeadlineHeap invariants', () => {
  it('pops entries in deadline order, keeping only retained ones', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 1000 }), { maxLength: 200 }), fc.integer({ min: 2, max: 5 }), (times, mod) => {
        const heap = new DeadlineHeap<{ atMs: number; id: number }>();
        times.forEach((atMs, id) => heap.push({ atMs, id }));
        heap.retain((e) => e.id % mod !== 0);
        const out: number[] = [];
        for (let e = heap.pop(); e !== undefined; e = heap.pop()) out.push(e.atMs);
        const expected = times.filter((_, id) => id % mod !== 0).sort((a, b) => a - b);
        assert.deepEqual(out, expected);
        assert.equal(heap.size, 0);
      }),
      { seed: 42, numRuns: 200 },
    );
  });
});
