import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  type Assignment,
  DiffAssignment,
  Generation,
  ResourceAddress,
  Slice,
  type SliceAssignment,
  SliceKey,
  Squid,
} from '@dicer-ts/common';
import {
  INITIAL_STATE_TRANSFER_STATE,
  type SourceReachability,
  type StateTransferResult,
  type StateTransferState,
  planStateTransfers,
  reachabilityFromHealth,
} from '../../src/core/state-transfer.js';
import { StateTransferPlanner } from '../../src/core/state-transfer-planner.js';
import { commitProposal } from '../../src/store/commit-proposal.js';
import type { ProposedAssignmentSlice } from '../../src/store/store.js';

const INCARNATION = 2n;
const TIMEOUT_MS = 100_000;

function uuid(n: number): string {
  return `00000000-0000-4000-8000-${n.toString(16).padStart(12, '0')}`;
}

function squid(pod: number, uuidOf = pod): Squid {
  return Squid.create(ResourceAddress.create(`https://pod${pod}:8080`), 1000n, uuid(uuidOf));
}

/** Pods 0–3, and pod 0 restarted (same address, new UUID). */
const PODS = [squid(0), squid(1), squid(2), squid(3), squid(0, 100)];

function key(byte: number): SliceKey {
  return SliceKey.fromBytes(Uint8Array.of(byte));
}

/** Proposed slices cut at `bounds` (sorted unique bytes), owners by pod index. */
function proposal(bounds: readonly number[], owners: readonly (readonly number[])[]): ProposedAssignmentSlice[] {
  const lows = [SliceKey.MIN, ...bounds.map(key)];
  return lows.map((low, i) => ({
    slice: Slice.create(low, i + 1 < lows.length ? lows[i + 1] : undefined),
    resources: (owners[i] as readonly number[]).map((p) => PODS[p] as Squid),
  }));
}

function commit(predecessor: Assignment | undefined, slices: ProposedAssignmentSlice[], number: bigint): Assignment {
  return commitProposal({ predecessor, slices }, Generation.create(INCARNATION, number), false);
}

function reach(map: Record<number, SourceReachability>): (s: Squid) => SourceReachability {
  return (s) => {
    const i = PODS.findIndex((p) => p.equals(s));
    return map[i] ?? 'unreachable';
  };
}

function plan(
  predecessor: Assignment | undefined,
  committed: Assignment,
  reachability: Record<number, SourceReachability>,
  nowMs: number,
  state: StateTransferState = INITIAL_STATE_TRANSFER_STATE,
): StateTransferResult {
  return planStateTransfers({ predecessor, committed, reachability: reach(reachability), nowMs, state, timeoutMs: TIMEOUT_MS });
}

/** Every transfer annotation: (slice assignment, owner, subslice, id, source). */
function transfers(a: Assignment): { sa: SliceAssignment; owner: Squid; subslice: Slice; id: number; from: Squid; generationNumber: bigint }[] {
  return a.sliceAssignments.flatMap((sa) =>
    sa.flatAnnotations().flatMap(({ resource, annotation }) =>
      annotation.stateTransfer === undefined
        ? []
        : [{ sa, owner: resource, subslice: annotation.subslice, id: annotation.stateTransfer.id, from: annotation.stateTransfer.fromResource, generationNumber: annotation.generationNumber }],
    ),
  );
}

/** Dicer's continuity rule: the owner's annotation covering `k`, else the slice generation number. */
function sinceNumber(sa: SliceAssignment, owner: Squid, k: SliceKey): bigint {
  return sa.annotationsFor(owner).find((a) => a.subslice.contains(k))?.generationNumber ?? sa.generation.number;
}

/** Keys where anything can change: every slice and annotation bound of both assignments. */
function sampleKeys(...as: Assignment[]): SliceKey[] {
  const keys: SliceKey[] = [];
  for (const a of as) {
    for (const sa of a.sliceAssignments) {
      keys.push(sa.slice.lowInclusive);
      for (const { annotation } of sa.flatAnnotations()) keys.push(annotation.subslice.lowInclusive);
    }
  }
  return keys;
}

