/**
 * The state-transfer manager: which annotations a new owner pulls, cancellation when ownership
 * changes again, the concurrency limit, failures as cold starts, and the previous owner's drain;
 * then the whole path through two real Slicelets fed by a scripted Watch server. Pulls go over
 * real gRPC on loopback.
 */
import assert from 'node:assert/strict';
import { ServerCredentials } from '@grpc/grpc-js';
import {
  Assignment,
  Generation,
  ManualClock,
  SYSTEM_CLOCK,
  Slice,
  SliceAssignment,
  SliceKey,
  SliceSet,
  type Squid,
  SubscriberHub,
  Target,
  createDefaultLogger,
} from '@dicer-ts/common';
import { eventually } from '@dicer-ts/test-harness';
import { afterEach, describe, it } from 'mocha';
import { Slicelet } from '../../src/slicelet.js';
import { StateTransferManager } from '../../src/state-transfer/state-transfer-manager.js';
import {
  type IncomingTransfer,
  type StateProvider,
  type StateTransferOptions,
  resolveStateTransferOptions,
} from '../../src/state-transfer/state-transfer-options.js';
import type { StateEntry } from '../../src/state-transfer/transfer-wire.js';
import { SliceletWatchServer } from '../../src/watch-server.js';
import { key, squidOf } from '../fixtures.js';
import { INITIAL_STATE_TRANSFER_STATE, planStateTransfers } from '../../../assigner/src/core/state-transfer.js';
import { commitProposal } from '../../../assigner/src/store/commit-proposal.js';

function utf8(s: string): Uint8Array {
  return new TextEncoder().encode(s);
}

const silent = createDefaultLogger('silent');
const TARGET = 'it-cache';
const A = squidOf('pod-a', 1);
const B = squidOf('pod-b', 2);
const C = squidOf('pod-c', 3);
const INC = 2n;

/** A slice spec: [low, high) owned by `owners`, with optional transfers (owner ← from, id). */
interface Spec {
  readonly low: number | undefined;
  readonly high: number | undefined;
  readonly owners: readonly Squid[];
  readonly transfers?: readonly { readonly owner: Squid; readonly from: Squid; readonly id: number; readonly low?: number; readonly high?: number }[];
}

function bound(b: number | undefined): SliceKey | undefined {
  return b === undefined ? undefined : key(b);
}

function range(low: number | undefined, high: number | undefined): Slice {
  return Slice.create(low === undefined ? Slice.FULL.lowInclusive : key(low), bound(high));
}

function assignment(number: bigint, specs: readonly Spec[]): Assignment {
  return Assignment.create({
    generation: Generation.create(INC, number),
    sliceAssignments: specs.map((s) =>
      SliceAssignment.create({
        slice: range(s.low, s.high),
        generation: Generation.create(INC, number),
        resources: s.owners,
        subsliceAnnotations: (s.transfers ?? []).map((t) => ({
          resource: t.owner,
          annotation: {
            subslice: range(t.low ?? s.low, t.high ?? s.high),
            generationNumber: number,
            stateTransfer: { id: t.id, fromResource: t.from },
          },
        })),
      }),
    ),
  });
}

function owned(a: Assignment, squid: Squid): SliceSet {
  return a.getSliceSetForResource(squid);
}

/** Feeds `a` to `m` as the Slicelet of `squid` would, given what it owned before. */
function feed(m: StateTransferManager, squid: Squid, before: Assignment | undefined, a: Assignment): void {
  m.onAssignment(before === undefined ? SliceSet.EMPTY : owned(before, squid), owned(a, squid), a);
}

function entriesFor(r: Slice, n = 100): StateEntry[] {
  const out: StateEntry[] = [];
  for (let i = 0; i < n; i++) out.push({ key: new TextEncoder().encode(`${r.toString()}/${i}`), value: Uint8Array.of(i) });
  return out;
}

const managers: StateTransferManager[] = [];

async function source(provide: StateProvider, clock = SYSTEM_CLOCK): Promise<StateTransferManager> {
  const m = new StateTransferManager(resolveStateTransferOptions({ provide, listen: { host: '127.0.0.1', port: 0 } }), {
    squid: A,
    target: TARGET,
    clock,
    logger: silent,
  });
  await m.start();
  managers.push(m);
  return m;
}

