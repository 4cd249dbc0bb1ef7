import assert from 'node:assert/strict';
import { Slice } from '@dicer-ts/common';
import { LoadMap } from '../../../src/core/load-map.js';
import { createAlgorithmConfig } from '../../../src/core/algorithm/algorithm-config.js';
import { generateInitialAssignment } from '../../../src/core/algorithm/initial-assignment.js';
import { runAlgorithm } from '../../../src/core/algorithm/run-algorithm.js';
import { splitHotSlices } from '../../../src/core/algorithm/split-hot-phase.js';
import { splitAtLoadMedian } from '../../../src/core/algorithm/splitter.js';
import { assertModelConsistent, buildModel, describeModel, key8, pods, slice8 } from './test-helpers.js';

describe('splitAtLoadMedian', () => {
  it('keeps the replica set and flags, and isolates a hot key in two splits (M3)', () => {
    const k = key8(0x5000);
    const map = LoadMap.builder()
      .putLoad(slice8(0x1000, 0x9000), 80, [{ key: k, load: 100 }])
      .build();
    const model = buildModel(['a', 'b'], [{ slice: Slice.FULL, resources: ['a', 'b'] }], map);
    const [first] = [...model.nodes()];
    const halves = splitAtLoadMedian(model, map, first!);
    assert.ok(halves);
    for (const h of halves) assert.deepEqual(h.holders.map((x) => [x.resource.id, x.isNewlyAssigned]), [['a', false], ['b', false]]);
    const holding = halves.find((h) => h.slice.contains(k))!;
    const again = splitAtLoadMedian(model, map, holding);
    assert.ok(again);
    const isolated = again.find((h) => h.slice.contains(k))!;
    assert.ok(isolated.slice.equals(Slice.singleKey(k)), `got ${isolated.slice}`);
    assert.equal(isolated.rawLoad, 100);
    assert.equal(splitAtLoadMedian(model, map, isolated), undefined);
    assertModelConsistent(model);
  });

  it('cannot split a slice with zero load', () => {
    const map = LoadMap.builder().build();
    const model = buildModel(['a'], [{ slice: Slice.FULL, resources: ['a'] }], map);
    assert.equal(splitAtLoadMedian(model, map, [...model.nodes()][0]!), undefined);
  });
});

describe('splitHotSlices', () => {
  it('splits until every per-replica load is at most the threshold, hottest first', () => {
    const map = LoadMap.builder().putLoad(slice8(0, 0x1000), 40).putLoad(slice8(0x1000), 5).build();
    const model = buildModel(['a'], [{ slice: Slice.FULL, resources: ['a'] }], map);
    const splits = splitHotSlices(model, map, 10);
    assert.ok(splits >= 3);
    for (const n of model.nodes()) assert.ok(n.perReplicaLoad <= 10, `${n.slice}: ${n.perReplicaLoad}`);
    assertModelConsistent(model);
    assert.ok(describeModel(model).length === splits + 1);
  });

  for (const [minR, maxR] of [
    [1, 1],
    [3, 3],
    [3, 5],
  ] as const) {
    it(`brings every per-replica load under the threshold with replication {${minR}, ${maxR}} (scenario 5)`, () => {
      const config = createAlgorithmConfig({ maxLoadHint: 100, minReplicas: minR, maxReplicas: maxR });
      const resources = pods(minR);
      const base = generateInitialAssignment(resources, minR);
      const factor = new Map([
        [10, 1.1],
        [20, 2],
        [30, 3],
      ]);
      const b = LoadMap.builder();
      base.forEach((s, i) => b.putLoad(s.slice, (factor.get(i) ?? 0.1) * 10 * minR));
      const result = runAlgorithm({ config, availableResources: resources, base, loadMap: b.build() });
      for (const s of result.slices) assert.ok(s.primaryRateLoad / s.resources.length <= 10, `${s.slice}`);
      assert.ok(result.stats.totalReplicas > 32 * resources.length);
      assert.ok(result.stats.hotSplits > 0);
    });
  }

  it('leaves an unsplittable hot slice whole and splits a twice-wide one once (scenario 14)', () => {
    const config = createAlgorithmConfig({ maxLoadHint: 100 });
    const layout: [number, number | undefined, number][] = [
      [0, 10, 1],
      [10, 11, 200],
      [11, 50, 1],
      [50, 52, 150],
      [52, undefined, 1],
    ];
    const b = LoadMap.builder();
    const resources = pods(5);
    const base = layout.map(([low, high, load], i) => {
      b.putLoad(slice8(low, high), load);
      return { slice: slice8(low, high), resources: [resources[i] as string] };
    });
    const result = runAlgorithm({ config, availableResources: resources, base, loadMap: b.build() });
    assert.equal(result.slices.length, 160);
    const names = new Set(result.slices.map((s) => s.slice.toString()));
    for (const s of [slice8(10, 11), slice8(50, 51), slice8(51, 52)]) assert.ok(names.has(s.toString()), `${s}`);
  });

  it('records the unadjusted loads of the cut pieces (scenario 15)', () => {
    const config = createAlgorithmConfig({ maxLoadHint: 1 });
    const layout: [number, number | undefined, number][] = [
      [0, 10, 0],
      [10, 11, 1],
      [11, 50, 0],
      [50, 52, 1],
      [52, undefined, 0],
    ];
    const b = LoadMap.builder();
    const resources = pods(5);
    const base = layout.map(([low, high, load], i) => {
      b.putLoad(slice8(low, high), load);
      return { slice: slice8(low, high), resources: [resources[i] as string] };
    });
    const result = runAlgorithm({ config, availableResources: resources, base, loadMap: b.build() });
    const load = (s: Slice) => result.slices.find((x) => x.slice.equals(s))?.primaryRateLoad;
    assert.equal(load(slice8(10, 11)), 1);
    assert.equal(load(slice8(50, 51)), 0.5);
    assert.equal(load(slice8(51, 52)), 0.5);
  });
});
