import assert from 'node:assert/strict';
import { describe, it } from 'mocha';
import fc from 'fast-check';
import { ManualClock } from '../../src/clock.js';
import { Generation } from '../../src/model/generation.js';
import { SeededRandom } from '../../src/random.js';
import {
  type ApplyDiffOutcome,
  type AssignmentSyncAction,
  type AssignmentSyncResult,
  AssignmentSyncStateMachine,
  type ReceivedSyncState,
  type WatchResponse,
} from '../../src/watch/assignment-sync-state-machine.js';

/** A stand-in assignment: only the generation matters to the machine. */
interface FakeAssignment {
  readonly generation: Generation;
}
/** A stand-in diff: full when `base` is undefined, else partial against `base`. */
interface FakeDiff {
  readonly generation: Generation;
  readonly base?: Generation;
}

/** Mirrors `Assignment.fromDiff`'s outcomes (protocol.md §2.6) on the stand-ins. */
function applyFake(known: FakeAssignment | undefined, diff: FakeDiff): ApplyDiffOutcome<FakeAssignment> {
  if (known !== undefined && known.generation.compare(diff.generation) > 0) return { kind: 'unused', reason: 'TOO_STALE_DIFF' };
  if (known !== undefined && known.generation.equals(diff.generation)) return { kind: 'unused', reason: 'DIFF_MATCHES_KNOWN' };
  if (diff.base !== undefined) {
    if (known === undefined) return { kind: 'unused', reason: 'NO_KNOWN' };
    if (known.generation.compare(diff.base) < 0) return { kind: 'unused', reason: 'TOO_STALE_KNOWN' };
  }
  return { kind: 'applied', assignment: { generation: diff.generation } };
}

const gen = (n: number) => Generation.create(2n, BigInt(n));
const full = (n: number): ReceivedSyncState<FakeDiff> => ({ kind: 'known-assignment', diff: { generation: gen(n) } });
const knownGen = (n: number): ReceivedSyncState<FakeDiff> => ({
  kind: 'known-generation',
  generation: n === 0 ? Generation.EMPTY : gen(n),
});
const resp = (syncState: ReceivedSyncState<FakeDiff>, redirect?: string, timeoutMs = 5000): WatchResponse<FakeDiff> => ({
  syncState,
  suggestedRpcTimeoutMs: timeoutMs,
  redirectAddress: redirect,
});

type Send = Extract<AssignmentSyncAction<FakeAssignment>, { kind: 'send' }>;
const sends = (r: AssignmentSyncResult<FakeAssignment>): Send[] => r.actions.filter((a): a is Send => a.kind === 'send');
const published = (r: AssignmentSyncResult<FakeAssignment>) =>
  r.actions.flatMap((a) => (a.kind === 'publish' ? [a.assignment.generation] : []));
const onlySend = (r: AssignmentSyncResult<FakeAssignment>): Send => {
  const s = sends(r);
  assert.equal(s.length, 1, `expected exactly one send, got ${JSON.stringify(r.actions.map((a) => a.kind))}`);
  return s[0] as Send;
};

function machine(u = 0.5) {
  return new AssignmentSyncStateMachine<FakeAssignment, FakeDiff>({ applyDiff: applyFake, random: { next: () => u } });
}

