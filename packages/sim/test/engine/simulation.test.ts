import assert from 'node:assert/strict';
import { runScenario } from '../../src/run-scenario.js';
import { tinyScenario } from '../tiny-scenarios.js';

describe('runSimulation', () => {
  it('gives byte-identical JSON for the same seed (every policy, with events)', () => {
    const scenario = tinyScenario({
      events: [
        { kind: 'crash', atMs: 250_000, pod: 2, restartAfterMs: 40_000 },
        { kind: 'slow-pod', atMs: 260_000, pod: 4, factor: 2 },
      ],
    });
    const a = JSON.stringify(runScenario(scenario, { deterministic: true }));
    const b = JSON.stringify(runScenario(scenario, { deterministic: true }));
    assert.equal(a, b);
    const c = JSON.stringify(runScenario({ ...scenario, seed: 12, policies: [{ kind: 'dicer' }] }, { deterministic: true }).policies[0]);
    assert.notEqual(JSON.stringify(JSON.parse(a).policies[0]), c);
  });

  it('serves or fails every request, in every sample (conservation)', () => {
    const result = runScenario(
      tinyScenario({
        events: [
          { kind: 'crash', atMs: 250_000, pod: 1 },
          { kind: 'rolling-restart', atMs: 255_000, style: 'statefulset' },
          { kind: 'scale-in', atMs: 300_000, count: 2 },
        ],
        network: { propagationDelayMs: 5_000 },
      }),
      { deterministic: true },
    );
    for (const p of result.policies) {
      const s = p.summary;
      assert.equal(s.served + s.failed, s.requests, p.policy);
      // 300 requests/s over the 120 s recorded
      assert.equal(s.requests, 300 * 120, p.policy);
      assert.equal(p.samples.reduce((a, x) => a + x.requests, 0), s.requests, p.policy);
      assert.ok(s.misrouted <= s.served);
      assert.ok(s.failed > 0, `${p.policy}: a crash without restart fails requests until it is noticed`);
    }
  });

  it('balances uniform load under every policy', () => {
    const result = runScenario(
      tinyScenario({ workload: { kind: 'synthetic', keys: 20_000, ratePerSecond: 800 }, sampleIntervalMs: 60_000 }),
      { deterministic: true },
    );
    for (const p of result.policies) assert.ok(p.summary.meanMaxOverMean < 1.3, `${p.policy}: ${p.summary.meanMaxOverMean}`);
  });

  it('counts requests routed by a stale Clerk view as misrouted, and fails requests to a gone pod', () => {
    const scenario = tinyScenario({
      policies: [{ kind: 'consistent-hash' }],
      events: [{ kind: 'scale-out', atMs: 250_000, count: 1 }],
      network: { propagationDelayMs: 20_000 },
    });
    const [slow] = runScenario(scenario, { deterministic: true }).policies;
    const [fast] = runScenario({ ...scenario, network: { propagationDelayMs: 0 } }, { deterministic: true }).policies;
    assert.ok(slow!.summary.misrouted > 0);
    assert.equal(fast!.summary.misrouted, 0);
    assert.equal(slow!.summary.failed, 0);
  });
});
