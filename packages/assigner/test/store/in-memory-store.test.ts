import assert from 'node:assert/strict';
import {
  ClosedError,
  Generation,
  InvalidArgumentError,
  ManualClock,
  Slice,
  SliceKey,
  Target,
  createTestSquid,
  type Assignment,
} from '@dicer-ts/common';
import { InMemoryStore } from '../../src/store/in-memory-store.js';
import type { ProposedAssignmentSlice } from '../../src/store/store.js';

const target = Target.kubernetes('demo-cache');
const other = Target.app('demo-app', 'instance-a');
const pod1 = createTestSquid('https://pod1');
const pod2 = createTestSquid('https://pod2');
const mid = SliceKey.fromBytes(new Uint8Array([0x80]));

function twoSlices(a = pod1, b = pod2): ProposedAssignmentSlice[] {
  return [
    { slice: Slice.create(SliceKey.MIN, mid), resources: [a] },
    { slice: Slice.atLeast(mid), resources: [b] },
  ];
}

async function flush(): Promise<void> {
  await new Promise<void>((resolve) => setImmediate(resolve));
}

describe('InMemoryStore', () => {
  let clock: ManualClock;
  let store: InMemoryStore;

  beforeEach(() => {
    clock = new ManualClock(1_735_689_600_000);
    store = new InMemoryStore({ clock });
  });

  describe('constructor', () => {
    it('rejects a non-loose incarnation', () => {
      assert.throws(() => new InMemoryStore({ storeIncarnation: 2n }), InvalidArgumentError);
    });

    it('accepts an odd incarnation', () => {
      assert.equal(new InMemoryStore({ storeIncarnation: 3n }).storeIncarnation, 3n);
    });
  });

  describe('writeAssignment', () => {
    it('commits a first assignment at (incarnation, now)', async () => {
      const result = await store.writeAssignment(target, false, { predecessor: undefined, slices: twoSlices() });
      assert.equal(result.kind, 'committed');
      const a = (result as { assignment: Assignment }).assignment;
      assert.ok(a.generation.equals(Generation.create(0n, 1_735_689_600_000n)));
      assert.equal(a.sliceAssignments.length, 2);
      assert.ok(a.sliceAssignments.every((s) => s.generation.equals(a.generation)));
      assert.ok(store.getLatestKnownAssignment(target)?.generation.equals(a.generation));
    });

    it('fails the compare-and-swap when a first write finds an assignment', async () => {
      await store.writeAssignment(target, false, { predecessor: undefined, slices: twoSlices() });
      const first = store.getLatestKnownAssignment(target)!;
      const result = await store.writeAssignment(target, false, { predecessor: undefined, slices: twoSlices() });
      assert.deepEqual(result, { kind: 'occ-failure', existingGeneration: first.generation });
    });

    it('fails the compare-and-swap on a stale predecessor', async () => {
      const r1 = await store.writeAssignment(target, false, { predecessor: undefined, slices: twoSlices() });
      const a1 = (r1 as { assignment: Assignment }).assignment;
      clock.advance(1000);
      const r2 = await store.writeAssignment(target, false, { predecessor: a1, slices: twoSlices(pod2, pod1) });
      assert.equal(r2.kind, 'committed');
      const r3 = await store.writeAssignment(target, false, { predecessor: a1, slices: twoSlices() });
      assert.equal(r3.kind, 'occ-failure');
    });

    it('picks a generation above the predecessor when the clock has not moved', async () => {
      const r1 = await store.writeAssignment(target, false, { predecessor: undefined, slices: twoSlices() });
      const a1 = (r1 as { assignment: Assignment }).assignment;
      const r2 = await store.writeAssignment(target, false, { predecessor: a1, slices: twoSlices() });
      const a2 = (r2 as { assignment: Assignment }).assignment;
      assert.equal(a2.generation.number, a1.generation.number + 1n);
    });

    it('keeps the generation of an unchanged slice and refreshes its load', async () => {
      const r1 = await store.writeAssignment(target, false, { predecessor: undefined, slices: twoSlices() });
      const a1 = (r1 as { assignment: Assignment }).assignment;
      clock.advance(60_000);
      const slices = twoSlices().map((s, i) => (i === 0 ? { ...s, primaryRateLoad: 5 } : { ...s, resources: [pod1] }));
      const r2 = await store.writeAssignment(target, false, { predecessor: a1, slices });
      const a2 = (r2 as { assignment: Assignment }).assignment;
      const [s0, s1] = a2.sliceAssignments;
      assert.ok(s0!.generation.equals(a1.generation));
      assert.equal(s0!.primaryRateLoad, 5);
      assert.ok(s1!.generation.equals(a2.generation));
    });

    it('annotates the part of a changed slice a resource kept, with the start of its ownership', async () => {
      const r1 = await store.writeAssignment(target, false, {
        predecessor: undefined,
        slices: [{ slice: Slice.FULL, resources: [pod1] }],
      });
      const a1 = (r1 as { assignment: Assignment }).assignment;
      clock.advance(60_000);
      const r2 = await store.writeAssignment(target, false, { predecessor: a1, slices: twoSlices() });
      const a2 = (r2 as { assignment: Assignment }).assignment;
      const left = a2.sliceAssignments[0]!;
      assert.ok(left.generation.equals(a2.generation));
      const annotations = left.annotationsFor(pod1);
      assert.equal(annotations.length, 1);
      assert.ok(annotations[0]!.subslice.equals(left.slice));
      assert.equal(annotations[0]!.generationNumber, a1.generation.number);
      assert.equal(a2.sliceAssignments[1]!.annotationsFor(pod2).length, 0);
    });

    it('freezes the assignment when asked', async () => {
      const r = await store.writeAssignment(target, true, { predecessor: undefined, slices: twoSlices() });
      assert.equal((r as { assignment: Assignment }).assignment.isFrozen, true);
    });

    it('keeps targets apart', async () => {
      await store.writeAssignment(target, false, { predecessor: undefined, slices: twoSlices() });
      assert.equal(store.getLatestKnownAssignment(other), undefined);
      const r = await store.writeAssignment(other, false, { predecessor: undefined, slices: twoSlices() });
      assert.equal(r.kind, 'committed');
    });

    it('rejects a write after close', async () => {
      await store.close();
      await assert.rejects(store.writeAssignment(target, false, { predecessor: undefined, slices: twoSlices() }), ClosedError);
    });
  });

  describe('watchAssignments', () => {
    it('delivers the current assignment and then each newer one', async () => {
      const seen: Generation[] = [];
      const r1 = await store.writeAssignment(target, false, { predecessor: undefined, slices: twoSlices() });
      store.watchAssignments(target, (a) => seen.push(a.generation));
      assert.equal(seen.length, 0, 'never synchronously');
      await flush();
      assert.equal(seen.length, 1);
      clock.advance(1000);
      await store.writeAssignment(target, false, { predecessor: (r1 as { assignment: Assignment }).assignment, slices: twoSlices() });
      await flush();
      assert.equal(seen.length, 2);
      assert.ok(seen[1]!.compare(seen[0]!) > 0);
    });

    it('stops after cancel', async () => {
      const seen: Generation[] = [];
      const cancel = store.watchAssignments(target, (a) => seen.push(a.generation));
      cancel();
      await store.writeAssignment(target, false, { predecessor: undefined, slices: twoSlices() });
      await flush();
      assert.equal(seen.length, 0);
    });
  });

  describe('informAssignment', () => {
    it('adopts a newer assignment of its own incarnation and tells watchers', async () => {
      const elsewhere = new InMemoryStore({ clock });
      clock.advance(5000);
      const r = await elsewhere.writeAssignment(target, false, { predecessor: undefined, slices: twoSlices() });
      const seen: Generation[] = [];
      store.watchAssignments(target, (a) => seen.push(a.generation));
      store.informAssignment(target, (r as { assignment: Assignment }).assignment);
      await flush();
      assert.equal(seen.length, 1);
      assert.ok(store.getLatestKnownAssignment(target) !== undefined);
    });

    it('ignores an assignment of another incarnation', async () => {
      const odd = new InMemoryStore({ clock, storeIncarnation: 1n });
      const r = await odd.writeAssignment(target, false, { predecessor: undefined, slices: twoSlices() });
      store.informAssignment(target, (r as { assignment: Assignment }).assignment);
      assert.equal(store.getLatestKnownAssignment(target), undefined);
    });

    it('ignores an older assignment', async () => {
      const r1 = await store.writeAssignment(target, false, { predecessor: undefined, slices: twoSlices() });
      const a1 = (r1 as { assignment: Assignment }).assignment;
      clock.advance(1000);
      const r2 = await store.writeAssignment(target, false, { predecessor: a1, slices: twoSlices(pod2, pod1) });
      store.informAssignment(target, a1);
      assert.ok(store.getLatestKnownAssignment(target)!.generation.equals((r2 as { assignment: Assignment }).assignment.generation));
    });
  });
});
