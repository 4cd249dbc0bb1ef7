import assert from 'node:assert/strict';
import { ManualClock, createTestSquid, proto } from '@dicer-ts/common';
import { eventually } from '@dicer-ts/test-harness';
import { pino } from 'pino';
import { Assigner } from '../../src/assigner.js';
import type { DebugSnapshot } from '../../src/debug/debug-snapshot.js';
import { RawWatchClient, sliceletRequest } from '../service/watch-client-helpers.js';

describe('DebugServer', function () {
  this.timeout(60_000);
  let assigner: Assigner;
  let clock: ManualClock;

  beforeEach(async () => {
    clock = new ManualClock(1_735_689_600_000);
    assigner = await Assigner.start({
      port: 0,
      host: '127.0.0.1',
      debugPort: 0,
      targets: { 'demo-cache': { maxLoadHint: 1000 } },
      clock,
      minGenerationIntervalMs: 0,
      unhealthyTimeoutMs: 5000,
      logger: pino({ level: 'silent' }),
    });
  });

  afterEach(() => assigner.close());

  const url = (path: string): string => `http://127.0.0.1:${assigner.debugPort}${path}`;

  async function assignOnePod(): Promise<void> {
    const client = new RawWatchClient(`127.0.0.1:${assigner.port}`);
    try {
      for (let i = 0; i < 6; i++) {
        const call = client.call(sliceletRequest('demo-cache', createTestSquid('https://pod1:8080')));
        await eventually(() => assigner.parkedWatchCalls() >= 1);
        clock.advance(2500);
        await call;
        if (assigner.generatorSnapshots()[0]?.latestAssignment !== undefined) return;
      }
      throw new Error('no assignment');
    } finally {
      client.close();
    }
  }

  it('listens on loopback', () => {
    assert.equal(assigner.options.debugHost, '127.0.0.1');
    assert.ok(assigner.debugPort! > 0);
  });

  it('serves the page with the key-space picture of each target', async () => {
    await assignOnePod();
    const res = await fetch(url('/'));
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /text\/html/);
    const html = await res.text();
    assert.ok(html.includes('demo-cache'));
    assert.match(html, /<rect class="slice" data-pod="https:\/\/pod1:8080"/);
    assert.ok(html.includes('first-assignment'));
  });

  it('serves the same data as JSON', async () => {
    await assignOnePod();
    const json = (await (await fetch(url('/debug/json'))).json()) as DebugSnapshot;
    assert.deepEqual(json.configuredTargets, ['demo-cache']);
    assert.equal(json.targets[0]!.pods[0]!.address, 'https://pod1:8080');
    assert.equal(json.targets[0]!.pods[0]!.state, 'running');
    assert.ok(json.targets[0]!.slices.length > 0);
    assert.deepEqual(json.preferredAssigner, { role: 'PREFERRED_BECAUSE_PA_DISABLED' });
    assert.deepEqual(json.targets[0]!.stateTransfers, []);
  });

  it('serves Prometheus metrics with Dicer\'s names', async () => {
    await assignOnePod();
    const res = await fetch(url('/metrics'));
    assert.equal(res.status, 200);
    const text = await res.text();
    assert.match(text, /dicer_assigner_assignment_generation_decisions_total\{[^}]*decision="generate",reason="first-assignment"\} 1/);
    assert.match(text, /dicer_watch_requests_total\{[^}]*subscriberType="slicelet"\}/);
    assert.match(text, /dicer_assigner_num_active_generators 1/);
    assert.match(text, /dicer_assigner_generator_latency_secs_bucket/);
    assert.match(text, /process_resident_memory_bytes/);
  });

  it('counts watch errors by reason', async () => {
    const client = new RawWatchClient(`127.0.0.1:${assigner.port}`);
    await client.call(sliceletRequest('unknown-target', createTestSquid('https://pod1:8080')));
    await client.callBytes(new Uint8Array([0xff]));
    client.close();
    const text = await (await fetch(url('/metrics'))).text();
    assert.match(text, /dicer_assigner_num_watch_errors_total\{reason="NO_CONFIG"\} 1/);
    assert.match(text, /dicer_assigner_num_watch_errors_total\{reason="INVALID_REQUEST"\} 1/);
  });

  it('answers 404 for other paths', async () => {
    assert.equal((await fetch(url('/nope'))).status, 404);
  });

  it('serves the page at /debug too, listing configured targets without a generator', async () => {
    const html = await (await fetch(url('/debug'))).text();
    assert.ok(html.includes('no generator yet: demo-cache'));
  });
});

describe('DebugServer with state transfers', function () {
  this.timeout(60_000);
  let assigner: Assigner;
  let clock: ManualClock;

  beforeEach(async () => {
    clock = new ManualClock(1_735_689_600_000);
    assigner = await Assigner.start({
      port: 0,
      host: '127.0.0.1',
      debugPort: 0,
      targets: { 'demo-cache': { maxLoadHint: 1000 } },
      clock,
      minGenerationIntervalMs: 0,
      unhealthyTimeoutMs: 5000,
      stateTransferTimeoutMs: 60_000,
      logger: pino({ level: 'silent' }),
    });
  });

  afterEach(() => assigner.close());

  it('lists in /debug/json the transfer from a terminating pod to the one taking its slices', async () => {
    const pod1 = createTestSquid('https://pod1:8080');
    const pod2 = createTestSquid('https://pod2:8080');
    const client = new RawWatchClient(`127.0.0.1:${assigner.port}`);
    const transfers = async (): Promise<DebugSnapshot['targets'][number]['stateTransfers']> =>
      ((await (await fetch(`http://127.0.0.1:${assigner.debugPort}/debug/json`)).json()) as DebugSnapshot).targets[0]?.stateTransfers ?? [];
    try {
      // pod1 alone until it holds every slice.
      for (let i = 0; i < 6 && assigner.generatorSnapshots()[0]?.latestAssignment === undefined; i++) {
        const call = client.call(sliceletRequest('demo-cache', pod1));
        await eventually(() => assigner.parkedWatchCalls() >= 1);
        clock.advance(2500);
        await call;
      }
      assert.ok(assigner.generatorSnapshots()[0]?.latestAssignment !== undefined, 'pod1 assigned');
      assert.deepEqual(await transfers(), []);
      // pod1 drains (terminating, still reachable) while pod2 runs: its slices move with transfers.
      for (let i = 0; i < 10 && (await transfers()).length === 0; i++) {
        await Promise.all([
          client.call(sliceletRequest('demo-cache', pod1, { state: proto.ClientRequestP_SliceletDataP_State.TERMINATING })),
          client.call(sliceletRequest('demo-cache', pod2)),
        ]);
        clock.advance(1000);
      }
      const found = await transfers();
      assert.ok(found.length > 0, 'a transfer in flight');
      for (const t of found) {
        assert.equal(t.from, 'https://pod1:8080');
        assert.equal(t.to, 'https://pod2:8080');
        assert.ok(t.ageMs !== undefined && t.ageMs >= 0 && t.ageMs < 60_000, `age ${t.ageMs}`);
      }
    } finally {
      client.close();
    }
  });
});
