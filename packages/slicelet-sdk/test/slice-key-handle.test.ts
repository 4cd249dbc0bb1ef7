import assert from 'node:assert/strict';
import { ManualClock, SliceKey } from '@dicer-ts/common';
import fc from 'fast-check';
import { describe, it } from 'mocha';
import { LoadAccumulator, type LoadAccumulatorOptions } from '../src/load/load-accumulator.js';
import { OwnershipSnapshot, ownedSliceLoads } from '../src/ownership.js';
import type { SliceLoadCounter } from '../src/load/slice-load-counter.js';
import { type HandleContext, SliceKeyHandle, ownershipCounters } from '../src/slice-key-handle.js';
import { assignmentOf, key, squidOf } from './fixtures.js';
import type { Assignment } from '@dicer-ts/common';

const A = squidOf('pod-a', 1);
const B = squidOf('pod-b', 2);
const START_MS = 1_700_000_000_000;

/** What the Slicelet does per assignment: re-key the accumulator, then swap the snapshot. */
class Context implements HandleContext {
  ownership = OwnershipSnapshot.EMPTY;
  counters: readonly SliceLoadCounter[] = [];
  countersEpoch = 0;
  readonly clock = new ManualClock(START_MS);
  readonly nowMs = Float64Array.of(START_MS);
  readonly accumulator: LoadAccumulator;
  constructor(options: LoadAccumulatorOptions = {}) {
    this.accumulator = new LoadAccumulator(START_MS, options);
  }
  advance(ms: number): void {
    this.clock.advance(ms);
    this.nowMs[0] = this.clock.nowMs();
  }
  apply(a: Assignment, withCounters = true): void {
    this.accumulator.onAssignmentChanged(a.generation, ownedSliceLoads(a, A), this.clock.nowMs());
    this.ownership = OwnershipSnapshot.create(a, A);
    // Without counters the handle must fall back to the accumulator's own lookup.
    this.counters = withCounters ? ownershipCounters(this.ownership, this.accumulator) : [];
    this.countersEpoch = withCounters ? this.accumulator.assignmentEpoch : -1;
  }
}

const FIRST = assignmentOf(1n, 10n, [{ low: undefined, owners: [A] }, { low: 0x80, owners: [B] }]);
const MOVED_AWAY = assignmentOf(1n, 11n, [{ low: undefined, owners: [B] }]);
const BACK = assignmentOf(1n, 12n, [{ low: undefined, owners: [A] }]);