function receiver(src: StateTransferManager | undefined, receive: (t: IncomingTransfer) => Promise<void>, extra: StateTransferOptions = {}): StateTransferManager {
  const m = new StateTransferManager(
    resolveStateTransferOptions({ receive, resolveAddress: () => `127.0.0.1:${src?.port ?? 1}`, fetchDeadlineMs: 5_000, ...extra }),
    { squid: B, target: TARGET, clock: SYSTEM_CLOCK, logger: silent },
  );
  managers.push(m);
  return m;
}

/** A receiver that keeps every entry, by range. */
function collector(): { received: Map<string, StateEntry[]>; receive: (t: IncomingTransfer) => Promise<void> } {
  const received = new Map<string, StateEntry[]>();
  return {
    received,
    receive: async (t) => {
      const list: StateEntry[] = [];
      received.set(t.range.toString(), list);
      for await (const e of t.entries) list.push(e);
    },
  };
}

afterEach(async () => {
  for (const m of managers.splice(0)) await m.close();
});

const G1 = assignment(10n, [{ low: undefined, high: undefined, owners: [A] }]);
/** B takes [min, 0x80) from A. */
const G2 = assignment(20n, [
  { low: undefined, high: 0x80, owners: [B], transfers: [{ owner: B, from: A, id: 1 }] },
  { low: 0x80, high: undefined, owners: [A] },
]);

