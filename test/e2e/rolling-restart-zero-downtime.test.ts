/**
 * Rolling restart under steady load: every cache server in turn drains (SIGTERM: TERMINATING,
 * the Assigner moves its slices away, it keeps serving a grace period, then exits) and comes back
 * as a new incarnation on the same port. No request may fail, misdirected requests stay under 1 %,
 * and the cache hit rate, which drops as each restarted server starts empty, recovers. The
 * rollout is paced: the next server restarts 2 s after the previous one's new incarnation holds
 * slices.
 */
import { strict as assert } from 'node:assert';
import { DemoCluster } from '@dicer-ts/cache-demo';
import { eventually } from '@dicer-ts/test-harness';
import { E2E_CLUSTER_OPTIONS, hitRate, loadWindow, measureLoad, printFigures, waitForAllServersAssigned } from './scenario-support.js';

/** Stats lines (250 ms each) of steady traffic between two restarts. */
const PACING_STATS_LINES = 8;

describe('rolling restart (e2e, real processes)', function () {
  this.timeout(90_000);
  let cluster: DemoCluster | undefined;

  afterEach(async () => {
    await cluster?.close();
    cluster = undefined;
  });

  it('restarts every server one at a time with no failed request, under 1 % misdirected, and the hit rate recovers', async () => {
    cluster = await DemoCluster.start({ ...E2E_CLUSTER_OPTIONS, servers: 4 });
    const c = cluster;
    await waitForAllServersAssigned(c);
    // Warm the caches until the hit rate levels off: a window at least as good as the one before it.
    let previous = 0;
    const baseline = await eventually(
      async () => {
        const rate = hitRate(await measureLoad(c, 4));
        const settled = rate > 0.5 && rate <= previous + 0.02;
        previous = rate;
        return settled ? rate : false;
      },
      { timeoutMs: 30_000, description: 'the hit rate to level off' },
    );

    const start = await c.nextLoadStats();
    for (const slot of [...c.servers]) {
      await c.restartServer(slot, 'SIGTERM');
      // The next restart waits until the Assigner has given the new incarnation slices, then for
      // 2 s of steady traffic, as a paced rollout does (Kubernetes' minReadySeconds).
      await waitForAllServersAssigned(c);
      await measureLoad(c, PACING_STATS_LINES);
    }
    const end = await c.nextLoadStats();
    const during = loadWindow(start, end);

    const recovered = await eventually(
      async () => {
        const rate = hitRate(await measureLoad(c, 4));
        return rate >= baseline - 0.05 ? rate : false;
      },
      { timeoutMs: 30_000, description: `the hit rate to recover to ${baseline.toFixed(3)} - 0.05` },
    );
    const misdirectedShare = during.misdirected / Math.max(1, during.requests);
    printFigures('rolling-restart', {
      servers: 4,
      requests: during.requests,
      failed: during.failed,
      retries: during.retries,
      misdirectedPct: 100 * misdirectedShare,
      seconds: during.seconds,
      hitRateBefore: baseline,
      hitRateDuring: hitRate(during),
      hitRateAfter: recovered,
    });
    assert.ok(during.requests > 0);
    assert.equal(during.failed, 0, 'no request fails');
    assert.ok(misdirectedShare < 0.01, `misdirected ${(100 * misdirectedShare).toFixed(2)} % < 1 %`);
  });
});