describe('AssignmentSyncStateMachine', () => {
  describe('when started', () => {
    it('sends known_generation EMPTY to the configured address with the 5 s timeout', () => {
      const clock = new ManualClock(1000);
      const m = machine();
      const r = m.onAdvance(clock.nowMs());
      const s = onlySend(r);
      assert.equal(s.opId, 1);
      assert.equal(s.address, undefined);
      assert.equal(s.timeoutMs, 5000);
      assert.deepEqual(s.syncState, { kind: 'known-generation', generation: Generation.EMPTY });
      assert.equal(r.wakeAtMs, 6000);
    });

    it('does not send a second request while one is outstanding', () => {
      const m = machine();
      m.onAdvance(0);
      assert.equal(sends(m.onAdvance(4999)).length, 0);
    });

    it('rejects an initial watch timeout below 1 s', () => {
      assert.throws(
        () => new AssignmentSyncStateMachine<FakeAssignment, FakeDiff>({ applyDiff: applyFake, random: new SeededRandom(1), initialWatchTimeoutMs: 999 }),
        /initialWatchTimeoutMs must be at least 1000, got 999/,
      );
    });
  });

  describe('on a response to the outstanding op', () => {
    it('publishes a newer assignment and sends again at once with its generation', () => {
      const m = machine();
      m.onAdvance(0);
      const r = m.onEvent({ kind: 'response', opId: 1, response: resp(full(10)) }, 100);
      assert.deepEqual(published(r), [gen(10)]);
      const s = onlySend(r);
      assert.equal(s.opId, 2);
      assert.deepEqual(s.syncState, { kind: 'known-generation', generation: gen(10) });
      assert.ok(r.actions[0]?.kind === 'publish', 'publishes before sending');
      assert.equal(m.status().connected, true);
      assert.equal(m.status().lastSuccessAtMs, 100);
    });

    it('adopts the suggested timeout for the next request and its local deadline', () => {
      const m = machine();
      m.onAdvance(0);
      const r = m.onEvent({ kind: 'response', opId: 1, response: resp(knownGen(0), undefined, 8000) }, 100);
      assert.equal(onlySend(r).timeoutMs, 8000);
      assert.equal(r.wakeAtMs, 8100);
    });

    it('does not publish an assignment that is not newer', () => {
      const m = machine();
      m.onAdvance(0);
      m.onEvent({ kind: 'response', opId: 1, response: resp(full(10)) }, 1);
      const r = m.onEvent({ kind: 'response', opId: 2, response: resp(full(9)) }, 2);
      assert.deepEqual(published(r), []);
      assert.ok(m.latestAssignment?.generation.equals(gen(10)));
    });

    it('remembers the generation of an unusable diff as what the server knows', () => {
      const m = machine();
      m.onAdvance(0);
      // A partial diff with no known assignment is unusable (NO_KNOWN) ...
      m.onEvent({ kind: 'response', opId: 1, response: resp({ kind: 'known-assignment', diff: { generation: gen(10), base: gen(5) } }) }, 1);
      assert.equal(m.latestAssignment, undefined);
      // ... yet the server reported 10, so a gossiped 12 goes out as a diff against 10.
      m.onEvent({ kind: 'gossip', syncState: full(12) }, 2);
      const r = m.onEvent({ kind: 'response', opId: 2, response: resp(knownGen(10)) }, 3);
      const s = onlySend(r);
      assert.equal(s.syncState.kind, 'known-assignment');
      if (s.syncState.kind === 'known-assignment') assert.ok(s.syncState.diffGeneration.equals(gen(10)));
    });

    it('throws when a response suggests a timeout below 1 s', () => {
      const m = machine();
      m.onAdvance(0);
      assert.throws(() => m.onEvent({ kind: 'response', opId: 1, response: resp(knownGen(0), undefined, 500) }, 1), /at least 1000, got 500/);
    });
  });

  describe('when choosing the sync state', () => {
    it('sends the assignment as a diff against the remote generation when it is newer and the address is the same', () => {
      const m = machine();
      m.onAdvance(0);
      m.onEvent({ kind: 'response', opId: 1, response: resp(full(10)) }, 1);
      m.onEvent({ kind: 'gossip', syncState: full(20) }, 2);
      const r = m.onEvent({ kind: 'response', opId: 2, response: resp(knownGen(10)) }, 3);
      const s = onlySend(r);
      assert.equal(s.syncState.kind, 'known-assignment');
      if (s.syncState.kind === 'known-assignment') {
        assert.ok(s.syncState.assignment.generation.equals(gen(20)));
        assert.ok(s.syncState.diffGeneration.equals(gen(10)));
      }
    });

    it('sends only the generation to a redirect address the remote knowledge does not come from', () => {
      const m = machine();
      m.onAdvance(0);
      m.onEvent({ kind: 'response', opId: 1, response: resp(full(10)) }, 1);
      m.onEvent({ kind: 'gossip', syncState: full(20) }, 2);
      const r = m.onEvent({ kind: 'response', opId: 2, response: resp(knownGen(10), 'https://preferred:24500') }, 3);
      const s = onlySend(r);
      assert.equal(s.address, 'https://preferred:24500');
      assert.deepEqual(s.syncState, { kind: 'known-generation', generation: gen(20) });
    });

    it('sends the assignment as a full-range diff against EMPTY to a server that knows nothing', () => {
      const m = machine();
      m.onAdvance(0);
      m.onEvent({ kind: 'gossip', syncState: full(7) }, 1);
      const r = m.onEvent({ kind: 'response', opId: 1, response: resp(knownGen(0)) }, 2);
      const s = onlySend(r);
      assert.equal(s.syncState.kind, 'known-assignment');
      if (s.syncState.kind === 'known-assignment') assert.ok(s.syncState.diffGeneration.isEmpty());
    });
  });

  describe('redirects', () => {
    it('follows a redirect and keeps it on later answers that repeat it', () => {
      const m = machine();
      m.onAdvance(0);
      const r1 = m.onEvent({ kind: 'response', opId: 1, response: resp(knownGen(0), 'https://pa:1') }, 1);
      assert.equal(onlySend(r1).address, 'https://pa:1');
      const r2 = m.onEvent({ kind: 'response', opId: 2, response: resp(knownGen(0), 'https://pa:1') }, 2);
      assert.equal(onlySend(r2).address, 'https://pa:1');
    });

    it('treats an empty redirect address as no redirect', () => {
      const m = machine();
      m.onAdvance(0);
      m.onEvent({ kind: 'response', opId: 1, response: resp(knownGen(0), 'https://pa:1') }, 1);
      const r = m.onEvent({ kind: 'response', opId: 2, response: resp(knownGen(0), '') }, 2);
      assert.equal(onlySend(r).address, undefined);
    });

    it('drops the redirect on failure and retries the configured address at once', () => {
      const m = machine();
      m.onAdvance(0);
      m.onEvent({ kind: 'response', opId: 1, response: resp(knownGen(0), 'https://pa:1') }, 1);
      const r = m.onEvent({ kind: 'failure', opId: 2, reason: 'UNAVAILABLE' }, 50);
      const s = onlySend(r);
      assert.equal(s.address, undefined);
      assert.equal(s.opId, 3);
      assert.equal(m.status().redirectAddress, undefined);
      assert.equal(m.status().consecutiveFailures, 1);
    });

    it('overwrites the redirect even from a stale answer', () => {
      const m = machine();
      m.onAdvance(0);
      m.onAdvance(5000); // local deadline of op 1, resend after backoff
      const r = m.onEvent({ kind: 'response', opId: 1, response: resp(knownGen(0), 'https://pa:2') }, 5001);
      assert.equal(sends(r).length, 0);
      assert.equal(m.status().redirectAddress, 'https://pa:2');
    });
  });

  describe('on failure', () => {
    it('backs off 1, 2, 4, 8, 10, 10 s (±20 %) and resets after a success', () => {
      const clock = new ManualClock(0);
      const m = machine(0.5);
      let r = m.onAdvance(clock.nowMs());
      const delays: number[] = [];
      for (let i = 0; i < 6; i++) {
        const opId = onlySend(r).opId;
        const failedAt = clock.nowMs();
        r = m.onEvent({ kind: 'failure', opId, reason: 'UNAVAILABLE' }, failedAt);
        assert.equal(sends(r).length, 0);
        const wake = r.wakeAtMs as number;
        delays.push(wake - failedAt);
        clock.advance(wake - failedAt - 1);
        assert.equal(sends(m.onAdvance(clock.nowMs())).length, 0, 'does not resend before the delay');
        clock.advance(1);
        r = m.onAdvance(clock.nowMs());
      }
      assert.deepEqual(delays, [1000, 2000, 4000, 8000, 10000, 10000]);
      assert.equal(m.status().consecutiveFailures, 6);
      r = m.onEvent({ kind: 'response', opId: onlySend(r).opId, response: resp(knownGen(0)) }, clock.nowMs());
      r = m.onEvent({ kind: 'failure', opId: onlySend(r).opId, reason: 'UNAVAILABLE' }, clock.nowMs());
      assert.equal((r.wakeAtMs as number) - clock.nowMs(), 1000);
    });

    it('ignores the failure of a stale op', () => {
      const m = machine();
      m.onAdvance(0);
      m.onEvent({ kind: 'response', opId: 1, response: resp(knownGen(0)) }, 1);
      const r = m.onEvent({ kind: 'failure', opId: 1, reason: 'late' }, 2);
      assert.equal(r.actions.length, 0);
      assert.equal(m.currentPhase.kind, 'outstanding');
      assert.equal(m.status().consecutiveFailures, 0);
    });
  });

  describe('at the local deadline', () => {
    it('treats the outstanding op as failed at sent + timeout and backs off', () => {
      const m = machine();
      m.onAdvance(0);
      assert.equal(m.onAdvance(4999).actions.length, 0);
      const r = m.onAdvance(5000);
      assert.equal(sends(r).length, 0);
      assert.equal(r.wakeAtMs, 6000);
      assert.equal(onlySend(m.onAdvance(6000)).opId, 2);
    });

    it('drops a redirect and resends to the configured address at once', () => {
      const m = machine();
      m.onAdvance(0);
      m.onEvent({ kind: 'response', opId: 1, response: resp(knownGen(0), 'https://pa:1') }, 0);
      const s = onlySend(m.onAdvance(5000));
      assert.equal(s.address, undefined);
      assert.equal(s.opId, 3);
    });

    it('still incorporates a late answer as a stale success without resending or touching backoff', () => {
      const m = machine();
      m.onAdvance(0);
      m.onAdvance(5000);
      const r = m.onEvent({ kind: 'response', opId: 1, response: resp(full(10), undefined, 7000) }, 5500);
      assert.deepEqual(published(r), [gen(10)]);
      assert.equal(sends(r).length, 0);
      assert.equal(r.wakeAtMs, 6000, 'the backoff schedule is unchanged');
      assert.equal(m.status().connected, false);
      // The stale answer brought an assignment, so its timeout is adopted.
      assert.equal(onlySend(m.onAdvance(6000)).timeoutMs, 7000);
    });

    it('ignores the timeout and generation of a stale answer that brings nothing new', () => {
      const m = machine();
      m.onAdvance(0);
      m.onAdvance(5000);
      m.onEvent({ kind: 'response', opId: 1, response: resp(knownGen(3), undefined, 7000) }, 5500);
      const s = onlySend(m.onAdvance(6000));
      assert.equal(s.timeoutMs, 5000);
    });
  });

  describe('gossip (rule 6)', () => {
    it('publishes a newer assignment a Clerk sent and ignores older ones and generations', () => {
      const m = machine();
      m.onAdvance(0);
      assert.deepEqual(published(m.onEvent({ kind: 'gossip', syncState: full(5) }, 1)), [gen(5)]);
      assert.deepEqual(published(m.onEvent({ kind: 'gossip', syncState: full(4) }, 2)), []);
      assert.deepEqual(published(m.onEvent({ kind: 'gossip', syncState: knownGen(9) }, 3)), []);
      assert.equal(m.currentPhase.kind, 'outstanding', 'gossip does not disturb the outstanding op');
    });
  });

  describe('close', () => {
    it('stops sending and ignores every later event', () => {
      const m = machine();
      m.onAdvance(0);
      const r = m.onEvent({ kind: 'close' }, 1);
      assert.equal(r.wakeAtMs, undefined);
      assert.equal(m.onEvent({ kind: 'response', opId: 1, response: resp(full(3)) }, 2).actions.length, 0);
      assert.equal(m.onAdvance(100_000).actions.length, 0);
      assert.equal(m.status().phase, 'closed');
    });
  });
});

