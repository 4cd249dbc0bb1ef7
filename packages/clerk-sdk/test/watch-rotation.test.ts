import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'mocha';
import { ManualClock, SeededRandom, createDefaultLogger } from '@dicer-ts/common';
import { eventually, freePort } from '@dicer-ts/test-harness';
import { resolveClerkOptions } from '../src/clerk-options.js';
import { WatchRotation } from '../src/watch-rotation.js';
import { TEST_TARGET } from './fixtures/watch-server.js';

const silent = createDefaultLogger('silent');
const rotations: WatchRotation[] = [];

afterEach(async () => {
  for (const r of rotations.splice(0)) await r.close();
});

/** A rotation over addresses where nothing listens, on a manual clock, without jitter. */
async function deadRotation(clock: ManualClock): Promise<{ rotation: WatchRotation; addresses: string[] }> {
  const addresses = [`127.0.0.1:${await freePort()}`, `127.0.0.1:${await freePort()}`];
  const options = resolveClerkOptions({
    target: TEST_TARGET,
    watchAddresses: addresses,
    stubFactory: () => undefined,
    failoverAfterFailures: 1,
    backoff: { minDelayMs: 1_000, maxDelayMs: 8_000, jitterFraction: 0 },
    clock,
    random: new SeededRandom(1),
    logger: silent,
  });
  const rotation = new WatchRotation(options, silent, () => {});
  rotations.push(rotation);
  return { rotation, addresses };
}

const failed = (rotation: WatchRotation): Promise<boolean> =>
  eventually(() => rotation.watchStatus().consecutiveFailures >= 1, { description: 'the watch request failing' });

describe('WatchRotation', () => {
  it('moves through the addresses in turn and counts failures, outages and moves', async () => {
    const clock = new ManualClock(0);
    const { rotation, addresses } = await deadRotation(clock);
    assert.equal(rotation.watchStatus().address, addresses[0]);
    await failed(rotation);
    rotation.tick();
    assert.equal(rotation.watchStatus().address, addresses[1]);
    await failed(rotation);
    rotation.tick();
    assert.equal(rotation.watchStatus().address, addresses[0]);
    const stats = rotation.stats();
    assert.equal(stats.addressSwitchesTotal, 2);
    assert.equal(stats.outagesTotal, 1);
    assert.ok(stats.watchFailuresTotal >= 2, JSON.stringify(stats));
    // One request per watch: none of them has retried yet (the manual clock has not moved).
    assert.equal(stats.watchRequestsTotal, 3);
  });

  it('doubles the first retry delay after a whole round of failing addresses', async () => {
    const clock = new ManualClock(0);
    const { rotation } = await deadRotation(clock);
    await failed(rotation);
    rotation.tick();
    await failed(rotation);
    rotation.tick(); // one round done: the next watch starts with a 2 s retry delay
    await failed(rotation);
    const sent = rotation.stats().watchRequestsTotal;
    clock.advance(1_999);
    assert.equal(rotation.stats().watchRequestsTotal, sent);
    clock.advance(1);
    assert.equal(rotation.stats().watchRequestsTotal, sent + 1);
  });

  it('keeps a single address and leaves retries to the watch backoff', async () => {
    const clock = new ManualClock(0);
    const address = `127.0.0.1:${await freePort()}`;
    const options = resolveClerkOptions({
      target: TEST_TARGET,
      watchAddresses: address,
      stubFactory: () => undefined,
      failoverAfterFailures: 1,
      backoff: { minDelayMs: 1_000, jitterFraction: 0 },
      clock,
      logger: silent,
    });
    const rotation = new WatchRotation(options, silent, () => {});
    rotations.push(rotation);
    await failed(rotation);
    rotation.tick();
    assert.equal(rotation.watchStatus().address, address);
    assert.equal(rotation.stats().addressSwitchesTotal, 0);
    clock.advance(1_000);
    assert.equal(rotation.stats().watchRequestsTotal, 2);
  });
});
