/**
 * Clerks against the real Assigner and real Slicelets (in-process, real gRPC on loopback):
 * readiness, routing every key to its owner as the Slicelets themselves see it, following
 * reassignments through the Slicelets' parked watch calls, spreading a replicated slice, and an
 * outage of every Slicelet Watch server.
 */
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'mocha';
import { SeededRandom, SliceKey, SliceSet, type ResourceAddress } from '@dicer-ts/common';
import { randomKeys } from '../fixtures/random-keys.js';
import { eventually } from '@dicer-ts/test-harness';
import { Clerk } from '../../src/clerk.js';
import type { ClerkOptions } from '../../src/clerk-options.js';
import { type Assigner, REPLICATED_TARGET, type Slicelet, TARGET, settled, silent, startAssigner, startSlicelet } from './cluster.js';

interface Stub {
  readonly uri: string;
}

describe('Clerk against the real Assigner and Slicelets', function () {
  this.timeout(60_000);
  let assigner: Assigner | undefined;
  let slicelets: Slicelet[] = [];
  let clerks: Clerk<Stub>[] = [];

  afterEach(async () => {
    for (const c of clerks) await c.close();
    for (const s of slicelets) await s.close();
    await assigner?.close();
    assigner = undefined;
    slicelets = [];
    clerks = [];
  });

  async function slicelet(i: number, options: Parameters<typeof startSlicelet>[2] = {}): Promise<Slicelet> {
    const s = await startSlicelet(assigner!, i, options);
    slicelets.push(s);
    return s;
  }

  async function clerk(group: readonly Slicelet[], overrides: Partial<ClerkOptions<Stub>> = {}): Promise<Clerk<Stub>> {
    const c = await Clerk.create<Stub>({
      target: TARGET,
      watchAddresses: group.map((s) => `127.0.0.1:${s.watchPort}`),
      stubFactory: (resource: ResourceAddress) => ({ uri: resource.uri }),
      initialWatchTimeoutMs: 1_000,
      backoff: { minDelayMs: 50, maxDelayMs: 200 },
      monitorIntervalMs: 100,
      random: new SeededRandom(clerks.length + 1),
      logger: silent,
      ...overrides,
    });
    clerks.push(c);
    return c;
  }

  /** The Slicelet whose own ownership answer for `key` is yes; fails unless exactly one says so. */
  function ownerOf(group: readonly Slicelet[], key: SliceKey): string {
    let owner: string | undefined;
    for (const s of group) {
      if (s.createHandle(key).isAssignedContinuously()) {
        assert.equal(owner, undefined, `two Slicelets own ${key.toString()}`);
        owner = s.squid.resourceAddress.uri;
      }
    }
    assert.ok(owner !== undefined, `no Slicelet owns ${key.toString()}`);
    return owner;
  }

  /**
   * Checks that every Clerk routes each key as the Slicelets answer ownership, once Clerks and
   * Slicelets hold one generation (retried if the Assigner publishes another meanwhile).
   */
  async function assertRoutesAgree(group: readonly Slicelet[], routers: readonly Clerk<Stub>[], keys: readonly SliceKey[]): Promise<Set<string>> {
    return eventually(
      () => {
        const g = group[0]!.generation;
        const same = (): boolean => group.every((s) => s.generation.equals(g)) && routers.every((c) => c.assignment?.generation.equals(g) === true);
        if (!same()) return undefined;
        const owners = new Set<string>();
        for (const key of keys) {
          const owner = ownerOf(group, key);
          owners.add(owner);
          for (const c of routers) assert.equal(c.resourceForKey(key)?.uri, owner);
        }
        return same() ? owners : undefined;
      },
      { description: 'Clerks routing as the Slicelets answer', timeoutMs: 20_000 },
    );
  }

  it('makes Clerks ready and routes 100,000 random keys as the Slicelets answer ownership', async () => {
    assigner = await startAssigner();
    const group = [await slicelet(1), await slicelet(2), await slicelet(3)];
    const generation = await settled(group);
    // One Clerk per Slicelet Watch server, one with all of them, and one watching the Assigner.
    const all = [await clerk([group[0]!]), await clerk([group[1]!]), await clerk([group[2]!]), await clerk(group)];
    all.push(await clerk([], { watchAddresses: `127.0.0.1:${assigner.port}` }));
    for (const c of all) await c.ready({ timeoutMs: 10_000 });
    for (const c of all) await eventually(() => c.assignment !== undefined && c.assignment.generation.compare(generation) >= 0, { description: 'Clerk on the settled generation' });
    const keys = randomKeys(100_000, 2024);
    const owners = await assertRoutesAgree(group, all, keys);
    assert.equal(owners.size, 3);
    assert.equal(all[3]!.getStubForKey(keys[0]!)?.uri, ownerOf(group, keys[0]!));
  });

  it('follows a reassignment on the watch call parked at its Slicelet', async () => {
    assigner = await startAssigner();
    const group = [await slicelet(1), await slicelet(2)];
    const first = await settled(group);
    // The Clerk watches a Slicelet that suggests a 20 s watch timeout: its calls stay parked for
    // 15 s, so a change that reaches it sooner came on the parked call, not on a new poll.
    const watched = await slicelet(3, { watchTimeoutMs: 20_000 });
    const second = await settled([...group, watched]);
    assert.ok(second.compare(first) > 0);
    const c = await clerk([watched]);
    await c.ready({ timeoutMs: 10_000 });
    await eventually(() => c.assignment?.generation.equals(second) && c.status().watchRequestsTotal >= 2, {
      description: 'Clerk on the second generation, parked again',
    });

    const requestsBefore = c.status().watchRequestsTotal;
    const clerkUpdated = new Promise<number>((resolve) => c.once('assignment', () => resolve(c.status().watchRequestsTotal)));
    const added = await slicelet(4);
    const third = await settled([...group, watched, added]);
    const requestsAtClerkUpdate = await clerkUpdated;
    assert.ok(c.assignment!.generation.compare(second) > 0);
    // No request left the Clerk between the change and its arrival: the parked call carried it.
    assert.equal(requestsAtClerkUpdate, requestsBefore);
    await eventually(() => c.assignment?.generation.equals(third), { description: 'Clerk on the settled generation', timeoutMs: 10_000 });
    assert.equal(c.status().watchFailuresTotal, 0);
    await assertRoutesAgree([...group, watched, added], [c], randomKeys(5_000, 7));
  });

  it('spreads a replicated slice over its replicas', async () => {
    assigner = await startAssigner();
    const group = [
      await slicelet(1, { target: REPLICATED_TARGET }),
      await slicelet(2, { target: REPLICATED_TARGET }),
      await slicelet(3, { target: REPLICATED_TARGET }),
    ];
    await settled(group);
    const c = await clerk(group, { target: REPLICATED_TARGET });
    await c.ready({ timeoutMs: 10_000 });
    const hot = SliceKey.fromApplicationKey('the-hot-key');
    await eventually(() => c.resourcesForKey(hot)?.length === 3, { description: 'three replicas of the hot key' });
    const hits = new Map<string, number>();
    for (let i = 0; i < 30_000; i++) {
      const uri = c.getStubForKey(hot)!.uri;
      hits.set(uri, (hits.get(uri) ?? 0) + 1);
    }
    assert.deepEqual([...hits.keys()].sort(), group.map((s) => s.squid.resourceAddress.uri).sort());
    for (const n of hits.values()) assert.ok(Math.abs(n - 10_000) < 600, `uneven: ${[...hits.values()].join(',')}`);
  });

  it('keeps routing while every Slicelet Watch server is down and resumes when one returns', async () => {
    assigner = await startAssigner();
    const group = [await slicelet(1), await slicelet(2)];
    const generation = await settled(group);
    const c = await clerk(group, { failoverAfterFailures: 1 });
    await c.ready({ timeoutMs: 10_000 });
    await eventually(() => c.assignment?.generation.equals(generation), { description: 'Clerk on the settled generation' });
    const keys = randomKeys(2_000, 99);
    const before = keys.map((k) => c.resourceForKey(k)?.uri);
    const oldPort = group[0]!.watchPort!;

    for (const s of group) await s.close();
    slicelets = [];
    await eventually(() => c.status().stale && c.status().addressSwitchesTotal >= 2, { description: 'Clerk reporting stale routing' });
    assert.equal(c.status().connected, false);
    assert.ok(c.status().outagesTotal >= 1);
    assert.deepEqual(keys.map((k) => c.resourceForKey(k)?.uri), before);

    // A Slicelet comes back on one of the watched ports and takes over the key space.
    const back = await slicelet(4, { watchPort: oldPort });
    const after = await eventually(() => (SliceSet.create(back.assignedSlices()).equals(SliceSet.FULL) ? back.generation : undefined), {
      description: 'the returning Slicelet owning every key',
      timeoutMs: 20_000,
    });
    await eventually(() => c.assignment?.generation.equals(after) && c.status().connected, {
      description: 'Clerk back on the new generation',
      timeoutMs: 20_000,
    });
    assert.equal(c.status().stale, false);
    for (const k of keys) assert.equal(c.resourceForKey(k)?.uri, back.squid.resourceAddress.uri);
  });
});
