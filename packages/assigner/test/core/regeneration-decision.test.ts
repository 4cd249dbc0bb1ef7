import assert from 'node:assert/strict';
import fc from 'fast-check';
import { IllegalStateError, ResourceAddress, Squid } from '@dicer-ts/common';
import {
  RegenerationScheduler,
  decideRegeneration,
  resolveRegenerationTimingOptions,
  sameSquidSet,
  type KnownAssignmentSummary,
  type RegenerationInputs,
} from '../../src/core/regeneration-decision.js';

function squid(pod: number, creation = 1000n): Squid {
  return Squid.create(ResourceAddress.create(`https://pod${pod}:8080`), creation, `00000000-0000-4000-8000-${pod.toString(16).padStart(12, '0')}`);
}

const A = squid(0);
const B = squid(1);
const NOW = 1_000_000;

function assignment(resources: Squid[], extra: Partial<KnownAssignmentSummary> = {}): KnownAssignmentSummary {
  return { isFrozen: false, incarnation: 2n, resources, ...extra };
}

function inputs(extra: Partial<RegenerationInputs> = {}): RegenerationInputs {
  return {
    latestAssignment: assignment([A, B]),
    storeIncarnation: 2n,
    availableResources: [A, B],
    writeInFlight: false,
    lastWriteCompletedAtMs: NOW - 30_000,
    lastGenerationAttemptAtMs: NOW - 30_000,
    ...extra,
  };
}

describe('decideRegeneration', () => {
  it('takes Dicer\'s decisions in Dicer\'s order', () => {
    const cases: [string, Partial<RegenerationInputs>, ReturnType<typeof decideRegeneration>][] = [
      [
        'frozen beats everything',
        { latestAssignment: assignment([A], { isFrozen: true }), availableResources: [], writeInFlight: true },
        { kind: 'skip', reason: 'frozen-assignment', wakeAtMs: undefined },
      ],
      ['no resources', { availableResources: [], writeInFlight: true }, { kind: 'skip', reason: 'incomplete-resources', wakeAtMs: undefined }],
      ['write in flight', { writeInFlight: true, latestAssignment: undefined }, { kind: 'skip', reason: 'in-flight-write', wakeAtMs: undefined }],
      ['first assignment', { latestAssignment: undefined, lastWriteCompletedAtMs: undefined, lastGenerationAttemptAtMs: undefined }, { kind: 'generate', reason: 'first-assignment' }],
      [
        'higher incarnation known',
        { latestAssignment: assignment([A], { incarnation: 3n }) },
        { kind: 'skip', reason: 'known-higher-incarnation-assignment', wakeAtMs: undefined },
      ],
      ['health change', { availableResources: [A] }, { kind: 'generate', reason: 'health-change' }],
      ['restart at the same address is a health change', { availableResources: [A, squid(1, 2000n)] }, { kind: 'generate', reason: 'health-change' }],
      ['too soon to load balance', {}, { kind: 'skip', reason: 'too-soon-to-load-balance', wakeAtMs: NOW + 30_000 }],
      ['load balancing due', { lastWriteCompletedAtMs: NOW - 60_000 }, { kind: 'generate', reason: 'load-balancing' }],
      ['never written: load balancing due now', { lastWriteCompletedAtMs: undefined }, { kind: 'generate', reason: 'load-balancing' }],
      [
        'rate limited',
        { availableResources: [A], lastGenerationAttemptAtMs: NOW - 9_999 },
        { kind: 'skip', reason: 'rate-limited', heldBack: 'health-change', wakeAtMs: NOW + 1 },
      ],
      ['rate limit passed', { availableResources: [A], lastGenerationAttemptAtMs: NOW - 10_000 }, { kind: 'generate', reason: 'health-change' }],
    ];
    for (const [name, extra, expected] of cases) {
      assert.deepEqual(decideRegeneration(inputs(extra), NOW), expected, name);
    }
  });

  it('uses the configured intervals', () => {
    const timing = resolveRegenerationTimingOptions({ loadBalancingIntervalMs: 5_000, minGenerationIntervalMs: 0 });
    assert.deepEqual(decideRegeneration(inputs({ lastWriteCompletedAtMs: NOW - 5_000, lastGenerationAttemptAtMs: NOW }), NOW, timing), {
      kind: 'generate',
      reason: 'load-balancing',
    });
  });
});

