import assert from 'node:assert/strict';
import { InvalidArgumentError, UnavailableError } from '@dicer-ts/common';
import { pino } from 'pino';
import { Assigner } from '../src/assigner.js';
import { DEFAULT_ASSIGNER_PORT, DEFAULT_DEBUG_HOST, DEFAULT_DEBUG_PORT, resolveAssignerOptions } from '../src/assigner-options.js';

describe('resolveAssignerOptions', () => {
  it('applies Dicer\'s defaults', () => {
    const o = resolveAssignerOptions({ logger: pino({ level: 'silent' }) });
    assert.equal(o.port, DEFAULT_ASSIGNER_PORT);
    assert.equal(o.debugPort, DEFAULT_DEBUG_PORT);
    assert.equal(o.debugHost, DEFAULT_DEBUG_HOST);
    assert.equal(o.store, 'memory');
    assert.equal(o.storeIncarnation, 0n);
    assert.equal(o.unhealthyTimeoutMs, 30_000);
    assert.equal(o.minGenerationIntervalMs, 10_000);
    assert.equal(o.generatorInactivityDeadlineMs, 300_000);
    assert.equal(o.sliceletSuggestedRpcTimeoutMs, 5000);
    assert.ok(Object.isFrozen(o));
  });

  it('rejects a bad port, naming option and value', () => {
    assert.throws(() => resolveAssignerOptions({ port: 70000 }), /port must be an integer from 0 to 65535, got 70000/);
  });

  it('rejects a non-loose incarnation for the memory store', () => {
    assert.throws(() => resolveAssignerOptions({ storeIncarnation: 2n }), InvalidArgumentError);
  });

  it('rejects a suggested watch timeout under 1 s', () => {
    assert.throws(() => resolveAssignerOptions({ clerkSuggestedRpcTimeoutMs: 999 }), /clerkSuggestedRpcTimeoutMs must be at least 1000, got 999/);
  });

  it('rejects an inline target without a usable maxLoadHint', () => {
    assert.throws(() => resolveAssignerOptions({ targets: { t: { maxLoadHint: 0 } } }), /targets\.t\.maxLoadHint/);
  });

  it('rejects maxReplicas below minReplicas', () => {
    assert.throws(() => resolveAssignerOptions({ targets: { t: { maxLoadHint: 1, minReplicas: 3, maxReplicas: 2 } } }), /maxReplicas/);
  });
});

describe('Assigner.start', () => {
  it('fails with UNAVAILABLE when the port is taken', async () => {
    const logger = pino({ level: 'silent' });
    const first = await Assigner.start({ port: 0, host: '127.0.0.1', debugPort: 'disabled', logger });
    try {
      await assert.rejects(
        Assigner.start({ port: first.port, host: '127.0.0.1', debugPort: 'disabled', logger }),
        (err: unknown) => err instanceof UnavailableError && err.message.includes(String(first.port)),
      );
    } finally {
      await first.close();
    }
  });

  it('closes idempotently', async () => {
    const a = await Assigner.start({ port: 0, host: '127.0.0.1', debugPort: 0, logger: pino({ level: 'silent' }) });
    const p1 = a.close();
    const p2 = a.stop();
    assert.equal(p1, p2);
    await p1;
  });
});
