import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ResourceAddress, Squid } from '@dicer-ts/common';
import {
  HealthWatcher,
  availableResources,
  nextHealthStatus,
  type HealthReport,
  type HealthStatus,
  type HealthWatcherOutput,
} from '../../src/core/health-watcher.js';

const T0 = 1_000_000;

function uuid(n: number): string {
  return `00000000-0000-4000-8000-${n.toString(16).padStart(12, '0')}`;
}

function squid(pod: number, creationTimeMs = 1000n, uuidOf = pod): Squid {
  return Squid.create(ResourceAddress.create(`https://pod${pod}:8080`), creationTimeMs, uuid(uuidOf));
}

function reportOf(out: HealthWatcherOutput): HealthReport | undefined {
  assert.ok(out.actions.length <= 1);
  return out.actions[0]?.report;
}

function statuses(report: HealthReport | undefined): [string, HealthStatus][] | undefined {
  return report?.resources.map((r) => [r.squid.resourceAddress.uri, r.computed]);
}

const generation = (incarnation: bigint, number: bigint) => ({ incarnation, number });

describe('HealthWatcher', () => {
  describe('liveResources', () => {
    it('moves a pod\'s expiry with every heartbeat while the last report stays as it was', () => {
      const watcher = new HealthWatcher();
      watcher.onEvent({ kind: 'health-status-observed', squid: squid(0), state: 'running' }, T0);
      watcher.onEvent({ kind: 'health-status-observed', squid: squid(0), state: 'running' }, T0 + 20_000);
      watcher.onAdvance(T0 + 30_000);
      assert.equal(watcher.latestReport?.resources[0]?.expiresAtMs, T0 + 50_000);
      watcher.onEvent({ kind: 'health-status-observed', squid: squid(0), state: 'running' }, T0 + 45_000);
      assert.equal(watcher.latestReport?.resources[0]?.expiresAtMs, T0 + 50_000);
      assert.equal(watcher.liveResources().resources[0]?.expiresAtMs, T0 + 75_000);
    });
  });

  describe('startup', () => {
    it('reports nothing until the startup delay has passed (H1)', () => {
      const watcher = new HealthWatcher();
      const first = watcher.onEvent({ kind: 'health-status-observed', squid: squid(0), state: 'running' }, T0);
      assert.equal(reportOf(first), undefined);
      assert.equal(first.wakeAtMs, T0 + 30_000);
      assert.equal(reportOf(watcher.onAdvance(T0 + 29_999)), undefined);
      watcher.onEvent({ kind: 'health-status-observed', squid: squid(0), state: 'running' }, T0 + 20_000);
      const started = watcher.onAdvance(T0 + 30_000);
      assert.deepEqual(statuses(reportOf(started)), [['https://pod0:8080', 'running']]);
      assert.deepEqual(watcher.state, { kind: 'started', startedAtMs: T0, reason: 'delay-elapsed' });
      assert.equal(started.wakeAtMs, T0 + 50_000);
    });

    it('reports an empty set when nobody heartbeats during the delay', () => {
      const watcher = new HealthWatcher();
      watcher.onAdvance(T0);
      assert.deepEqual(statuses(reportOf(watcher.onAdvance(T0 + 30_000))), []);
    });

    it('bootstraps from an assignment at least as new as any Slicelet reports (H5)', () => {
      const watcher = new HealthWatcher();
      watcher.onEvent({ kind: 'health-status-observed', squid: squid(1), state: 'terminating' }, T0);
      assert.equal(
        reportOf(watcher.onEvent({ kind: 'assignment-observed', generation: generation(2n, 5n), resources: [squid(0), squid(1)] }, T0 + 1)),
        undefined,
        'no Slicelet has reported a generation yet',
      );
      assert.equal(reportOf(watcher.onEvent({ kind: 'slicelet-generation-observed', generation: generation(2n, 6n) }, T0 + 2)), undefined);
      const out = watcher.onEvent({ kind: 'assignment-observed', generation: generation(2n, 6n), resources: [squid(0), squid(1), squid(2)] }, T0 + 3);
      // pod1 is already tracked (Terminating) and keeps its state; the others come in as Running.
      assert.deepEqual(statuses(reportOf(out)), [
        ['https://pod0:8080', 'running'],
        ['https://pod1:8080', 'terminating'],
        ['https://pod2:8080', 'running'],
      ]);
      assert.deepEqual(watcher.state, { kind: 'started', startedAtMs: T0, reason: 'bootstrapped' });
      assert.equal(reportOf(out)!.resources[0]!.expiresAtMs, T0 + 30_000);
    });

    it('ignores EMPTY generations from Slicelets for bootstrap', () => {
      const watcher = new HealthWatcher();
      watcher.onEvent({ kind: 'slicelet-generation-observed', generation: generation(0n, 0n) }, T0);
      const out = watcher.onEvent({ kind: 'assignment-observed', generation: generation(2n, 5n), resources: [squid(0)] }, T0);
      assert.equal(reportOf(out), undefined);
      assert.equal(watcher.state.kind, 'starting');
    });
  });

  describe('transitions', () => {
    it('follow Dicer\'s table: Running never becomes NotReady and Terminating is absorbing', () => {
      const all: HealthStatus[] = ['unknown', 'not-ready', 'running', 'terminating'];
      const table = all.map((from) => all.map((reported) => nextHealthStatus(from, reported)));
      assert.deepEqual(table, [
        ['unknown', 'not-ready', 'running', 'terminating'],
        ['unknown', 'not-ready', 'running', 'terminating'],
        ['unknown', 'running', 'running', 'terminating'],
        ['terminating', 'terminating', 'terminating', 'terminating'],
      ]);
    });

    it('masks NotReady to Running unless readiness is observed', () => {
      for (const [observeSliceletReadiness, expected] of [
        [false, 'running'],
        [true, 'not-ready'],
      ] as const) {
        const watcher = new HealthWatcher({ observeSliceletReadiness });
        watcher.onAdvance(T0 - 30_000);
        const report = reportOf(watcher.onEvent({ kind: 'health-status-observed', squid: squid(0), state: 'not-ready' }, T0))!;
        assert.deepEqual(statuses(report), [['https://pod0:8080', expected]]);
        assert.equal(report.resources[0]!.reported, 'not-ready');
        assert.equal(availableResources(report).length, expected === 'running' ? 1 : 0);
      }
    });

    it('does not extend a Terminating resource\'s expiry and forgets it afterwards (H3)', () => {
      const watcher = new HealthWatcher();
      watcher.onAdvance(T0 - 30_000);
      watcher.onEvent({ kind: 'health-status-observed', squid: squid(0), state: 'running' }, T0);
      const terminating = reportOf(watcher.onEvent({ kind: 'health-status-observed', squid: squid(0), state: 'terminating' }, T0 + 1000))!;
      assert.deepEqual(
        terminating.resources.map((r) => [r.computed, r.expiresAtMs]),
        [['terminating', T0 + 301_000]],
      );
      const again = watcher.onEvent({ kind: 'health-status-observed', squid: squid(0), state: 'running' }, T0 + 100_000);
      assert.equal(reportOf(again)?.resources[0]?.computed ?? 'unchanged', 'terminating', 'the reported state changed');
      assert.equal(watcher.latestReport!.resources[0]!.expiresAtMs, T0 + 301_000);
      assert.equal(again.wakeAtMs, T0 + 301_000);
      assert.deepEqual(statuses(reportOf(watcher.onAdvance(T0 + 301_000))), []);
      // A later heartbeat brings it back as new.
      assert.deepEqual(
        statuses(reportOf(watcher.onEvent({ kind: 'health-status-observed', squid: squid(0), state: 'running' }, T0 + 302_000))),
        [['https://pod0:8080', 'running']],
      );
    });

    it('expires a resource 30 s after its last heartbeat', () => {
      const watcher = new HealthWatcher();
      watcher.onAdvance(T0 - 30_000);
      watcher.onEvent({ kind: 'health-status-observed', squid: squid(0), state: 'running' }, T0);
      const refreshed = watcher.onEvent({ kind: 'health-status-observed', squid: squid(0), state: 'running' }, T0 + 10_000);
      assert.equal(reportOf(refreshed), undefined, 'nothing changed, so nothing is reported');
      assert.equal(refreshed.wakeAtMs, T0 + 40_000);
      assert.equal(reportOf(watcher.onAdvance(T0 + 39_999)), undefined);
      assert.deepEqual(statuses(reportOf(watcher.onAdvance(T0 + 40_000))), []);
    });

    it('ignores an older Squid for a tracked UUID and follows a newer one (H4)', () => {
      const watcher = new HealthWatcher();
      watcher.onAdvance(T0 - 30_000);
      watcher.onEvent({ kind: 'health-status-observed', squid: squid(0, 2000n), state: 'running' }, T0);
      assert.equal(reportOf(watcher.onEvent({ kind: 'health-status-observed', squid: squid(0, 1000n), state: 'terminating' }, T0 + 1)), undefined);
      assert.equal(watcher.latestReport!.resources[0]!.squid.creationTimeMs, 2000n);
      const newer = reportOf(watcher.onEvent({ kind: 'health-status-observed', squid: squid(0, 3000n), state: 'running' }, T0 + 2))!;
      assert.deepEqual(newer.resources.map((r) => r.squid.creationTimeMs), [3000n]);
    });
  });

  describe('availableResources', () => {
    it('keeps Running resources, one per address with the latest creation time', () => {
      const watcher = new HealthWatcher({ observeSliceletReadiness: true });
      watcher.onAdvance(T0 - 30_000);
      watcher.onEvent({ kind: 'health-status-observed', squid: squid(0, 1000n, 10), state: 'running' }, T0);
      watcher.onEvent({ kind: 'health-status-observed', squid: squid(0, 2000n, 11), state: 'running' }, T0);
      watcher.onEvent({ kind: 'health-status-observed', squid: squid(1), state: 'not-ready' }, T0);
      watcher.onEvent({ kind: 'health-status-observed', squid: squid(2), state: 'terminating' }, T0);
      const out = watcher.onEvent({ kind: 'health-status-observed', squid: squid(3), state: 'running' }, T0);
      assert.ok(reportOf(out));
      assert.deepEqual(
        availableResources(watcher.latestReport!).map((s) => [s.resourceAddress.uri, s.uuid]),
        [
          ['https://pod0:8080', uuid(11)],
          ['https://pod3:8080', uuid(3)],
        ],
      );
    });
  });
});