// ---------------------------------------------------------------------------------------------
// Random command sequences with invariants after every step.

interface Model {
  readonly m: AssignmentSyncStateMachine<FakeAssignment, FakeDiff>;
  now: number;
  /** opIds sent and not yet answered or failed (by the "network"). */
  pending: { opId: number; address: string | undefined }[];
  lastOpId: number;
  lastPublished: Generation;
  outstandingOpId: number | undefined;
  /** When the outstanding op became non-outstanding without a success, the earliest resend time. */
  failedAt: number | undefined;
}

function check(model: Model, r: AssignmentSyncResult<FakeAssignment>, context: { failedOutstanding: boolean; redirectBefore: string | undefined }): void {
  const ss = sends(r);
  assert.ok(ss.length <= 1, 'at most one send per step');
  for (const g of published(r)) {
    assert.ok(g.compare(model.lastPublished) > 0, 'generation never goes backwards');
    model.lastPublished = g;
  }
  if (published(r).length > 0) assert.ok(model.m.latestAssignment?.generation.equals(model.lastPublished));
  for (const s of ss) {
    assert.ok(s.opId > model.lastOpId, 'opIds strictly increase');
    model.lastOpId = s.opId;
    model.pending.push({ opId: s.opId, address: s.address });
    model.outstandingOpId = s.opId;
    assert.ok(s.timeoutMs >= 1000);
    if (s.syncState.kind === 'known-assignment') {
      assert.ok(s.syncState.assignment.generation.compare(s.syncState.diffGeneration) > 0, 'diffs only for newer assignments');
    } else {
      assert.ok(s.syncState.generation.equals(model.m.latestAssignment?.generation ?? Generation.EMPTY));
    }
  }
  const phase = model.m.currentPhase;
  assert.ok(phase.kind !== 'closed');
  if (phase.kind === 'outstanding') {
    assert.equal(phase.opId, model.outstandingOpId, 'at most one outstanding op, the latest sent');
    assert.equal(r.wakeAtMs, phase.deadlineAtMs);
    assert.ok(phase.deadlineAtMs > model.now);
  } else {
    assert.ok((r.wakeAtMs as number) > model.now, 'a due send is never left waiting');
    model.outstandingOpId = undefined;
  }
  if (context.failedOutstanding && context.redirectBefore !== undefined) {
    assert.equal(model.m.status().redirectAddress, undefined, 'a redirect is dropped on failure');
    assert.equal(ss.length, 1, 'and the retry is immediate');
    assert.equal(ss[0]?.address, undefined, 'to the configured address');
  }
  if (context.failedOutstanding && context.redirectBefore === undefined && ss.length === 0) {
    const delay = (r.wakeAtMs as number) - model.now;
    assert.ok(delay >= 800 && delay <= 12000, `backoff delay ${delay} within 1–10 s ±20 %`);
  }
}

