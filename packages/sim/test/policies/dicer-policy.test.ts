import assert from 'node:assert/strict';
import { runSimulation } from '../../src/engine/simulation.js';
import { createPolicy } from '../../src/policies/create-policy.js';
import { DicerPolicy } from '../../src/policies/dicer-policy.js';
import { StaticRangePolicy } from '../../src/policies/static-range-policy.js';
import { runScenario } from '../../src/run-scenario.js';
import { resolveScenario } from '../../src/scenarios/scenario.js';
import { SyntheticWorkload } from '../../src/workloads/synthetic-workload.js';
import type { SyntheticWorkloadSpec } from '../../src/workloads/workload.js';
import { tinyScenario } from '../tiny-scenarios.js';

describe('DicerPolicy', () => {
  describe('when a hot key appears (zipf-hotkey)', () => {
    const scenario = resolveScenario(
      tinyScenario({
        durationMs: 9 * 60_000,
        warmupMs: 5 * 60_000,
        workload: { kind: 'synthetic', keys: 5_000, ratePerSecond: 400, zipfExponent: 0.8, hotKey: { atMs: 180_000, share: 0.3 } },
      }),
    );
    const run = (policy: DicerPolicy | StaticRangePolicy) => {
      const workload = new SyntheticWorkload(scenario.workload as SyntheticWorkloadSpec, scenario.seed);
      return { workload, result: runSimulation(scenario, workload, policy, { deterministic: true }) };
    };

    it('isolates the hot key in its own slice [k, k\\0), replicated when allowed, and beats static ranges', () => {
      const single = new DicerPolicy({ kind: 'dicer' }, 50);
      const replicated = new DicerPolicy({ kind: 'dicer', config: { maxReplicas: 4 } }, 50);
      const { workload, result: singleResult } = run(single);
      const { result: replicatedResult } = run(replicated);
      const { result: staticResult } = run(new StaticRangePolicy());
      const hot = workload.keySpace.sliceKey(workload.hotKeyAt(180_000) as number);
      for (const [policy, replicas] of [[single, 1], [replicated, 4]] as const) {
        const slice = policy.assignedSlices.find((s) => s.slice.lowInclusive.equals(hot));
        assert.ok(slice !== undefined, 'a slice starts at the hot key');
        assert.ok(slice.slice.highExclusive?.equals(hot.successor()), `${slice.slice} is the hot key alone`);
        assert.equal(slice.resources.length, replicas);
      }
      // The hot key alone is 0.3 × 400 = 120/s against a mean of 50/s per pod: 2.4× is the floor with one replica.
      assert.ok(singleResult.summary.meanMaxOverMean < 2.6, `single ${singleResult.summary.meanMaxOverMean}`);
      assert.ok(replicatedResult.summary.meanMaxOverMean < 1.5, `replicated ${replicatedResult.summary.meanMaxOverMean}`);
      assert.ok(staticResult.summary.meanMaxOverMean > 2.8, `static ${staticResult.summary.meanMaxOverMean}`);
    });
  });

  it('moves about one pod\'s share of load per restart in a rolling restart, far less than static ranges', () => {
    const result = runScenario(
      tinyScenario({
        durationMs: 12 * 60_000,
        policies: [{ kind: 'dicer' }, { kind: 'static' }],
        events: [{ kind: 'rolling-restart', atMs: 250_000, style: 'deployment' }],
      }),
      { deterministic: true },
    );
    const [dicer, stat] = result.policies;
    // 8 restarts; each adds a pod (which takes ~1/8 of the load) and removes one (its ~1/8 moves away).
    const perRestart = dicer!.summary.loadMoved / 8;
    assert.ok(perRestart > 0.1 && perRestart < 0.4, `dicer moved ${perRestart} of the load per restart`);
    assert.ok(stat!.summary.loadMoved > dicer!.summary.loadMoved * 2, `static ${stat!.summary.loadMoved} vs dicer ${dicer!.summary.loadMoved}`);
    assert.equal(dicer!.summary.failed, 0, 'a graceful Deployment restart fails nothing under dicer');
  });

  it('takes its config from a Dicer target config, with the spec overriding it', () => {
    const text = `default_config {
      primary_rate_metric_config { max_load_hint: 500 imbalance_tolerance_hint: TIGHT uniform_load_reservation_hint: SMALL_RESERVATION }
      key_replication_config { min_replicas: 1 max_replicas: 3 }
    }`;
    const scenario = resolveScenario(tinyScenario({ policies: [{ kind: 'dicer', targetConfigText: text, config: { maxReplicas: 2 } }] }));
    const workload = new SyntheticWorkload(scenario.workload as SyntheticWorkloadSpec, 1);
    const policy = createPolicy(scenario.policies[0]!, scenario, workload) as DicerPolicy;
    assert.equal(policy.config.maxLoadHint, 500);
    assert.equal(policy.config.imbalanceToleranceRatio, 0.025);
    assert.equal(policy.config.uniformLoadReservationRatio, 0.1);
    assert.equal(policy.config.maxReplicas, 2);
    assert.throws(() => new DicerPolicy({ kind: 'dicer', config: { imbalanceToleranceHint: 'snug' as 'tight' } }, 1), /imbalanceToleranceHint must be one of/);
    const withCapacity = resolveScenario(tinyScenario({ pods: { count: 8, capacity: 70 } }));
    assert.equal((createPolicy({ kind: 'dicer' }, withCapacity, workload) as DicerPolicy).config.maxLoadHint, 70);
    assert.equal((createPolicy({ kind: 'dicer' }, scenario, workload) as DicerPolicy).config.maxLoadHint, 300 / 8);
  });

  it('waits out the health watcher\'s 30 s startup delay before the first assignment', () => {
    const scenario = resolveScenario(tinyScenario({ durationMs: 60_000, warmupMs: 0, sampleIntervalMs: 10_000, policies: [{ kind: 'dicer' }] }));
    const policy = new DicerPolicy({ kind: 'dicer' }, 40);
    const result = runSimulation(scenario, new SyntheticWorkload(scenario.workload as SyntheticWorkloadSpec, 1), policy, { deterministic: true });
    const failedBySample = result.samples.map((s) => s.failed === s.requests);
    // No table until t = 30 s, then 5 s of propagation to the Clerks.
    assert.deepEqual(failedBySample, [true, true, true, false, false, false]);
    assert.equal(policy.assignedSlices.length, 256); // 32 × 8, a power of two
  });
});
