import assert from 'node:assert/strict';
import { InvalidArgumentError, Target } from '@dicer-ts/common';
import { describe, it } from 'mocha';
import { DEFAULT_SLICELET_WATCH_PORT, resolveSliceletOptions } from '../src/slicelet-options.js';

const BASE = { target: 'demo-cache', assigner: 'localhost:24500', port: 8080, host: '10.0.0.5' } as const;

describe('resolveSliceletOptions', () => {
  it('applies Dicer defaults', () => {
    const o = resolveSliceletOptions(BASE);
    assert.ok(o.target.equals(Target.kubernetes('demo-cache')));
    assert.equal(o.selfAddress.toString(), 'https://10.0.0.5:8080');
    assert.equal(o.watchPort, DEFAULT_SLICELET_WATCH_PORT);
    assert.equal(o.watchTimeoutMs, 5000);
    assert.equal(o.rejectWatchRequestsOnFatalTargetMismatch, true);
    assert.match(o.uuid, /^[0-9a-f-]{36}$/);
    assert.ok(Object.isFrozen(o));
  });

  it('takes a whole selfAddress instead of host and port', () => {
    const { port: _port, ...rest } = BASE;
    assert.equal(resolveSliceletOptions({ ...rest, selfAddress: 'http://pod:9000' }).selfAddress.toString(), 'http://pod:9000');
  });

  const bad: readonly [string, Record<string, unknown>, RegExp][] = [
    ['a missing port', { port: undefined }, /port \(the application port\) is required/],
    ['port and selfAddress together', { selfAddress: 'http://x:1' }, /port and selfAddress are mutually exclusive/],
    ['a port out of range', { port: 70000 }, /port must be an integer in 1–65535, got 70000/],
    ['an empty assigner', { assigner: '' }, /assigner must be a non-empty address/],
    ['a bad uuid', { uuid: 'nope' }, /uuid must be a UUID, got nope/],
    ['a bad watch port', { watchPort: -1 }, /watchPort must be an integer in 0–65535 or 'disabled', got -1/],
    ['a short watch timeout', { watchTimeoutMs: 200 }, /watchTimeoutMs must be an integer of at least 1000, got 200/],
    ['a zero readiness interval', { readinessRefreshIntervalMs: 0 }, /readinessRefreshIntervalMs must be positive, got 0/],
    ['an empty host', { host: '' }, /host must not be empty/],
    ['a bad target', { target: '' }, /target is invalid/],
  ];
  for (const [what, patch, message] of bad) {
    it(`rejects ${what} with InvalidArgumentError naming the option`, () => {
      assert.throws(
        () => resolveSliceletOptions({ ...BASE, ...patch } as never),
        (err: unknown) => err instanceof InvalidArgumentError && message.test(err.message),
      );
    });
  }
});
