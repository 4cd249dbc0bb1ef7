import assert from 'node:assert/strict';
import { Slice } from '@dicer-ts/common';
import { UNIFORM_LOAD_MAP } from '../../../src/core/load-map.js';
import { deallocateUnhealthyResources } from '../../../src/core/algorithm/deallocation-phase.js';
import { assertModelConsistent, buildModel, describeModel, slice8 } from './test-helpers.js';

describe('deallocateUnhealthyResources', () => {
  it('removes unhealthy resources from every slice, leaving a slice with no replica if need be', () => {
    const model = buildModel(
      ['a', 'b'],
      [
        { slice: slice8(0, 0x10), resources: ['a', 'dead'] },
        { slice: slice8(0x10), resources: ['dead'] },
      ],
      UNIFORM_LOAD_MAP,
    );
    assert.equal(deallocateUnhealthyResources(model), 2);
    assert.deepEqual(describeModel(model), [
      [slice8(0, 0x10).toString(), ['a']],
      [slice8(0x10).toString(), []],
    ]);
    assert.equal(model.totalReplicas, 1);
    assertModelConsistent(model);
  });

  it('changes nothing when every holder is healthy', () => {
    const model = buildModel(['a'], [{ slice: Slice.FULL, resources: ['a'] }], UNIFORM_LOAD_MAP);
    assert.equal(deallocateUnhealthyResources(model), 0);
    assert.equal(model.resources[0]?.load, 1);
  });
});