class AdvanceCommand implements fc.Command<Model, Model> {
  constructor(readonly ms: number) {}
  check = () => true;
  run(_: Model, model: Model): void {
    const redirectBefore = model.m.status().redirectAddress;
    const outstandingBefore = model.m.currentPhase;
    model.now += this.ms;
    const r = model.m.onAdvance(model.now);
    const failedOutstanding = outstandingBefore.kind === 'outstanding' && model.now >= outstandingBefore.deadlineAtMs;
    check(model, r, { failedOutstanding, redirectBefore });
  }
  toString = () => `advance(${this.ms})`;
}

class RespondCommand implements fc.Command<Model, Model> {
  constructor(
    readonly pick: number,
    readonly state: ReceivedSyncState<FakeDiff>,
    readonly redirect: string | undefined,
    readonly timeoutMs: number,
  ) {}
  check = (m: Readonly<Model>) => m.pending.length > 0;
  run(_: Model, model: Model): void {
    const idx = this.pick % model.pending.length;
    const op = model.pending[idx] as { opId: number };
    model.pending.splice(idx, 1);
    const wasOutstanding = model.outstandingOpId === op.opId;
    const timeoutBefore = model.m.status().watchTimeoutMs;
    const genBefore = model.m.latestAssignment?.generation ?? Generation.EMPTY;
    const r = model.m.onEvent({ kind: 'response', opId: op.opId, response: resp(this.state, this.redirect, this.timeoutMs) }, model.now);
    check(model, r, { failedOutstanding: false, redirectBefore: undefined });
    const redirect = this.redirect === '' ? undefined : this.redirect;
    if (wasOutstanding) {
      assert.equal(sends(r).length, 1, 'sends again at once after the latest op succeeds');
      assert.equal(sends(r)[0]?.address, redirect, 'follows the redirect');
      assert.equal(model.m.status().consecutiveFailures, 0);
    } else {
      assert.equal(sends(r).length, 0, 'a stale answer does not reschedule');
      const newer = (model.m.latestAssignment?.generation ?? Generation.EMPTY).compare(genBefore) > 0;
      if (!newer) assert.equal(model.m.status().watchTimeoutMs, timeoutBefore, 'a stale answer with nothing new keeps the timeout');
    }
    assert.equal(model.m.status().redirectAddress, sends(r)[0]?.address ?? redirect, 'every answer overwrites the redirect');
  }
  toString = () => `respond(${this.pick}, ${JSON.stringify(this.state, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v))}, ${this.redirect}, ${this.timeoutMs})`;
}

