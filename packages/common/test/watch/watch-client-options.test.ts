import assert from 'node:assert/strict';
import { describe, it } from 'mocha';
import { InvalidArgumentError } from '../../src/errors.js';
import { type WatchClientOptions, resolveWatchClientOptions } from '../../src/watch/watch-client-options.js';
import { TEST_TARGET } from './fixtures.js';

const base: WatchClientOptions = {
  address: 'softstore-slicelets:24510',
  target: TEST_TARGET,
  subscriberDebugName: 'C0-softstore-test',
  subscriber: () => ({ kind: 'clerk' }),
};

describe('resolveWatchClientOptions', () => {
  it("applies Dicer's defaults and always sets the 4 MiB message limits", () => {
    const r = resolveWatchClientOptions({ ...base, channelOptions: { 'grpc.max_receive_message_length': 1 } });
    assert.equal(r.initialWatchTimeoutMs, 5000);
    assert.equal(r.deadlineBufferMs, 10_000);
    assert.equal(r.redirectChannelIdleMs, 300_000);
    assert.equal(r.channelOptions['grpc.max_receive_message_length'], 4 * 1024 * 1024);
    assert.equal(r.channelOptions['grpc.max_send_message_length'], 4 * 1024 * 1024);
    assert.ok(Object.isFrozen(r));
  });

  it('rejects bad options naming the option and value', () => {
    assert.throws(() => resolveWatchClientOptions({ ...base, initialWatchTimeoutMs: 200 }), {
      name: 'InvalidArgumentError',
      message: 'initialWatchTimeoutMs must be an integer of at least 1000, got 200',
    });
    assert.throws(() => resolveWatchClientOptions({ ...base, subscriberDebugName: '' }), /subscriberDebugName must not be empty/);
    assert.throws(() => resolveWatchClientOptions({ ...base, deadlineBufferMs: -1 }), /deadlineBufferMs must be non-negative, got -1/);
    assert.throws(() => resolveWatchClientOptions({ ...base, redirectChannelIdleMs: 0 }), /redirectChannelIdleMs must be positive/);
    assert.throws(() => resolveWatchClientOptions({ ...base, backoff: { minDelayMs: 0 } }), /minDelayMs must be positive/);
    assert.throws(() => resolveWatchClientOptions({ ...base, address: 'bad host:1' }), InvalidArgumentError);
  });
});
