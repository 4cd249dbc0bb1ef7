import assert from 'node:assert/strict';
import fc from 'fast-check';
import { TickLoadBuffer } from '../../src/engine/tick-load-buffer.js';

/** The buffer's entries as [instance, key, load] triples, in entry order. */
function entries(buffer: TickLoadBuffer): [number, number, number][] {
  return Array.from({ length: buffer.size }, (_, i) => [buffer.instanceAt(i), buffer.keyAt(i), buffer.loadAt(i)]);
}

describe('TickLoadBuffer', () => {
  it('sums load per (instance, key) in first-served order, the same key on two instances apart', () => {
    const buffer = new TickLoadBuffer(10);
    buffer.add(3, 7, 1);
    buffer.add(1, 7, 2);
    buffer.add(3, 2, 0.5);
    buffer.add(3, 7, 4);
    buffer.add(1, 7, 1);
    assert.deepEqual(entries(buffer), [
      [3, 7, 5],
      [1, 7, 3],
      [3, 2, 0.5],
    ]);
    buffer.clear();
    assert.equal(buffer.size, 0);
    buffer.add(1, 7, 9);
    assert.deepEqual(entries(buffer), [[1, 7, 9]]);
  });

  it('matches a Map per instance, in order and sums, across growth and clears (property)', () => {
    const request = fc.record({ instance: fc.integer({ min: 0, max: 5 }), key: fc.integer({ min: 0, max: 3000 }), load: fc.double({ min: 0.1, max: 10, noNaN: true }) });
    fc.assert(
      fc.property(fc.array(fc.array(request, { maxLength: 3000, size: 'max' }), { minLength: 1, maxLength: 3 }), (ticks) => {
        const buffer = new TickLoadBuffer(3001);
        for (const tick of ticks) {
          const expected = new Map<number, Map<number, number>>();
          for (const { instance, key, load } of tick) {
            buffer.add(instance, key, load);
            const perKey = expected.get(instance) ?? new Map<number, number>();
            expected.set(instance, perKey);
            perKey.set(key, (perKey.get(key) ?? 0) + load);
          }
          const actual = new Map<number, [number, number][]>();
          for (const [instance, key, load] of entries(buffer)) actual.set(instance, [...(actual.get(instance) ?? []), [key, load]]);
          assert.deepEqual(actual, new Map([...expected].map(([i, perKey]) => [i, [...perKey]])));
          buffer.clear();
        }
      }),
      { seed: 42, numRuns: 60 },
    );
  });
});
