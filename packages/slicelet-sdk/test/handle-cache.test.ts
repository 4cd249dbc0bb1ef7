import assert from 'node:assert/strict';
import { SliceKey } from '@dicer-ts/common';
import type { Assignment } from '@dicer-ts/common';
import fc from 'fast-check';
import { describe, it } from 'mocha';
import { SliceKeyHandleCache } from '../src/handle-cache.js';
import { LoadAccumulator } from '../src/load/load-accumulator.js';
import type { SliceLoadCounter } from '../src/load/slice-load-counter.js';
import { OwnershipSnapshot, ownedSliceLoads } from '../src/ownership.js';
import { type HandleContext, SliceKeyHandle, ownershipCounters } from '../src/slice-key-handle.js';
import { assignmentOf, key, squidOf } from './fixtures.js';

const A = squidOf('pod-a', 1);
const B = squidOf('pod-b', 2);
const START_MS = 1_700_000_000_000;

/** What the Slicelet does per assignment: re-key the accumulator, then swap the snapshot. */
class Context implements HandleContext {
  ownership = OwnershipSnapshot.EMPTY;
  counters: readonly SliceLoadCounter[] = [];
  countersEpoch = 0;
  readonly nowMs = Float64Array.of(START_MS);
  readonly accumulator = new LoadAccumulator(START_MS);
  apply(a: Assignment): void {
    this.accumulator.onAssignmentChanged(a.generation, ownedSliceLoads(a, A), START_MS);
    this.ownership = OwnershipSnapshot.create(a, A);
    this.counters = ownershipCounters(this.ownership, this.accumulator);
    this.countersEpoch = this.accumulator.assignmentEpoch;
  }
}

const FIRST = assignmentOf(1n, 10n, [{ low: undefined, owners: [A] }, { low: 0x80, owners: [B] }]);
const MOVED_AWAY = assignmentOf(1n, 11n, [{ low: undefined, owners: [B] }]);
const BACK = assignmentOf(1n, 12n, [{ low: undefined, owners: [A] }]);