describe('planStateTransfers', () => {
  it('annotates the new owner of a slice moved from a running pod', () => {
    const g1 = commit(undefined, proposal([0x80], [[0], [1]]), 1000n);
    const g2 = commit(g1, proposal([0x80], [[2], [1]]), 2000n);
    const r = plan(g1, g2, { 0: 'running', 1: 'running', 2: 'running' }, 5000);
    const [t, ...rest] = transfers(r.assignment);
    assert.equal(rest.length, 0);
    assert.ok(t !== undefined);
    assert.ok(t.owner.equals(PODS[2] as Squid));
    assert.ok(t.from.equals(PODS[0] as Squid));
    assert.ok(t.subslice.equals(Slice.create(SliceKey.MIN, key(0x80))));
    assert.equal(t.generationNumber, 2000n);
    assert.deepEqual(r.counts, { created: 1, kept: 0, expired: 0, abandoned: 0 });
    assert.equal(r.nextExpiryMs, 5000 + TIMEOUT_MS);
    assert.equal(r.state.issuedAtMs.get(t.id), 5000);
  });

  it('annotates nothing when the previous owner crashed', () => {
    const g1 = commit(undefined, proposal([0x80], [[0], [1]]), 1000n);
    const g2 = commit(g1, proposal([0x80], [[2], [1]]), 2000n);
    const r = plan(g1, g2, { 1: 'running', 2: 'running' }, 5000);
    assert.equal(r.assignment, g2);
    assert.equal(r.nextExpiryMs, undefined);
  });

  it('takes from a terminating pod and prefers a running replica', () => {
    const g1 = commit(undefined, proposal([], [[0, 1]]), 1000n);
    const g2 = commit(g1, proposal([], [[1, 2]]), 2000n);
    const onlyTerminating = transfers(plan(g1, g2, { 0: 'terminating', 2: 'running' }, 0).assignment);
    assert.deepEqual(onlyTerminating.map((t) => t.from.toString()), [(PODS[0] as Squid).toString()]);
    const both = transfers(plan(g1, g2, { 0: 'terminating', 1: 'running', 2: 'running' }, 0).assignment);
    assert.deepEqual(both.map((t) => t.from.toString()), [(PODS[1] as Squid).toString()]);
  });

  it('never transfers to a restarted pod from its own address', () => {
    const g1 = commit(undefined, proposal([], [[0]]), 1000n);
    const g2 = commit(g1, proposal([], [[4]]), 2000n);
    assert.equal(plan(g1, g2, { 0: 'terminating', 4: 'running' }, 0).assignment, g2);
  });

  it('keeps a transfer through a periodic rewrite and removes it after the timeout, keeping continuity', () => {
    const g1 = commit(undefined, proposal([0x80], [[0], [1]]), 1000n);
    const g2 = commit(g1, proposal([0x80], [[2], [1]]), 2000n);
    const health = { 0: 'terminating', 1: 'running', 2: 'running' } as const;
    const r2 = plan(g1, g2, health, 0);
    const g3 = commit(r2.assignment, proposal([0x80], [[2], [1]]), 3000n);
    const r3 = plan(r2.assignment, g3, health, TIMEOUT_MS - 1, r2.state);
    assert.equal(r3.assignment, g3, 'an unchanged slice keeps its transfer as committed');
    assert.equal(transfers(r3.assignment).length, 1);
    assert.deepEqual(r3.counts, { created: 0, kept: 1, expired: 0, abandoned: 0 });
    const g4 = commit(r3.assignment, proposal([0x80], [[2], [1]]), 4000n);
    const r4 = plan(r3.assignment, g4, health, TIMEOUT_MS, r3.state);
    assert.equal(transfers(r4.assignment).length, 0);
    assert.deepEqual(r4.counts, { created: 0, kept: 0, expired: 1, abandoned: 0 });
    assert.equal(r4.state.issuedAtMs.size, 0);
    const moved = r4.assignment.sliceAssignments[0] as SliceAssignment;
    assert.equal(moved.generation.number, 4000n, 'the slice whose annotations changed gets the new generation');
    assert.equal(sinceNumber(moved, PODS[2] as Squid, SliceKey.MIN), 2000n, 'the owner is still continuous since 2000');
  });

  it('drops a transfer whose source stopped being reachable', () => {
    const g1 = commit(undefined, proposal([], [[0]]), 1000n);
    const g2 = commit(g1, proposal([], [[1]]), 2000n);
    const r2 = plan(g1, g2, { 0: 'terminating', 1: 'running' }, 0);
    assert.equal(transfers(r2.assignment).length, 1);
    const g3 = commit(r2.assignment, proposal([], [[1]]), 3000n);
    const r3 = plan(r2.assignment, g3, { 1: 'running' }, 10, r2.state);
    assert.equal(transfers(r3.assignment).length, 0);
    assert.deepEqual(r3.counts, { created: 0, kept: 0, expired: 0, abandoned: 1 });
  });

  it('splits a kept transfer with a fresh id per piece and the original issue time', () => {
    const g1 = commit(undefined, proposal([], [[0]]), 1000n);
    const g2 = commit(g1, proposal([], [[1]]), 2000n);
    const health = { 0: 'running', 1: 'running' } as const;
    const r2 = plan(g1, g2, health, 7);
    const g3 = commit(r2.assignment, proposal([0x40, 0xc0], [[1], [1], [1]]), 3000n);
    const r3 = plan(r2.assignment, g3, health, 50, r2.state);
    const ts = transfers(r3.assignment);
    assert.equal(ts.length, 3);
    assert.equal(new Set(ts.map((t) => t.id)).size, 3);
    assert.deepEqual(ts.map((t) => r3.state.issuedAtMs.get(t.id)), [7, 7, 7]);
    assert.deepEqual(ts.map((t) => t.generationNumber), [2000n, 2000n, 2000n]);
  });

  it('does nothing without a predecessor in the same incarnation', () => {
    const g1 = commit(undefined, proposal([], [[0]]), 1000n);
    const other = commitProposal({ predecessor: undefined, slices: proposal([], [[1]]) }, Generation.create(4n, 1n), false);
    assert.equal(plan(g1, other, { 0: 'running', 1: 'running' }, 0).assignment, other);
    assert.equal(plan(undefined, g1, { 0: 'running' }, 0).assignment, g1);
  });

  it('rejects a non-positive timeout', () => {
    const g1 = commit(undefined, proposal([], [[0]]), 1000n);
    assert.throws(() => planStateTransfers({ predecessor: g1, committed: g1, reachability: () => 'running', nowMs: 0, state: INITIAL_STATE_TRANSFER_STATE, timeoutMs: 0 }));
  });

  it('keeps every invariant through random histories', () => {
    const step = fc.record({
      bounds: fc.uniqueArray(fc.integer({ min: 1, max: 254 }), { maxLength: 4 }).map((b) => [...b].sort((x, y) => x - y)),
      owners: fc.array(fc.uniqueArray(fc.integer({ min: 0, max: PODS.length - 1 }), { minLength: 1, maxLength: 3 }), { minLength: 5, maxLength: 5 }),
      health: fc.array(fc.constantFrom<SourceReachability>('running', 'terminating', 'unreachable'), { minLength: PODS.length, maxLength: PODS.length }),
      advanceMs: fc.integer({ min: 0, max: 60_000 }),
    });
    fc.assert(
      fc.property(fc.array(step, { minLength: 2, maxLength: 8 }), (steps) => {
        let previous: Assignment | undefined;
        let state = INITIAL_STATE_TRANSFER_STATE;
        let nowMs = 1_000_000;
        steps.forEach((s, n) => {
          nowMs += s.advanceMs;
          const health = Object.fromEntries(s.health.map((h, i) => [i, h])) as Record<number, SourceReachability>;
          const committed = commit(previous, proposal(s.bounds, s.owners), BigInt(1000 * (n + 1)));
          const r = plan(previous, committed, health, nowMs, state);
          const a = r.assignment;
          // Valid on the wire (decoding re-checks every §2.5 invariant).
          DiffAssignment.fromProto(a.toDiff(Generation.EMPTY).toProto());
          // Same slices, owners and loads as committed.
          assert.equal(a.sliceAssignments.length, committed.sliceAssignments.length);
          a.sliceAssignments.forEach((sa, i) => {
            const c = committed.sliceAssignments[i] as SliceAssignment;
            assert.ok(sa.slice.equals(c.slice));
            assert.deepEqual(sa.resources.map(String), c.resources.map(String));
            assert.ok(sa.generation.compare(a.generation) <= 0);
          });
          // Continuity unchanged for every owner at every key where it could change.
          for (const k of sampleKeys(a, committed)) {
            const sa = a.lookup(k);
            const c = committed.lookup(k);
            for (const owner of sa.resources) assert.equal(sinceNumber(sa, owner, k), sinceNumber(c, owner, k));
          }
          const ts = transfers(a);
          assert.equal(new Set(ts.map((t) => t.id)).size, ts.length, 'ids are unique');
          for (const t of ts) {
            assert.notEqual(health[PODS.findIndex((p) => p.equals(t.from))], 'unreachable', 'no transfer from an unreachable pod');
            assert.ok(!t.from.resourceAddress.equals(t.owner.resourceAddress));
            const issued = r.state.issuedAtMs.get(t.id);
            assert.ok(issued !== undefined && nowMs < issued + TIMEOUT_MS, 'no transfer outlives its timeout');
            // The owner did not hold the piece continuously before the transfer was issued.
            assert.ok(t.id > 0);
          }
          // Every key newly held from a reachable pod on another address is covered by a transfer.
          if (previous !== undefined) {
            const prev = previous;
            for (const k of sampleKeys(a, committed, prev)) {
              const sa = a.lookup(k);
              const p = prev.lookup(k);
              for (const owner of sa.resources) {
                if (p.hasResource(owner)) continue;
                const hasSource = p.resources.some(
                  (s) => !s.resourceAddress.equals(owner.resourceAddress) && health[PODS.findIndex((q) => q.equals(s))] !== 'unreachable',
                );
                const covered = sa.annotationsFor(owner).some((x) => x.stateTransfer !== undefined && x.subslice.contains(k));
                assert.equal(covered, hasSource, `key ${k} owner ${owner}`);
              }
            }
          }
          previous = a;
          state = r.state;
        });
      }),
      { seed: 42, numRuns: 300 },
    );
  });
});

