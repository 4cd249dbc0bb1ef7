/**
 * Scale out from 4 to 8 cache servers under load, then back to 4 (the 4 new ones drain). Load
 * spreads onto the new servers, no request fails, and churn stays near the ideal: going from 4 to
 * 8 pods (or back) the least that can move is half of the load; the share of the recorded load
 * that ends up on entirely different pods is measured from the Assigner's assignments before and
 * after.
 */
import { strict as assert } from 'node:assert';
import { DemoCluster, type DebugJsonTarget, diffAssignments } from '@dicer-ts/cache-demo';
import { eventually } from '@dicer-ts/test-harness';
import { E2E_CLUSTER_OPTIONS, loadWindow, measureLoad, printFigures, serverRates, waitForAllServersAssigned } from './scenario-support.js';

/** The least share of the load that must move from 4 pods to 8, or from 8 back to 4. */
const IDEAL_CHURN = 0.5;
/** Churn may exceed the ideal by this much (load balancing also moves a little while it settles). */
const CHURN_SLACK = 0.2;

/** Sum of the churn the Assigner recorded for the generations committed after `since`. */
function recordedChurn(target: DebugJsonTarget, sinceMs: number): number {
  return target.generations
    .filter((g) => g.atMs > sinceMs && g.outcome === 'committed')
    .reduce((sum, g) => sum + g.churn.addition + g.churn.removal + g.churn.loadBalancing, 0);
}

describe('scale out and in (e2e, real processes)', function () {
  this.timeout(90_000);
  let cluster: DemoCluster | undefined;

  afterEach(async () => {
    await cluster?.close();
    cluster = undefined;
  });

  it('spreads load from 4 to 8 servers and back with no failed request and churn near the ideal', async () => {
    cluster = await DemoCluster.start({ ...E2E_CLUSTER_OPTIONS, servers: 4 });
    const c = cluster;
    await waitForAllServersAssigned(c);
    await measureLoad(c, 4);

    // Out: 4 → 8, from an assignment that records measured load (not the first, uniform one).
    const before = await eventually(
      async () => {
        const target = await c.debugTarget();
        return target !== undefined && target.slices.reduce((sum, s) => sum + (s.load ?? 0), 0) > 10 ? target : false;
      },
      { timeoutMs: 20_000, description: 'an assignment with measured load' },
    );
    const outAtMs = Date.now();
    const startOut = await c.nextLoadStats();
    const added = await Promise.all([1, 2, 3, 4].map(() => c.addServer()));
    await waitForAllServersAssigned(c);
    const spread = await eventually(
      async () => {
        const rates = await serverRates(c, 4);
        const values = [...rates.values()];
        const mean = values.reduce((a, b) => a + b, 0) / values.length;
        return values.length === 8 && values.every((r) => r >= 0.5 * mean) ? { min: Math.min(...values) / mean, max: Math.max(...values) / mean } : false;
      },
      { timeoutMs: 20_000, description: 'every one of 8 servers to serve at least half the mean rate' },
    );
    const afterOut = (await c.debugTarget())!;
    const out = loadWindow(startOut, await c.nextLoadStats());
    const outDiff = diffAssignments(before.slices, afterOut.slices);

    // In: 8 → 4, the new servers drain together.
    const inAtMs = Date.now();
    const startIn = await c.nextLoadStats();
    await Promise.all(added.map((slot) => c.removeServer(slot)));
    await waitForAllServersAssigned(c);
    const afterIn = await eventually(
      async () => {
        const target = await c.debugTarget();
        return target !== undefined && new Set(target.slices.flatMap((s) => s.resources)).size === 4 ? target : false;
      },
      { timeoutMs: 20_000, description: 'the assignment to name 4 pods' },
    );
    const back = loadWindow(startIn, await c.nextLoadStats());
    const inDiff = diffAssignments(afterOut.slices, afterIn.slices);

    printFigures('scale-4-8-4', {
      outRequests: out.requests,
      outFailed: out.failed,
      outMisdirected: out.misdirected,
      outMovedLoad: outDiff.movedLoadFraction,
      outMovedKeySpace: outDiff.movedFraction,
      outRecordedChurn: recordedChurn(afterOut, outAtMs),
      spreadMinOverMean: spread.min,
      spreadMaxOverMean: spread.max,
      inRequests: back.requests,
      inFailed: back.failed,
      inMisdirected: back.misdirected,
      inMovedLoad: inDiff.movedLoadFraction,
      inMovedKeySpace: inDiff.movedFraction,
      inRecordedChurn: recordedChurn(afterIn, inAtMs),
      ideal: IDEAL_CHURN,
    });
    assert.equal(out.failed, 0, 'no request fails while scaling out');
    assert.equal(back.failed, 0, 'no request fails while scaling in');
    // The spread check above is what says enough moved; churn must not go far beyond the ideal.
    for (const [phase, moved] of [['out', outDiff.movedLoadFraction], ['in', inDiff.movedLoadFraction]] as const) {
      assert.ok(moved > 0 && moved <= IDEAL_CHURN + CHURN_SLACK, `scale-${phase} moved ${moved.toFixed(3)} of the load; ideal ${IDEAL_CHURN}`);
    }
  });
});
