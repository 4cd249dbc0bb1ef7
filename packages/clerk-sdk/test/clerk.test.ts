import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'mocha';
import { ClosedError, SeededRandom, SliceKey, UnavailableError, createDefaultLogger, type ResourceAddress } from '@dicer-ts/common';
import { eventually, freePort } from '@dicer-ts/test-harness';
import { Clerk } from '../src/clerk.js';
import type { ClerkOptions } from '../src/clerk-options.js';
import { TEST_TARGET, type WatchServer, assignmentOf, gen, startWatchServer } from './fixtures/watch-server.js';

interface FakeStub {
  readonly uri: string;
  closed: boolean;
}

const servers: WatchServer[] = [];
const clerks: Clerk<FakeStub>[] = [];

afterEach(async () => {
  for (const c of clerks.splice(0)) await c.close();
  for (const s of servers.splice(0)) s.stop();
});

async function server(port = 0): Promise<WatchServer> {
  const s = await startWatchServer(port);
  servers.push(s);
  return s;
}

async function clerk(watchAddresses: string | string[], overrides: Partial<ClerkOptions<FakeStub>> = {}): Promise<{ clerk: Clerk<FakeStub>; closed: FakeStub[] }> {
  const closed: FakeStub[] = [];
  const c = await Clerk.create<FakeStub>({
    target: TEST_TARGET,
    watchAddresses,
    stubFactory: (resource: ResourceAddress) => ({ uri: resource.uri, closed: false }),
    closeStub: (stub) => {
      stub.closed = true;
      closed.push(stub);
    },
    initialWatchTimeoutMs: 1000,
    backoff: { minDelayMs: 20, maxDelayMs: 100 },
    monitorIntervalMs: 50,
    random: new SeededRandom(42),
    logger: createDefaultLogger('silent'),
    ...overrides,
  });
  clerks.push(c);
  return { clerk: c, closed };
}

const keys = (n: number, prefix = 'key'): SliceKey[] => Array.from({ length: n }, (_, i) => SliceKey.fromApplicationKey(`${prefix}-${i}`));

const POD = (i: number): string => `http://10.0.0.${i}:8080`;