describe('SliceKeyHandleCache', () => {
  it('returns the same handle for the same key under the same assignment, and distinct handles for distinct keys', () => {
    const c = new Context();
    c.apply(FIRST);
    const cache = new SliceKeyHandleCache(c);
    const h = cache.handleFor(key(0x10));
    assert.equal(cache.handleFor(key(0x10)), h);
    const other = cache.handleFor(key(0x90));
    assert.notEqual(other, h);
    assert.ok(other.key.equals(key(0x90)));
    assert.equal(h.isAssignedContinuously(), true);
    assert.equal(other.isAssignedContinuously(), false);
  });

  it('gives an application-key string the handle of SliceKey.fromApplicationKey, shared with the SliceKey form', () => {
    const c = new Context();
    c.apply(assignmentOf(1n, 10n, [{ low: undefined, owners: [A] }]));
    const cache = new SliceKeyHandleCache(c);
    const fromString = cache.handleForApplicationKey('user-42');
    assert.ok(fromString.key.equals(SliceKey.fromApplicationKey('user-42')));
    assert.equal(cache.handleFor(SliceKey.fromApplicationKey('user-42')), fromString);
    assert.equal(cache.handleForApplicationKey('user-42'), fromString);
    // A non-ASCII key and one longer than the scratch buffer take the same path.
    for (const s of ['clé-ü', 'x'.repeat(300)]) {
      assert.ok(cache.handleForApplicationKey(s).key.equals(SliceKey.fromApplicationKey(s)));
    }
  });

  it('makes a new handle once a newer assignment is applied, and the old one keeps its own start', () => {
    const c = new Context();
    c.apply(FIRST);
    const cache = new SliceKeyHandleCache(c);
    const old = cache.handleForApplicationKey('k');
    const oldStart = old.startGeneration;
    c.apply(MOVED_AWAY);
    c.apply(BACK);
    const fresh = cache.handleForApplicationKey('k');
    assert.notEqual(fresh, old);
    assert.equal(old.startGeneration, oldStart);
    assert.ok(fresh.startGeneration.equals(BACK.generation));
    assert.equal(fresh.isAssignedContinuously(), true);
    // Owned again since 1#12, after its start 1#10: the old request must not count as continuous.
    assert.equal(old.isAssignedContinuously(), false);
  });

  it('empties itself at the first lookup under a newer assignment, so no old handle keeps an old assignment alive', () => {
    const c = new Context();
    c.apply(FIRST);
    const cache = new SliceKeyHandleCache(c);
    for (let i = 0; i < 50; i++) cache.handleForApplicationKey(`k${i}`);
    c.apply(MOVED_AWAY);
    cache.handleFor(key(0x10));
    const slots = Reflect.get(cache, 'slots') as (SliceKeyHandle | undefined)[];
    const kept = slots.filter((h) => h !== undefined);
    assert.equal(kept.length, 1);
    assert.equal(kept[0]!.origin, c.ownership);
    assert.equal((Reflect.get(cache, 'byString') as Map<string, SliceKeyHandle>).size, 0);
  });

  it('hands a closed handle out again with the same key, open and answering as before', () => {
    const c = new Context();
    c.apply(FIRST);
    const cache = new SliceKeyHandleCache(c);
    const h = cache.handleFor(key(0x10));
    h.close();
    assert.equal(h.isClosed, true);
    const again = cache.handleFor(key(0x10));
    assert.equal(again, h);
    assert.equal(again.isClosed, false);
    assert.ok(h.key.equals(key(0x10)));
    assert.equal(h.isAssignedContinuously(), true);
  });

  it('evicts the oldest of five colliding keys and still answers every one correctly', () => {
    const c = new Context();
    c.apply(FIRST);
    const cache = new SliceKeyHandleCache(c, 1); // one set of four: everything collides
    const keys = [0x10, 0x20, 0x30, 0x40, 0x90].map(key);
    const first = keys.map((k) => cache.handleFor(k));
    assert.notEqual(cache.handleFor(keys[0]!), first[0]); // evicted by the fifth
    assert.equal(cache.handleFor(keys[0]!).key.equals(keys[0]!), true);
    first.forEach((h, i) => assert.ok(h.key.equals(keys[i]!)));
  });

  it('rejects a set count that is not a power of two', () => {
    const c = new Context();
    assert.throws(() => new SliceKeyHandleCache(c, 3), /power of two/);
    assert.throws(() => new SliceKeyHandleCache(c, 0), /power of two/);
  });

  it('drops every handle on clear', () => {
    const c = new Context();
    c.apply(FIRST);
    const cache = new SliceKeyHandleCache(c);
    const h = cache.handleForApplicationKey('k');
    cache.clear();
    assert.notEqual(cache.handleForApplicationKey('k'), h);
  });

  // Random create/close/use/assign sequences over a tiny cache (collisions and evictions all the
  // time): every handle ever returned keeps its key and start generation, answers exactly as a
  // handle made without the cache at the same moment, and load lands as recorded.
  it('never lets a handle observe another key or start, whatever the create/close/use order', () => {
    const assignments = [
      FIRST,
      MOVED_AWAY,
      BACK,
      assignmentOf(1n, 13n, [{ low: undefined, owners: [A] }, { low: 0x40, owners: [B] }, { low: 0xc0, owners: [A], number: 13n }]),
      assignmentOf(2n, 1n, [{ low: undefined, owners: [A] }]),
    ];
    const names = ['a', 'b', 'c', 'd', 'e', 'f'];
    const op = fc.oneof(
      fc.record({ kind: fc.constant('create' as const), name: fc.integer({ min: 0, max: names.length - 1 }), asString: fc.boolean() }),
      fc.record({ kind: fc.constant('close' as const), handle: fc.nat() }),
      fc.record({ kind: fc.constant('use' as const), handle: fc.nat(), load: fc.integer({ min: 1, max: 5 }) }),
      fc.record({ kind: fc.constant('assign' as const) }),
    );
    fc.assert(
      fc.property(fc.array(op, { minLength: 10, maxLength: 80, size: 'max' }), fc.constantFrom(1, 2), (ops, sets) => {
        const c = new Context();
        const cache = new SliceKeyHandleCache(c, sets);
        const live: { handle: SliceKeyHandle; model: SliceKeyHandle; name: string }[] = [];
        let next = 0;
        let recorded = 0;
        for (const o of ops) {
          if (o.kind === 'create') {
            const name = names[o.name]!;
            const handle = o.asString ? cache.handleForApplicationKey(name) : cache.handleFor(SliceKey.fromApplicationKey(name));
            assert.equal(handle.isClosed, false);
            live.push({ handle, model: new SliceKeyHandle(c, SliceKey.fromApplicationKey(name)), name });
          } else if (o.kind === 'assign') {
            if (next < assignments.length) c.apply(assignments[next++]!);
          } else if (live.length > 0) {
            const entry = live[o.handle % live.length]!;
            if (o.kind === 'close') entry.handle.close();
            else {
              entry.handle.incrementLoadBy(o.load);
              recorded += o.load;
            }
          }
          for (const { handle, model, name } of live) {
            assert.ok(handle.key.equals(SliceKey.fromApplicationKey(name)));
            assert.ok(handle.startGeneration.equals(model.startGeneration));
            assert.equal(handle.isAssignedContinuously(), model.isAssignedContinuously());
          }
          assert.equal(c.accumulator.attributedLoadTotal + c.accumulator.unattributedLoadTotal, recorded);
        }
      }),
      { seed: 42, numRuns: 300 },
    );
  });
});
