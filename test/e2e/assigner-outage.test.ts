/**
 * The Assigner stops: nothing on the request path talks to it (the Clerk routes on its local copy
 * of the assignment, each Slicelet answers ownership locally), so requests keep flowing on the last
 * assignment with no failure and no misdirected request.
 */
import { strict as assert } from 'node:assert';
import { DemoCluster } from '@dicer-ts/cache-demo';
import { E2E_CLUSTER_OPTIONS, measureLoad, printFigures, waitForAllServersAssigned } from './scenario-support.js';

describe('Assigner outage (e2e, real processes)', function () {
  this.timeout(60_000);
  let cluster: DemoCluster | undefined;

  afterEach(async () => {
    await cluster?.close();
    cluster = undefined;
  });

  it('keeps requests flowing on the cached assignment while the Assigner is down', async () => {
    cluster = await DemoCluster.start({ ...E2E_CLUSTER_OPTIONS, servers: 4 });
    const c = cluster;
    await waitForAllServersAssigned(c);
    await measureLoad(c, 2);
    await c.assigner.stop('SIGKILL');
    // Several watch periods without an Assigner: every Slicelet and the Clerk fail to reach it.
    const down = await measureLoad(c, 16);
    printFigures('assigner-outage', {
      seconds: down.seconds,
      requests: down.requests,
      failed: down.failed,
      retries: down.retries,
      misdirected: down.misdirected,
    });
    assert.ok(down.requests > 0);
    assert.equal(down.failed, 0, 'no request fails');
    assert.equal(down.retries, 0, 'no request needs a retry');
    assert.equal(down.misdirected, 0, 'no request is misdirected');
  });
});
