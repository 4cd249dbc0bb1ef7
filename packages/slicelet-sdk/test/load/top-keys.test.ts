/** The top-keys sketch (Dicer's `LossyEwmaCounter`): examples and its error-bound invariants. */
import assert from 'node:assert/strict';
import { SliceKey } from '@dicer-ts/common';
import fc from 'fast-check';
import { describe, it } from 'mocha';
import { TopKeysSketch, topKeysHash as topKeysHashOf } from '../../src/load/top-keys.js';

const keyOf = (i: number): SliceKey => SliceKey.fromBytes(Buffer.from(`key-${i}`, 'latin1'));

describe('TopKeysSketch', () => {
  describe('constructor', () => {
    it('rejects an error bound outside (0, 1) and a support not above the error, with InvalidArgumentError', () => {
      for (const options of [{ error: 0 }, { error: 1 }, { support: 0.004 }, { support: 1 }, { halfLifeSeconds: 0 }]) {
        assert.throws(() => new TopKeysSketch(options), { name: 'InvalidArgumentError' }, JSON.stringify(options));
      }
    });
  });

  describe('topKeys', () => {
    it('is empty before any load', () => {
      assert.deepEqual(new TopKeysSketch().topKeys(), []);
    });

    it('reports a key above the support with its exact share, in key order, and not one below it', () => {
      const sketch = new TopKeysSketch();
      sketch.increment(keyOf(2), 30, 0);
      sketch.increment(keyOf(1), 60, 0);
      sketch.increment(keyOf(3), 4, 0);
      sketch.increment(keyOf(4), 6, 0);
      const top = sketch.topKeys();
      assert.deepEqual(
        top.map((t) => [Buffer.from(t.key.bytes).toString('latin1'), t.contribution]),
        [
          ['key-1', 0.6],
          ['key-2', 0.3],
          ['key-4', 0.06],
        ],
      );
    });

    it('lets an old hot key fade once newer load dominates (decay)', () => {
      const sketch = new TopKeysSketch({ halfLifeSeconds: 10 });
      sketch.increment(keyOf(1), 100, 0);
      sketch.increment(keyOf(2), 100, 100); // 10 half-lives later: key 1 now weighs 2^-10 as much
      const top = sketch.topKeys();
      assert.deepEqual(top.map((t) => t.key.equals(keyOf(2))), [true]);
    });

    it('survives days without load: old keys decay to nothing instead of overflowing', () => {
      const sketch = new TopKeysSketch();
      sketch.increment(keyOf(1), 100, 0);
      sketch.increment(keyOf(2), 5, 3 * 86_400); // 2^(259200/120) would overflow a double
      const top = sketch.topKeys();
      assert.equal(top.length, 1);
      assert.ok(top[0]!.key.equals(keyOf(2)));
      assert.equal(top[0]!.contribution, 1);
    });

    it('treats distinct SliceKey objects with equal bytes as one key', () => {
      const sketch = new TopKeysSketch();
      sketch.increment(keyOf(7), 1, 0);
      sketch.increment(keyOf(7), 1, 0);
      assert.equal(sketch.size, 1);
      assert.equal(sketch.topKeys()[0]?.contribution, 1);
    });
  });

  describe('when the table fills up', () => {
    it('forgets keys at or below the error bound and keeps the heavy ones', () => {
      const sketch = new TopKeysSketch({ support: 0.1, error: 0.01 }); // scans at 100 keys
      for (let i = 1; i < 100; i++) sketch.increment(keyOf(i), 1, 0);
      // The 100th key triggers the scan; each light key's upper bound (1 plus at most 1 % of what
      // came before it) is now far below 1 % of the total.
      sketch.increment(keyOf(0), 1000, 0);
      assert.equal(sketch.size, 1);
      assert.deepEqual(sketch.topKeys().map((t) => t.key.equals(keyOf(0))), [true]);
    });
  });
});

// ---------------------------------------------------------------------------------------------
// Properties

interface Step {
  readonly key: number;
  readonly value: number;
  readonly dtSeconds: number;
}

/** A skewed workload: a few hot keys, a long tail (which forces scans), occasional long pauses. */
const arbStep: fc.Arbitrary<Step> = fc.record({
  key: fc.oneof({ weight: 3, arbitrary: fc.integer({ min: 0, max: 4 }) }, { weight: 2, arbitrary: fc.integer({ min: 5, max: 3000 }) }),
  value: fc.integer({ min: 1, max: 20 }),
  dtSeconds: fc.oneof({ weight: 20, arbitrary: fc.constant(0) }, { weight: 4, arbitrary: fc.integer({ min: 1, max: 3 }) }, { weight: 1, arbitrary: fc.integer({ min: 50, max: 400 }) }),
});

const arbConfig = fc.constantFrom(
  { support: 0.05, error: 0.005, halfLifeSeconds: 120 },
  { support: 0.1, error: 0.02, halfLifeSeconds: 3 },
  { support: 0.2, error: 0.05, halfLifeSeconds: 1 },
);

/** Runs the steps; returns the sketch and each key's exact decayed share (relative to the last second). */
function run(steps: readonly Step[], config: { support: number; error: number; halfLifeSeconds: number }) {
  const sketch = new TopKeysSketch(config);
  const seconds: number[] = [];
  let second = 0;
  for (const step of steps) {
    second += step.dtSeconds;
    seconds.push(second);
    sketch.increment(keyOf(step.key), step.value, second);
  }
  const shares = new Map<number, number>();
  let total = 0;
  steps.forEach((step, i) => {
    const weighted = step.value * Math.pow(2, (seconds[i]! - second) / config.halfLifeSeconds);
    shares.set(step.key, (shares.get(step.key) ?? 0) + weighted);
    total += weighted;
  });
  for (const [k, v] of shares) shares.set(k, v / total);
  return { sketch, shares };
}