describe('reachabilityFromHealth', () => {
  it('maps running and terminating by exact SQUID, everything else to unreachable', () => {
    const f = reachabilityFromHealth({
      resources: [
        { squid: PODS[0] as Squid, reported: 'running', computed: 'running', expiresAtMs: 1 },
        { squid: PODS[1] as Squid, reported: 'terminating', computed: 'terminating', expiresAtMs: 1 },
        { squid: PODS[2] as Squid, reported: 'not-ready', computed: 'not-ready', expiresAtMs: 1 },
      ],
    });
    assert.deepEqual(PODS.map(f), ['running', 'terminating', 'unreachable', 'unreachable', 'unreachable']);
    assert.equal(reachabilityFromHealth(undefined)(PODS[0] as Squid), 'unreachable');
  });
});

describe('StateTransferPlanner', () => {
  it('adopts a plan only when its assignment is committed', () => {
    const planner = new StateTransferPlanner({ timeoutMs: TIMEOUT_MS });
    const g1 = commit(undefined, proposal([], [[0]]), 1000n);
    const g2 = commit(g1, proposal([], [[1]]), 2000n);
    const health = reach({ 0: 'terminating', 1: 'running' });
    // A plan whose write lost the compare-and-swap: nothing adopted.
    const lost = planner.finalizer(g1, health, 10)(g2);
    assert.equal(transfers(lost).length, 1);
    planner.onCommitted(g1);
    assert.equal(planner.inFlight, 0);
    // The retried plan commits.
    const won = planner.finalizer(g1, health, 20)(g2);
    planner.onCommitted(won);
    assert.equal(planner.inFlight, 1);
    assert.equal(planner.nextExpiryMs, 20 + TIMEOUT_MS);
    assert.deepEqual(planner.lastCounts, { created: 1, kept: 0, expired: 0, abandoned: 0 });
    // After the timeout the next commit removes it.
    const g3 = commit(won, proposal([], [[1]]), 3000n);
    planner.onCommitted(planner.finalizer(won, health, 20 + TIMEOUT_MS)(g3));
    assert.equal(planner.inFlight, 0);
    assert.equal(planner.nextExpiryMs, undefined);
  });
});