describe('HealthWatcher invariants', () => {
  // Heartbeats are four times as likely as bare advances, so resources live long enough to change.
  const arbEvent = fc.oneof(
    {
      weight: 4,
      arbitrary: fc.record({
        kind: fc.constant('heartbeat' as const),
        pod: fc.integer({ min: 0, max: 3 }),
        creation: fc.integer({ min: 1, max: 4 }),
        state: fc.constantFrom<HealthStatus>('unknown', 'not-ready', 'running', 'terminating'),
        advanceMs: fc.integer({ min: 0, max: 20_000 }),
      }),
    },
    {
      weight: 1,
      arbitrary: fc.record({ kind: fc.constant('advance' as const), advanceMs: fc.integer({ min: 0, max: 200_000 }) }),
    },
  );

  it('holds H1–H4 after every step of random heartbeats and advances', () => {
    fc.assert(
      fc.property(fc.array(arbEvent, { minLength: 10, maxLength: 80 }), fc.boolean(), fc.integer({ min: 0, max: 40_000 }), (events, observeSliceletReadiness, startedBeforeMs) => {
        const watcher = new HealthWatcher({ observeSliceletReadiness });
        watcher.onAdvance(T0 - startedBeforeMs);
        let now = T0;
        let previous: HealthReport | undefined;
        for (const e of events) {
          now += e.advanceMs;
          const out =
            e.kind === 'heartbeat'
              ? watcher.onEvent({ kind: 'health-status-observed', squid: squid(e.pod, BigInt(e.creation)), state: e.state }, now)
              : watcher.onAdvance(now);
          const report = reportOf(out);
          if (now < T0 - startedBeforeMs + 30_000) assert.equal(report, undefined, 'H1: no report during the startup delay');
          if (out.wakeAtMs !== undefined) assert.ok(out.wakeAtMs > now);
          if (report === undefined) continue;
          assert.ok(watcher.state.kind === 'started');
          for (const r of report.resources) {
            assert.ok(r.expiresAtMs > now, 'expired resources are not reported');
            if (!observeSliceletReadiness) assert.notEqual(r.computed, 'not-ready');
            const before = previous?.resources.find((p) => p.squid.uuid === r.squid.uuid);
            if (before === undefined) continue;
            if (before.computed === 'running' && before.expiresAtMs > now) assert.notEqual(r.computed, 'not-ready', 'H2');
            if (before.computed === 'terminating' && before.expiresAtMs > now) {
              assert.equal(r.computed, 'terminating', 'H3: absorbing');
              assert.equal(r.expiresAtMs, before.expiresAtMs, 'H3: expiry not extended');
            }
            if (before.expiresAtMs > now) assert.ok(r.squid.creationTimeMs >= before.squid.creationTimeMs, 'H4');
          }
          previous = report;
        }
      }),
      { seed: 42, numRuns: 300 },
    );
  });
});
