/**
 * Slicelets against the real Assigner over real gRPC on loopback (in-memory store, short timings):
 * joining, covering the key space, ordered events, load reaching the Assigner, Clerks served by
 * the Slicelet, graceful drain, and an Assigner restart.
 */
import assert from 'node:assert/strict';
import {
  type Assignment,
  Generation,
  ManualClock,
  Slice,
  SliceKey,
  SliceSet,
  Target,
  WatchClient,
  createDefaultLogger,
} from '@dicer-ts/common';
import { eventually } from '@dicer-ts/test-harness';
import { afterEach, describe, it } from 'mocha';
import { type AssignmentEvent, Slicelet } from '../src/slicelet.js';
import { type Assigner, TEST_TARGET, startTestAssigner } from './assigner-under-test.js';

const silent = createDefaultLogger('silent');

describe('Slicelet against the Assigner', function () {
  this.timeout(30_000);
  let assigner: Assigner | undefined;
  let slicelets: Slicelet[] = [];
  let watchers: WatchClient[] = [];

  afterEach(async () => {
    for (const w of watchers) await w.close();
    for (const s of slicelets) await s.close();
    await assigner?.close();
    assigner = undefined;
    slicelets = [];
    watchers = [];
  });

  async function startSlicelet(i: number, extra: Partial<Parameters<typeof Slicelet.start>[0]> = {}): Promise<Slicelet> {
    const s = await Slicelet.start({
      target: TEST_TARGET,
      assigner: `127.0.0.1:${assigner!.port}`,
      host: '127.0.0.1',
      port: 9000 + i,
      watchPort: 0,
      watchHost: '127.0.0.1',
      watchTimeoutMs: 1_000,
      logger: silent,
      ...extra,
    });
    slicelets.push(s);
    return s;
  }

  /** Waits until every Slicelet holds the same generation and owns something. */
  async function settled(group: readonly Slicelet[]): Promise<Generation> {
    return eventually(
      () => {
        const g = group[0]!.generation;
        return !g.isEmpty() && group.every((s) => s.generation.equals(g) && s.assignedSlices().length > 0) ? g : undefined;
      },
      { description: 'every Slicelet owning slices of one generation', timeoutMs: 20_000 },
    );
  }

  it('gives three Slicelets disjoint slices that cover the key space', async () => {
    assigner = await startTestAssigner();
    const group = [await startSlicelet(1), await startSlicelet(2), await startSlicelet(3)];
    await settled(group);
    let union = SliceSet.EMPTY;
    for (const s of group) {
      const own = SliceSet.create(s.assignedSlices());
      assert.ok(union.intersection(own).isEmpty(), 'owned slices overlap');
      union = union.union(own);
    }
    assert.ok(union.equals(SliceSet.FULL));
    // Ownership answers follow: a handle on a key is continuous on exactly one Slicelet.
    for (const name of ['user-1', 'user-2', 'user-3', 'user-4']) {
      const k = SliceKey.fromApplicationKey(name);
      assert.equal(group.filter((s) => s.createHandle(k).isAssignedContinuously()).length, 1);
    }
  });

  it('delivers assignment events in generation order whose diffs add up to the owned slices', async () => {
    assigner = await startTestAssigner();
    const first = await startSlicelet(1);
    const events: AssignmentEvent[] = [];
    let inListener = false;
    first.on('assignment', async (e) => {
      assert.equal(inListener, false, 'listener ran concurrently');
      inListener = true;
      events.push(e);
      await new Promise((r) => setImmediate(r));
      inListener = false;
    });
    first.on('assignment', () => {
      throw new Error('a failing listener is logged and swallowed');
    });
    await settled([first]);
    const second = await startSlicelet(2);
    await settled([first, second]);
    await eventually(() => events.at(-1)?.generation.equals(first.generation), { description: 'the last event delivered' });
    for (let i = 1; i < events.length; i++) assert.ok(events[i]!.generation.compare(events[i - 1]!.generation) > 0);
    let replay = SliceSet.EMPTY;
    for (const e of events) replay = replay.subtract(SliceSet.create(e.removed)).union(SliceSet.create(e.added));
    assert.ok(replay.equals(SliceSet.create(first.assignedSlices())));
    assert.ok(events.some((e) => e.removed.length > 0), 'the second Slicelet took slices away');
  });

  it('reports load recorded through handles to the Assigner', async () => {
    assigner = await startTestAssigner();
    const s = await startSlicelet(1);
    await settled([s]);
    // The string form: the application key's handle, shared with the SliceKey form.
    const handle = s.createHandle('hot-user');
    assert.ok(handle.key.equals(SliceKey.fromApplicationKey('hot-user')));
    assert.equal(s.createHandle(SliceKey.fromApplicationKey('hot-user')), handle);
    assert.equal(handle.isAssignedContinuously(), true);
    const a = assigner;
    // The rate counts whole seconds only, so keep recording until a regeneration records the load.
    await eventually(
      () => {
        handle.incrementLoadBy(1_000);
        const latest = a.generatorSnapshots()[0]?.latestAssignment;
        return latest !== undefined && latest.sliceAssignments.some((sa) => (sa.primaryRateLoad ?? 0) > 0);
      },
      { description: 'the Assigner recording the reported load', timeoutMs: 20_000, intervalMs: 50 },
    );
  });

  it('reports a hot key, which the Assigner isolates in a slice of its own', async () => {
    assigner = await startTestAssigner();
    const group = [await startSlicelet(1), await startSlicelet(2)];
    await settled(group);
    const hot = SliceKey.fromApplicationKey('celebrity');
    const cold = Array.from({ length: 50 }, (_, i) => SliceKey.fromApplicationKey(`user-${i}`));
    const a = assigner;
    await eventually(
      () => {
        // Load goes to whichever Slicelet owns the key now, as a server would route it.
        for (const s of group) {
          const h = s.createHandle(hot);
          if (h.isAssignedContinuously()) h.incrementLoadBy(50_000);
          for (const k of cold) {
            const c = s.createHandle(k);
            if (c.isAssignedContinuously()) c.incrementLoadBy(100);
          }
        }
        const latest = a.generatorSnapshots()[0]?.latestAssignment;
        return latest?.sliceAssignments.some((sa) => sa.slice.equals(Slice.singleKey(hot)));
      },
      { description: 'a single-key slice for the hot key', timeoutMs: 20_000, intervalMs: 50 },
    );
  });

  it('serves the assignment to a Clerk watching the Slicelet', async () => {
    assigner = await startTestAssigner();
    const s = await startSlicelet(1);
    const generation = await settled([s]);
    let received: Assignment | undefined;
    watchers.push(
      WatchClient.start({
        address: `127.0.0.1:${s.watchPort}`,
        target: Target.kubernetes(TEST_TARGET),
        subscriberDebugName: `C0-${TEST_TARGET}-test`,
        subscriber: () => ({ kind: 'clerk' }),
        onAssignment: (a) => (received = a),
        logger: silent,
      }),
    );
    const got = await eventually(() => received, { description: 'the Clerk receiving an assignment' });
    assert.ok(got.generation.compare(generation) >= 0);
    assert.ok(SliceSet.create(got.sliceAssignments.filter((sa) => sa.hasResourceAddress(s.squid)).map((sa) => sa.slice)).equals(SliceSet.FULL));
  });

  it('drains: reports TERMINATING, finishes as soon as the slices moved, then stops', async () => {
    assigner = await startTestAssigner();
    const leaving = await startSlicelet(1);
    const staying = await startSlicelet(2);
    await settled([leaving, staying]);
    const removedSeen: AssignmentEvent[] = [];
    leaving.on('assignment', (e) => void removedSeen.push(e));
    const handle = leaving.createHandle(leaving.assignedSlices()[0]!.lowInclusive);
    assert.equal(handle.isAssignedContinuously(), true);
    const result = await leaving.drain({ timeoutMs: 20_000 });
    assert.deepEqual(result, { kind: 'moved' });
    assert.equal(leaving.lifecycle, 'closed');
    assert.equal(leaving.assignedSlices().length, 0);
    assert.equal(handle.isAssignedContinuously(), false);
    // Listeners saw the last slices go before drain resolved.
    assert.equal(removedSeen.at(-1)?.assigned.length, 0);
    const health = assigner.generatorSnapshots()[0]!.health!.resources.find((r) => r.squid.equals(leaving.squid));
    assert.equal(health?.reported, 'terminating');
    await eventually(() => SliceSet.create(staying.assignedSlices()).equals(SliceSet.FULL), { description: 'the other Slicelet owning everything' });
  });

  it('times out a drain when nobody can take the slices', async () => {
    assigner = await startTestAssigner();
    const clock = new ManualClock(Date.now());
    // Only the drain timer runs on the manual clock; the watch uses it too, so move it by hand.
    const only = await startSlicelet(1, { clock });
    const a = assigner;
    await eventually(
      () => {
        clock.advance(100);
        return only.assignedSlices().length > 0;
      },
      { description: 'slices assigned' },
    );
    const draining = only.drain({ timeoutMs: 5_000 });
    await eventually(() => a.generatorSnapshots()[0]?.health?.resources.some((r) => r.reported === 'terminating'), {
      description: 'TERMINATING reported',
    });
    clock.advance(5_000);
    const result = await draining;
    assert.equal(result.kind, 'timed-out');
    assert.ok(result.kind === 'timed-out' && SliceSet.create(result.remaining).equals(SliceSet.FULL));
  });

  it('keeps its assignment and ownership while the Assigner restarts, and hands it to the new one', async () => {
    assigner = await startTestAssigner();
    const port = assigner.port;
    const s = await startSlicelet(1);
    const generation = await settled([s]);
    const handle = s.createHandle(SliceKey.fromApplicationKey('user-9'));
    await assigner.close();
    assigner = undefined;
    assert.equal(handle.isAssignedContinuously(), true);
    assert.ok(s.generation.equals(generation));
    assigner = await startTestAssigner(port);
    const restarted = assigner;
    // The Slicelet's known_assignment lets the in-memory Assigner recover the assignment.
    await eventually(
      () => {
        const known = restarted.generatorSnapshots()[0]?.latestAssignment?.generation;
        return known !== undefined && known.compare(generation) >= 0;
      },
      { description: 'the new Assigner knowing the assignment', timeoutMs: 20_000 },
    );
    assert.equal(handle.isAssignedContinuously(), true);
    assert.ok(SliceSet.create(s.assignedSlices()).equals(SliceSet.FULL));
  });
});
