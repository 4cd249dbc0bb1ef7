import assert from 'node:assert/strict';
import { describe, it } from 'mocha';
import fc from 'fast-check';
import { SeededRandom } from '../../src/random.js';
import { Backoff } from '../../src/watch/backoff.js';

const fixed = (u: number) => ({ next: () => u });

describe('Backoff', () => {
  describe('next', () => {
    it('doubles the pre-jitter delay from 1 s up to the 10 s cap', () => {
      const b = new Backoff(fixed(0.5));
      assert.deepEqual(
        Array.from({ length: 7 }, () => b.next()),
        [1000, 2000, 4000, 8000, 10000, 10000, 10000],
      );
    });

    it('applies ±20 % jitter from the injected random', () => {
      assert.equal(new Backoff(fixed(0)).next(), 800);
      assert.ok(Math.abs(new Backoff(fixed(0.999999)).next() - 1200) < 0.01);
      assert.equal(new Backoff(fixed(0.75)).next(), 1100);
    });
  });

  describe('reset', () => {
    it('goes back to the first delay', () => {
      const b = new Backoff(fixed(0.5));
      b.next();
      b.next();
      b.next();
      b.reset();
      assert.equal(b.next(), 1000);
      assert.equal(b.nextBaseDelayMs, 2000);
    });
  });

  it('rejects bad options naming the option', () => {
    assert.throws(() => new Backoff(fixed(0.5), { minDelayMs: 0 }), /minDelayMs must be positive, got 0/);
    assert.throws(() => new Backoff(fixed(0.5), { minDelayMs: 10, maxDelayMs: 5 }), /maxDelayMs must be at least/);
    assert.throws(() => new Backoff(fixed(0.5), { jitterFraction: 1 }), /jitterFraction must be in/);
  });

  describe('Backoff invariants', () => {
    it('keeps every delay within ±20 % of a pre-jitter delay in [1 s, 10 s]', () => {
      fc.assert(
        fc.property(fc.integer(), fc.array(fc.boolean(), { maxLength: 40 }), (seed, resets) => {
          const b = new Backoff(new SeededRandom(seed));
          let expectedBase = 1000;
          for (const reset of resets) {
            if (reset) {
              b.reset();
              expectedBase = 1000;
            }
            const d = b.next();
            assert.ok(d >= expectedBase * 0.8 && d <= expectedBase * 1.2, `delay ${d} for base ${expectedBase}`);
            expectedBase = Math.min(10000, expectedBase * 2);
          }
        }),
        { seed: 42, numRuns: 200 },
      );
    });
  });
});
