/**
 * State transfer end to end through the real Assigner (in-memory store, `stateTransferTimeoutMs`
 * set): a draining Slicelet's slices move to the other one with transfer annotations, the new
 * owner pulls the entries, and the drain ends after serving them.
 */
import assert from 'node:assert/strict';
import { SliceKey, type Squid, createDefaultLogger } from '@dicer-ts/common';
import { eventually } from '@dicer-ts/test-harness';
import { afterEach, describe, it } from 'mocha';
import { Assigner } from '../../../assigner/src/assigner.js';
import { Slicelet } from '../../src/slicelet.js';

const silent = createDefaultLogger('silent');
const TARGET = 'it-cache';
const utf8 = new TextEncoder();
const fromUtf8 = new TextDecoder();

describe('state transfer through the Assigner', function () {
  this.timeout(30_000);
  let assigner: Assigner | undefined;
  const slicelets: Slicelet[] = [];

  afterEach(async () => {
    for (const s of slicelets.splice(0)) await s.close();
    await assigner?.close();
    assigner = undefined;
  });

  it('moves a draining pod’s entries to the pod that takes its slices', async () => {
    assigner = await Assigner.start({
      host: '127.0.0.1',
      port: 0,
      debugPort: 'disabled',
      targets: { [TARGET]: { maxLoadHint: 1_000_000, loadWatcherMinDurationMs: 1 } },
      unhealthyTimeoutMs: 1_500,
      minGenerationIntervalMs: 0,
      loadBalancingIntervalMs: 300,
      sliceletSuggestedRpcTimeoutMs: 1_000,
      clerkSuggestedRpcTimeoutMs: 1_000,
      stateTransferTimeoutMs: 30_000,
      logger: silent,
    });
    const ports = new Map<string, number>();
    const caches = new Map<string, Map<string, string>>();
    const start = async (port: number): Promise<Slicelet> => {
      const cache = new Map<string, string>();
      const s = await Slicelet.start({
        target: TARGET,
        assigner: `127.0.0.1:${assigner?.port}`,
        host: '127.0.0.1',
        port,
        watchPort: 'disabled',
        watchTimeoutMs: 1_000,
        logger: silent,
        stateTransfer: {
          listen: { host: '127.0.0.1', port: 0 },
          resolveAddress: (squid: Squid) => `127.0.0.1:${ports.get(squid.toString())}`,
          fetchDeadlineMs: 5_000,
          provide: function* (range) {
            for (const [k, v] of cache) if (range.contains(SliceKey.fromApplicationKey(k))) yield { key: utf8.encode(k), value: utf8.encode(v) };
          },
          receive: async ({ entries }) => {
            for await (const e of entries) {
              const k = fromUtf8.decode(e.key);
              if (!cache.has(k)) cache.set(k, fromUtf8.decode(e.value));
            }
          },
        },
      });
      slicelets.push(s);
      ports.set(s.squid.toString(), s.stateTransfer?.port as number);
      caches.set(s.squid.toString(), cache);
      return s;
    };
    const a = await start(9401);
    const b = await start(9402);
    await eventually(() => a.assignedSlices().length > 0 && b.assignedSlices().length > 0 && a.generation.equals(b.generation), {
      description: 'both Slicelets own slices',
      timeoutMs: 20_000,
    });
    // A caches the keys it owns now.
    const aCache = caches.get(a.squid.toString()) as Map<string, string>;
    for (let i = 0; i < 500; i++) {
      const k = `user-${i}`;
      if (a.latestAssignment?.isAssignedKey(SliceKey.fromApplicationKey(k), a.squid) === true) aCache.set(k, `v${i}`);
    }
    const written = [...aCache.entries()];
    assert.ok(written.length > 0);
    const result = await a.drain({ timeoutMs: 15_000 });
    assert.equal(result.kind, 'moved');
    const bCache = caches.get(b.squid.toString()) as Map<string, string>;
    for (const [k, v] of written) assert.equal(bCache.get(k), v, `${k} moved with its slice`);
    assert.ok((b.stateTransfer?.stats().incoming.completed ?? 0) >= 1);
    assert.equal(b.stateTransfer?.stats().incoming.failed, 0);
    // The transfer annotation names A as the source in B's view of the assignment.
    const annotated = b.latestAssignment?.sliceAssignments.some((sa) =>
      sa.annotationsFor(b.squid).some((x) => x.stateTransfer?.fromResource.equals(a.squid) === true),
    );
    assert.equal(annotated, true);
  });
});
