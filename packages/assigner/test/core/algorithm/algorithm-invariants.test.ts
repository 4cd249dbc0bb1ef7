import assert from 'node:assert/strict';
import { SeededRandom, Slice } from '@dicer-ts/common';
import fc from 'fast-check';
import { createAlgorithmConfig, type AlgorithmConfig, type UniformLoadReservationHint } from '../../../src/core/algorithm/algorithm-config.js';
import type { AlgorithmResult, AlgorithmSliceAssignment } from '../../../src/core/algorithm/algorithm-types.js';
import { generateInitialAssignment } from '../../../src/core/algorithm/initial-assignment.js';
import { runAlgorithm } from '../../../src/core/algorithm/run-algorithm.js';
import { assertCoversKeySpace, pods } from './test-helpers.js';
import { generateWorkload, type LoadKind, type Workload } from './workloads.js';

/** One generated case: two rounds over changing health, with the load of each round. */
interface Case {
  readonly config: AlgorithmConfig;
  readonly initial: readonly string[];
  readonly rounds: readonly { readonly available: readonly string[]; readonly load: Workload }[];
}

const RESERVATIONS: UniformLoadReservationHint[] = ['no-reservation', 'small', 'medium', 'large'];

const arbCase: fc.Arbitrary<Case> = fc
  .record({
    seed: fc.integer({ min: 1, max: 0x7fffffff }),
    universe: fc.integer({ min: 1, max: 12 }),
    minR: fc.integer({ min: 1, max: 3 }),
    extraR: fc.integer({ min: 0, max: 3 }),
    kind: fc.constantFrom<LoadKind>('uniform', 'zipf', 'hot-key'),
    reservation: fc.constantFrom(...RESERVATIONS),
    tolerance: fc.constantFrom('default' as const, 'tight' as const, 'loose' as const),
    churn: fc.constantFrom(0, 0.25),
  })
  .map(({ seed, universe, minR, extraR, kind, reservation, tolerance, churn }) => {
    const rand = new SeededRandom(seed);
    const maxLoadHint = 100;
    const config = createAlgorithmConfig({
      maxLoadHint,
      minReplicas: minR,
      maxReplicas: minR + extraR,
      uniformLoadReservationHint: reservation,
      imbalanceToleranceHint: tolerance,
      churnPenaltyRatio: churn,
    });
    const all = pods(universe);
    const subset = (): string[] => {
      const picked = all.filter(() => rand.next() < 0.7);
      return picked.length > 0 ? picked : [all[rand.nextInt(all.length)] as string];
    };
    const initial = subset();
    const rounds = [0, 1].map(() => {
      const available = subset();
      const load = generateWorkload(rand, kind, rand.next() * 1.2 * maxLoadHint * available.length, 64);
      return { available, load };
    });
    return { config, initial, rounds };
  });

/** Runs the case's rounds, each from the previous output, and returns every result. */
function play(c: Case): AlgorithmResult[] {
  let base: readonly AlgorithmSliceAssignment[] = generateInitialAssignment(c.initial, c.config.minReplicas);
  return c.rounds.map((round) => {
    const result = runAlgorithm({ config: c.config, availableResources: round.available, base, loadMap: round.load.map });
    base = result.slices;
    return result;
  });
}

const RUNS = { seed: 42, numRuns: 60 };