describe('Clerk', () => {
  describe('before the first assignment', () => {
    it('routes nothing and is not ready', async () => {
      const s = await server();
      const { clerk: c } = await clerk(s.address);
      assert.equal(c.isReady, false);
      assert.equal(c.getStubForKey(SliceKey.fromApplicationKey('a')), undefined);
      assert.equal(c.resourceForKey(SliceKey.fromApplicationKey('a')), undefined);
      assert.equal(c.status().ready, false);
      await assert.rejects(c.withStubForKey(SliceKey.fromApplicationKey('a'), () => 1), UnavailableError);
    });

    it('rejects ready() with UnavailableError when the timeout passes first', async () => {
      const s = await server();
      const { clerk: c } = await clerk(s.address);
      await assert.rejects(c.ready({ timeoutMs: 100 }), (err: unknown) => err instanceof UnavailableError && /within 100 ms/.test(err.message));
    });
  });

  describe('with an assignment', () => {
    it('becomes ready and routes every key to the owner of its slice', async () => {
      const s = await server();
      const assignment = assignmentOf(1, [[POD(1)], [POD(2)], [POD(3)], [POD(4)]]);
      s.hub.publish(assignment);
      const { clerk: c } = await clerk(s.address);
      await c.ready({ timeoutMs: 5000 });
      assert.equal(c.status().generation, gen(1).toString());
      for (const key of keys(2000)) {
        const owner = assignment.lookup(key).resources[0]!.resourceAddress.uri;
        assert.equal(c.resourceForKey(key)?.uri, owner);
        assert.equal(c.getStubForKey(key)?.uri, owner);
      }
      assert.equal(c.status().stubs.size, 4);
      assert.equal(c.status().stubs.createdTotal, 4);
    });

    it('follows a reassignment within one watch round trip and closes the stubs of resources that left', async () => {
      const s = await server();
      s.hub.publish(assignmentOf(1, [[POD(1)], [POD(2)]]));
      const { clerk: c, closed } = await clerk(s.address);
      await c.ready({ timeoutMs: 5000 });
      const sample = keys(500);
      for (const k of sample) c.getStubForKey(k);
      await eventually(() => s.hub.stats().parkedCalls >= 1, { description: 'clerk parked on the server' });
      const requestsBefore = s.requests;
      const next = assignmentOf(2, [[POD(3)], [POD(2)]]);
      const seen = new Promise<void>((resolve) => c.once('assignment', () => resolve()));
      s.hub.publish(next);
      await seen;
      // The parked call carried the new assignment: no retry or extra poll was needed.
      assert.ok(s.requests - requestsBefore <= 1, `${s.requests - requestsBefore} extra requests`);
      for (const k of sample) assert.equal(c.resourceForKey(k)?.uri, next.lookup(k).resources[0]!.resourceAddress.uri);
      assert.deepEqual(closed.map((st) => st.uri), [POD(1)]);
      assert.equal(c.status().assignmentsTotal, 2);
    });

    it('spreads a replicated slice uniformly over its replicas', async () => {
      const s = await server();
      s.hub.publish(assignmentOf(1, [[POD(1), POD(2), POD(3)]]));
      const { clerk: c } = await clerk(s.address);
      await c.ready({ timeoutMs: 5000 });
      const hot = SliceKey.fromApplicationKey('hot');
      const hits = new Map<string, number>();
      for (let i = 0; i < 30_000; i++) {
        const uri = c.getStubForKey(hot)!.uri;
        hits.set(uri, (hits.get(uri) ?? 0) + 1);
      }
      assert.deepEqual([...hits.keys()].sort(), [POD(1), POD(2), POD(3)]);
      for (const n of hits.values()) assert.ok(Math.abs(n - 10_000) < 600, `uneven: ${[...hits.values()].join(',')}`);
    });

    it('sends to the replica with the fewest requests in flight with least-outstanding selection', async () => {
      const s = await server();
      s.hub.publish(assignmentOf(1, [[POD(1), POD(2), POD(3)]]));
      const { clerk: c } = await clerk(s.address, { replicaSelection: 'least-outstanding' });
      await c.ready({ timeoutMs: 5000 });
      const hot = SliceKey.fromApplicationKey('hot');
      const release: (() => void)[] = [];
      const inFlight: Promise<string>[] = [];
      for (let i = 0; i < 9; i++) {
        inFlight.push(c.withStubForKey(hot, (stub) => new Promise<string>((resolve) => release.push(() => resolve(stub.uri)))));
      }
      const byResource = (uri: string): number => c.outstandingRequests(c.resourcesForKey(hot)!.find((r) => r.uri === uri)!);
      assert.deepEqual([POD(1), POD(2), POD(3)].map(byResource), [3, 3, 3]);
      // The counters follow beginRequest/endRequest too.
      const two = c.resourcesForKey(hot)!.find((r) => r.uri === POD(2))!;
      c.endRequest(two);
      c.endRequest(two);
      assert.equal(c.resourceForKey(hot)?.uri, POD(2));
      c.beginRequest(two);
      c.beginRequest(two);
      for (const r of release) r();
      const served = await Promise.all(inFlight);
      assert.deepEqual([POD(1), POD(2), POD(3)].map((u) => served.filter((x) => x === u).length), [3, 3, 3]);
      assert.deepEqual([POD(1), POD(2), POD(3)].map(byResource), [0, 0, 0]);
    });
  });

  describe('when every watch address is unreachable', () => {
    it('keeps routing on the last assignment, reports it, and resumes when the server returns', async () => {
      const port = await freePort();
      const first = await server(port);
      const a1 = assignmentOf(1, [[POD(1)], [POD(2)]]);
      first.hub.publish(a1);
      const { clerk: c } = await clerk(`127.0.0.1:${port}`);
      await c.ready({ timeoutMs: 5000 });
      first.stop();
      await eventually(() => c.status().stale, { description: 'clerk reports stale routing' });
      const status = c.status();
      assert.equal(status.connected, false);
      assert.ok(status.outagesTotal >= 1 && status.watchFailuresTotal >= 1, JSON.stringify(status));
      for (const k of keys(200)) assert.equal(c.resourceForKey(k)?.uri, a1.lookup(k).resources[0]!.resourceAddress.uri);

      const second = await server(port);
      const a2 = assignmentOf(2, [[POD(2)], [POD(1)]]);
      second.hub.publish(a2);
      await eventually(() => c.status().generation === gen(2).toString(), { description: 'clerk resumed', timeoutMs: 10_000 });
      await eventually(() => c.status().connected && !c.status().stale, { description: 'clerk connected again' });
      for (const k of keys(200)) assert.equal(c.resourceForKey(k)?.uri, a2.lookup(k).resources[0]!.resourceAddress.uri);
    });

    it('moves on to another watch address when one keeps failing', async () => {
      const dead = `127.0.0.1:${await freePort()}`;
      const live = await server();
      live.hub.publish(assignmentOf(1, [[POD(1)]]));
      const { clerk: c } = await clerk([dead, live.address], { failoverAfterFailures: 1 });
      await c.ready({ timeoutMs: 10_000 });
      assert.equal(c.status().watchAddress, live.address);
      assert.ok(c.status().addressSwitchesTotal >= 1);
      assert.equal(c.resourceForKey(SliceKey.fromApplicationKey('x'))?.uri, POD(1));
    });
  });

  describe('close', () => {
    it('closes every stub, is idempotent, and refuses later lookups with ClosedError', async () => {
      const s = await server();
      s.hub.publish(assignmentOf(1, [[POD(1)], [POD(2)]]));
      const { clerk: c, closed } = await clerk(s.address);
      await c.ready({ timeoutMs: 5000 });
      for (const k of keys(50)) c.getStubForKey(k);
      await c.close();
      await c.close();
      assert.deepEqual(closed.map((st) => st.uri).sort(), [POD(1), POD(2)]);
      assert.throws(() => c.getStubForKey(SliceKey.fromApplicationKey('a')), ClosedError);
      assert.throws(() => c.resourceForKey(SliceKey.fromApplicationKey('a')), ClosedError);
    });

    it('rejects pending and later ready() calls with ClosedError', async () => {
      const s = await server();
      const { clerk: c } = await clerk(s.address);
      const pending = c.ready();
      await c.close();
      await assert.rejects(pending, ClosedError);
      await assert.rejects(c.ready(), ClosedError);
    });
  });
});
