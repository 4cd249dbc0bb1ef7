import assert from 'node:assert/strict';
import { type Assignment, Generation, KubernetesTarget, ResourceAddress, Slice, SliceKey, Squid } from '@dicer-ts/common';
import { resolveInlineTargetConfig } from '../../src/assigner-options.js';
import { roleFor } from '../../src/core/preferred-assigner-state-machine.js';
import { createAssignerInfo } from '../../src/core/preferred-assigner-value.js';
import { StateTransferPlanner } from '../../src/core/state-transfer-planner.js';
import { toDebugPreferredAssigner, toDebugTarget } from '../../src/debug/debug-snapshot.js';
import type { GeneratorSnapshot } from '../../src/service/generator-driver.js';
import { commitProposal } from '../../src/store/commit-proposal.js';

const POD1 = Squid.create(ResourceAddress.create('https://pod1:8080'), 1000n, '00000000-0000-4000-8000-000000000001');
const POD2 = Squid.create(ResourceAddress.create('https://pod2:8080'), 1000n, '00000000-0000-4000-8000-000000000002');
const HALF = SliceKey.fromBytes(Uint8Array.of(0x80));

function generatorSnapshot(latest: Assignment, issuedAtMs: ReadonlyMap<number, number>): GeneratorSnapshot {
  return {
    target: KubernetesTarget.create('demo-cache'),
    config: resolveInlineTargetConfig('demo-cache', { maxLoadHint: 1000 }),
    latestAssignment: latest,
    health: undefined,
    lastWatchAtMs: 0,
    history: [],
    loadByResource: new Map(),
    stateTransferIssuedAtMs: issuedAtMs,
  };
}

describe('toDebugTarget state transfers', () => {
  it('lists each transfer of the latest assignment with its source, owner and age', () => {
    const planner = new StateTransferPlanner({ timeoutMs: 60_000 });
    const first = commitProposal({ predecessor: undefined, slices: [{ slice: Slice.FULL, resources: [POD1] }] }, Generation.create(2n, 1000n), false);
    // POD2 takes the upper half from the running POD1 at t = 10 s: one transfer POD1 → POD2.
    const committed = commitProposal(
      {
        predecessor: first,
        slices: [
          { slice: Slice.create(SliceKey.MIN, HALF), resources: [POD1] },
          { slice: Slice.atLeast(HALF), resources: [POD2] },
        ],
      },
      Generation.create(2n, 2000n),
      false,
    );
    const annotated = planner.finalizer(first, () => 'running', 10_000)(committed);
    planner.onCommitted(annotated);
    assert.equal(planner.inFlight, 1);

    const target = toDebugTarget(generatorSnapshot(annotated, planner.issuedAtMs), 13_500);
    assert.equal(target.stateTransfers.length, 1);
    const t = target.stateTransfers[0]!;
    assert.equal(t.slice, Slice.atLeast(HALF).toString());
    assert.equal(t.from, 'https://pod1:8080');
    assert.equal(t.to, 'https://pod2:8080');
    assert.equal(t.ageMs, 3_500);
    assert.equal(planner.issuedAtMs.get(t.id), 10_000);
  });

  it('shows an unknown age for a transfer this Assigner did not issue, and none without transfers', () => {
    const first = commitProposal({ predecessor: undefined, slices: [{ slice: Slice.FULL, resources: [POD1] }] }, Generation.create(2n, 1000n), false);
    assert.deepEqual(toDebugTarget(generatorSnapshot(first, new Map()), 0).stateTransfers, []);
    const planner = new StateTransferPlanner({ timeoutMs: 60_000 });
    const moved = commitProposal({ predecessor: first, slices: [{ slice: Slice.FULL, resources: [POD2] }] }, Generation.create(2n, 2000n), false);
    const annotated = planner.finalizer(first, () => 'terminating', 0)(moved);
    const target = toDebugTarget(generatorSnapshot(annotated, new Map()), 5_000);
    assert.equal(target.stateTransfers.length, 1);
    assert.equal(target.stateTransfers[0]!.ageMs, undefined);
  });
});

describe('toDebugPreferredAssigner', () => {
  const self = createAssignerInfo('123e4567-e89b-42d3-a456-426614174000', 'https://10.0.0.7:24500');
  const other = createAssignerInfo('123e4567-e89b-42d3-a456-426614174001', 'https://10.0.0.8:24500');
  const generation = Generation.create(2n, 5n);

  it('reports preferred-assigner mode off without a driver', () => {
    assert.deepEqual(toDebugPreferredAssigner(undefined), { role: 'PREFERRED_BECAUSE_PA_DISABLED', preferredUri: undefined, generation: undefined });
  });

  it('names the preferred Assigner and the record generation as preferred and as standby', () => {
    assert.deepEqual(toDebugPreferredAssigner(roleFor({ kind: 'some-assigner', info: self, generation }, self)), {
      role: 'PREFERRED',
      preferredUri: 'https://10.0.0.7:24500',
      generation: generation.toString(),
    });
    assert.deepEqual(toDebugPreferredAssigner(roleFor({ kind: 'some-assigner', info: other, generation }, self)), {
      role: 'STANDBY',
      preferredUri: 'https://10.0.0.8:24500',
      generation: generation.toString(),
    });
  });

  it('reports a standby without a preferred Assigner and a ModeDisabled record', () => {
    assert.deepEqual(toDebugPreferredAssigner(roleFor({ kind: 'no-assigner', generation }, self)), {
      role: 'STANDBY',
      preferredUri: undefined,
      generation: generation.toString(),
    });
    assert.equal(toDebugPreferredAssigner(roleFor({ kind: 'mode-disabled', generation }, self)).role, 'PREFERRED_BECAUSE_PA_DISABLED');
  });
});
