/**
 * Rolling restart with and without state transfer (issue #10): the same paced rollout as
 * `rolling-restart-zero-downtime.test.ts`, run twice under steady Zipf load — once as Dicer does
 * (every moved slice starts cold on its new owner) and once with `stateTransfer` (the Assigner
 * annotates planned moves, new owners pull the entries from the previous owner). Prints the cache
 * hit rate before and during the restart window for both; with transfer it must stay at ≥ 90 %
 * of its steady-state value, and no request may fail in either run.
 */
import { strict as assert } from 'node:assert';
import { DemoCluster } from '@dicer-ts/cache-demo';
import { eventually } from '@dicer-ts/test-harness';
import { E2E_CLUSTER_OPTIONS, hitRate, loadWindow, measureLoad, printFigures, waitForAllServersAssigned } from './scenario-support.js';

/** Stats lines (250 ms each) of steady traffic between two restarts. */
const PACING_STATS_LINES = 8;

interface RestartFigures {
  readonly before: number;
  readonly during: number;
  readonly requests: number;
  readonly failed: number;
  readonly transferredKeys: number;
}

async function rollingRestart(stateTransfer: boolean, clusters: DemoCluster[]): Promise<RestartFigures> {
  const c = await DemoCluster.start({ ...E2E_CLUSTER_OPTIONS, servers: 4, stateTransfer });
  clusters.push(c);
  await waitForAllServersAssigned(c);
  let previous = 0;
  const before = await eventually(
    async () => {
      const rate = hitRate(await measureLoad(c, 4));
      const settled = rate > 0.5 && rate <= previous + 0.02;
      previous = rate;
      return settled ? rate : false;
    },
    { timeoutMs: 30_000, description: 'the hit rate to level off' },
  );
  const start = await c.nextLoadStats();
  let transferredKeys = 0;
  for (const slot of [...c.servers]) {
    // The restarted incarnation's counters start at 0; what the old one received is in its last line.
    transferredKeys += slot.process.latestStats?.transferredKeys ?? 0;
    await c.restartServer(slot, 'SIGTERM');
    await waitForAllServersAssigned(c);
    await measureLoad(c, PACING_STATS_LINES);
  }
  const end = await c.nextLoadStats();
  for (const slot of c.servers) transferredKeys += slot.process.latestStats?.transferredKeys ?? 0;
  const during = loadWindow(start, end);
  await c.close();
  return { before, during: hitRate(during), requests: during.requests, failed: during.failed, transferredKeys };
}

describe('rolling restart with state transfer (e2e, real processes)', function () {
  this.timeout(180_000);
  const clusters: DemoCluster[] = [];

  afterEach(async () => {
    for (const c of clusters.splice(0)) await c.close();
  });

  it('keeps the hit rate through the restart window at ≥ 90 % of steady state, against the cold run', async () => {
    const off = await rollingRestart(false, clusters);
    const on = await rollingRestart(true, clusters);
    for (const [name, f] of [['off', off], ['on', on]] as const) {
      printFigures(`rolling-restart-state-transfer-${name}`, {
        hitRateBefore: f.before,
        hitRateDuring: f.during,
        shareOfSteady: f.during / f.before,
        requests: f.requests,
        failed: f.failed,
        transferredKeys: f.transferredKeys,
      });
    }
    assert.equal(off.failed, 0, 'no request fails without transfer');
    assert.equal(on.failed, 0, 'no request fails with transfer');
    assert.equal(off.transferredKeys, 0);
    assert.ok(on.transferredKeys > 0, 'entries were transferred');
    assert.ok(on.during >= 0.9 * on.before, `with transfer the hit rate during the restarts (${on.during.toFixed(3)}) stays ≥ 90 % of ${on.before.toFixed(3)}`);
  });
});