describe('StateTransferManager', () => {
  it('pulls a newly acquired annotated range once and counts it; the source drains after serving it', async () => {
    const src = await source((r) => entriesFor(r));
    const { received, receive } = collector();
    const dst = receiver(src, receive);
    feed(src, A, G1, G2);
    assert.equal(src.outgoingIdle, false, 'transfer 1 is expected from A');
    const drained = src.drainOutgoing(10_000);
    feed(dst, B, G1, G2);
    await eventually(() => dst.stats().incoming.completed === 1);
    await drained;
    assert.equal(src.outgoingIdle, true);
    assert.equal(received.get(range(undefined, 0x80).toString())?.length, 100);
    const incoming = dst.stats().incoming;
    assert.deepEqual([incoming.started, incoming.failed, incoming.keys, incoming.active, incoming.queued], [1, 0, 100, 0, 0]);
    assert.equal(incoming.bytes, src.stats().outgoing.bytes);
    assert.equal(src.stats().outgoing.completed, 1);
    assert.deepEqual(dst.recent().map((r) => [r.direction, r.transferId, r.outcome, r.keys]), [['incoming', 1, 'completed', 100]]);
    // The annotation stays in later generations: no second pull.
    const g3 = assignment(30n, [
      { low: undefined, high: 0x80, owners: [B], transfers: [{ owner: B, from: A, id: 1 }] },
      { low: 0x80, high: undefined, owners: [A] },
    ]);
    feed(dst, B, G2, g3);
    assert.equal(dst.stats().incoming.started, 1);
  });

  it('does not pull a range it owned before, nor one annotated for another owner', async () => {
    const src = await source((r) => entriesFor(r));
    const dst = receiver(src, collector().receive);
    const before = assignment(10n, [{ low: undefined, high: undefined, owners: [B] }]);
    feed(dst, B, before, G2);
    const toC = assignment(20n, [{ low: undefined, high: undefined, owners: [B, C], transfers: [{ owner: C, from: A, id: 2 }] }]);
    feed(dst, B, G1, toC);
    assert.deepEqual([dst.stats().incoming.started, dst.stats().incoming.queued], [0, 0]);
  });

  it('pulls only the part that is new when an annotation covers more', async () => {
    const src = await source((r) => entriesFor(r, 1));
    const { received, receive } = collector();
    const dst = receiver(src, receive);
    // B owned [0x40, 0x80) already; the annotation covers [min, 0x80).
    const before = assignment(10n, [
      { low: undefined, high: 0x40, owners: [A] },
      { low: 0x40, high: undefined, owners: [B] },
    ]);
    const after = assignment(20n, [{ low: undefined, high: undefined, owners: [B], transfers: [{ owner: B, from: A, id: 3, high: 0x80 }] }]);
    feed(dst, B, before, after);
    await eventually(() => dst.stats().incoming.completed === 1);
    assert.deepEqual([...received.keys()], [range(undefined, 0x40).toString()]);
  });

  it('cancels a pull when ownership changes again, and the previous owner stops providing', async () => {
    let providerSignal: AbortSignal | undefined;
    const src = await source(async function* (_r, { signal }) {
      providerSignal = signal;
      yield { key: Uint8Array.of(1), value: Uint8Array.of(1) };
      await new Promise((resolve) => signal.addEventListener('abort', resolve, { once: true }));
    });
    const { receive } = collector();
    const dst = receiver(src, receive);
    feed(dst, B, G1, G2);
    await eventually(() => dst.stats().incoming.active === 1 && providerSignal !== undefined);
    const lost = assignment(30n, [{ low: undefined, high: undefined, owners: [C] }]);
    feed(dst, B, G2, lost);
    await eventually(() => dst.stats().incoming.cancelled === 1);
    await eventually(() => providerSignal?.aborted === true, { description: 'the provider sees the cancel' });
    assert.equal(dst.stats().incoming.completed, 0);
  });

  it('runs at most maxConcurrentFetches pulls and drops queued ones whose range is lost', async () => {
    const gates = new Map<string, () => void>();
    const src = await source(async function* (r) {
      await new Promise<void>((resolve) => gates.set(r.toString(), resolve));
      yield* entriesFor(r, 3);
    });
    const { received, receive } = collector();
    const dst = receiver(src, receive, { maxConcurrentFetches: 1 });
    const three = assignment(20n, [
      { low: undefined, high: 0x40, owners: [B], transfers: [{ owner: B, from: A, id: 1 }] },
      { low: 0x40, high: 0x80, owners: [B], transfers: [{ owner: B, from: A, id: 2 }] },
      { low: 0x80, high: undefined, owners: [B], transfers: [{ owner: B, from: A, id: 3 }] },
    ]);
    feed(dst, B, G1, three);
    assert.deepEqual([dst.stats().incoming.active, dst.stats().incoming.queued], [1, 2]);
    // Losing [0x80, ∞) drops the third pull from the queue without starting it.
    const two = assignment(30n, [
      { low: undefined, high: 0x40, owners: [B], transfers: [{ owner: B, from: A, id: 1 }] },
      { low: 0x40, high: 0x80, owners: [B], transfers: [{ owner: B, from: A, id: 2 }] },
      { low: 0x80, high: undefined, owners: [C] },
    ]);
    feed(dst, B, three, two);
    assert.deepEqual([dst.stats().incoming.queued, dst.stats().incoming.cancelled], [1, 1]);
    await eventually(() => gates.has(range(undefined, 0x40).toString()));
    gates.get(range(undefined, 0x40).toString())?.();
    await eventually(() => gates.has(range(0x40, 0x80).toString()));
    assert.equal(dst.stats().incoming.completed, 1);
    gates.get(range(0x40, 0x80).toString())?.();
    await eventually(() => dst.stats().incoming.completed === 2);
    assert.equal(received.size, 2);
    assert.equal(dst.stats().incoming.started, 2);
  });

  it('counts an unreachable previous owner and a throwing receiver as failures, never throwing', async () => {
    const unreachable = receiver(undefined, collector().receive, { fetchDeadlineMs: 2_000 });
    feed(unreachable, B, G1, G2);
    await eventually(() => unreachable.stats().incoming.failed + unreachable.stats().incoming.timedOut === 1);
    const src = await source((r) => entriesFor(r));
    const throwing = receiver(src, async (t) => {
      for await (const _ of t.entries) throw new Error('cache full');
    });
    feed(throwing, B, G1, G2);
    await eventually(() => throwing.stats().incoming.failed === 1);
    assert.equal(throwing.recent()[0]?.outcome, 'failed');
  });

  it('stops waiting for transfers nobody pulls at the drain timeout', async () => {
    const clock = new ManualClock(1_000);
    const src = await source((r) => entriesFor(r), clock);
    feed(src, A, G1, G2);
    let done = false;
    const drained = src.drainOutgoing(5_000).then(() => {
      done = true;
    });
    clock.advance(4_999);
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(done, false);
    clock.advance(1);
    await drained;
    assert.equal(src.outgoingIdle, false);
  });

  it('stops expecting a transfer the Assigner dropped', async () => {
    const src = await source((r) => entriesFor(r));
    feed(src, A, G1, G2);
    assert.equal(src.outgoingIdle, false);
    const dropped = assignment(30n, [
      { low: undefined, high: 0x80, owners: [B] },
      { low: 0x80, high: undefined, owners: [A] },
    ]);
    feed(src, A, G2, dropped);
    assert.equal(src.outgoingIdle, true);
    await src.drainOutgoing(60_000);
  });
});

