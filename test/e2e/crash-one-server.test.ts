/**
 * `kill -9` of one cache server under load: the Assigner stops hearing its heartbeats, and once
 * the (short) unhealthy timeout passes it moves the server's slices to the others; from then on
 * every request succeeds again, served by the new owners. Requests for the dead server's keys in
 * between fail only after every retry; their number is printed, not hidden.
 */
import { strict as assert } from 'node:assert';
import { DemoCluster } from '@dicer-ts/cache-demo';
import { eventually } from '@dicer-ts/test-harness';
import { E2E_CLUSTER_OPTIONS, loadWindow, measureLoad, printFigures, waitForAllServersAssigned } from './scenario-support.js';

describe('kill -9 of one server (e2e, real processes)', function () {
  this.timeout(60_000);
  let cluster: DemoCluster | undefined;

  afterEach(async () => {
    await cluster?.close();
    cluster = undefined;
  });

  it('moves its slices to the others within the unhealthy timeout and requests keep succeeding', async () => {
    const unhealthyTimeoutMs = E2E_CLUSTER_OPTIONS.unhealthyTimeoutMs!;
    cluster = await DemoCluster.start({ ...E2E_CLUSTER_OPTIONS, servers: 4 });
    const c = cluster;
    await waitForAllServersAssigned(c);
    await measureLoad(c, 2);
    const victim = c.servers[1]!;
    const suffix = `:${victim.port}`;
    const before = await c.debugTarget();
    const victimSlices = before!.slices.filter((s) => s.resources.some((r) => r.endsWith(suffix))).length;
    assert.ok(victimSlices > 0);

    const start = await c.nextLoadStats();
    const killedAtMs = Date.now();
    await victim.process.stop('SIGKILL');
    const after = await eventually(
      async () => {
        const target = await c.debugTarget();
        return target !== undefined && target.slices.every((s) => !s.resources.some((r) => r.endsWith(suffix))) ? target : false;
      },
      { timeoutMs: unhealthyTimeoutMs + 10_000, intervalMs: 50, description: "the victim's slices to move" },
    );
    const movedAfterMs = Date.now() - killedAtMs;
    const outage = loadWindow(start, await c.nextLoadStats());

    // After the move: a window of steady requests, all succeeding on the survivors.
    await c.nextLoadStats();
    const steady = await measureLoad(c, 8);
    const survivors = new Set(after.slices.flatMap((s) => s.resources));
    printFigures('kill-9', {
      unhealthyTimeoutMs,
      victimSlices,
      movedAfterMs,
      outageRequests: outage.requests,
      outageFailed: outage.failed,
      outageRetries: outage.retries,
      afterRequests: steady.requests,
      afterFailed: steady.failed,
      survivors: survivors.size,
    });
    assert.ok(movedAfterMs < unhealthyTimeoutMs + 3_000, `slices moved after ${movedAfterMs} ms`);
    assert.equal(survivors.size, 3);
    assert.ok(steady.requests > 0);
    assert.equal(steady.failed, 0, 'requests succeed after the move');
    assert.equal(steady.retries, 0, 'no request needs a retry after the move');
  });
});
