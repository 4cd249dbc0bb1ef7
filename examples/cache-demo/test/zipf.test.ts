import { strict as assert } from 'node:assert';
import fc from 'fast-check';
import { InvalidArgumentError, SeededRandom } from '@dicer-ts/common';
import { Zipf } from '../src/zipf.js';

describe('Zipf', () => {
  it('gives rank i a probability proportional to 1 / (i + 1)^s', () => {
    const zipf = new Zipf(4, 1);
    const h = 1 + 1 / 2 + 1 / 3 + 1 / 4;
    for (let i = 0; i < 4; i++) assert.ok(Math.abs(zipf.probability(i) - 1 / (i + 1) / h) < 1e-12);
  });

  it('is uniform for s = 0', () => {
    const zipf = new Zipf(5, 0);
    for (let i = 0; i < 5; i++) assert.ok(Math.abs(zipf.probability(i) - 0.2) < 1e-12);
  });

  it('draws ranks with frequencies close to their probabilities', () => {
    const zipf = new Zipf(100, 0.8);
    const random = new SeededRandom(7);
    const counts = new Array<number>(100).fill(0);
    const draws = 200_000;
    for (let i = 0; i < draws; i++) counts[zipf.sample(random)]! += 1;
    for (const rank of [0, 1, 10, 99]) {
      const expected = zipf.probability(rank) * draws;
      assert.ok(Math.abs(counts[rank]! - expected) < 5 * Math.sqrt(expected) + 5, `rank ${rank}: ${counts[rank]} vs ${expected.toFixed(0)}`);
    }
  });

  it('rejects a non-positive size and a negative exponent', () => {
    assert.throws(() => new Zipf(0, 1), InvalidArgumentError);
    assert.throws(() => new Zipf(3, -1), InvalidArgumentError);
  });
});

describe('Zipf invariants', () => {
  it('draws only ranks in [0, n)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 500 }), fc.double({ min: 0, max: 3, noNaN: true }), fc.integer(), (n, s, seed) => {
        const zipf = new Zipf(n, s);
        const random = new SeededRandom(seed);
        for (let i = 0; i < 50; i++) {
          const rank = zipf.sample(random);
          if (!(Number.isInteger(rank) && rank >= 0 && rank < n)) return false;
        }
        return true;
      }),
      { seed: 42, numRuns: 200 },
    );
  });
});
