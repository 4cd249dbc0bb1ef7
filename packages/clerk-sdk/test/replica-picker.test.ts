import assert from 'node:assert/strict';
import { describe, it } from 'mocha';
import fc from 'fast-check';
import { SeededRandom } from '@dicer-ts/common';
import { ReplicaRandom, pickLeastOutstandingIndex, pickRandomIndex, pickReplicaIndex } from '../src/replica-picker.js';

const counts = (...values: number[]): { outstanding: number }[] => values.map((outstanding) => ({ outstanding }));

/** Pearson's chi-square statistic of `observed` against a uniform expectation. */
function chiSquare(observed: readonly number[]): number {
  const total = observed.reduce((a, b) => a + b, 0);
  const expected = total / observed.length;
  return observed.reduce((sum, o) => sum + (o - expected) ** 2 / expected, 0);
}

describe('pickRandomIndex', () => {
  for (const [name, make] of [
    ['a seeded Random', () => new SeededRandom(7)],
    ['the Clerk\'s ReplicaRandom seeded from it', () => new ReplicaRandom(new SeededRandom(7))],
  ] as const) {
    it(`spreads picks uniformly over the replicas with ${name}`, () => {
      const random = make();
      for (const n of [2, 3, 5]) {
        const hits = new Array<number>(n).fill(0);
        for (let i = 0; i < 100_000; i++) hits[pickRandomIndex(n, random)]!++;
        // The 99.9th percentiles of chi-square with 1, 2 and 4 degrees of freedom.
        const limit = { 2: 10.83, 3: 13.82, 5: 18.47 }[n]!;
        assert.ok(chiSquare(hits) < limit, `chi-square ${chiSquare(hits)} for ${hits.join(',')}`);
      }
    });
  }

  it('gives the same sequence for the same seed with ReplicaRandom', () => {
    const a = new ReplicaRandom(new SeededRandom(99));
    const b = new ReplicaRandom(new SeededRandom(99));
    const c = new ReplicaRandom(new SeededRandom(100));
    const seq = (r: ReplicaRandom): number[] => Array.from({ length: 50 }, () => r.nextInt(1000));
    const sa = seq(a);
    assert.deepEqual(sa, seq(b));
    assert.notDeepEqual(sa, seq(c));
  });

  it('returns 0 for a single replica without consuming randomness', () => {
    const a = new SeededRandom(3);
    const b = new SeededRandom(3);
    assert.equal(pickRandomIndex(1, a), 0);
    assert.equal(a.next(), b.next());
  });

  it('stays in range for a source that returns the bound itself', () => {
    assert.equal(pickRandomIndex(4, { nextInt: (bound) => bound }), 3);
  });

  it('never gets stuck at zero state with ReplicaRandom', () => {
    const r = new ReplicaRandom({ next: () => 0 });
    const seen = new Set(Array.from({ length: 100 }, () => r.nextInt(10)));
    assert.ok(seen.size > 5);
  });
});

describe('pickLeastOutstandingIndex', () => {
  it('picks the replica with the fewest requests in flight', () => {
    const random = new SeededRandom(1);
    assert.equal(pickLeastOutstandingIndex(counts(5, 2, 9), random), 1);
    assert.equal(pickLeastOutstandingIndex(counts(0, 3, 1), random), 0);
    assert.equal(pickLeastOutstandingIndex(counts(4, 4, 3), random), 2);
  });

  it('breaks ties uniformly at random among the least loaded', () => {
    const random = new SeededRandom(11);
    const replicas = counts(2, 1, 5, 1, 1);
    const hits = [0, 0, 0, 0, 0];
    for (let i = 0; i < 30_000; i++) hits[pickLeastOutstandingIndex(replicas, random)]!++;
    assert.equal(hits[0], 0);
    assert.equal(hits[2], 0);
    const tied = [hits[1]!, hits[3]!, hits[4]!];
    // 2 degrees of freedom: the 99.9th percentile is 13.82.
    assert.ok(chiSquare(tied) < 13.82, `chi-square ${chiSquare(tied)} for ${tied.join(',')}`);
  });

  it('keeps replicas balanced when every request stays in flight', () => {
    const random = new SeededRandom(5);
    const replicas = counts(0, 0, 0);
    for (let i = 0; i < 300; i++) replicas[pickLeastOutstandingIndex(replicas, random)]!.outstanding++;
    assert.deepEqual(replicas.map((r) => r.outstanding), [100, 100, 100]);
  });
});

describe('replica picker invariants', () => {
  const arbCounts = fc.array(fc.nat({ max: 20 }), { minLength: 1, maxLength: 8 });

  it('always picks an index of an existing replica', () => {
    fc.assert(
      fc.property(arbCounts, fc.integer(), fc.constantFrom('random' as const, 'least-outstanding' as const), (values, seed, selection) => {
        const i = pickReplicaIndex(selection, counts(...values), new ReplicaRandom(new SeededRandom(seed)));
        return Number.isInteger(i) && i >= 0 && i < values.length;
      }),
      { seed: 42, numRuns: 500 },
    );
  });

  it('least-outstanding never picks a replica busier than another', () => {
    fc.assert(
      fc.property(arbCounts, fc.integer(), (values, seed) => {
        const i = pickLeastOutstandingIndex(counts(...values), new ReplicaRandom(new SeededRandom(seed)));
        return values[i] === Math.min(...values);
      }),
      { seed: 42, numRuns: 500 },
    );
  });

  it('the same seed gives the same sequence of picks', () => {
    fc.assert(
      fc.property(arbCounts, fc.integer(), (values, seed) => {
        const a = new SeededRandom(seed);
        const b = new SeededRandom(seed);
        const replicas = counts(...values);
        for (let k = 0; k < 20; k++) {
          if (pickReplicaIndex('random', replicas, a) !== pickReplicaIndex('random', replicas, b)) return false;
          if (pickReplicaIndex('least-outstanding', replicas, a) !== pickReplicaIndex('least-outstanding', replicas, b)) return false;
        }
        return true;
      }),
      { seed: 42, numRuns: 200 },
    );
  });
});
