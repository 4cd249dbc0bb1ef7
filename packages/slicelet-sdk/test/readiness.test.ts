import assert from 'node:assert/strict';
import { ManualClock, createDefaultLogger } from '@dicer-ts/common';
import { describe, it } from 'mocha';
import { ReadinessProbe } from '../src/readiness.js';

const log = createDefaultLogger('silent');

describe('ReadinessProbe', () => {
  it('starts not ready and follows the check on every refresh', async () => {
    const clock = new ManualClock(0);
    let answer = false;
    const probe = new ReadinessProbe(() => answer, clock, 1000, log);
    assert.equal(probe.isReady, false);
    await probe.refresh();
    assert.equal(probe.isReady, false);
    answer = true;
    await probe.refresh();
    assert.equal(probe.isReady, true);
    assert.equal(probe.hasBeenReady, true);
    answer = false;
    await probe.refresh();
    assert.equal(probe.isReady, false);
    assert.equal(probe.hasBeenReady, true);
    probe.close();
  });

  it('counts a throwing or rejecting check as not ready', async () => {
    const clock = new ManualClock(0);
    const throwing = new ReadinessProbe(() => { throw new Error('boom'); }, clock, 1000, log);
    await throwing.refresh();
    assert.equal(throwing.isReady, false);
    const rejecting = new ReadinessProbe(() => Promise.reject(new Error('boom')), clock, 1000, log);
    await rejecting.refresh();
    assert.equal(rejecting.isReady, false);
  });

  it('re-runs the check every interval on the injected clock until closed', async () => {
    const clock = new ManualClock(0);
    let calls = 0;
    const probe = new ReadinessProbe(() => (calls++, true), clock, 1000, log);
    await probe.refresh();
    assert.equal(calls, 1);
    clock.advance(1000);
    await Promise.resolve();
    assert.equal(calls, 2);
    probe.close();
    clock.advance(5000);
    assert.equal(calls, 2);
    assert.equal(clock.pendingTimers, 0);
  });
});
