import assert from 'node:assert/strict';
import { SeededRandom, Slice } from '@dicer-ts/common';
import { LoadMap, UNIFORM_LOAD_MAP } from '../../../src/core/load-map.js';
import {
  createAlgorithmConfig,
  UNIFORM_LOAD_RESERVATION_RATIOS,
  type AlgorithmConfig,
  type UniformLoadReservationHint,
} from '../../../src/core/algorithm/algorithm-config.js';
import type { AlgorithmSliceAssignment, ProposedSliceAssignment } from '../../../src/core/algorithm/algorithm-types.js';
import { generateInitialAssignment } from '../../../src/core/algorithm/initial-assignment.js';
import { runAlgorithm } from '../../../src/core/algorithm/run-algorithm.js';
import { adjustedResourceLoads, assertDesirableAssignment, pods, randomLoadMap } from './test-helpers.js';
import { generateWorkload } from './workloads.js';

const REPLICATIONS: [number, number][] = [
  [1, 1],
  [3, 3],
  [3, 5],
];

/**
 * Churn of one round (Dicer's `AssignmentChangeStats`, as we read it): over the pieces where the
 * old and new slices intersect, the adjusted load that lands on a resource that did not hold the
 * piece, as a fraction of the total adjusted load. A piece counts as removal churn if one of its
 * old holders is gone, else as addition churn if the receiving resource is new, else as
 * load-balancing churn.
 */
function churn(
  before: readonly AlgorithmSliceAssignment[],
  after: readonly AlgorithmSliceAssignment[],
  available: readonly string[],
  adjusted: LoadMap,
): { removal: number; addition: number; loadBalancing: number } {
  const old = new Set(before.flatMap((s) => s.resources));
  const alive = new Set(available);
  let removal = 0;
  let addition = 0;
  let loadBalancing = 0;
  let i = 0;
  let j = 0;
  while (i < before.length && j < after.length) {
    const a = before[i]!;
    const b = after[j]!;
    const piece = a.slice.intersection(b.slice);
    if (piece) {
      const load = adjusted.getLoad(piece) / b.resources.length;
      const removed = a.resources.some((r) => !alive.has(r));
      for (const r of b.resources) {
        if (a.resources.includes(r)) continue;
        if (removed) removal += load;
        else if (!old.has(r)) addition += load;
        else loadBalancing += load;
      }
    }
    const cmp =
      a.slice.highExclusive === undefined ? 1 : b.slice.highExclusive === undefined ? -1 : a.slice.highExclusive.compare(b.slice.highExclusive);
    if (cmp <= 0) i++;
    if (cmp >= 0) j++;
  }
  const total = adjusted.totalLoad;
  return { removal: removal / total, addition: addition / total, loadBalancing: loadBalancing / total };
}

function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor((sorted.length - 1) * p)] as number;
}

