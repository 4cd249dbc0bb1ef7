import assert from 'node:assert/strict';
import fc from 'fast-check';
import { SeededRandom } from '@dicer-ts/common';
import { SyntheticWorkload } from '../../src/workloads/synthetic-workload.js';
import { ZipfSampler } from '../../src/workloads/zipf-sampler.js';
import type { SyntheticWorkloadSpec } from '../../src/workloads/workload.js';

function collect(w: SyntheticWorkload, fromMs: number, seconds: number): number[] {
  const keys: number[] = [];
  for (let s = 0; s < seconds; s++) w.requestsIn(fromMs + s * 1000, 1000, (k) => keys.push(k));
  return keys;
}

describe('ZipfSampler', () => {
  it('draws rank r with probability ∝ 1/(r+1)^s', () => {
    const z = new ZipfSampler(100, 1);
    const random = new SeededRandom(7);
    const counts = new Array<number>(100).fill(0);
    const n = 200_000;
    for (let i = 0; i < n; i++) counts[z.sample(random)]!++;
    const h = z.probabilities[0]!;
    assert.ok(Math.abs(counts[0]! / n - h) < 0.01, `rank 0: ${counts[0]! / n} vs ${h}`);
    assert.ok(Math.abs(counts[1]! / counts[0]! - 0.5) < 0.03);
  });

  it('returns the first rank whose cumulative probability exceeds the draw, as a search over all ranks would (property)', () => {
    const draws = fc.oneof(
      fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
      fc.integer({ min: 0, max: 4095 }).map((b) => b / 4096), // the guide's bucket edges
    );
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 20_000 }), fc.constantFrom(0.5, 0.99, 1.2, 3), fc.array(draws, { minLength: 1, maxLength: 50 }), (n, s, us) => {
        const z = new ZipfSampler(n, s);
        let cdf = 0;
        const cumulative = Array.from(z.probabilities, (p) => (cdf += p));
        for (const u of us) {
          const first = cumulative.findIndex((c, r) => c > u || r === n - 1);
          assert.equal(z.sample({ next: () => u } as SeededRandom), first, `n ${n} s ${s} u ${u}`);
        }
      }),
      { seed: 42, numRuns: 150 },
    );
  });

  it('is uniform with exponent 0', () => {
    const z = new ZipfSampler(4, 0);
    assert.deepEqual([...z.probabilities], [0.25, 0.25, 0.25, 0.25]);
  });
});

describe('SyntheticWorkload', () => {
  const spec: SyntheticWorkloadSpec = { kind: 'synthetic', keys: 1000, ratePerSecond: 100.5, zipfExponent: 0.9 };

  it('makes the same requests for the same seed and different ones for another', () => {
    const a = collect(new SyntheticWorkload(spec, 3), 0, 20);
    const b = collect(new SyntheticWorkload(spec, 3), 0, 20);
    const c = collect(new SyntheticWorkload(spec, 4), 0, 20);
    assert.deepEqual(a, b);
    assert.notDeepEqual(a, c);
  });

  it('makes ratePerSecond requests per second on average (fractions carried over)', () => {
    assert.equal(collect(new SyntheticWorkload(spec, 1), 0, 10).length, 1005);
  });

  it('sends the hot key its share from its start time, and moves it', () => {
    const w = new SyntheticWorkload({ ...spec, ratePerSecond: 2000, hotKey: { atMs: 10_000, share: 0.3, moveEveryMs: 60_000 } }, 1);
    assert.equal(w.hotKeyAt(5_000), undefined);
    const hot = w.hotKeyAt(10_000) as number;
    const before = collect(w, 0, 10).filter((k) => k === hot).length / 20_000;
    const during = collect(w, 10_000, 10).filter((k) => k === hot).length / 20_000;
    assert.ok(before < 0.05, `before: ${before}`);
    assert.ok(Math.abs(during - 0.3) < 0.03, `during: ${during}`);
    assert.notEqual(w.hotKeyAt(70_000), undefined);
    const shares = w.keyShares(20_000);
    assert.ok(shares[hot]! >= 0.3);
    assert.ok(Math.abs(shares.reduce((a, b) => a + b, 0) - 1) < 1e-9);
  });

  it('follows the diurnal rate', () => {
    const w = new SyntheticWorkload({ ...spec, ratePerSecond: 1000, diurnal: { periodMs: 400_000, amplitude: 0.5 } }, 1);
    assert.equal(Math.round(w.rateAt(100_000)), 1500);
    assert.equal(Math.round(w.rateAt(300_000)), 500);
  });

  it('changes which keys are popular under drift', () => {
    const w = new SyntheticWorkload({ ...spec, drift: { everyMs: 1000, swaps: 50 } }, 1);
    const top = (shares: Float64Array): number => shares.indexOf(Math.max(...shares));
    const first = top(w.keyShares(0));
    collect(w, 0, 100);
    assert.notEqual(top(w.keyShares(100_000)), first);
  });
});
