import assert from 'node:assert/strict';
import { InvalidArgumentError, SliceKey } from '@dicer-ts/common';
import { createAlgorithmConfig } from '../../../src/core/algorithm/algorithm-config.js';
import {
  generateInitialAssignment,
  initialSliceCount,
  uniformPartitioning,
} from '../../../src/core/algorithm/initial-assignment.js';
import { keySpaceFraction } from '../../../src/core/load-map.js';
import { assertDesirableAssignment, key8, pods } from './test-helpers.js';

describe('generateInitialAssignment', () => {
  it('uses the smallest power of two giving at least 32N replicas', () => {
    assert.equal(initialSliceCount(7, 1), 256);
    assert.equal(initialSliceCount(7, 3), 128);
    assert.equal(initialSliceCount(1, 1), 32);
    assert.equal(generateInitialAssignment(pods(7), 3).length, 128);
  });

  it('deals sorted resources round-robin with one iterator across slices', () => {
    const slices = generateInitialAssignment(['c', 'a', 'b'], 2);
    assert.deepEqual(
      slices.slice(0, 4).map((s) => s.resources),
      [
        ['a', 'b'],
        ['c', 'a'],
        ['b', 'c'],
        ['a', 'b'],
      ],
    );
  });

  it('cuts the key space at 8-byte multiples of 2^64 / count', () => {
    const slices = uniformPartitioning(4);
    assert.deepEqual(
      slices.map((s) => s.toString()),
      [
        `[${SliceKey.MIN} .. ${key8(1n << 62n)})`,
        `[${key8(1n << 62n)} .. ${key8(2n << 62n)})`,
        `[${key8(2n << 62n)} .. ${key8(3n << 62n)})`,
        `[${key8(3n << 62n)} .. ∞)`,
      ],
    );
  });

  it('rejects an empty resource set and duplicates', () => {
    assert.throws(() => generateInitialAssignment([], 1), InvalidArgumentError);
    assert.throws(() => generateInitialAssignment(['a', 'a'], 1), InvalidArgumentError);
  });

  for (const [minR, maxR] of [
    [1, 1],
    [3, 3],
    [3, 5],
  ] as const) {
    for (const n of [1, 2, 10, 20]) {
      it(`is desirable for N = ${n} with replication {${minR}, ${maxR}} and records no load (scenario 1)`, () => {
        const config = createAlgorithmConfig({ maxLoadHint: 1, minReplicas: minR, maxReplicas: maxR });
        const slices = generateInitialAssignment(pods(n), minR);
        for (const s of slices) assert.ok(!('primaryRateLoad' in s));
        assertDesirableAssignment(config, slices, pods(n));
      });

      it(`has equal-width power-of-two slices spread evenly for N = ${n}, minR ${minR} (scenario 2)`, () => {
        const slices = generateInitialAssignment(pods(n), minR);
        const count = slices.length;
        assert.equal(count & (count - 1), 0);
        for (const s of slices) assert.equal(keySpaceFraction(s.slice), 1 / count);
        const bits = Math.log2(count) + 2;
        const probes = 2 ** bits;
        const step = (1n << 64n) / BigInt(probes);
        const sliceHits = new Array<number>(count).fill(0);
        const resourceHits = new Map<string, number>();
        let i = 0;
        for (let p = 0; p < probes; p++) {
          const key = key8(step * BigInt(p));
          while (!slices[i]!.slice.contains(key)) i++;
          sliceHits[i]!++;
          for (const r of slices[i]!.resources) resourceHits.set(r, (resourceHits.get(r) ?? 0) + 1);
        }
        for (const h of sliceHits) assert.equal(h, 4);
        const expected = (probes / n) * Math.min(minR, n);
        for (const [r, h] of resourceHits) assert.ok(Math.abs(h - expected) < 4, `${r}: ${h} vs ${expected}`);
      });
    }
  }
});
