import assert from 'node:assert/strict';
import fc from 'fast-check';
import { CacheModel } from '../../src/engine/cache-model.js';

describe('CacheModel', () => {
  it('evicts the least recently used key', () => {
    const cache = new CacheModel(2);
    assert.equal(cache.access(1), false);
    assert.equal(cache.access(2), false);
    assert.equal(cache.access(1), true); // 2 is now the least recently used
    assert.equal(cache.access(3), false); // evicts 2
    assert.equal(cache.access(1), true);
    assert.equal(cache.access(2), false);
    assert.equal(cache.size, 2);
  });

  it('misses every access with capacity 0', () => {
    const cache = new CacheModel(0);
    assert.equal(cache.access(7), false);
    assert.equal(cache.access(7), false);
  });
});

describe('CacheModel invariants', () => {
  it('hits exactly when a reference LRU holds the key', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 8 }), fc.array(fc.integer({ min: 0, max: 15 }), { maxLength: 300 }), (capacity, keys) => {
        const cache = new CacheModel(capacity);
        const reference: number[] = []; // most recent last
        for (const k of keys) {
          const i = reference.indexOf(k);
          const hit = i >= 0;
          if (hit) reference.splice(i, 1);
          reference.push(k);
          if (reference.length > capacity) reference.shift();
          assert.equal(cache.access(k), hit);
        }
        assert.equal(cache.size, reference.length);
      }),
      { seed: 42, numRuns: 200 },
    );
  });

  it('stays an exact LRU over long runs of evictions among colliding keys', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 64 }), fc.array(fc.integer({ min: 0, max: 200 }).map((k) => k * 64), { minLength: 500, maxLength: 2000, size: 'max' }), (capacity, keys) => {
        const cache = new CacheModel(capacity);
        const reference = new Map<number, true>(); // insertion order = recency, oldest first
        for (const k of keys) {
          const hit = reference.delete(k);
          reference.set(k, true);
          if (reference.size > capacity) reference.delete(reference.keys().next().value as number);
          assert.equal(cache.access(k), hit);
        }
        assert.equal(cache.size, reference.size);
      }),
      { seed: 42, numRuns: 100 },
    );
  });
});
