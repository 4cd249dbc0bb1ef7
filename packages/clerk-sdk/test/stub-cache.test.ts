import assert from 'node:assert/strict';
import { describe, it } from 'mocha';
import { ManualClock, ResourceAddress, createDefaultLogger } from '@dicer-ts/common';
import { RoutedResource } from '../src/routing-table.js';
import { StubCache } from '../src/stub-cache.js';

interface FakeStub {
  readonly uri: string;
  readonly serial: number;
  closed: boolean;
}

function resource(name: string): RoutedResource {
  const address = ResourceAddress.create(`http://${name}:8080`);
  return new RoutedResource(address, address.uri);
}

function makeCache(options: { max?: number; idleMs?: number; clock?: ManualClock; closeThrows?: boolean } = {}) {
  let serial = 0;
  const closed: FakeStub[] = [];
  const cache = new StubCache<FakeStub>({
    factory: (address) => ({ uri: address.uri, serial: serial++, closed: false }),
    close: (stub) => {
      stub.closed = true;
      closed.push(stub);
      if (options.closeThrows === true) throw new Error('close failed');
    },
    max: options.max ?? 10,
    idleMs: options.idleMs ?? 0,
    clock: options.clock ?? new ManualClock(),
    logger: createDefaultLogger('silent'),
  });
  return { cache, closed };
}

describe('StubCache', () => {
  it('makes one stub per resource and returns it on later calls', () => {
    const { cache } = makeCache();
    const a = resource('a');
    const first = cache.get(a);
    assert.equal(cache.get(a), first);
    assert.equal(first.uri, 'http://a:8080');
    assert.notEqual(cache.get(resource('b')), first);
    assert.equal(cache.stats().createdTotal, 2);
  });

  it('closes the least recently used stub when full', () => {
    const { cache, closed } = makeCache({ max: 2 });
    const [a, b, c] = [resource('a'), resource('b'), resource('c')];
    const stubA = cache.get(a);
    const stubB = cache.get(b);
    cache.get(a); // a is now more recent than b
    cache.get(c);
    assert.deepEqual(closed, [stubB]);
    assert.equal(stubA.closed, false);
    assert.equal(cache.has(b.key), false);
    assert.deepEqual({ size: cache.stats().size, evicted: cache.stats().evictedTotal }, { size: 2, evicted: 1 });
    // A later call for the evicted resource makes a fresh stub.
    assert.notEqual(cache.get(b), stubB);
  });

  it('closes stubs whose resource left the assignment', () => {
    const { cache, closed } = makeCache();
    const [a, b, c] = [resource('a'), resource('b'), resource('c')];
    const stubs = [cache.get(a), cache.get(b), cache.get(c)];
    cache.retainOnly(new Map([[b.key, b]]));
    assert.deepEqual(closed.map((s) => s.uri).sort(), ['http://a:8080', 'http://c:8080']);
    assert.equal(stubs[1]!.closed, false);
    assert.equal(cache.stats().size, 1);
  });

  it('closes stubs idle longer than the idle expiry, on the injected clock', () => {
    const clock = new ManualClock(1_000);
    const { cache, closed } = makeCache({ idleMs: 60_000, clock });
    const [a, b] = [resource('a'), resource('b')];
    const stubA = cache.get(a);
    cache.get(b);
    clock.advance(40_000);
    cache.purgeStale(); // the monitor tick: nothing idle for 60 s yet
    assert.equal(closed.length, 0);
    cache.get(a); // a used in this period
    clock.advance(30_000);
    cache.purgeStale();
    assert.deepEqual(closed.map((s) => s.uri), ['http://b:8080']);
    assert.equal(cache.get(a), stubA);
    clock.advance(60_000);
    cache.purgeStale();
    assert.equal(stubA.closed, true);
    assert.notEqual(cache.get(a), stubA);
  });

  it('keeps every stub when the idle expiry is 0', () => {
    const clock = new ManualClock(0);
    const { cache, closed } = makeCache({ idleMs: 0, clock });
    cache.get(resource('a'));
    clock.advance(1e12);
    cache.purgeStale();
    assert.equal(closed.length, 0);
  });

  it('closes every stub on clear', () => {
    const { cache, closed } = makeCache();
    cache.get(resource('a'));
    cache.get(resource('b'));
    cache.clear();
    assert.equal(closed.length, 2);
    assert.equal(cache.stats().size, 0);
    assert.equal(cache.stats().closedTotal, 2);
  });

  it('counts a closeStub that throws and keeps going', () => {
    const { cache } = makeCache({ closeThrows: true });
    cache.get(resource('a'));
    cache.get(resource('b'));
    cache.clear();
    assert.equal(cache.stats().closeErrorsTotal, 2);
    assert.equal(cache.stats().size, 0);
  });

  it('counts a closeStub that rejects', async () => {
    const cache = new StubCache<string>({
      factory: (address) => address.uri,
      close: () => Promise.reject(new Error('async close failed')),
      max: 4,
      idleMs: 0,
      clock: new ManualClock(),
      logger: createDefaultLogger('silent'),
    });
    cache.get(resource('a'));
    cache.clear();
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(cache.stats().closeErrorsTotal, 1);
  });
});
