import assert from 'node:assert/strict';
import { status } from '@grpc/grpc-js';
import { Generation, ManualClock, createTestSquid, proto } from '@dicer-ts/common';
import { eventually } from '@dicer-ts/test-harness';
import fc from 'fast-check';
import { pino } from 'pino';
import { Assigner } from '../../src/assigner.js';
import { type CallResult, RawWatchClient, clerkRequest, sliceletRequest } from './watch-client-helpers.js';

const NUM_RUNS = Number(process.env['FC_NUM_RUNS'] ?? 1000);
const SEED = Number(process.env['FC_SEED'] ?? 42);
/** A peer may see these; INTERNAL (a bug) or anything else fails the test. */
const ALLOWED = new Set([status.OK, status.INVALID_ARGUMENT, status.NOT_FOUND]);

describe('Watch service invariants (fuzz)', function () {
  this.timeout(180_000);
  let clock: ManualClock;
  let assigner: Assigner;
  let client: RawWatchClient;

  before(async () => {
    clock = new ManualClock(1_735_689_600_000);
    assigner = await Assigner.start({
      port: 0,
      host: '127.0.0.1',
      debugPort: 'disabled',
      targets: { 'demo-cache': { maxLoadHint: 1000 } },
      clock,
      minGenerationIntervalMs: 0,
      unhealthyTimeoutMs: 1000,
      logger: pino({ level: 'silent' }),
    });
    client = new RawWatchClient(`127.0.0.1:${assigner.port}`);
  });

  after(async () => {
    client.close();
    await assigner.close();
  });

  /**
   * Sends one request. A call the server parks is released by moving time past the processing
   * timeout of ordinary timeouts (≤ 10 s); one whose chosen timeout is longer stays parked
   * legitimately, so the client cancels it and the server must forget it.
   */
  async function send(bytes: Uint8Array): Promise<CallResult | 'parked'> {
    let settled = false;
    const call = client.startCall(bytes);
    const result = call.result.finally(() => {
      settled = true;
    });
    await eventually(() => settled || assigner.parkedWatchCalls() > 0, { timeoutMs: 20_000, intervalMs: 1 });
    if (!settled) {
      clock.advance(5000);
      if (assigner.parkedWatchCalls() > 0) {
        call.cancel();
        await result;
        await eventually(() => assigner.parkedWatchCalls() === 0, { timeoutMs: 20_000, intervalMs: 1, description: 'cancelled call forgotten' });
        return 'parked';
      }
    }
    return result;
  }

  function checkAnswered(result: CallResult | 'parked'): void {
    if (result === 'parked') return;
    const code = result.ok ? status.OK : result.error.code;
    assert.ok(ALLOWED.has(code), `unexpected status ${code}: ${result.ok ? '' : result.error.details}`);
    if (!result.ok) {
      assert.ok(result.error.details.length > 0, 'an error carries a message');
      assert.ok(!/\n\s+at /.test(result.error.details), 'no stack trace reaches a peer');
    }
  }

  it('answers every mutated request with a status and no internal error', async () => {
    const valid = [
      proto.toBinary(proto.ClientRequestPSchema, sliceletRequest('demo-cache', createTestSquid('https://pod1:8080'))),
      proto.toBinary(proto.ClientRequestPSchema, clerkRequest('demo-cache')),
    ];
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...valid),
        fc.array(fc.record({ at: fc.nat(), byte: fc.integer({ min: 0, max: 255 }) }), { maxLength: 6 }),
        fc.option(fc.nat(), { nil: undefined }),
        async (base, flips, truncateAt) => {
          const bytes = Uint8Array.from(base);
          for (const f of flips) bytes[f.at % bytes.length] = f.byte;
          checkAnswered(await send(truncateAt === undefined ? bytes : bytes.subarray(0, truncateAt % (bytes.length + 1))));
        },
      ),
      { seed: SEED, numRuns: NUM_RUNS },
    );
  });

  it('answers every random byte string with a status and no internal error', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 300 }), async (bytes) => checkAnswered(await send(bytes))),
      { seed: SEED, numRuns: NUM_RUNS },
    );
  });

  it('answers every structurally random request with a status and no internal error', async () => {
    const arbGeneration = fc.record({ incarnation: fc.bigInt({ min: -2n, max: 1n << 52n }), number: fc.bigInt({ min: -2n, max: (1n << 63n) - 1n }) });
    const arbLoad = fc.record({
      primaryRateLoad: fc.oneof(fc.double(), fc.constant(Number.NaN), fc.constant(-1)),
      windowLowInclusiveSeconds: fc.bigInt({ min: -10n, max: 10n ** 12n }),
      windowHighExclusiveSeconds: fc.bigInt({ min: -10n, max: 10n ** 12n }),
      numReplicas: fc.integer({ min: -2, max: 5 }),
      topKeys: fc.array(fc.record({ sliceKey: fc.uint8Array({ maxLength: 9 }), underestimatedPrimaryRateLoad: fc.double() }), { maxLength: 3 }),
    });
    const arbRequest = fc.record({
      name: fc.oneof(fc.constant('demo-cache'), fc.constant('unknown'), fc.string({ maxLength: 70 })),
      cluster: fc.option(fc.oneof(fc.string(), fc.constant('kubernetes-cluster:a/b/c/d/e/01')), { nil: undefined }),
      targetType: fc.integer({ min: 0, max: 3 }),
      instanceId: fc.option(fc.string({ maxLength: 70 }), { nil: undefined }),
      known: arbGeneration,
      debugName: fc.string({ maxLength: 10 }),
      timeout: fc.bigInt({ min: -5n, max: (1n << 63n) - 1n }),
      slicelet: fc.boolean(),
      address: fc.oneof(fc.constant('https://pod9:8080'), fc.string({ maxLength: 20 })),
      state: fc.integer({ min: 0, max: 4 }),
      load: fc.option(arbLoad, { nil: undefined }),
    });
    await fc.assert(
      fc.asyncProperty(arbRequest, async (r) => {
        const request = proto.create(proto.ClientRequestPSchema, {
          target: { name: r.name, kubernetesClusterUri: r.cluster, targetType: r.targetType, instanceId: r.instanceId },
          syncAssignmentState: { state: { case: 'knownGeneration', value: r.known } },
          subscriberDebugName: r.debugName,
          chosenRpcTimeoutMillis: r.timeout,
          SubscriberDataP: r.slicelet
            ? {
                case: 'sliceletFields',
                value: {
                  state: r.state,
                  squid: { resourceAddress: r.address, creationTimeMillis: 1n, resourceUuidHigh: 1n, resourceUuidLow: 2n },
                  unattributedLoad: r.load,
                  kubernetesNamespace: 'demo',
                },
              }
            : { case: 'clerkFields', value: {} },
        });
        checkAnswered(await send(proto.toBinary(proto.ClientRequestPSchema, request)));
      }),
      { seed: SEED, numRuns: NUM_RUNS },
    );
  });

  it('stays healthy afterwards: a valid Slicelet still gets an assignment', async () => {
    const squid = createTestSquid('https://healthy-pod:8080');
    let known = Generation.EMPTY;
    for (let i = 0; i < 10; i++) {
      const result = await send(proto.toBinary(proto.ClientRequestPSchema, sliceletRequest('demo-cache', squid, { known })));
      assert.ok(result !== 'parked' && result.ok);
      const state = result.response.syncAssignmentState?.state;
      if (state?.case === 'knownSerializedAssignment') return;
      if (state?.case === 'knownGeneration') known = Generation.fromProto(state.value);
    }
    assert.fail('no assignment after the fuzzing');
  });
});
