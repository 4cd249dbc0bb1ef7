import assert from 'node:assert/strict';
import { InvalidArgumentError, SeededRandom, Slice } from '@dicer-ts/common';
import { LoadMap, UNIFORM_LOAD_MAP } from '../../../src/core/load-map.js';
import { createAlgorithmConfig, type AlgorithmConfig } from '../../../src/core/algorithm/algorithm-config.js';
import { generateInitialAssignment } from '../../../src/core/algorithm/initial-assignment.js';
import { runAlgorithm } from '../../../src/core/algorithm/run-algorithm.js';
import type { AlgorithmSliceAssignment } from '../../../src/core/algorithm/algorithm-types.js';
import { assertDesirableAssignment, pods, randomLoadMap, slice8 } from './test-helpers.js';

const REPLICATIONS: [number, number][] = [
  [1, 1],
  [3, 3],
  [3, 5],
];

function config(minReplicas: number, maxReplicas: number, extra: Partial<Parameters<typeof createAlgorithmConfig>[0]> = {}): AlgorithmConfig {
  return createAlgorithmConfig({ maxLoadHint: 1, minReplicas, maxReplicas, ...extra });
}

describe('runAlgorithm', () => {
  for (const [minR, maxR] of REPLICATIONS) {
    describe(`with replication {${minR}, ${maxR}}`, () => {
      it('keeps the slices and resources of an initial assignment on the same single resource, recording load (scenario 3)', () => {
        const c = config(minR, maxR);
        const base = generateInitialAssignment(['pod-0'], minR);
        const result = runAlgorithm({ config: c, availableResources: ['pod-0'], base, loadMap: UNIFORM_LOAD_MAP });
        assert.deepEqual(
          result.slices.map((s) => [s.slice.toString(), s.resources]),
          base.map((s) => [s.slice.toString(), s.resources]),
        );
        for (const s of result.slices) assert.equal(s.primaryRateLoad, UNIFORM_LOAD_MAP.getLoad(s.slice));
      });

      it('scales up 3–10× from an initial assignment with a uniform map (scenario 4a)', () => {
        const rand = new SeededRandom(4);
        for (let trial = 0; trial < 3; trial++) {
          const c = config(minR, maxR);
          const before = pods(minR);
          const after = pods(minR * (3 + rand.nextInt(8)));
          const base = generateInitialAssignment(before, minR);
          const result = runAlgorithm({ config: c, availableResources: after, base, loadMap: UNIFORM_LOAD_MAP });
          assertDesirableAssignment(c, result.slices, after);
        }
      });

      it('assigns every slice of a dead base to all healthy resources (scenario 8)', () => {
        const c = config(minR, maxR);
        const healthy = pods(minR);
        const result = runAlgorithm({
          config: c,
          availableResources: healthy,
          base: [{ slice: Slice.FULL, resources: ['dead'] }],
          loadMap: UNIFORM_LOAD_MAP,
        });
        for (const s of result.slices) assert.deepEqual(s.resources, healthy);
        assertDesirableAssignment(c, result.slices, healthy);
      });

      it('moves to new incarnations at the same addresses (scenario 10)', () => {
        const c = config(minR, maxR);
        const old = pods(minR + 2, 'old');
        const fresh = pods(minR + 2, 'new');
        const result = runAlgorithm({
          config: c,
          availableResources: fresh,
          base: generateInitialAssignment(old, minR),
          loadMap: UNIFORM_LOAD_MAP,
        });
        for (const s of result.slices) for (const r of s.resources) assert.ok(r.startsWith('new'));
        assertDesirableAssignment(c, result.slices, fresh);
      });

      it('returns the predecessor with its loads rewritten when no resource is available (scenario 11)', () => {
        const c = config(minR, maxR);
        const base = generateInitialAssignment(pods(minR), minR);
        const map = LoadMap.builder().putLoad(Slice.FULL, 64).build();
        const result = runAlgorithm({ config: c, availableResources: [], base, loadMap: map });
        assert.deepEqual(
          result.slices.map((s) => [s.slice.toString(), s.resources]),
          base.map((s) => [s.slice.toString(), s.resources]),
        );
        for (const s of result.slices) assert.equal(s.primaryRateLoad, map.getLoad(s.slice));
      });

      it('scales 1 → 10 → 1 with random loads for every reservation hint (scenario 9)', () => {
        const rand = new SeededRandom(9);
        for (const [hint, ratio] of [
          ['no-reservation', 0.01],
          ['small', 0.1],
          ['medium', 0.2],
          ['large', 0.4],
        ] as const) {
          const c = createAlgorithmConfig({ maxLoadHint: 100, minReplicas: minR, maxReplicas: maxR, uniformLoadReservationHint: hint });
          const all = pods(10);
          let current = all.slice(0, Math.max(1, minR));
          let base: readonly AlgorithmSliceAssignment[] = generateInitialAssignment(current, minR);
          const sizes: number[] = [];
          for (let n = current.length + 1; n <= 10; n++) sizes.push(n);
          for (let n = 9; n >= 1; n--) sizes.push(n);
          for (const n of sizes) {
            if (n > current.length) current = all.slice(0, n);
            else {
              const victims = new Set<string>();
              while (current.length - victims.size > n) victims.add(current[rand.nextInt(current.length)] as string);
              current = current.filter((p) => !victims.has(p));
            }
            const map = randomLoadMap(() => rand.next(), 128, 100 * current.length * (1 - ratio), 4);
            const result = runAlgorithm({ config: c, availableResources: current, base, loadMap: map });
            assertDesirableAssignment(c, result.slices, current, 20);
            base = result.slices;
          }
        }
      });
    });
  }

  it('scales up from five slices with two unsplittable ones on one resource (scenario 4b)', () => {
    const c = config(1, 1);
    const base = [
      { slice: slice8(0, 10), resources: ['pod-000'] },
      { slice: slice8(10, 11), resources: ['pod-000'] },
      { slice: slice8(11, 50), resources: ['pod-000'] },
      { slice: slice8(50, 51), resources: ['pod-000'] },
      { slice: slice8(51), resources: ['pod-000'] },
    ];
    const after = pods(7);
    const result = runAlgorithm({ config: c, availableResources: after, base, loadMap: UNIFORM_LOAD_MAP });
    assertDesirableAssignment(c, result.slices, after);
  });

  it('rejects a base that does not cover the key space', () => {
    assert.throws(
      () =>
        runAlgorithm({
          config: config(1, 1),
          availableResources: ['a'],
          base: [{ slice: slice8(0, 10), resources: ['a'] }],
          loadMap: UNIFORM_LOAD_MAP,
        }),
      InvalidArgumentError,
    );
  });
});
