import assert from 'node:assert/strict';
import { Slice } from '@dicer-ts/common';
import { LoadMap, UNIFORM_LOAD_MAP } from '../../../src/core/load-map.js';
import type { DesiredLoadRange } from '../../../src/core/algorithm/desired-load-range.js';
import { placeSlices, type PlacementContext } from '../../../src/core/algorithm/placement-phase.js';
import { resourcePenalty } from '../../../src/core/algorithm/placement-penalty.js';
import {
  dereplicateDelta,
  reassignSourceDelta,
  reassignTargetDelta,
  replicateDelta,
} from '../../../src/core/algorithm/placement-moves.js';
import { assertModelConsistent, buildModel, slice8 } from './test-helpers.js';

const RANGE: DesiredLoadRange = { splitThreshold: 100, minDesiredExisting: 1000, minDesiredNew: 1100, maxDesired: 1200 };

function context(overrides: Partial<PlacementContext> = {}): PlacementContext {
  return {
    range: RANGE,
    churnPenaltyRatio: 0.25,
    minReplicas: 1,
    maxReplicas: 1,
    minTotalReplicas: 0,
    timeoutMs: 30_000,
    iterationBudget: 1_000,
    ...overrides,
  };
}

describe('resourcePenalty', () => {
  it('is flat for an empty resource', () => {
    assert.equal(resourcePenalty(RANGE, 0, false, true), 120_000);
    assert.equal(resourcePenalty(RANGE, 5000, true, true), 120_000);
  });

  it('is zero inside the band and grows below and above it', () => {
    assert.equal(resourcePenalty(RANGE, 1000, false, false), 0);
    assert.equal(resourcePenalty(RANGE, 1200, true, false), 0);
    assert.ok(Math.abs(resourcePenalty(RANGE, 990, false, false) - 1.01 ** 2 * 10 * 4) < 1e-9);
    assert.ok(Math.abs(resourcePenalty(RANGE, 1090, true, false) - (1 + 10 / 1100) ** 2 * 10 * 4) < 1e-9);
    assert.ok(Math.abs(resourcePenalty(RANGE, 1320, false, false) - 1.1 ** 2 * 120 * 16) < 1e-9);
  });
});

describe('placement move deltas', () => {
  // h holds A (100) and B (1050): 1150; t holds C (990), 10 under its minimum; u holds D (999).
  const map = LoadMap.builder()
    .putLoad(slice8(0, 0x10), 100)
    .putLoad(slice8(0x10, 0x20), 1050)
    .putLoad(slice8(0x20, 0x30), 990)
    .putLoad(slice8(0x30), 999)
    .build();
  const base = [
    { slice: slice8(0, 0x10), resources: ['h'] },
    { slice: slice8(0x10, 0x20), resources: ['h'] },
    { slice: slice8(0x20, 0x30), resources: ['t'] },
    { slice: slice8(0x30), resources: ['u'] },
  ];

  it('pays churn for moving a base replica: a resource 10 under takes a load-100 slice, one 1 under does not', () => {
    const model = buildModel(['h', 't', 'u'], base, map);
    const [a] = [...model.nodes()];
    const [h, t, u] = model.resources;
    const costs = { range: RANGE, churnPenaltyRatio: 0.25 };
    const source = reassignSourceDelta(costs, a!, a!.holderOn(h!)!);
    assert.equal(source, 25);
    assert.ok(Math.abs(source + reassignTargetDelta(costs, a!, t!) - (25 - 40.804)) < 1e-9);
    assert.ok(source + reassignTargetDelta(costs, a!, u!) > 0);
  });

  it('undoes the replication cost exactly when dereplicating', () => {
    const model = buildModel(['h', 't', 'u'], base, map);
    const nodes = [...model.nodes()];
    const a = nodes[0]!;
    const [, t] = model.resources;
    const costs = { range: { ...RANGE, minDesiredExisting: 1e-9, minDesiredNew: 1e-9, maxDesired: 1e9 }, churnPenaltyRatio: 0 };
    // Inside a wide band only the replication cost counts: +L/r to add, −L/(r−1)… = −L/r back.
    assert.equal(replicateDelta(costs, a, t!), 100);
    model.setHolders(a, [...a.holders, { resource: t!, isNewlyAssigned: true }]);
    assert.equal(dereplicateDelta(costs, a, t!), -100);
  });
});

