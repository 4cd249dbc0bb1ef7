/**
 * The public test kit as an integrator uses it (the "Testing your service" example of
 * docs/assigner.md, type-checked here): `createTestEnvironment()` from `@dicer-ts/assigner`, two real
 * Slicelets and a real Clerk against it, all imported by package name, in one process over real
 * gRPC on loopback. A set (frozen) assignment decides where the Clerk routes a key.
 */
import { strict as assert } from 'node:assert';
import { TEST_CLIENT_TIMINGS, type TestEnvironment, createTestEnvironment } from '@dicer-ts/assigner';
import { Clerk } from '@dicer-ts/clerk-sdk';
import { Slicelet } from '@dicer-ts/slicelet-sdk';
import { Slice, SliceKey, createDefaultLogger } from '@dicer-ts/common';
import { eventually } from '@dicer-ts/test-harness';

const silent = createDefaultLogger('silent');

describe('test environment with the real SDKs (in-process)', function () {
  this.timeout(30_000);
  let env: TestEnvironment | undefined;
  let slicelets: Slicelet[] = [];
  let clerk: Clerk<{ readonly uri: string }> | undefined;

  afterEach(async () => {
    await clerk?.close();
    for (const s of slicelets) await s.close();
    await env?.close();
    clerk = undefined;
    slicelets = [];
    env = undefined;
  });

  it('routes a key through the Clerk to the pod a set assignment names', async () => {
    env = await createTestEnvironment({ targets: ['my-service'] });
    const start = (port: number): Promise<Slicelet> =>
      Slicelet.start({
        target: 'my-service',
        assigner: env!.assignerAddress,
        selfAddress: `http://127.0.0.1:${port}`,
        host: '127.0.0.1',
        watchPort: 'disabled',
        watchTimeoutMs: TEST_CLIENT_TIMINGS.watchTimeoutMs,
        logger: silent,
      });
    slicelets = [await start(9101), await start(9102)];
    clerk = await Clerk.create({
      target: 'my-service',
      watchAddresses: env.assignerAddress,
      stubFactory: (resource) => ({ uri: resource.uri }),
      initialWatchTimeoutMs: TEST_CLIENT_TIMINGS.initialWatchTimeoutMs,
      logger: silent,
    });

    // Keys below "m" go to the first pod, the rest to the second; frozen until env.unfreeze().
    const split = SliceKey.fromApplicationKey('m');
    const set = await env.setAssignment('my-service', {
      slices: [
        { slice: Slice.create(SliceKey.MIN, split), resources: ['http://127.0.0.1:9101'] },
        { slice: Slice.atLeast(split), resources: ['http://127.0.0.1:9102'] },
      ],
    });
    await eventually(() => clerk!.assignment?.generation.equals(set.generation) === true, {
      description: 'the Clerk holding the set assignment',
      timeoutMs: 10_000,
    });

    const low = SliceKey.MIN;
    assert.equal(clerk.getStubForKey(low)?.uri, 'http://127.0.0.1:9101');
    assert.equal(clerk.getStubForKey(split)?.uri, 'http://127.0.0.1:9102');
    // The Slicelets agree once they hold the same generation.
    await eventually(() => slicelets.every((s) => s.generation.equals(set.generation)), { timeoutMs: 10_000 });
    assert.equal(slicelets[0]!.createHandle(low).isAssignedContinuously(), true);
    assert.equal(slicelets[1]!.createHandle(low).isAssignedContinuously(), false);
    assert.equal(slicelets[1]!.createHandle(split).isAssignedContinuously(), true);
  });
});
