import assert from 'node:assert/strict';
import { status } from '@grpc/grpc-js';
import { Generation, ManualClock, type Squid, createTestSquid, proto } from '@dicer-ts/common';
import { eventually } from '@dicer-ts/test-harness';
import { pino } from 'pino';
import { Assigner } from '../../src/assigner.js';
import {
  type CallResult,
  RawWatchClient,
  clerkRequest,
  responseDiff,
  responseGeneration,
  sliceletRequest,
} from './watch-client-helpers.js';

const T0 = 1_735_689_600_000;
const pod1 = createTestSquid('https://pod1:8080');
const pod2 = createTestSquid('https://pod2:8080');

describe('Watch service (raw protobuf over real gRPC)', function () {
  this.timeout(60_000);
  let clock: ManualClock;
  let assigner: Assigner;
  let client: RawWatchClient;

  beforeEach(async () => {
    clock = new ManualClock(T0);
    assigner = await Assigner.start({
      port: 0,
      host: '127.0.0.1',
      debugPort: 'disabled',
      targets: { 'demo-cache': { maxLoadHint: 1000 } },
      clock,
      minGenerationIntervalMs: 0,
      unhealthyTimeoutMs: 10_000,
      logger: pino({ level: process.env['DBG'] ? 'debug' : 'silent' }),
    });
    client = new RawWatchClient(`127.0.0.1:${assigner.port}`);
  });

  afterEach(async () => {
    client.close();
    await assigner.close();
  });

  /** Starts a call and waits until the server parked it (or answered it). */
  async function parked(request: proto.ClientRequestP, expectedParked: number): Promise<{ result: Promise<CallResult> }> {
    let settled = false;
    const call = client.call(request).finally(() => {
      settled = true;
    });
    await eventually(() => settled || assigner.parkedWatchCalls() >= expectedParked, { timeoutMs: 10_000 });
    // Wrapped: an async function returning the promise itself would wait for the reply.
    return { result: call };
  }

  /** Heartbeats like a Slicelet (advancing 2.5 s per long poll) until it receives an assignment. */
  async function sliceletUntilAssigned(squid: Squid): Promise<proto.ClientResponseP> {
    let known = Generation.EMPTY;
    for (let i = 0; i < 20; i++) {
      const call = await parked(sliceletRequest('demo-cache', squid, { known }), 1);
      clock.advance(2500);
      const result = await call.result;
      assert.ok(result.ok, result.ok ? '' : result.error.details);
      if (responseDiff(result.response) !== undefined) return result.response;
      known = responseGeneration(result.response);
    }
    throw new Error('no assignment after 20 polls');
  }

  describe('first watch', () => {
    it('gives a fake Slicelet a full, serialized assignment once the startup delay has passed', async () => {
      const response = await sliceletUntilAssigned(pod1);
      assert.equal(response.syncAssignmentState?.state.case, 'knownSerializedAssignment');
      const diff = responseDiff(response)!;
      assert.equal(diff.diffGeneration, undefined, 'servers send full assignments only');
      assert.equal(diff.resources.length, 1);
      assert.equal(diff.resources[0]!.resourceAddress, 'https://pod1:8080');
      assert.equal(response.suggestedRpcTimeoutMillis, 5000n);
      assert.ok(response.redirect !== undefined, 'redirect is always present');
      assert.equal(response.redirect.address ?? '', '');
    });

    it('answers a Clerk that did not advertise serialized assignments with known_assignment', async () => {
      await sliceletUntilAssigned(pod1);
      const result = await client.call(clerkRequest('demo-cache', { serialized: false }));
      assert.ok(result.ok);
      assert.equal(result.response.syncAssignmentState?.state.case, 'knownAssignment');
    });
  });

  describe('long poll', () => {
    it('answers a caller that is behind at once', async () => {
      await sliceletUntilAssigned(pod1);
      const result = await client.call(clerkRequest('demo-cache'));
      assert.ok(result.ok);
      assert.ok(responseDiff(result.response) !== undefined);
    });

    it('wakes a parked watcher when a new generation is committed', async () => {
      const first = responseGeneration(await sliceletUntilAssigned(pod1));
      const waiting = await parked(clerkRequest('demo-cache', { known: first }), 1);
      // A second pod joins: a health change, generated at once (no rate limit in this test).
      const joined = await client.call(sliceletRequest('demo-cache', pod2, { known: first }));
      assert.ok(joined.ok);
      const woken = await waiting.result;
      assert.ok(woken.ok);
      assert.ok(responseGeneration(woken.response).compare(first) > 0);
      assert.equal(responseDiff(woken.response)!.resources.length, 2);
    });

    it('replies with the known generation at the processing timeout (t/2 for t = 5 s)', async () => {
      const first = responseGeneration(await sliceletUntilAssigned(pod1));
      const waiting = await parked(clerkRequest('demo-cache', { known: first }), 1);
      clock.advance(2499);
      assert.equal(assigner.parkedWatchCalls(), 1);
      clock.advance(1);
      const result = await waiting.result;
      assert.ok(result.ok);
      assert.equal(result.response.syncAssignmentState?.state.case, 'knownGeneration');
      assert.ok(responseGeneration(result.response).equals(first));
      assert.equal(result.response.suggestedRpcTimeoutMillis, 5000n);
    });

    it('wakes many concurrent watchers with one generation', async () => {
      const first = responseGeneration(await sliceletUntilAssigned(pod1));
      const clients = Array.from({ length: 5 }, () => new RawWatchClient(`127.0.0.1:${assigner.port}`));
      try {
        const calls = clients.flatMap((c) => Array.from({ length: 40 }, () => c.call(clerkRequest('demo-cache', { known: first }))));
        await eventually(() => assigner.parkedWatchCalls() === 200, { timeoutMs: 20_000 });
        await client.call(sliceletRequest('demo-cache', pod2, { known: first }));
        const results = await Promise.all(calls);
        const generations = new Set(results.map((r) => (r.ok ? responseGeneration(r.response).toString() : `error ${r.error.code}`)));
        assert.equal(generations.size, 1);
        assert.ok(![...generations][0]!.startsWith('error'));
      } finally {
        for (const c of clients) c.close();
      }
    });
  });

  describe('assignment sync from clients', () => {
    it('adopts a newer full assignment a Clerk sends (a restarted Assigner recovers)', async () => {
      const offered = proto.create(proto.DiffAssignmentPSchema, {
        generation: { incarnation: 0n, number: BigInt(T0 + 5000) },
        resources: [pod1.toProto()],
        sliceAssignments: [{ slice: {}, generation: { incarnation: 0n, number: BigInt(T0 + 5000) }, resourceIndices: [0] }],
      });
      const request = clerkRequest('demo-cache');
      request.syncAssignmentState = proto.create(proto.SyncAssignmentStatePSchema, { state: { case: 'knownAssignment', value: offered } });
      const waiting = await parked(request, 1);
      clock.advance(2500);
      const result = await waiting.result;
      assert.ok(result.ok);
      assert.equal(responseGeneration(result.response).number, BigInt(T0 + 5000));
      const other = await client.call(clerkRequest('demo-cache'));
      assert.ok(other.ok);
      assert.ok(responseDiff(other.response) !== undefined, 'the adopted assignment is served to others');
    });
  });

  describe('validation', () => {
    async function expectInvalid(request: proto.ClientRequestP, text: string | RegExp): Promise<void> {
      const result = await client.call(request);
      assert.ok(!result.ok, 'expected an error');
      assert.equal(result.error.code, status.INVALID_ARGUMENT, result.error.details);
      if (typeof text === 'string') assert.ok(result.error.details.includes(text), result.error.details);
      else assert.match(result.error.details, text);
    }

    it('rejects a request without clerk or slicelet fields', async () => {
      const r = clerkRequest('demo-cache');
      r.SubscriberDataP = { case: undefined };
      await expectInvalid(r, 'One of ClerkDataP or SliceletDataP must be defined');
    });

    it('rejects a request without a target', async () => {
      const r = clerkRequest('demo-cache');
      r.target = undefined;
      await expectInvalid(r, 'Target must be defined in ClientRequestP');
    });

    it('rejects a bad target name', async () => {
      await expectInvalid(clerkRequest('Not_A_Label'), /Not_A_Label/);
    });

    it('rejects a timeout that overflows', async () => {
      await expectInvalid(clerkRequest('demo-cache', { timeoutMs: 9223372036854775807n }), 'Exceeds maximum supported duration');
    });

    it('rejects an empty sync state', async () => {
      const r = clerkRequest('demo-cache');
      r.syncAssignmentState = proto.create(proto.SyncAssignmentStatePSchema);
      await expectInvalid(r, 'SyncAssignmentStateP state must not be empty.');
    });

    it('rejects a non-positive timeout', async () => {
      await expectInvalid(clerkRequest('demo-cache', { timeoutMs: 0n }), 'Positive timeout value needed');
    });

    it('rejects an empty debug name', async () => {
      const r = clerkRequest('demo-cache');
      r.subscriberDebugName = '';
      await expectInvalid(r, 'Subscriber debug name must not be empty.');
    });

    it('rejects a Slicelet without a SQUID', async () => {
      const r = sliceletRequest('demo-cache', pod1);
      if (r.SubscriberDataP.case === 'sliceletFields') r.SubscriberDataP.value.squid = undefined;
      await expectInvalid(r, /./);
    });

    it('rejects a negative load', async () => {
      const r = sliceletRequest('demo-cache', pod1);
      if (r.SubscriberDataP.case === 'sliceletFields') r.SubscriberDataP.value.unattributedLoad!.primaryRateLoad = -1;
      await expectInvalid(r, 'must be non-negative');
    });

    it('answers garbage bytes with INVALID_ARGUMENT and keeps serving', async () => {
      const garbage = await client.callBytes(new Uint8Array([0xff, 0xff, 0xff, 0xff, 0x0f, 0x12, 0x80]));
      assert.ok(!garbage.ok);
      assert.equal(garbage.error.code, status.INVALID_ARGUMENT);
      assert.match(garbage.error.details, /not a valid ClientRequestP/);
      const ok = await parked(clerkRequest('demo-cache'), 1);
      clock.advance(2500);
      assert.ok((await ok.result).ok);
    });

    it('rejects an unknown target with NOT_FOUND', async () => {
      const result = await client.call(clerkRequest('no-such-target'));
      assert.ok(!result.ok);
      assert.equal(result.error.code, status.NOT_FOUND);
      assert.equal(result.error.details, 'Unknown target: no-such-target');
    });
  });
});