class FailCommand implements fc.Command<Model, Model> {
  constructor(readonly pick: number) {}
  check = (m: Readonly<Model>) => m.pending.length > 0;
  run(_: Model, model: Model): void {
    const idx = this.pick % model.pending.length;
    const op = model.pending[idx] as { opId: number };
    model.pending.splice(idx, 1);
    const redirectBefore = model.m.status().redirectAddress;
    const failedOutstanding = model.outstandingOpId === op.opId && model.m.currentPhase.kind === 'outstanding';
    const failuresBefore = model.m.status().consecutiveFailures;
    const r = model.m.onEvent({ kind: 'failure', opId: op.opId, reason: 'UNAVAILABLE' }, model.now);
    check(model, r, { failedOutstanding, redirectBefore });
    assert.equal(model.m.status().consecutiveFailures, failuresBefore + (failedOutstanding ? 1 : 0), 'stale failures are ignored');
  }
  toString = () => `fail(${this.pick})`;
}

class GossipCommand implements fc.Command<Model, Model> {
  constructor(readonly state: ReceivedSyncState<FakeDiff>) {}
  check = () => true;
  run(_: Model, model: Model): void {
    const phaseBefore = model.m.currentPhase;
    const r = model.m.onEvent({ kind: 'gossip', syncState: this.state }, model.now);
    check(model, r, { failedOutstanding: false, redirectBefore: undefined });
    if (phaseBefore.kind === 'outstanding') assert.deepEqual(model.m.currentPhase, phaseBefore, 'gossip leaves the op alone');
  }
  toString = () => `gossip(${JSON.stringify(this.state, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v))})`;
}