describe('SliceKeyHandle', () => {
  describe('isAssignedContinuously', () => {
    it('is false for a handle made before any assignment, even once the key is owned', () => {
      const c = new Context();
      const h = new SliceKeyHandle(c, key(0x10));
      assert.equal(h.isAssignedContinuously(), false);
      c.apply(FIRST);
      assert.equal(h.isAssignedContinuously(), false);
      assert.ok(h.startGeneration.isEmpty());
    });

    it('is true for an owned key and false for a key owned elsewhere', () => {
      const c = new Context();
      c.apply(FIRST);
      assert.equal(new SliceKeyHandle(c, key(0x10)).isAssignedContinuously(), true);
      assert.equal(new SliceKeyHandle(c, key(0x90)).isAssignedContinuously(), false);
    });

    it('follows assignment changes: moved away is false, and moving back does not make it true again', () => {
      const c = new Context();
      c.apply(FIRST);
      const h = new SliceKeyHandle(c, key(0x10));
      assert.equal(h.isAssignedContinuously(), true);
      c.apply(MOVED_AWAY);
      assert.equal(h.isAssignedContinuously(), false);
      c.apply(BACK);
      assert.equal(h.isAssignedContinuously(), false);
      assert.equal(new SliceKeyHandle(c, key(0x10)).isAssignedContinuously(), true);
    });

    it('stays true across a newer assignment that leaves the slice generation alone', () => {
      const c = new Context();
      c.apply(FIRST);
      const h = new SliceKeyHandle(c, key(0x10));
      c.apply(assignmentOf(1n, 20n, [{ low: undefined, owners: [A], number: 10n }, { low: 0x80, owners: [B], number: 20n }]));
      assert.equal(h.isAssignedContinuously(), true);
    });

    it('turns false when a new incarnation arrives', () => {
      const c = new Context();
      c.apply(FIRST);
      const h = new SliceKeyHandle(c, key(0x10));
      c.apply(assignmentOf(3n, 1n, [{ low: undefined, owners: [A] }]));
      assert.equal(h.isAssignedContinuously(), false);
    });
  });

  describe('incrementLoadBy', () => {
    it('records to the owned slice and, after the slice moves away, as unattributed load', () => {
      const c = new Context();
      c.apply(FIRST);
      const h = new SliceKeyHandle(c, key(0x10));
      h.incrementLoadBy(5);
      assert.equal(c.accumulator.attributedLoadTotal, 5);
      c.apply(MOVED_AWAY);
      h.incrementLoadBy(7);
      assert.equal(c.accumulator.attributedLoadTotal, 5);
      assert.equal(c.accumulator.unattributedLoadTotal, 7);
      c.apply(BACK);
      h.incrementLoadBy(1);
      assert.equal(c.accumulator.attributedLoadTotal, 6);
    });

    it('records to the same counters when the per-entry counters are stale (accumulator lookup)', () => {
      const c = new Context();
      c.apply(FIRST, false);
      const h = new SliceKeyHandle(c, key(0x10));
      h.incrementLoadBy(5);
      new SliceKeyHandle(c, key(0x90)).incrementLoadBy(2);
      assert.equal(c.accumulator.attributedLoadTotal, 5);
      assert.equal(c.accumulator.unattributedLoadTotal, 2);
    });

    it('records a key in a gap between owned slices as unattributed load', () => {
      const c = new Context();
      c.apply(assignmentOf(1n, 10n, [{ low: undefined, owners: [A] }, { low: 0x40, owners: [B] }, { low: 0x80, owners: [A] }]));
      new SliceKeyHandle(c, key(0x50)).incrementLoadBy(4);
      new SliceKeyHandle(c, key(0x90)).incrementLoadBy(1);
      assert.equal(c.accumulator.unattributedLoadTotal, 4);
      assert.equal(c.accumulator.attributedLoadTotal, 1);
    });

    it('ignores values that are not positive finite numbers', () => {
      const c = new Context();
      const h = new SliceKeyHandle(c, key(0x10));
      for (const v of [0, -1, Number.NaN, Number.POSITIVE_INFINITY]) h.incrementLoadBy(v);
      assert.equal(c.accumulator.unattributedLoadTotal, 0);
    });

    // Area: Slicelet handle hot path. A handle increments its key's top-keys entry directly while
    // the sketch tracks it; the reported load must be what the plain accumulator path reports.
    it('reports exactly what LoadAccumulator.incrementPrimaryRateBy would, across scans and assignment changes', () => {
      const step = fc.oneof(
        fc.record({ kind: fc.constant('inc' as const), key: fc.integer({ min: 0, max: 40 }), value: fc.integer({ min: 1, max: 50 }) }),
        // Hot keys, so that reported top keys depend on every increment reaching the sketch.
        fc.record({ kind: fc.constant('inc' as const), key: fc.integer({ min: 0, max: 2 }), value: fc.integer({ min: 100, max: 500 }) }),
        fc.record({ kind: fc.constant('tick' as const), ms: fc.integer({ min: 1, max: 1_500 }) }),
        fc.record({ kind: fc.constant('assign' as const) }),
      );
      const assignments = [FIRST, MOVED_AWAY, BACK];
      fc.assert(
        fc.property(fc.array(step, { minLength: 200, maxLength: 1_500, size: 'max' }), (steps) => {
          // A coarse sketch scans every ten new keys, forgetting cold ones all the time.
          const options = { topKeysSupport: 0.2, topKeysError: 0.1 };
          const viaHandles = new Context(options);
          const plain = new Context(options);
          const keys = Array.from({ length: 41 }, (_, i) => SliceKey.fromApplicationKey(`k${i}`));
          const handles = new Map<number, SliceKeyHandle>();
          let next = 0;
          for (const st of steps) {
            if (st.kind === 'tick') {
              viaHandles.advance(st.ms);
              plain.advance(st.ms);
            } else if (st.kind === 'assign') {
              if (next < assignments.length) {
                viaHandles.apply(assignments[next]!);
                plain.apply(assignments[next++]!);
              }
            } else {
              let h = handles.get(st.key);
              if (h === undefined) handles.set(st.key, (h = new SliceKeyHandle(viaHandles, keys[st.key]!)));
              h.incrementLoadBy(st.value);
              plain.accumulator.incrementPrimaryRateBy(keys[st.key]!, st.value, plain.nowMs[0]!);
            }
          }
          const nowMs = plain.clock.nowMs() + 1_000;
          assert.deepEqual(viaHandles.accumulator.readLoad(nowMs), plain.accumulator.readLoad(nowMs));
        }),
        { seed: 42, numRuns: 40 },
      );
    });

    it('shows up in the rate reported once a second has passed', () => {
      const c = new Context();
      c.apply(FIRST);
      const h = new SliceKeyHandle(c, key(0x10));
      h.incrementLoadBy(3);
      c.advance(1_000);
      assert.equal(c.accumulator.readLoad(c.clock.nowMs()).attributedLoads[0]!.primaryRateLoad, 3);
    });
  });

  describe('close', () => {
    it('is idempotent and leaves the handle usable', () => {
      const c = new Context();
      c.apply(FIRST);
      const h = new SliceKeyHandle(c, key(0x10));
      h.close();
      h.close();
      assert.equal(h.isClosed, true);
      assert.equal(h.isAssignedContinuously(), true);
    });
  });
});