describe('Slicelet with state transfer', function () {
  this.timeout(20_000);
  const target = Target.parse(TARGET);
  let hub: SubscriberHub | undefined;
  let fakeAssigner: SliceletWatchServer | undefined;
  const slicelets: Slicelet[] = [];

  afterEach(async () => {
    for (const s of slicelets.splice(0)) await s.close();
    hub?.close();
    await fakeAssigner?.close();
  });

  it('moves a slice with its entries from a draining Slicelet to its new owner', async () => {
    hub = new SubscriberHub({ suggestedRpcTimeoutMs: 1_000, redirectAddress: () => undefined });
    fakeAssigner = await SliceletWatchServer.start({
      host: '127.0.0.1',
      port: 0,
      target,
      hub,
      onSyncState: () => undefined,
      rejectOnFatalTargetMismatch: true,
      credentials: ServerCredentials.createInsecure(),
      logger: silent,
    });
    const ports = new Map<string, number>();
    const common = {
      target: TARGET,
      assigner: `127.0.0.1:${fakeAssigner.port}`,
      host: '127.0.0.1',
      watchPort: 'disabled' as const,
      watchTimeoutMs: 1_000,
      logger: silent,
    };
    const store = new Map<string, string>([
      ['a', '1'],
      ['b', '2'],
      ['c', '3'],
    ]);
    const a = await Slicelet.start({
      ...common,
      port: 9101,
      stateTransfer: {
        listen: { host: '127.0.0.1', port: 0 },
        provide: function* () {
          for (const [k, v] of store) yield { key: new TextEncoder().encode(k), value: new TextEncoder().encode(v) };
        },
      },
    });
    slicelets.push(a);
    ports.set(a.squid.toString(), a.stateTransfer?.port as number);
    const warm = new Map<string, string>();
    const b = await Slicelet.start({
      ...common,
      port: 9102,
      stateTransfer: {
        resolveAddress: (s) => `127.0.0.1:${ports.get(s.toString())}`,
        receive: async ({ entries }) => {
          for await (const e of entries) warm.set(new TextDecoder().decode(e.key), new TextDecoder().decode(e.value));
        },
      },
    });
    slicelets.push(b);
    const plain = await Slicelet.start({ ...common, port: 9103 });
    slicelets.push(plain);
    assert.equal(plain.stateTransfer, undefined);

    hub.publish(assignment(10n, [{ low: undefined, high: undefined, owners: [a.squid] }]));
    await eventually(() => a.assignedSlices().length === 1 && b.generation.number === 10n);
    const drained = a.drain({ timeoutMs: 10_000 });
    hub.publish(assignment(20n, [{ low: undefined, high: undefined, owners: [b.squid], transfers: [{ owner: b.squid, from: a.squid, id: 1 }] }]));
    const result = await drained;
    assert.equal(result.kind, 'moved');
    assert.equal(a.stateTransfer?.stats().outgoing.completed, 1, 'the drain waited for the outgoing transfer');
    await eventually(() => b.stateTransfer?.stats().incoming.completed === 1);
    assert.deepEqual([...warm.entries()], [...store.entries()]);
  });
});