describe('runAlgorithm invariants', () => {
  it('covers the whole key space with disjoint slices', () => {
    fc.assert(fc.property(arbCase, (c) => play(c).forEach((r) => assertCoversKeySpace(r.slices))), RUNS);
  });

  it('assigns slices only to healthy resources, and at least one to each', () => {
    fc.assert(
      fc.property(arbCase, (c) =>
        play(c).forEach((r, i) => {
          const assigned = new Set(r.slices.flatMap((s) => s.resources));
          assert.deepEqual([...assigned].sort(), [...(c.rounds[i]?.available ?? [])].sort());
        }),
      ),
      RUNS,
    );
  });

  it('keeps every replica count within [min, max] clamped to the resource count', () => {
    fc.assert(
      fc.property(arbCase, (c) =>
        play(c).forEach((r, i) => {
          const n = c.rounds[i]?.available.length ?? 0;
          for (const s of r.slices) {
            assert.equal(new Set(s.resources).size, s.resources.length);
            assert.ok(s.resources.length >= Math.min(c.config.minReplicas, n), `${s.slice}`);
            assert.ok(s.resources.length <= Math.min(c.config.maxReplicas, n), `${s.slice}`);
          }
        }),
      ),
      RUNS,
    );
  });

  it('lands the slice-replica total in [32N, 64N]', () => {
    fc.assert(
      fc.property(arbCase, (c) =>
        play(c).forEach((r, i) => {
          const n = c.rounds[i]?.available.length ?? 0;
          const total = r.slices.reduce((a, s) => a + s.resources.length, 0);
          assert.equal(total, r.stats.totalReplicas);
          assert.ok(total >= 32 * n && total <= 64 * n, `${total} for N = ${n}`);
          assert.equal(r.stats.replicaBudget, 'ok');
        }),
      ),
      RUNS,
    );
  });

  it('records the unadjusted measured load of every slice', () => {
    fc.assert(
      fc.property(arbCase, (c) =>
        play(c).forEach((r, i) => {
          for (const s of r.slices) assert.equal(s.primaryRateLoad, c.rounds[i]?.load.map.getLoad(s.slice));
        }),
      ),
      RUNS,
    );
  });

  it('is deterministic, whatever the order of its inputs', () => {
    fc.assert(
      fc.property(arbCase, (c) => {
        const once = play(c);
        const base = generateInitialAssignment(c.initial, c.config.minReplicas);
        const round = c.rounds[0]!;
        const shuffled = runAlgorithm({
          config: c.config,
          availableResources: [...round.available].reverse(),
          base: [...base].reverse().map((s) => ({ slice: s.slice, resources: [...s.resources].reverse() })),
          loadMap: round.load.map,
        });
        assert.deepEqual(shuffled.slices.map(show), once[0]!.slices.map(show));
        assert.deepEqual(shuffled.stats, once[0]!.stats);
        assert.deepEqual(play(c).map((r) => r.slices.map(show)), once.map((r) => r.slices.map(show)));
      }),
      { seed: 42, numRuns: 30 },
    );
  });

  it('isolates a hot key in its own slice within two rounds', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 0x7fffffff }),
        fc.integer({ min: 2, max: 10 }),
        fc.integer({ min: 1, max: 3 }),
        (seed, n, maxR) => {
          const rand = new SeededRandom(seed);
          const config = createAlgorithmConfig({ maxLoadHint: 100, maxReplicas: maxR });
          const resources = pods(n);
          // The key carries more than a pod's share: 0.8 of a load of 0.8 × capacity.
          const { map, hotKey } = generateWorkload(rand, 'hot-key', 0.8 * 100 * n, 128, 0.8);
          let base: readonly AlgorithmSliceAssignment[] = generateInitialAssignment(resources, 1);
          for (let round = 0; round < 2; round++) {
            base = runAlgorithm({ config, availableResources: resources, base, loadMap: map }).slices;
          }
          const own = base.find((s) => s.slice.equals(Slice.singleKey(hotKey!)));
          assert.ok(own, `no slice [${hotKey}, ${hotKey}\\0)`);
          if (maxR > 1) assert.equal(own.resources.length, Math.min(maxR, n));
          else {
            const pod = own.resources[0]!;
            assert.equal(base.filter((s) => s.resources.includes(pod)).length, 1, 'the hot pod holds only the key');
          }
        },
      ),
      { seed: 42, numRuns: 40 },
    );
  });
});

function show(s: AlgorithmSliceAssignment): string {
  return `${s.slice} ${s.resources.join(',')}`;
}
