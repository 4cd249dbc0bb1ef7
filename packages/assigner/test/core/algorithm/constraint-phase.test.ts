import assert from 'node:assert/strict';
import fc from 'fast-check';
import { LoadMap, UNIFORM_LOAD_MAP } from '../../../src/core/load-map.js';
import { clampReplicas } from '../../../src/core/algorithm/constraint-phase.js';
import { deallocateUnhealthyResources } from '../../../src/core/algorithm/deallocation-phase.js';
import { assertModelConsistent, buildModel, describeModel, slice8 } from './test-helpers.js';

describe('clampReplicas', () => {
  it('adds replicas of an orphaned slice on the coldest resources, newly assigned', () => {
    const map = LoadMap.builder().putLoad(slice8(0, 0x10), 10).putLoad(slice8(0x10, 0x20), 4).putLoad(slice8(0x20), 0).build();
    const model = buildModel(
      ['a', 'b', 'c'],
      [
        { slice: slice8(0, 0x10), resources: ['a'] },
        { slice: slice8(0x10, 0x20), resources: ['b'] },
        { slice: slice8(0x20), resources: ['dead'] },
      ],
      map,
    );
    deallocateUnhealthyResources(model);
    assert.equal(clampReplicas(model, 2, 2), 4);
    // Key order: [0,10) (a: 10) takes the coldest non-holder, c (0); then [10,20) (b: 4) takes the
    // coldest of a (5) and c (5), ties to the earlier resource: a; the orphan takes the two coldest.
    assert.deepEqual(describeModel(model), [
      [slice8(0, 0x10).toString(), ['a', 'c']],
      [slice8(0x10, 0x20).toString(), ['a', 'b']],
      [slice8(0x20).toString(), ['b', 'c']],
    ]);
    const [first, , last] = [...model.nodes()];
    assert.ok(last?.holders.every((h) => h.isNewlyAssigned));
    assert.deepEqual(first?.holders.map((h) => h.isNewlyAssigned), [false, true]);
    assertModelConsistent(model);
  });

  it('drops the replicas on the resources with the highest load not counting the slice (M1)', () => {
    const map = LoadMap.builder()
      .putLoad(slice8(0, 0x10), 9)
      .putLoad(slice8(0x10, 0x20), 5)
      .putLoad(slice8(0x20, 0x30), 1)
      .putLoad(slice8(0x30), 30)
      .build();
    const model = buildModel(
      ['a', 'b', 'c'],
      [
        { slice: slice8(0, 0x10), resources: ['a'] },
        { slice: slice8(0x10, 0x20), resources: ['b'] },
        { slice: slice8(0x20, 0x30), resources: ['c'] },
        { slice: slice8(0x30), resources: ['a', 'b', 'c'] },
      ],
      map,
    );
    clampReplicas(model, 1, 1);
    // Without the last slice: a 9, b 5, c 1 → keep c.
    assert.deepEqual(describeModel(model)[3], [slice8(0x30).toString(), ['c']]);
    assertModelConsistent(model);
  });

  it('keeps the bookkeeping consistent for random clamps (M1)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.subarray(['a', 'b', 'c', 'd', 'e'], { minLength: 0 }), { minLength: 1, maxLength: 12 }),
        fc.integer({ min: 1, max: 5 }),
        fc.integer({ min: 0, max: 4 }),
        (holders, minR, extra) => {
          const base = holders.map((resources, i) => ({
            slice: slice8(i === 0 ? 0 : i * 0x100, i === holders.length - 1 ? undefined : (i + 1) * 0x100),
            resources,
          }));
          const model = buildModel(['a', 'b', 'c', 'd', 'e'], base, UNIFORM_LOAD_MAP);
          const maxR = Math.min(5, minR + extra);
          clampReplicas(model, minR, maxR);
          for (const n of model.nodes()) assert.ok(n.replicas >= minR && n.replicas <= maxR);
          assertModelConsistent(model);
        },
      ),
      { seed: 42, numRuns: 200 },
    );
  });
});