describe('Slicelets following the Assigner core plan', function () {
  this.timeout(20_000);
  const target = Target.parse(TARGET);
  let hub: SubscriberHub | undefined;
  let fakeAssigner: SliceletWatchServer | undefined;
  const slicelets: Slicelet[] = [];

  afterEach(async () => {
    for (const s of slicelets.splice(0)) await s.close();
    hub?.close();
    await fakeAssigner?.close();
  });

  it('hands the slices of a terminating pod to the other pod with their entries', async () => {
    hub = new SubscriberHub({ suggestedRpcTimeoutMs: 1_000, redirectAddress: () => undefined });
    fakeAssigner = await SliceletWatchServer.start({
      host: '127.0.0.1',
      port: 0,
      target,
      hub,
      onSyncState: () => undefined,
      rejectOnFatalTargetMismatch: true,
      credentials: ServerCredentials.createInsecure(),
      logger: silent,
    });
    const ports = new Map<string, number>();
    const caches = new Map<string, Map<string, string>>();
    const start = async (port: number): Promise<Slicelet> => {
      const cache = new Map<string, string>();
      const s = await Slicelet.start({
        target: TARGET,
        assigner: `127.0.0.1:${fakeAssigner?.port}`,
        host: '127.0.0.1',
        port,
        watchPort: 'disabled',
        watchTimeoutMs: 1_000,
        logger: silent,
        stateTransfer: {
          listen: { host: '127.0.0.1', port: 0 },
          resolveAddress: (squid) => `127.0.0.1:${ports.get(squid.toString())}`,
          provide: function* (range) {
            for (const [k, v] of cache) if (range.contains(SliceKey.fromApplicationKey(k))) yield { key: utf8(k), value: utf8(v) };
          },
          receive: async ({ entries }) => {
            for await (const e of entries) {
              const k = new TextDecoder().decode(e.key);
              if (!cache.has(k)) cache.set(k, new TextDecoder().decode(e.value));
            }
          },
        },
      });
      slicelets.push(s);
      ports.set(s.squid.toString(), s.stateTransfer?.port as number);
      caches.set(s.squid.toString(), cache);
      return s;
    };
    const a = await start(9201);
    const b = await start(9202);
    const g1 = commitProposal(
      {
        predecessor: undefined,
        slices: [
          { slice: range(undefined, 0x80), resources: [a.squid] },
          { slice: range(0x80, undefined), resources: [b.squid] },
        ],
      },
      Generation.create(INC, 10n),
      false,
    );
    hub.publish(g1);
    await eventually(() => a.generation.number === 10n && b.generation.number === 10n);
    // Each pod caches the keys it owns.
    for (let i = 0; i < 200; i++) {
      const k = `user-${i}`;
      const owner = g1.lookup(SliceKey.fromApplicationKey(k)).resources[0] as Squid;
      caches.get(owner.toString())?.set(k, `v${i}`);
    }
    const aKeys = [...(caches.get(a.squid.toString()) as Map<string, string>).keys()];
    assert.ok(aKeys.length > 0);
    const bKey = [...(caches.get(b.squid.toString()) as Map<string, string>).keys()][0] as string;
    const bHandle = b.createHandle(SliceKey.fromApplicationKey(bKey));
    const drained = a.drain({ timeoutMs: 10_000 });
    // The Assigner sees A terminating and moves everything to B; the core plans the transfer.
    const g2 = commitProposal({ predecessor: g1, slices: [{ slice: Slice.FULL, resources: [b.squid] }] }, Generation.create(INC, 20n), false);
    const plan = planStateTransfers({
      predecessor: g1,
      committed: g2,
      reachability: (s) => (s.equals(a.squid) ? 'terminating' : 'running'),
      nowMs: 0,
      state: INITIAL_STATE_TRANSFER_STATE,
      timeoutMs: 60_000,
    });
    hub.publish(plan.assignment);
    assert.equal((await drained).kind, 'moved');
    await eventually(() => b.stateTransfer?.stats().incoming.completed === 1);
    const bCache = caches.get(b.squid.toString()) as Map<string, string>;
    for (const k of aKeys) assert.equal(bCache.get(k), `v${k.slice('user-'.length)}`);
    assert.equal(bCache.size, 200);
    assert.equal(b.stateTransfer?.stats().incoming.keys, aKeys.length);
    // B owns its old half continuously through the move (its continuity number survived planning).
    assert.equal(b.generation.number, 20n);
    assert.equal(bHandle.isAssignedContinuously(), true);
  });
});
