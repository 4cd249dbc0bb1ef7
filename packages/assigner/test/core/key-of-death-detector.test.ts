import assert from 'node:assert/strict';
import fc from 'fast-check';
import { InvalidArgumentError, ResourceAddress, Squid } from '@dicer-ts/common';
import { KeyOfDeathDetector, resolveKeyOfDeathDetectorOptions } from '../../src/core/key-of-death-detector.js';
import type { HealthReport, HealthStatus } from '../../src/core/health-watcher.js';

const HOUR = 3_600_000;

function squid(pod: number, creation = 1000n): Squid {
  return Squid.create(ResourceAddress.create(`https://pod${pod}:8080`), creation, `00000000-0000-4000-8000-${pod.toString(16).padStart(12, '0')}`);
}

function report(entries: [number, HealthStatus][]): { kind: 'health-report'; report: HealthReport } {
  return {
    kind: 'health-report',
    report: { resources: entries.map(([pod, computed]) => ({ squid: squid(pod), reported: computed, computed, expiresAtMs: 0 })) },
  };
}

const running = (pods: number[]): [number, HealthStatus][] => pods.map((p) => [p, 'running']);

describe('KeyOfDeathDetector', () => {
  it('does not count Running → Terminating or NotReady → gone as crashes (K1)', () => {
    const detector = new KeyOfDeathDetector();
    detector.onEvent(report([...running([0, 1]), [2, 'not-ready']]), 0);
    const out = detector.onEvent(report([[0, 'running'], [1, 'terminating']]), 1);
    assert.deepEqual(out, { actions: [], wakeAtMs: undefined });
    assert.equal(detector.stats.crashes, 0);
    assert.deepEqual(detector.state, { kind: 'stable' });
  });

  it('moves to Endangered on a crash, freezing the workload size', () => {
    const detector = new KeyOfDeathDetector();
    detector.onEvent(report(running([0, 1, 2, 3, 4])), 0);
    const out = detector.onEvent(report(running([0, 1, 2, 3])), 10);
    assert.deepEqual(out, { actions: [], wakeAtMs: 10 + HOUR });
    assert.deepEqual(detector.state, { kind: 'endangered', frozenWorkloadSize: 5 });
    assert.equal(detector.stats.heuristic, 0.2);
  });

  it('counts a resource turning Unknown as a crash and poisons at heuristic ≥ threshold', () => {
    const detector = new KeyOfDeathDetector();
    detector.onEvent(report(running([0, 1, 2, 3])), 0);
    // 1 crash / max(4, 3) = 0.25: the threshold itself is enough.
    const out = detector.onEvent(report([...running([0, 1, 2]), [3, 'unknown']]), 5);
    assert.deepEqual(out.actions, [{ kind: 'transition-to-poisoned' }]);
    assert.deepEqual(detector.state, { kind: 'poisoned', frozenWorkloadSize: 4 });
  });

  it('goes from Stable to Poisoned in one step on simultaneous crashes', () => {
    const detector = new KeyOfDeathDetector();
    detector.onEvent(report(running([0, 1, 2, 3, 4, 5, 6, 7, 8, 9])), 0);
    const out = detector.onEvent(report(running([0, 1, 2, 3, 4, 5, 6])), 1);
    assert.deepEqual(out.actions, [{ kind: 'transition-to-poisoned' }]);
    assert.equal(detector.stats.poisonedTransitions, 1);
  });

  it('lowers the heuristic on a scale-up while Endangered (K2)', () => {
    const detector = new KeyOfDeathDetector();
    detector.onEvent(report(running([0, 1, 2, 3, 4])), 0);
    detector.onEvent(report(running([0, 1, 2, 3])), 1);
    assert.equal(detector.stats.heuristic, 1 / 5);
    detector.onEvent(report(running([0, 1, 2, 3, 5, 6, 7, 8, 9])), 2);
    assert.equal(detector.stats.heuristic, 1 / 9);
    assert.equal(detector.state.kind, 'endangered');
  });

  it('restores stability when the crash records expire', () => {
    const detector = new KeyOfDeathDetector();
    detector.onEvent(report(running([0, 1])), 0);
    detector.onEvent(report(running([0])), 100);
    assert.equal(detector.state.kind, 'poisoned');
    assert.deepEqual(detector.onAdvance(100 + HOUR - 1), { actions: [], wakeAtMs: 100 + HOUR });
    assert.deepEqual(detector.onAdvance(100 + HOUR), { actions: [{ kind: 'restore-stability' }], wakeAtMs: undefined });
    assert.deepEqual(detector.state, { kind: 'stable' });

    const endangered = new KeyOfDeathDetector();
    endangered.onEvent(report(running([0, 1, 2, 3, 4, 5])), 0);
    endangered.onEvent(report(running([0, 1, 2, 3, 4])), 0);
    assert.equal(endangered.state.kind, 'endangered');
    assert.deepEqual(endangered.onAdvance(HOUR), { actions: [], wakeAtMs: undefined });
    assert.deepEqual(endangered.state, { kind: 'stable' });
  });

  it('counts repeated crashes of one Squid separately', () => {
    const detector = new KeyOfDeathDetector({ heuristicThreshold: 1 });
    for (let t = 0; t < 3; t++) {
      detector.onEvent(report(running([0, 1, 2, 3, 4, 5, 6, 7, 8, 9])), 2 * t);
      detector.onEvent(report(running([1, 2, 3, 4, 5, 6, 7, 8, 9])), 2 * t + 1);
    }
    assert.equal(detector.stats.crashes, 3);
    assert.equal(detector.stats.activeCrashRecords, 3);
  });

  it('validates the threshold to (0, 1]', () => {
    for (const heuristicThreshold of [0, -0.1, 1.01, Number.NaN]) {
      assert.throws(() => resolveKeyOfDeathDetectorOptions({ heuristicThreshold }), InvalidArgumentError);
    }
    assert.equal(resolveKeyOfDeathDetectorOptions({ heuristicThreshold: 1 }).heuristicThreshold, 1);
    assert.deepEqual(resolveKeyOfDeathDetectorOptions(), { crashRecordRetentionMs: HOUR, heuristicThreshold: 0.25 });
  });
});

