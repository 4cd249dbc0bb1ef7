import assert from 'node:assert/strict';
import { InvalidArgumentError } from '@dicer-ts/common';
import { createAlgorithmConfig, validateAlgorithmConfig } from '../../../src/core/algorithm/algorithm-config.js';

describe('createAlgorithmConfig', () => {
  it('applies Dicer defaults: tolerance 0.1, reservation 1%, replication {1, 1}, churn 0.25, 30 s', () => {
    assert.deepEqual(createAlgorithmConfig({ maxLoadHint: 5 }), {
      maxLoadHint: 5,
      imbalanceToleranceRatio: 0.1,
      uniformLoadReservationRatio: 0.01,
      minReplicas: 1,
      maxReplicas: 1,
      churnPenaltyRatio: 0.25,
      placementTimeoutMs: 30_000,
      placementIterationBudget: 1_000_000,
    });
  });

  it('maps the hints to their ratios', () => {
    const c = createAlgorithmConfig({ maxLoadHint: 1, imbalanceToleranceHint: 'loose', uniformLoadReservationHint: 'small' });
    assert.equal(c.imbalanceToleranceRatio, 0.4);
    assert.equal(c.uniformLoadReservationRatio, 0.1);
  });

  it('returns a frozen object', () => {
    assert.ok(Object.isFrozen(createAlgorithmConfig({ maxLoadHint: 1 })));
  });

  const bad: [string, Parameters<typeof createAlgorithmConfig>[0], RegExp][] = [
    ['a zero maxLoadHint', { maxLoadHint: 0 }, /^maxLoadHint must be positive and finite, got 0$/],
    ['an infinite maxLoadHint', { maxLoadHint: Infinity }, /maxLoadHint/],
    ['minReplicas 0', { maxLoadHint: 1, minReplicas: 0 }, /^minReplicas must be an integer of at least 1, got 0$/],
    ['maxReplicas below minReplicas', { maxLoadHint: 1, minReplicas: 3, maxReplicas: 2 }, /maxReplicas must be .* got 2/],
    ['a negative churn ratio', { maxLoadHint: 1, churnPenaltyRatio: -1 }, /churnPenaltyRatio/],
    ['an unknown hint', { maxLoadHint: 1, imbalanceToleranceHint: 'huge' as 'tight' }, /imbalanceToleranceHint .* got huge/],
    ['a zero iteration budget', { maxLoadHint: 1, placementIterationBudget: 0 }, /placementIterationBudget/],
  ];
  for (const [what, options, message] of bad) {
    it(`rejects ${what} naming the field`, () => {
      assert.throws(() => createAlgorithmConfig(options), (e: unknown) => e instanceof InvalidArgumentError && message.test(e.message));
    });
  }

  it('validates a hand-built config', () => {
    assert.throws(
      () => validateAlgorithmConfig({ ...createAlgorithmConfig({ maxLoadHint: 1 }), imbalanceToleranceRatio: 0 }),
      InvalidArgumentError,
    );
  });
});