describe('placeSlices', () => {
  it('gives every available resource a slice', () => {
    const model = buildModel(
      ['a', 'b', 'c'],
      Array.from({ length: 8 }, (_, i) => ({ slice: slice8(i * 0x100, i === 7 ? undefined : (i + 1) * 0x100), resources: ['a'] })),
      UNIFORM_LOAD_MAP,
    );
    const range = { splitThreshold: 0.1, minDesiredExisting: 0.3, minDesiredNew: 1 / 3, maxDesired: 0.4 };
    const outcome = placeSlices(model, context({ range }));
    assert.ok(outcome.reassigns >= 2);
    for (const r of model.resources) assert.ok(r.slices.size > 0, r.id);
    assertModelConsistent(model);
    assert.equal(model.eligible.size, 0);
    assert.equal(outcome.timedOut, false);
    assert.equal(outcome.budgetExhausted, false);
  });

  it('replicates a slice hotter than a resource can carry, up to the maximum', () => {
    const map = LoadMap.builder().putLoad(Slice.FULL, 3000).build();
    const model = buildModel(['a', 'b', 'c'], [{ slice: Slice.FULL, resources: ['a'] }], map);
    const outcome = placeSlices(model, context({ maxReplicas: 3, churnPenaltyRatio: 0 }));
    assert.equal(outcome.replicates, 2);
    assert.equal([...model.nodes()][0]?.replicas, 3);
    assertModelConsistent(model);
  });

  it('drops replicas that no longer pay for themselves, never below the minimum', () => {
    const map = LoadMap.builder().putLoad(slice8(0, 0x100), 30).putLoad(slice8(0x100), 30).build();
    const model = buildModel(
      ['a', 'b', 'c'],
      [
        { slice: slice8(0, 0x100), resources: ['a', 'b', 'c'] },
        { slice: slice8(0x100), resources: ['a', 'b', 'c'] },
      ],
      map,
    );
    const range = { splitThreshold: 10, minDesiredExisting: 1, minDesiredNew: 1, maxDesired: 100 };
    const outcome = placeSlices(model, context({ range, minReplicas: 1, maxReplicas: 3 }));
    assert.ok(outcome.dereplicates >= 2);
    for (const n of model.nodes()) assert.ok(n.replicas >= 1);
    for (const r of model.resources) assert.ok(r.slices.size > 0, `${r.id} keeps a slice`);
    assertModelConsistent(model);
  });

  it('stops at the iteration budget and says so', () => {
    const model = buildModel(
      ['a', 'b', 'c'],
      Array.from({ length: 8 }, (_, i) => ({ slice: slice8(i * 0x100, i === 7 ? undefined : (i + 1) * 0x100), resources: ['a'] })),
      UNIFORM_LOAD_MAP,
    );
    const outcome = placeSlices(model, context({ iterationBudget: 1 }));
    assert.equal(outcome.iterations, 1);
    assert.equal(outcome.budgetExhausted, true);
  });

  it('stops at the placement deadline of the injected time source and says so', () => {
    const model = buildModel(
      ['a', 'b', 'c'],
      Array.from({ length: 8 }, (_, i) => ({ slice: slice8(i * 0x100, i === 7 ? undefined : (i + 1) * 0x100), resources: ['a'] })),
      UNIFORM_LOAD_MAP,
    );
    let now = 0;
    const outcome = placeSlices(model, context({ timeoutMs: 1500, nowMs: () => (now += 1000) }));
    assert.equal(outcome.iterations, 1);
    assert.equal(outcome.timedOut, true);
  });
});
