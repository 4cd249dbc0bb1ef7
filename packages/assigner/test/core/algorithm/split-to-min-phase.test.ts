import assert from 'node:assert/strict';
import { Slice } from '@dicer-ts/common';
import { LoadMap } from '../../../src/core/load-map.js';
import { createAlgorithmConfig } from '../../../src/core/algorithm/algorithm-config.js';
import { generateInitialAssignment } from '../../../src/core/algorithm/initial-assignment.js';
import { runAlgorithm } from '../../../src/core/algorithm/run-algorithm.js';
import { splitToMinimum } from '../../../src/core/algorithm/split-to-min-phase.js';
import { assertModelConsistent, buildModel, pods } from './test-helpers.js';

describe('splitToMinimum', () => {
  it('splits until the replica total reaches the minimum, and no further', () => {
    const map = LoadMap.builder().putLoad(Slice.FULL, 10).build();
    const model = buildModel(['a', 'b'], [{ slice: Slice.FULL, resources: ['a', 'b'] }], map);
    assert.equal(splitToMinimum(model, map, 64), 31);
    assert.equal(model.totalReplicas, 64);
    assertModelConsistent(model);
  });

  it('stops when only zero-load slices are left', () => {
    const map = LoadMap.builder().build();
    const model = buildModel(['a'], [{ slice: Slice.FULL, resources: ['a'] }], map);
    assert.equal(splitToMinimum(model, map, 32), 0);
  });

  for (const [minR, maxR] of [
    [1, 1],
    [3, 3],
    [3, 5],
  ] as const) {
    it(`reaches exactly 32N replicas, hottest slices first, with replication {${minR}, ${maxR}} (scenario 6)`, () => {
      const config = createAlgorithmConfig({ maxLoadHint: 100, minReplicas: minR, maxReplicas: maxR });
      const base = generateInitialAssignment(pods(minR), minR);
      const map = LoadMap.builder().putLoad(Slice.FULL, 200).build();
      const resources = pods(3 * minR);
      const result = runAlgorithm({ config, availableResources: resources, base, loadMap: map });
      assert.equal(result.stats.totalReplicas, 32 * resources.length);
      const loads = result.slices.map((s) => s.primaryRateLoad);
      assert.ok(Math.min(...loads) <= Math.max(...loads) / 2);
    });
  }
});
