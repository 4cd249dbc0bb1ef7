import assert from 'node:assert/strict';
import { InvalidArgumentError, NotFoundError } from '@dicer-ts/common';
import { BUILT_IN_SCENARIOS, builtInScenario } from '../../src/scenarios/built-in-scenarios.js';
import { resolveScenario } from '../../src/scenarios/scenario.js';
import { parseScenarioJson } from '../../src/scenarios/scenario-file.js';
import { tinyScenario } from '../tiny-scenarios.js';

describe('resolveScenario', () => {
  it('applies the defaults', () => {
    const r = resolveScenario({ name: 'x', durationMs: 60_000, pods: { count: 2 }, workload: { kind: 'synthetic', keys: 10, ratePerSecond: 1 } });
    assert.equal(r.seed, 1);
    assert.equal(r.warmupMs, 300_000);
    assert.deepEqual(r.pods, { count: 2, capacity: undefined, cacheKeys: 1000, startupMs: 5_000, terminationGraceMs: 30_000 });
    assert.deepEqual(r.network, { propagationDelayMs: 5_000, sliceletDelayMs: 1_000, heartbeatIntervalMs: 5_000, unhealthyTimeoutMs: 30_000 });
    assert.deepEqual(r.policies.map((p) => p.kind), ['dicer', 'consistent-hash', 'bounded-load', 'static']);
  });

  it('names the field and the value it rejects', () => {
    const bad = (patch: object, message: RegExp): void =>
      assert.throws(() => resolveScenario({ ...tinyScenario(), ...patch }), (e: unknown) => e instanceof InvalidArgumentError && message.test(e.message));
    bad({ durationMs: 0 }, /scenario.durationMs must be a positive number, got 0/);
    bad({ pods: { count: 0 } }, /scenario.pods.count must be a positive integer, got 0/);
    bad({ events: [{ kind: 'crash', atMs: 0, pod: 9 }] }, /crash.pod must be a pod index below 8, got 9/);
    bad({ events: [{ kind: 'explode', atMs: 0 }] }, /unknown event kind explode/);
    bad({ policies: [{ kind: 'static' }, { kind: 'static' }] }, /policy name static is used twice/);
  });

  it('accepts every built-in scenario', () => {
    for (const [name, s] of Object.entries(BUILT_IN_SCENARIOS)) assert.equal(resolveScenario(s).name, name);
    assert.throws(() => builtInScenario('nope'), NotFoundError);
  });
});

describe('parseScenarioJson', () => {
  it('rejects unknown top-level keys and malformed JSON', () => {
    assert.throws(() => parseScenarioJson('{"name":"a","sede":3}'), /unknown key sede/);
    assert.throws(() => parseScenarioJson('{'), /not valid JSON/);
    assert.equal(parseScenarioJson(JSON.stringify(tinyScenario())).name, 'tiny');
  });
});
