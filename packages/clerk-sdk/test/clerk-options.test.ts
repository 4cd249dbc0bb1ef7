import assert from 'node:assert/strict';
import { describe, it } from 'mocha';
import { InvalidArgumentError, SYSTEM_CLOCK, Target } from '@dicer-ts/common';
import {
  type ClerkOptions,
  DEFAULT_FAILOVER_AFTER_FAILURES,
  DEFAULT_MAX_STUBS,
  DEFAULT_MONITOR_INTERVAL_MS,
  DEFAULT_STUB_IDLE_MS,
  resolveClerkOptions,
} from '../src/clerk-options.js';

const base: ClerkOptions<string> = { target: 'demo-cache', watchAddresses: 'demo-cache:24510', stubFactory: (r) => r.uri };

describe('resolveClerkOptions', () => {
  it('applies the defaults', () => {
    const o = resolveClerkOptions(base);
    assert.ok(o.target.equals(Target.kubernetes('demo-cache')));
    assert.deepEqual(o.watchAddresses, ['demo-cache:24510']);
    assert.equal(o.replicaSelection, 'random');
    assert.equal(o.maxStubs, DEFAULT_MAX_STUBS);
    assert.equal(o.stubIdleMs, DEFAULT_STUB_IDLE_MS);
    assert.equal(o.stubIdleMs, 3_600_000);
    assert.equal(o.failoverAfterFailures, DEFAULT_FAILOVER_AFTER_FAILURES);
    assert.equal(o.monitorIntervalMs, DEFAULT_MONITOR_INTERVAL_MS);
    assert.equal(o.clock, SYSTEM_CLOCK);
    assert.ok(Object.isFrozen(o));
  });

  it('parses App targets and keeps several watch addresses in order', () => {
    const o = resolveClerkOptions({ ...base, target: 'appTarget:cache:inst1', watchAddresses: ['a:1', 'https://b:2'] });
    assert.ok(o.target.equals(Target.app('cache', 'inst1')));
    assert.deepEqual(o.watchAddresses, ['a:1', 'https://b:2']);
  });

  it('reads grpc-js dns targets as host:port', () => {
    const o = resolveClerkOptions({ ...base, watchAddresses: ['dns:///demo-cache:24510', 'dns://8.8.8.8/other:1', 'plain:2'] });
    assert.deepEqual(o.watchAddresses, ['demo-cache:24510', 'other:1', 'plain:2']);
  });

  const bad: [string, Partial<ClerkOptions<string>>, RegExp][] = [
    ['no watch address', { watchAddresses: [] }, /watchAddresses must name at least one address/],
    ['an address that does not parse', { watchAddresses: ['http://'] }, /watch address/],
    ['a bad target name', { target: 'Not_A_Label' }, /target is not a valid target: Not_A_Label/],
    ['an unknown replica selection', { replicaSelection: 'sticky' as never }, /replicaSelection must be 'random' or 'least-outstanding', got sticky/],
    ['a zero maxStubs', { maxStubs: 0 }, /maxStubs must be a positive integer, got 0/],
    ['a negative stubIdleMs', { stubIdleMs: -1 }, /stubIdleMs must be non-negative, got -1/],
    ['a fractional failoverAfterFailures', { failoverAfterFailures: 1.5 }, /failoverAfterFailures must be a positive integer, got 1.5/],
    ['a zero monitorIntervalMs', { monitorIntervalMs: 0 }, /monitorIntervalMs must be a positive integer, got 0/],
    ['a missing stubFactory', { stubFactory: undefined as never }, /stubFactory must be a function/],
  ];
  for (const [what, override, message] of bad) {
    it(`rejects ${what} with InvalidArgumentError`, () => {
      assert.throws(() => resolveClerkOptions({ ...base, ...override }), (err: unknown) => err instanceof InvalidArgumentError && message.test(err.message));
    });
  }
});
