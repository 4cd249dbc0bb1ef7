/**
 * A hot key appears: half of all requests go to one key. Within a few load-report rounds (each
 * Slicelet heartbeat carries its loads and top keys) the Assigner isolates the key in a slice of
 * its own, `[k .. k\0)`, replicates it on the 2 pods the config allows, and max/mean pod load falls
 * inside the band the config sets: maxDesired = mean + 10 % of max(capacity, mean)
 * (algorithm.md §3.3), as the Assigner measures pod load from the Slicelets' reports.
 */
import { strict as assert } from 'node:assert';
import { fileURLToPath } from 'node:url';
import { DemoCluster } from '@dicer-ts/cache-demo';
import { Slice, SliceKey } from '@dicer-ts/common';
import { eventually } from '@dicer-ts/test-harness';
import { E2E_CLUSTER_OPTIONS, measureLoad, printFigures, serverRates, waitForAllServersAssigned } from './scenario-support.js';

/** test/e2e/config/demo-cache.textproto's numbers. */
const CONFIG_DIR = fileURLToPath(new URL('./config', import.meta.url));
const MAX_LOAD_HINT = 50;
const IMBALANCE_TOLERANCE_RATIO = 0.1;
const MAX_REPLICAS = 2;
/**
 * Sampling noise allowed on top of the band for the rates the servers serve over 2 s: the Clerk
 * picks one of the hot key's 2 replicas at random per request.
 */
const SERVED_NOISE = 0.1;

describe('hot key (e2e, real processes)', function () {
  this.timeout(60_000);
  let cluster: DemoCluster | undefined;

  afterEach(async () => {
    await cluster?.close();
    cluster = undefined;
  });

  it('isolates and replicates the hot key within a few load-report rounds and keeps max/mean pod load in the band', async () => {
    const watchTimeoutMs = E2E_CLUSTER_OPTIONS.watchTimeoutMs!;
    cluster = await DemoCluster.start({ ...E2E_CLUSTER_OPTIONS, configDir: CONFIG_DIR, servers: 4, rate: 300, hotKeyFraction: 0.5 });
    const c = cluster;
    await waitForAllServersAssigned(c);
    await measureLoad(c, 4);
    const hotSlice = Slice.singleKey(SliceKey.fromApplicationKey('hot-key')).toString();

    const onAtMs = Date.now();
    c.setHotKey(true);
    let seen = 'no assignment';
    const isolated = await eventually(
      async () => {
        const target = await c.debugTarget();
        const slice = target?.slices.find((s) => s.slice === hotSlice);
        seen = JSON.stringify(slice ?? null);
        return slice !== undefined && slice.resources.length === MAX_REPLICAS ? slice : false;
      },
      { timeoutMs: 30_000, intervalMs: 100, description: `${hotSlice} on ${MAX_REPLICAS} pods` },
    ).catch((err: Error) => {
      throw new Error(`${err.message}; the hot key's slice: ${seen}`);
    });
    const isolatedAfterMs = Date.now() - onAtMs;

    let last = '';
    const band = await eventually(
      async () => {
        const target = await c.debugTarget();
        const loads = (target?.pods ?? []).filter((p) => p.state === 'running').map((p) => p.load);
        const mean = loads.reduce((a, b) => a + b, 0) / loads.length;
        const max = Math.max(...loads);
        const maxDesired = mean + IMBALANCE_TOLERANCE_RATIO * Math.max(MAX_LOAD_HINT, mean);
        last = `loads ${loads.map((l) => l.toFixed(1)).join(', ')}, maxDesired ${maxDesired.toFixed(1)}`;
        return loads.length === 4 && max <= maxDesired ? { ratio: max / mean, bound: maxDesired / mean, mean } : false;
      },
      { timeoutMs: 20_000, intervalMs: 200, description: 'max/mean pod load inside the band' },
    ).catch((err: Error) => {
      throw new Error(`${err.message}; last: ${last}`);
    });
    // What the servers actually serve follows once the Slicelets' load rates have caught up.
    const served = await eventually(
      async () => {
        const rates = [...(await serverRates(c, 8)).values()];
        const mean = rates.reduce((a, b) => a + b, 0) / rates.length;
        const bound = (mean + IMBALANCE_TOLERANCE_RATIO * Math.max(MAX_LOAD_HINT, mean)) / mean;
        last = `served ${rates.map((r) => r.toFixed(1)).join(', ')}`;
        return rates.length === 4 && Math.max(...rates) / mean <= bound + SERVED_NOISE ? Math.max(...rates) / mean : false;
      },
      { timeoutMs: 30_000, description: 'served max/mean inside the band' },
    ).catch((err: Error) => {
      throw new Error(`${err.message}; last: ${last}`);
    });
    printFigures('hot-key', {
      hotKeyShare: 0.5,
      isolatedAndReplicatedAfterMs: isolatedAfterMs,
      loadReportRounds: Math.ceil(isolatedAfterMs / watchTimeoutMs),
      replicas: isolated.resources.length,
      assignerMeanPodLoad: band.mean,
      assignerMaxOverMean: band.ratio,
      band: band.bound,
      servedMaxOverMean: served,
    });
    assert.ok(isolatedAfterMs <= 10 * watchTimeoutMs, `isolated and replicated after ${isolatedAfterMs} ms (at most 10 rounds)`);
  });
});