describe('sameSquidSet', () => {
  it('compares as sets of full Squids', () => {
    assert.ok(sameSquidSet([A, B, A], [B, A]));
    assert.ok(!sameSquidSet([A], [A, B]));
    assert.ok(!sameSquidSet([squid(0, 1n)], [squid(0, 2n)]));
    assert.ok(sameSquidSet([], []));
  });
});

describe('RegenerationScheduler', () => {
  it('sets the load-balancing clock on committed writes and OCC conflicts, not on errors', () => {
    const scheduler = new RegenerationScheduler({ minGenerationIntervalMs: 10_000 });
    const state = { latestAssignment: assignment([A]), storeIncarnation: 2n, availableResources: [A] };
    assert.deepEqual(scheduler.decide(NOW, state), { kind: 'generate', reason: 'load-balancing' });
    assert.deepEqual(scheduler.decide(NOW, state), { kind: 'skip', reason: 'in-flight-write', wakeAtMs: undefined });
    scheduler.onWriteCompleted('error', NOW + 100);
    assert.equal(scheduler.lastWriteCompletedMs, undefined);
    // No backoff after an error: only the attempt rate limit holds the retry back.
    assert.deepEqual(scheduler.decide(NOW + 100, state), { kind: 'skip', reason: 'rate-limited', heldBack: 'load-balancing', wakeAtMs: NOW + 10_000 });
    assert.deepEqual(scheduler.decide(NOW + 10_000, state), { kind: 'generate', reason: 'load-balancing' });
    scheduler.onWriteCompleted('occ-failure', NOW + 10_050);
    assert.deepEqual(scheduler.decide(NOW + 10_050, state), { kind: 'skip', reason: 'too-soon-to-load-balance', wakeAtMs: NOW + 70_050 });
  });

  it('rejects a completion with no write in flight', () => {
    assert.throws(() => new RegenerationScheduler().onWriteCompleted('committed', 0), IllegalStateError);
  });
});

describe('RegenerationScheduler invariants', () => {
  const arbStep = fc.record({
    advanceMs: fc.integer({ min: 0, max: 40_000 }),
    frozen: fc.boolean(),
    healthy: fc.subarray([0, 1, 2], { minLength: 0 }),
    completeWith: fc.constantFrom('committed', 'occ-failure', 'error', 'none'),
  });

  it('never has two writes in flight, spaces attempts ≥ 10 s apart and never regenerates a frozen assignment (G1–G3)', () => {
    fc.assert(
      fc.property(fc.array(arbStep, { maxLength: 60 }), (steps) => {
        const scheduler = new RegenerationScheduler();
        let now = NOW;
        let inFlight = false;
        let lastAttempt: number | undefined;
        let known: KnownAssignmentSummary | undefined;
        for (const step of steps) {
          now += step.advanceMs;
          if (inFlight && step.completeWith !== 'none') {
            scheduler.onWriteCompleted(step.completeWith as 'committed' | 'occ-failure' | 'error', now);
            inFlight = false;
          }
          if (known !== undefined) known = { ...known, isFrozen: step.frozen };
          const decision = scheduler.decide(now, {
            latestAssignment: known,
            storeIncarnation: 2n,
            availableResources: step.healthy.map((p) => squid(p)),
          });
          if (decision.kind !== 'generate') continue;
          assert.ok(!inFlight, 'G1');
          assert.ok(lastAttempt === undefined || now - lastAttempt >= 10_000, 'G2');
          assert.ok(known?.isFrozen !== true, 'G3');
          inFlight = true;
          lastAttempt = now;
          known = assignment(step.healthy.map((p) => squid(p)));
        }
      }),
      { seed: 42, numRuns: 300 },
    );
  });

  it('writes every load-balancing interval even when nothing changes (G4)', () => {
    const scheduler = new RegenerationScheduler();
    const state = { latestAssignment: assignment([A, B]), storeIncarnation: 2n, availableResources: [A, B] };
    let now = NOW;
    const writes: number[] = [];
    for (let i = 0; i < 5; i++) {
      const decision = scheduler.decide(now, state);
      assert.equal(decision.kind, 'generate');
      writes.push(now);
      scheduler.onWriteCompleted('committed', now + 200);
      const next = scheduler.decide(now + 200, state);
      assert.equal(next.kind, 'skip');
      now = next.kind === 'skip' ? next.wakeAtMs! : now;
    }
    assert.deepEqual(writes.map((t, i) => (i === 0 ? 0 : t - writes[i - 1]!)), [0, 60_200, 60_200, 60_200, 60_200]);
  });
});
