import assert from 'node:assert/strict';
import { SeededRandom } from '@dicer-ts/common';
import { LoadMap } from '../../../src/core/load-map.js';
import { createAlgorithmConfig } from '../../../src/core/algorithm/algorithm-config.js';
import { chooseMergedHolders, mergeColdestPairs } from '../../../src/core/algorithm/merge-phase.js';
import { runAlgorithm } from '../../../src/core/algorithm/run-algorithm.js';
import { assertModelConsistent, buildModel, slice8 } from './test-helpers.js';

/** A map and base of slices `[i·step, (i+1)·step)` with the given loads, all on `holderOf(i)`. */
function layout(loads: readonly number[], holderOf: (i: number) => string[], step = 0x10000) {
  const b = LoadMap.builder();
  const base = loads.map((load, i) => {
    const slice = slice8(i * step, i === loads.length - 1 ? undefined : (i + 1) * step);
    b.putLoad(slice, load);
    return { slice, resources: holderOf(i) };
  });
  return { map: b.build(), base };
}

describe('mergeColdestPairs', () => {
  it('does nothing at or below the replica ceiling', () => {
    const { map, base } = layout([1, 2, 3], () => ['a']);
    const model = buildModel(['a'], base, map);
    assert.equal(mergeColdestPairs(model, 3, 1), 0);
  });

  for (const [where, at] of [
    ['first', 0],
    ['middle', 30],
    ['last', 63],
  ] as const) {
    it(`merges the coldest adjacent pair when it is the ${where} one (scenario 16)`, () => {
      const loads = Array.from({ length: 65 }, (_, i) => (i === at || i === at + 1 ? 1 : 100));
      const { map, base } = layout(loads, () => ['pod']);
      const config = createAlgorithmConfig({ maxLoadHint: 1, churnPenaltyRatio: 0 });
      const result = runAlgorithm({ config, availableResources: ['pod'], base, loadMap: map });
      assert.equal(result.slices.length, 64);
      const merged = result.slices[at];
      assert.equal(merged?.primaryRateLoad, 2);
      assert.ok(merged?.slice.equals(slice8(at * 0x10000, at + 2 === 65 ? undefined : (at + 2) * 0x10000)));
    });
  }

  it('chains merges: 20 + 10 + 30 → [0x40000, ∞) = 60 (scenario 16)', () => {
    const b = LoadMap.builder();
    const base = [];
    for (let i = 0; i < 62; i++) {
      const slice = slice8(i * 0x1000, (i + 1) * 0x1000);
      b.putLoad(slice, 100);
      base.push({ slice, resources: ['pod'] });
    }
    b.putLoad(slice8(62 * 0x1000, 0x40000), 100);
    base.push({ slice: slice8(62 * 0x1000, 0x40000), resources: ['pod'] });
    for (const [low, high, load] of [
      [0x40000, 0x50000, 20],
      [0x50000, 0x60000, 10],
      [0x60000, undefined, 30],
    ] as const) {
      b.putLoad(slice8(low, high), load);
      base.push({ slice: slice8(low, high), resources: ['pod'] });
    }
    const config = createAlgorithmConfig({ maxLoadHint: 1, churnPenaltyRatio: 0 });
    const result = runAlgorithm({ config, availableResources: ['pod'], base, loadMap: b.build() });
    assert.equal(result.slices.length, 64);
    const last = result.slices[63];
    assert.ok(last?.slice.equals(slice8(0x40000)));
    assert.equal(last?.primaryRateLoad, 60);
  });

  it('gives the merged slice to the pod holding the larger share (scenario 16, M2)', () => {
    const loads = Array.from({ length: 129 }, (_, i) => (i === 40 ? 1 : i === 41 ? 2 : 100));
    const { map, base } = layout(loads, (i) => [i % 2 === 0 ? 'pod-a' : 'pod-b']);
    const model = buildModel(['pod-a', 'pod-b'], base, map);
    assert.equal(mergeColdestPairs(model, 128, 1), 1);
    const merged = [...model.nodes()][40];
    assert.equal(merged?.rawLoad, 3);
    assert.deepEqual(merged?.holders.map((h) => [h.resource.id, h.isNewlyAssigned]), [['pod-b', true]]);
    assertModelConsistent(model);
  });

  it('picks the holders with the most shared load, then the lower total, and keeps old flags only for both halves (M2)', () => {
    const map = LoadMap.builder().putLoad(slice8(0, 0x10), 6).putLoad(slice8(0x10, 0x20), 6).putLoad(slice8(0x20), 50).build();
    const model = buildModel(
      ['a', 'b', 'c', 'd'],
      [
        { slice: slice8(0, 0x10), resources: ['a', 'b'] },
        { slice: slice8(0x10, 0x20), resources: ['a', 'c'] },
        { slice: slice8(0x20), resources: ['c', 'd'] },
      ],
      map,
    );
    const [left, right] = [...model.nodes()];
    const chosen = chooseMergedHolders(left!, right!, 2);
    // a shares 3 + 3; b and c share 3 each, b has the lower total (3 vs 28).
    assert.deepEqual(chosen.map((h) => [h.resource.id, h.isNewlyAssigned]), [
      ['a', false],
      ['b', true],
    ]);
  });

  it('leaves no merged slice hotter than a remaining adjacent pair (scenario 7)', () => {
    const rand = new SeededRandom(7);
    const pods = Array.from({ length: 10 }, (_, i) => `pod-${i}`);
    for (const maxR of [1, 3, 5]) {
      const loads = Array.from({ length: 800 }, () => 1 + rand.nextInt(10));
      const { map, base } = layout(
        loads,
        () => {
          const r = 1 + rand.nextInt(maxR);
          const set = new Set<string>();
          while (set.size < r) set.add(pods[rand.nextInt(10)] as string);
          return [...set];
        },
        0x100,
      );
      const model = buildModel(pods, base, map);
      const original = new Set(base.map((b) => b.slice.toString()));
      mergeColdestPairs(model, 640, 1);
      assert.ok(model.totalReplicas <= 640);
      const nodes = [...model.nodes()];
      let smallestPair = Infinity;
      for (let i = 1; i < nodes.length; i++) smallestPair = Math.min(smallestPair, nodes[i - 1]!.rawLoad + nodes[i]!.rawLoad);
      for (const n of nodes) {
        if (original.has(n.slice.toString())) continue;
        assert.ok(n.rawLoad <= smallestPair, `${n.slice} ${n.rawLoad} > ${smallestPair}`);
        assert.equal(n.replicas, 1);
      }
      assertModelConsistent(model);
    }
  });

  it('keeps both pods assigned after merging near-equal alternating slices (scenario 18)', () => {
    const loads = Array.from({ length: 257 }, (_, i) => (i % 2 === 0 ? 10.00001 : 9.99999));
    const { map, base } = layout(loads, (i) => [i % 2 === 0 ? 'pod0' : 'pod1'], 0x100);
    const config = createAlgorithmConfig({ maxLoadHint: 2 ** 31 - 1, churnPenaltyRatio: 0 });
    const result = runAlgorithm({ config, availableResources: ['pod0', 'pod1'], base, loadMap: map });
    const assigned = new Set(result.slices.flatMap((s) => s.resources));
    assert.deepEqual([...assigned].sort(), ['pod0', 'pod1']);
    assert.ok(result.stats.totalReplicas <= 128);
  });
});