const arbGenNumber = fc.integer({ min: 1, max: 30 });
const arbSyncState: fc.Arbitrary<ReceivedSyncState<FakeDiff>> = fc.oneof(
  fc.integer({ min: 0, max: 30 }).map(knownGen),
  arbGenNumber.map(full),
  fc.tuple(arbGenNumber, arbGenNumber).map(([a, b]) => ({
    kind: 'known-assignment' as const,
    diff: { generation: gen(Math.max(a, b)), base: gen(Math.min(a, b)) },
  })),
);
const arbRedirect = fc.constantFrom(undefined, '', 'https://pa-1:24500', 'https://pa-2:24500');

const arbCommands = fc.commands(
  [
    fc.integer({ min: 0, max: 12_000 }).map((ms) => new AdvanceCommand(ms)),
    fc
      .tuple(fc.nat(), arbSyncState, arbRedirect, fc.integer({ min: 1000, max: 20_000 }))
      .map(([p, s, rd, t]) => new RespondCommand(p, s, rd, t)),
    fc.nat().map((p) => new FailCommand(p)),
    arbSyncState.map((s) => new GossipCommand(s)),
  ],
  { maxCommands: 60 },
);

describe('AssignmentSyncStateMachine invariants', () => {
  it('keeps at most one outstanding op, never publishes backwards, drops a redirect on failure and backs off within bounds', () => {
    fc.assert(
      fc.property(fc.integer(), arbCommands, (seed, cmds) => {
        const m = new AssignmentSyncStateMachine<FakeAssignment, FakeDiff>({ applyDiff: applyFake, random: new SeededRandom(seed) });
        const model: Model = { m, now: 0, pending: [], lastOpId: 0, lastPublished: Generation.EMPTY, outstandingOpId: undefined, failedAt: undefined };
        check(model, m.onAdvance(0), { failedOutstanding: false, redirectBefore: undefined });
        fc.modelRun(() => ({ model, real: model }), cmds);
      }),
      { seed: 42, numRuns: 300 },
    );
  });
});
