import assert from 'node:assert/strict';
import { InvalidArgumentError } from '@dicer-ts/common';
import { IMBALANCE_TOLERANCE_RATIOS } from '../../../src/core/algorithm/algorithm-config.js';
import { calculateDesiredLoadRange } from '../../../src/core/algorithm/desired-load-range.js';

describe('calculateDesiredLoadRange', () => {
  it('derives the split threshold from the hint and tolerance (scenario 20)', () => {
    assert.equal(calculateDesiredLoadRange(100, IMBALANCE_TOLERANCE_RATIOS.default, 1000, 20).splitThreshold, 10);
    assert.equal(calculateDesiredLoadRange(100, IMBALANCE_TOLERANCE_RATIOS.tight, 1000, 20).splitThreshold, 2.5);
    assert.equal(calculateDesiredLoadRange(100, IMBALANCE_TOLERANCE_RATIOS.loose, 1000, 20).splitThreshold, 40);
    assert.equal(calculateDesiredLoadRange(10, IMBALANCE_TOLERANCE_RATIOS.default, 1000, 20).splitThreshold, 5);
  });

  it('asks new resources for the full average and existing ones for average minus tolerance', () => {
    const range = calculateDesiredLoadRange(100, 0.1, 1000, 20);
    assert.equal(range.minDesiredNew, 50);
    assert.equal(range.minDesiredExisting, 40);
    assert.equal(range.maxDesired, 60);
  });

  it('floors the bounds at Number.MIN_VALUE when there is no load', () => {
    const range = calculateDesiredLoadRange(100, 0.1, 0, 3);
    assert.equal(range.minDesiredExisting, Number.MIN_VALUE);
    assert.equal(range.minDesiredNew, Number.MIN_VALUE);
    assert.equal(range.maxDesired, 10);
  });

  it('rejects N ≤ 0', () => {
    assert.throws(() => calculateDesiredLoadRange(100, 0.1, 1000, 0), InvalidArgumentError);
    assert.throws(() => calculateDesiredLoadRange(100, 0.1, 1000, -1), InvalidArgumentError);
  });
});
