/**
 * The `dicer_slicelet_*` metrics: Slicelets against the real Assigner over loopback gRPC add their
 * series to a shared prom-client registry; a Slicelet that cannot reach an Assigner counts failed
 * heartbeats; the failure counting itself is checked on its own.
 */
import assert from 'node:assert/strict';
import { InvalidArgumentError, SliceKey, createDefaultLogger } from '@dicer-ts/common';
import { eventually, freePort } from '@dicer-ts/test-harness';
import { afterEach, describe, it } from 'mocha';
import { Registry } from 'prom-client';
import { HeartbeatCounters } from '../src/heartbeat-counters.js';
import { Slicelet } from '../src/slicelet.js';
import { type Assigner, TEST_TARGET, startTestAssigner } from './assigner-under-test.js';

const silent = createDefaultLogger('silent');

/** Every series of `name` in `registry`, as label-set → value. */
async function series(registry: Registry, name: string): Promise<{ labels: Record<string, string | number>; value: number }[]> {
  const metric = (await registry.getMetricsAsJSON()).find((m) => m.name === name);
  assert.ok(metric !== undefined, `${name} is registered`);
  return metric.values.map((v) => ({ labels: v.labels as Record<string, string | number>, value: v.value }));
}

async function valueOf(registry: Registry, name: string, resource: string, extra: Record<string, string> = {}): Promise<number | undefined> {
  const found = (await series(registry, name)).find(
    (s) => s.labels['resource'] === resource && Object.entries(extra).every(([k, v]) => s.labels[k] === v),
  );
  return found?.value;
}