describe('KeyOfDeathDetector invariants', () => {
  const arbReport = fc.array(fc.constantFrom<HealthStatus | 'absent'>('absent', 'unknown', 'not-ready', 'running', 'terminating'), {
    minLength: 6,
    maxLength: 6,
  });

  it('is Stable exactly when no crash record is held, and counts only Running → gone or Unknown as crashes (K1)', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(arbReport, fc.integer({ min: 0, max: HOUR / 2 })), { maxLength: 40 }), (steps) => {
        const detector = new KeyOfDeathDetector();
        let now = 0;
        let previous: (HealthStatus | 'absent')[] = [];
        for (const [statuses, advance] of steps) {
          now += advance;
          const expectedCrashes = previous.filter((s, pod) => s === 'running' && (statuses[pod] === 'absent' || statuses[pod] === 'unknown')).length;
          const before = detector.stats.crashes;
          const entries = statuses.flatMap((s, pod): [number, HealthStatus][] => (s === 'absent' ? [] : [[pod, s]]));
          const out = detector.onEvent(report(entries), now);
          assert.equal(detector.stats.crashes - before, expectedCrashes);
          assert.equal(detector.state.kind === 'stable', detector.stats.activeCrashRecords === 0);
          if (detector.state.kind === 'endangered') assert.ok(detector.stats.heuristic < 0.25);
          assert.equal(out.wakeAtMs === undefined, detector.stats.activeCrashRecords === 0);
          previous = statuses;
        }
      }),
      { seed: 42, numRuns: 300 },
    );
  });
});