const keyIndex = (key: SliceKey): number => Number(Buffer.from(key.bytes).toString('latin1').slice(4));
const TOLERANCE = 1e-9;

describe('TopKeysSketch invariants', () => {
  const arbRun = fc.tuple(fc.array(arbStep, { minLength: 1, maxLength: 1000, size: 'max' }), arbConfig);

  it('never overestimates a key\'s share, and underestimates it by at most the error bound', () => {
    fc.assert(
      fc.property(arbRun, ([steps, config]) => {
        const { sketch, shares } = run(steps, config);
        for (const top of sketch.topKeys()) {
          const truth = shares.get(keyIndex(top.key)) ?? 0;
          assert.ok(top.contribution <= truth + TOLERANCE, `${top.key}: ${top.contribution} > true share ${truth}`);
          assert.ok(top.contribution >= truth - config.error - TOLERANCE, `${top.key}: ${top.contribution} ≪ true share ${truth}`);
        }
      }),
      { seed: 42, numRuns: 150, endOnFailure: true },
    );
  });

  it('brackets every tracked key\'s decayed share between its bounds, and forgets only keys at most at the error bound', () => {
    fc.assert(
      fc.property(arbRun, ([steps, config]) => {
        const { sketch, shares } = run(steps, config);
        for (const [k, share] of shares) {
          const bounds = sketch.shareBounds(keyOf(k));
          if (bounds === undefined) {
            assert.ok(share <= config.error + TOLERANCE, `key ${k} forgotten with share ${share}`);
          } else {
            assert.ok(bounds.lower <= share + TOLERANCE && share <= bounds.upper + TOLERANCE, `key ${k}: ${share} not in [${bounds.lower}, ${bounds.upper}]`);
            assert.ok(bounds.upper - bounds.lower <= config.error + TOLERANCE, `key ${k}: bounds wider than the error`);
          }
        }
      }),
      { seed: 42, numRuns: 150, endOnFailure: true },
    );
  });

  it('reports every key whose decayed share exceeds the support', () => {
    fc.assert(
      fc.property(arbRun, ([steps, config]) => {
        const { sketch, shares } = run(steps, config);
        const reported = new Set(sketch.topKeys().map((t) => keyIndex(t.key)));
        for (const [k, share] of shares) {
          if (share > config.support + TOLERANCE) assert.ok(reported.has(k), `key ${k} with share ${share} not reported`);
        }
      }),
      { seed: 42, numRuns: 150, endOnFailure: true },
    );
  });

  it('reports only keys whose decayed share exceeds the support minus the error bound', () => {
    fc.assert(
      fc.property(arbRun, ([steps, config]) => {
        const { sketch, shares } = run(steps, config);
        for (const top of sketch.topKeys()) {
          const truth = shares.get(keyIndex(top.key)) ?? 0;
          assert.ok(truth > config.support - config.error - TOLERANCE, `${top.key} reported with true share ${truth}`);
        }
      }),
      { seed: 42, numRuns: 150, endOnFailure: true },
    );
  });
});

// Area: Slicelet handle hot path. A handle keeps the entry an increment returned and increments
// it directly while it is tracked; that must be indistinguishable from looking the key up.
describe('TopKeysSketch entries', () => {
  it('increments through a kept entry exactly as through a lookup, across scans that forget keys', () => {
    const step = fc.record({ key: fc.integer({ min: 0, max: 40 }), value: fc.integer({ min: 1, max: 100 }), dt: fc.integer({ min: 0, max: 3 }) });
    fc.assert(
      fc.property(fc.array(step, { minLength: 50, maxLength: 400, size: 'max' }), (steps) => {
        const options = { support: 0.2, error: 0.1, halfLifeSeconds: 5 }; // scans every ~10 new keys
        const looked = new TopKeysSketch(options);
        const kept = new TopKeysSketch(options);
        const entries = new Map<number, ReturnType<TopKeysSketch['incrementHashed']>>();
        let second = 0;
        for (const s of steps) {
          second += s.dt;
          const key = keyOf(s.key);
          looked.increment(key, s.value, second);
          const entry = entries.get(s.key);
          if (entry !== undefined && entry.tracked) kept.incrementEntry(entry, s.value, second);
          else entries.set(s.key, kept.incrementHashed(key, topKeysHashOf(key), s.value, second));
        }
        assert.deepEqual(kept.topKeys(), looked.topKeys());
        assert.equal(kept.size, looked.size);
      }),
      { seed: 42, numRuns: 150 },
    );
  });

  it('marks a forgotten key\'s entry untracked', () => {
    const sketch = new TopKeysSketch({ support: 0.2, error: 0.1 });
    const cold = sketch.incrementHashed(keyOf(0), topKeysHashOf(keyOf(0)), 1, 0);
    assert.equal(cold.tracked, true);
    for (let i = 1; i <= 10; i++) sketch.increment(keyOf(i), 1000, 0); // the tenth new key scans
    assert.equal(cold.tracked, false);
    assert.equal(sketch.shareBounds(keyOf(0)), undefined);
  });
});