describe('Watch service on the system clock', function () {
  this.timeout(30_000);

  it('parks a call with an enormous chosen timeout without overflowing a timer', async () => {
    const warnings: Error[] = [];
    const onWarning = (w: Error): void => {
      warnings.push(w);
    };
    process.on('warning', onWarning);
    const assigner = await Assigner.start({
      port: 0,
      host: '127.0.0.1',
      debugPort: 'disabled',
      targets: { 'demo-cache': { maxLoadHint: 1000 } },
      logger: pino({ level: 'silent' }),
    });
    const client = new RawWatchClient(`127.0.0.1:${assigner.port}`);
    try {
      const call = client.startCall(proto.toBinary(proto.ClientRequestPSchema, clerkRequest('demo-cache', { timeoutMs: 10n ** 12n })));
      await eventually(() => assigner.parkedWatchCalls() === 1);
      // Let any overflowed timer fire (Node turns an overflowing delay into 1 ms).
      await new Promise<void>((resolve) => setImmediate(resolve));
      await eventually(() => warnings.length > 0 || assigner.parkedWatchCalls() === 1, { timeoutMs: 100 });
      call.cancel();
      await call.result;
      assert.deepEqual(warnings.filter((w) => w.name === 'TimeoutOverflowWarning').map((w) => w.message), []);
    } finally {
      process.off('warning', onWarning);
      client.close();
      await assigner.close();
    }
  });
});
