import { strict as assert } from 'node:assert';
import { credentials } from '@grpc/grpc-js';
import pino from 'pino';
import { Assigner } from '@dicer-ts/assigner';
import { SliceKey } from '@dicer-ts/common';
import { eventually } from '@dicer-ts/test-harness';
import { CacheServer } from '../src/cache-server.js';
import { type CacheClient, createCacheClient, getRequest, putRequest } from '../src/cache-service.js';
import type { GetResponse, PutResponse } from '../src/gen/demo/cache_pb.js';
import { LoadGenerator } from '../src/load-generator.js';

const logger = pino({ level: 'silent' });

function call<T>(start: (cb: (err: Error | null, res?: T) => void) => void): Promise<T> {
  return new Promise((resolve, reject) => start((err, res) => (err !== null || res === undefined ? reject(err) : resolve(res))));
}

function owns(server: CacheServer, key: string): boolean {
  const k = SliceKey.fromApplicationKey(key);
  return server.slicelet.assignedSlices().some((s) => s.contains(k));
}

describe('CacheServer (real gRPC, in-process Assigner)', function () {
  this.timeout(20_000);
  let assigner: Assigner;
  let servers: CacheServer[] = [];
  let clients: CacheClient[] = [];

  beforeEach(async () => {
    assigner = await Assigner.start({
      port: 0,
      host: '127.0.0.1',
      debugPort: 'disabled',
      targets: { 'demo-cache': { maxLoadHint: 100, loadWatcherMinDurationMs: 1_000 } },
      unhealthyTimeoutMs: 2_000,
      minGenerationIntervalMs: 0,
      sliceletSuggestedRpcTimeoutMs: 1_000,
      clerkSuggestedRpcTimeoutMs: 1_000,
      logger,
    });
    const address = `127.0.0.1:${assigner.port}`;
    servers = await Promise.all([0, 1].map(() => CacheServer.start({ assigner: address, drainGraceMs: 0, logger, slicelet: { watchTimeoutMs: 1_000 } })));
    await eventually(() => servers.every((s) => s.slicelet.assignedSlices().length > 0), { timeoutMs: 10_000, description: 'both servers to own slices' });
    clients = servers.map((s) => createCacheClient(`127.0.0.1:${s.port}`, credentials.createInsecure()));
  });

  afterEach(async () => {
    for (const c of clients) c.close();
    await Promise.all(servers.map((s) => s.close()));
    await assigner.close();
  });

  it('serves its own keys as directed and counts hits and misses', async () => {
    const key = Array.from({ length: 200 }, (_, i) => `key-${i}`).find((k) => owns(servers[0]!, k))!;
    const miss = await call<GetResponse>((cb) => clients[0]!.get(getRequest(key), {}, cb));
    assert.deepEqual([miss.found, miss.misdirected], [false, false]);
    const put = await call<PutResponse>((cb) => clients[0]!.put(putRequest({ key, value: new Uint8Array([1, 2]) }), {}, cb));
    assert.equal(put.misdirected, false);
    const hit = await call<GetResponse>((cb) => clients[0]!.get(getRequest(key), {}, cb));
    assert.deepEqual([hit.found, [...hit.value], hit.misdirected], [true, [1, 2], false]);
    const stats = servers[0]!.stats();
    assert.deepEqual([stats.requests, stats.hits, stats.misses, stats.misdirected, stats.entries], [3, 1, 1, 0, 1]);
  });

  it("serves another server's key anyway and counts it as misdirected", async () => {
    const key = Array.from({ length: 200 }, (_, i) => `key-${i}`).find((k) => owns(servers[1]!, k) && !owns(servers[0]!, k))!;
    const response = await call<GetResponse>((cb) => clients[0]!.get(getRequest(key), {}, cb));
    assert.deepEqual([response.found, response.misdirected], [false, true]);
    assert.equal(servers[0]!.stats().misdirected, 1);
  });

  it('drains: its slices move to the other server before it stops', async () => {
    await servers[0]!.drain({ timeoutMs: 10_000 });
    assert.equal(servers[0]!.slicelet.lifecycle, 'closed');
    await eventually(() => Array.from({ length: 50 }, (_, i) => `key-${i}`).every((k) => owns(servers[1]!, k)), {
      timeoutMs: 5_000,
      description: 'the other server to own every key',
    });
  });
});

describe('LoadGenerator (real gRPC, in-process Assigner)', function () {
  this.timeout(20_000);

  it('routes requests through its Clerk to the owners with no failure or misdirection', async () => {
    const assigner = await Assigner.start({
      port: 0,
      host: '127.0.0.1',
      debugPort: 'disabled',
      targets: { 'demo-cache': { maxLoadHint: 100 } },
      unhealthyTimeoutMs: 2_000,
      minGenerationIntervalMs: 0,
      sliceletSuggestedRpcTimeoutMs: 1_000,
      clerkSuggestedRpcTimeoutMs: 1_000,
      logger,
    });
    const address = `127.0.0.1:${assigner.port}`;
    const servers = await Promise.all([0, 1, 2].map(() => CacheServer.start({ assigner: address, logger, slicelet: { watchTimeoutMs: 1_000 } })));
    try {
      await eventually(() => servers.every((s) => s.slicelet.assignedSlices().length > 0), { timeoutMs: 10_000, description: 'every server to own slices' });
      const generator = await LoadGenerator.start({ watchAddresses: address, rate: 200, workload: { keyCount: 50 }, logger, clerk: { logger } }, 10_000);
      try {
        const stats = await eventually(() => {
          const s = generator.stats();
          return s.succeeded >= 200 ? s : false;
        }, { timeoutMs: 10_000, description: '200 requests' });
        assert.equal(stats.failed, 0);
        assert.equal(stats.misdirected, 0);
        assert.ok(stats.hits > 0, 'repeated keys hit the cache');
        assert.ok(servers.every((s) => s.stats().requests > 0), 'every server serves some keys');
        assert.equal(servers.reduce((sum, s) => sum + s.stats().misdirected, 0), 0);
      } finally {
        await generator.close();
      }
    } finally {
      await Promise.all(servers.map((s) => s.close()));
      await assigner.close();
    }
  });
});