describe('runAlgorithm scenarios', () => {
  for (const [minR, maxR] of REPLICATIONS) {
    describe(`with replication {${minR}, ${maxR}}`, () => {
      const rollingCases: [UniformLoadReservationHint, number, number, 'statefulset' | 'deployment'][] = [
        ['no-reservation', 2, 12.5, 'statefulset'],
        ['small', 9, 100, 'deployment'],
        ['medium', 3, 25, 'deployment'],
        ['large', 4, 50, 'statefulset'],
      ];
      for (const [hint, n, loadPerPod, kind] of rollingCases) {
        it(`keeps rolling-restart churn near the ideal (${hint}, n = ${n}, ${loadPerPod}/pod, ${kind}) (scenario 12)`, () => {
          const rand = new SeededRandom(12 + n);
          const ratio = UNIFORM_LOAD_RESERVATION_RATIOS[hint];
          const config = createAlgorithmConfig({
            maxLoadHint: 100,
            minReplicas: minR,
            maxReplicas: maxR,
            uniformLoadReservationHint: hint,
            churnPenaltyRatio: 0,
          });
          const map = randomLoadMap(() => rand.next(), 256, loadPerPod * n, 5);
          let members = pods(n, 'old');
          let current: readonly ProposedSliceAssignment[] = runAlgorithm({
            config,
            availableResources: members,
            base: generateInitialAssignment(members, minR),
            loadMap: map,
          }).slices;
          const steps: string[][] = [];
          for (let i = 0; i < n; i++) {
            if (kind === 'statefulset') {
              const k = n - 1 - i;
              members = members.filter((m) => m !== `old-${String(k).padStart(3, '0')}`);
              steps.push(members);
              members = [...members, `new-${String(k).padStart(3, '0')}`];
              steps.push(members);
            } else {
              members = [...members, `new-${String(i).padStart(3, '0')}`];
              steps.push(members);
              members = members.filter((m) => m !== `old-${String(i).padStart(3, '0')}`);
              steps.push(members);
            }
          }
          const sum = { removal: 0, addition: 0, loadBalancing: 0 };
          for (const available of steps) {
            const next = runAlgorithm({ config, availableResources: available, base: current, loadMap: map }).slices;
            const adjusted = map.withAddedUniformLoad(ratio * 100 * available.length);
            const c = churn(current, next, available, adjusted);
            sum.removal += c.removal;
            sum.addition += c.addition;
            sum.loadBalancing += c.loadBalancing;
            current = next;
          }
          assert.ok(sum.removal <= 1.05, `removal churn ${sum.removal}`);
          assert.ok(sum.addition <= 1.05, `addition churn ${sum.addition}`);
          assert.ok(sum.loadBalancing <= (minR === 1 ? 0.02 : 0.04), `load-balancing churn ${sum.loadBalancing}`);
          assertDesirableAssignment(config, current, members, (loadPerPod + ratio * 100) * 0.1);
          assertDesirableAssignment(config, current, members);
        });
      }

      for (const hint of ['no-reservation', 'small', 'medium', 'large'] as const) {
        it(`spreads load after an adversarial start with ${hint} reservation (scenario 13)`, () => {
          const ratio = UNIFORM_LOAD_RESERVATION_RATIOS[hint];
          const rand = new SeededRandom(13);
          const config = createAlgorithmConfig({
            maxLoadHint: 10_000,
            minReplicas: minR,
            maxReplicas: maxR,
            imbalanceToleranceHint: 'tight',
            uniformLoadReservationHint: hint,
          });
          for (let trial = 0; trial < 5; trial++) {
            let members = pods(5, `old${trial}`);
            const initial = generateInitialAssignment(members, minR);
            const met = new Set<string>();
            const b = LoadMap.builder();
            for (const s of initial) {
              let load = 0;
              for (const r of s.resources) {
                if (met.size < 4 && !met.has(r)) {
                  met.add(r);
                  load += 1;
                }
              }
              b.putLoad(s.slice, load);
            }
            const adversarial = b.build();
            let current: readonly AlgorithmSliceAssignment[] = initial;
            for (let i = 0; i < 5; i++) {
              members = [...members, `new${trial}-${i}`];
              current = runAlgorithm({ config, availableResources: members, base: current, loadMap: adversarial }).slices;
              members = members.filter((m) => m !== `old${trial}-${String(i).padStart(3, '0')}`);
              current = runAlgorithm({ config, availableResources: members, base: current, loadMap: adversarial }).slices;
            }
            const uniform = randomLoadMap(() => rand.next(), 128, (10_000 * 5) / 2, 1.2);
            const podLoads = new Map<string, number>();
            for (const s of current) {
              for (const r of s.resources) podLoads.set(r, (podLoads.get(r) ?? 0) + uniform.getLoad(s.slice) / s.resources.length);
            }
            const values = [...podLoads.values()];
            const mean = values.reduce((x, y) => x + y, 0) / values.length;
            const max = Math.max(...values);
            assert.ok(max <= (1 - 0.5 * Math.log10(ratio)) * mean + 1e-9, `trial ${trial}: max ${max}, mean ${mean}`);
          }
        });
      }
    });
  }

  it('satisfies P1–P5 through multi-round health churn, the last round from the second assignment (scenario 17)', () => {
    const config = createAlgorithmConfig({ maxLoadHint: 1 });
    const first = runAlgorithm({
      config,
      availableResources: ['r0', 'r1', 'r2'],
      base: generateInitialAssignment(['r0', 'r1', 'r2'], 1),
      loadMap: UNIFORM_LOAD_MAP,
    });
    assertDesirableAssignment(config, first.slices, ['r0', 'r1', 'r2']);
    const second = runAlgorithm({ config, availableResources: ['r1', 'r3'], base: first.slices, loadMap: UNIFORM_LOAD_MAP });
    assertDesirableAssignment(config, second.slices, ['r1', 'r3']);
    const third = runAlgorithm({ config, availableResources: ['r0', 'r1', 'r3'], base: second.slices, loadMap: UNIFORM_LOAD_MAP });
    assertDesirableAssignment(config, third.slices, ['r0', 'r1', 'r3']);
    const fourth = runAlgorithm({ config, availableResources: ['r0', 'r1'], base: second.slices, loadMap: UNIFORM_LOAD_MAP });
    assertDesirableAssignment(config, fourth.slices, ['r0', 'r1']);
  });

  it('ramps up 2 → 4 → 3 pods with an empty load map (scenario 19)', () => {
    const config = createAlgorithmConfig({ maxLoadHint: 100 });
    const empty = LoadMap.builder().build();
    let base: readonly AlgorithmSliceAssignment[] = generateInitialAssignment(pods(2), 1);
    for (const n of [2, 4, 3]) {
      const result = runAlgorithm({ config, availableResources: pods(n), base, loadMap: empty });
      assertDesirableAssignment(config, result.slices, pods(n));
      base = result.slices;
    }
  });

  for (const churnPenaltyRatio of [0.25, 0]) {
    it(`keeps the imbalance percentiles over 1000 chaotic rounds with churn ${churnPenaltyRatio} (scenario 21)`, function () {
      this.timeout(120_000);
      const rand = new SeededRandom(21 + churnPenaltyRatio * 4);
      const all = pods(8);
      const maxLoadHint = 1000;
      const hints: UniformLoadReservationHint[] = ['no-reservation', 'small', 'medium', 'large'];
      const pick = (): string[] => {
        const count = 6 + rand.nextInt(3);
        const shuffled = [...all].sort(() => rand.next() - 0.5);
        return shuffled.slice(0, count);
      };
      let base: readonly AlgorithmSliceAssignment[] = generateInitialAssignment(pick(), 1);
      const under: number[] = [];
      const over: number[] = [];
      for (let round = 0; round < 1000; round++) {
        const available = pick();
        const n = available.length;
        const hot = rand.next() < 0.5;
        const minR = 1 + rand.nextInt(3);
        const lowest = hot ? Math.max(minR, Math.ceil(0.5 * n)) : minR;
        const maxR = lowest + rand.nextInt(n - lowest + 1);
        const hint = hints[rand.nextInt(4)] as UniformLoadReservationHint;
        const config: AlgorithmConfig = createAlgorithmConfig({
          maxLoadHint,
          imbalanceToleranceHint: 'tight',
          uniformLoadReservationHint: hint,
          minReplicas: minR,
          maxReplicas: maxR,
          churnPenaltyRatio,
        });
        const total = rand.next() * 1.2 * maxLoadHint * n;
        const { map } = generateWorkload(rand, hot ? 'hot-key' : 'uniform', total, 128, hot ? 0.5 : 0);
        const result = runAlgorithm({ config, availableResources: available, base, loadMap: map });
        // P1–P4, and P5 with tolerance adjMaxHint.
        const recorded = result.slices.reduce((a, s) => a + s.primaryRateLoad, 0);
        const avg = (recorded + UNIFORM_LOAD_RESERVATION_RATIOS[hint] * maxLoadHint * n) / n;
        const adjMaxHint = Math.max(maxLoadHint, avg);
        assertDesirableAssignment(config, result.slices, available, adjMaxHint);
        const loads = [...adjustedResourceLoads(config, result.slices).values()];
        under.push((avg - Math.min(...loads)) / adjMaxHint);
        over.push((Math.max(...loads) - avg) / adjMaxHint);
        base = result.slices;
      }
      const bounds: [number, number, number][] = [
        [0.1, 0.01, 0.01],
        [0.5, 0.02, 0.02],
        [0.9, 0.03, 0.03],
        [0.95, 0.04, 0.04],
        [0.99, 0.15, 0.35],
        [1, 0.3, 0.7],
      ];
      for (const [p, underBound, overBound] of bounds) {
        if (churnPenaltyRatio === 0 && (p === 0.9 || p === 0.95)) continue;
        assert.ok(percentile(under, p) <= underBound, `under p${p * 100} = ${percentile(under, p)}`);
        assert.ok(percentile(over, p) <= overBound, `over p${p * 100} = ${percentile(over, p)}`);
      }
    });
  }
});

void Slice;