describe('Slicelet metrics', function () {
  this.timeout(30_000);
  let assigner: Assigner | undefined;
  let slicelets: Slicelet[] = [];

  afterEach(async () => {
    for (const s of slicelets) await s.close();
    await assigner?.close();
    assigner = undefined;
    slicelets = [];
  });

  async function start(port: number, registry: Registry, address: string, extra: Partial<Parameters<typeof Slicelet.start>[0]> = {}): Promise<Slicelet> {
    const s = await Slicelet.start({
      target: TEST_TARGET,
      assigner: address,
      host: '127.0.0.1',
      port,
      watchPort: 'disabled',
      watchTimeoutMs: 1_000,
      logger: silent,
      metricsRegistry: registry,
      ...extra,
    });
    slicelets.push(s);
    return s;
  }

  it('shows assigned slices, heartbeats, watch status, handles and load for each Slicelet on a shared registry', async () => {
    assigner = await startTestAssigner();
    const registry = new Registry();
    const address = `127.0.0.1:${assigner.port}`;
    const a = await start(9301, registry, address);
    const b = await start(9302, registry, address);
    await eventually(() => a.assignedSlices().length > 0 && b.assignedSlices().length > 0 && a.generation.equals(b.generation), {
      description: 'both Slicelets own slices',
      timeoutMs: 20_000,
    });
    // 40 requests for keys A owns, 10 for keys it does not.
    let owned = 0;
    let foreign = 0;
    for (let i = 0; owned < 40 || foreign < 10; i++) {
      const handle = a.createHandle(`user-${i}`);
      const mine = a.latestAssignment?.isAssignedKey(SliceKey.fromApplicationKey(`user-${i}`), a.squid) === true;
      if (mine && owned < 40) {
        handle.incrementLoadBy(1);
        owned++;
      } else if (!mine && foreign < 10) {
        handle.incrementLoadBy(1);
        foreign++;
      }
    }
    const handles = owned + foreign;
    const aAddress = a.squid.resourceAddress.toString();
    const bAddress = b.squid.resourceAddress.toString();
    // The load rates come from the next heartbeat carrying the increments.
    await eventually(async () => ((await valueOf(registry, 'dicer_slicelet_attributed_load_rate', aAddress)) ?? 0) > 0, {
      description: 'a heartbeat with the load',
      timeoutMs: 10_000,
    });

    const assignment = a.latestAssignment!;
    const expectedSlices = (s: Slicelet): number => assignment.sliceAssignments.filter((sa) => sa.hasResource(s.squid)).length;
    assert.equal(await valueOf(registry, 'dicer_slicelet_assigned_slices', aAddress), expectedSlices(a));
    assert.equal(await valueOf(registry, 'dicer_slicelet_assigned_slices', bAddress), expectedSlices(b));
    assert.equal((await series(registry, 'dicer_slicelet_assigned_slices'))[0]?.labels['target'], TEST_TARGET);
    assert.ok(((await valueOf(registry, 'dicer_slicelet_heartbeats_sent_total', aAddress)) ?? 0) >= 2);
    assert.equal(await valueOf(registry, 'dicer_slicelet_heartbeats_failed_total', aAddress), 0);
    assert.equal(await valueOf(registry, 'dicer_slicelet_watch_connected', aAddress), 1);
    assert.equal(await valueOf(registry, 'dicer_slicelet_watch_consecutive_failures', aAddress), 0);
    assert.ok(((await valueOf(registry, 'dicer_slicelet_handles_created_total', aAddress)) ?? 0) >= handles);
    assert.equal(await valueOf(registry, 'dicer_slicelet_handles_created_total', bAddress), 0);
    assert.equal(await valueOf(registry, 'dicer_slicelet_attributed_load_total', aAddress), 40);
    assert.equal(await valueOf(registry, 'dicer_slicelet_unattributed_load_total', aAddress), 10);
    assert.ok(((await valueOf(registry, 'dicer_slicelet_unattributed_load_rate', aAddress)) ?? 0) > 0);
    assert.equal(await valueOf(registry, 'dicer_slicelet_attributed_load_rate', bAddress), 0);
    // No state transfer configured: no transfer series.
    assert.deepEqual(await series(registry, 'dicer_slicelet_state_transfers_total'), []);
    // Text exposition works too.
    assert.match(await registry.metrics(), /dicer_slicelet_heartbeats_sent_total\{target="it-cache",resource="https:\/\/127\.0\.0\.1:9301"\} \d+/);

    // A closed Slicelet's series go away; the other's stay.
    await a.close();
    assert.equal(await valueOf(registry, 'dicer_slicelet_assigned_slices', aAddress), undefined);
    assert.notEqual(await valueOf(registry, 'dicer_slicelet_assigned_slices', bAddress), undefined);
  });

  it('counts state transfers by direction and outcome when state transfer is on', async () => {
    assigner = await startTestAssigner();
    const registry = new Registry();
    const a = await start(9303, registry, `127.0.0.1:${assigner.port}`, {
      stateTransfer: { listen: { host: '127.0.0.1', port: 0 }, resolveAddress: () => '127.0.0.1:1', provide: function* () {}, receive: async () => {} },
    });
    const address = a.squid.resourceAddress.toString();
    assert.equal(await valueOf(registry, 'dicer_slicelet_state_transfers_total', address, { direction: 'incoming', outcome: 'started' }), 0);
    assert.equal(await valueOf(registry, 'dicer_slicelet_state_transfers_total', address, { direction: 'outgoing', outcome: 'rejected' }), 0);
    assert.equal(await valueOf(registry, 'dicer_slicelet_state_transfers_queued', address), 0);
  });

  it('counts failed heartbeats and shows the watch disconnected without an Assigner', async () => {
    const registry = new Registry();
    const s = await start(9304, registry, `127.0.0.1:${await freePort()}`, { backoff: { minDelayMs: 20, maxDelayMs: 50 } });
    const address = s.squid.resourceAddress.toString();
    await eventually(async () => ((await valueOf(registry, 'dicer_slicelet_heartbeats_failed_total', address)) ?? 0) >= 2, {
      description: 'failed heartbeats',
      timeoutMs: 10_000,
    });
    assert.equal(await valueOf(registry, 'dicer_slicelet_watch_connected', address), 0);
    assert.ok(((await valueOf(registry, 'dicer_slicelet_watch_consecutive_failures', address)) ?? 0) >= 1);
    const sent = (await valueOf(registry, 'dicer_slicelet_heartbeats_sent_total', address)) ?? 0;
    const failed = (await valueOf(registry, 'dicer_slicelet_heartbeats_failed_total', address)) ?? 0;
    assert.ok(failed <= sent, `${failed} failed of ${sent} sent`);
  });

  it('rejects a metricsRegistry that is not a Registry', async () => {
    await assert.rejects(
      Slicelet.start({ target: TEST_TARGET, assigner: '127.0.0.1:1', port: 9305, metricsRegistry: {} as Registry }),
      InvalidArgumentError,
    );
  });
});

describe('HeartbeatCounters', () => {
  it('counts each increase of the consecutive-failure count once, across resets', () => {
    const c = new HeartbeatCounters();
    c.onSend(0);
    c.onSend(1); // the first request failed
    c.observe(1); // a scrape sees the same count
    c.onSend(2);
    c.onSend(0); // a success reset it
    c.onSend(1);
    c.onWatchReplaced();
    c.onSend(0);
    c.onSend(3);
    assert.equal(c.sent, 7);
    assert.equal(c.failed, 2 + 1 + 3);
  });

  it('counts a failure run that a success ended before the next observation', () => {
    const c = new HeartbeatCounters();
    c.onSend(2);
    c.onSend(1); // reset to 0 in between, then one new failure
    assert.equal(c.failed, 3);
  });
});
