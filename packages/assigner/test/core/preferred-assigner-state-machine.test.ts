import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Generation, IllegalStateError, InvalidArgumentError } from '@dicer-ts/common';
import {
  PreferredAssignerStateMachine,
  type PreferredAssignerAction,
  type PreferredAssignerResult,
  roleFor,
} from '../../src/core/preferred-assigner-state-machine.js';
import { type AssignerInfo, type PreferredAssignerValue, createAssignerInfo, isSameAssigner } from '../../src/core/preferred-assigner-value.js';

const INC = 2n;
const info = (i: number): AssignerInfo => createAssignerInfo(`00000000-0000-4000-8000-${String(i + 1).padStart(12, '0')}`, `https://10.0.0.${i + 1}:24500`);
const A = info(0);
const B = info(1);
const some = (who: AssignerInfo, n: bigint, inc = INC): PreferredAssignerValue => ({ kind: 'some-assigner', info: who, generation: Generation.create(inc, n) });
const none = (n: bigint): PreferredAssignerValue => ({ kind: 'no-assigner', generation: Generation.create(INC, n) });

const writes = (r: PreferredAssignerResult) => r.actions.filter((a): a is Extract<PreferredAssignerAction, { kind: 'write' }> => a.kind === 'write');
const beats = (r: PreferredAssignerResult) => r.actions.filter((a) => a.kind === 'send-heartbeat');

describe('PreferredAssignerStateMachine', () => {
  it('rejects non-positive timings', () => {
    assert.throws(() => new PreferredAssignerStateMachine(A, INC, 0, { heartbeatIntervalMs: 0 }), InvalidArgumentError);
    assert.throws(() => new PreferredAssignerStateMachine(A, INC, 0, { heartbeatFailureThreshold: 0 }), InvalidArgumentError);
  });

  describe('when starting', () => {
    it('nominates itself at the startup deadline when nothing was learned', () => {
      const m = new PreferredAssignerStateMachine(A, INC, 0, { initialPreferredAssignerTimeoutMs: 2000 });
      const r0 = m.onAdvance(0);
      assert.equal(writes(r0).length, 0);
      assert.equal(r0.wakeAtMs, 2000);
      const r1 = m.onAdvance(2000);
      assert.deepEqual(writes(r1), [{ kind: 'write', predecessor: undefined, proposal: A }]);
      assert.equal(m.state.kind, 'standby-without-preferred');
    });

    it('nominates itself at once on a NoAssigner record (scenario 6)', () => {
      const m = new PreferredAssignerStateMachine(A, INC, 0);
      const r = m.onEvent({ kind: 'value-learned', value: none(5n) }, 10);
      assert.deepEqual(writes(r), [{ kind: 'write', predecessor: Generation.create(INC, 5n), proposal: A }]);
      const pub = r.actions.find((a) => a.kind === 'publish-role');
      assert.deepEqual(pub, { kind: 'publish-role', role: { role: 'standby', redirectUri: undefined, value: none(5n) } });
    });

    it('becomes preferred when the record names it, and standby redirecting to another', () => {
      const m = new PreferredAssignerStateMachine(A, INC, 0);
      m.onEvent({ kind: 'value-learned', value: some(B, 5n) }, 0);
      assert.equal(m.state.kind, 'standby');
      m.onEvent({ kind: 'value-learned', value: some(A, 6n) }, 0);
      assert.equal(m.state.kind, 'preferred');
      assert.deepEqual(roleFor(some(A, 6n), A), { role: 'preferred', redirectUri: A.uri, value: some(A, 6n) });
    });

    it('ignores values that are not strictly newer', () => {
      const m = new PreferredAssignerStateMachine(A, INC, 0);
      m.onEvent({ kind: 'value-learned', value: some(B, 5n) }, 0);
      const r = m.onEvent({ kind: 'value-learned', value: some(A, 5n) }, 0);
      assert.equal(m.state.kind, 'standby');
      assert.equal(r.actions.filter((a) => a.kind === 'publish-role').length, 0);
    });
  });

  it('publishes preferred without redirect for a mode-disabled record and still writes itself (scenario 7)', () => {
    const m = new PreferredAssignerStateMachine(A, INC, 0, { writeRetryIntervalMs: 2000 });
    const disabled: PreferredAssignerValue = { kind: 'mode-disabled', generation: Generation.create(INC, 5n) };
    const r = m.onEvent({ kind: 'value-learned', value: disabled }, 0);
    assert.deepEqual(r.actions.find((a) => a.kind === 'publish-role'), { kind: 'publish-role', role: { role: 'preferred', redirectUri: undefined, value: disabled } });
    assert.deepEqual(writes(r), [{ kind: 'write', predecessor: Generation.create(INC, 5n), proposal: A }]);
  });

  it('retries a lost nomination at the write cadence, not sooner (scenario 8)', () => {
    const m = new PreferredAssignerStateMachine(A, INC, 0, { writeRetryIntervalMs: 2000, initialPreferredAssignerTimeoutMs: 100 });
    assert.equal(writes(m.onAdvance(100)).length, 1);
    const r = m.onEvent({ kind: 'write-completed' }, 120);
    assert.equal(writes(r).length, 0);
    assert.equal(r.wakeAtMs, 2100);
    assert.equal(writes(m.onAdvance(2099)).length, 0);
    assert.equal(writes(m.onAdvance(2100)).length, 1);
  });

  describe('as a standby', () => {
    it('beats at once, then every interval, and takes over after three unanswered beats (scenario 3)', () => {
      const m = new PreferredAssignerStateMachine(A, INC, 0, { heartbeatIntervalMs: 1000 });
      const r0 = m.onEvent({ kind: 'value-learned', value: some(B, 5n) }, 100);
      assert.equal(beats(r0).length, 1, 'the first beat is immediate');
      assert.equal(r0.wakeAtMs, 1100);
      assert.equal(writes(m.onAdvance(1100)).length, 0);
      assert.equal(writes(m.onAdvance(2100)).length, 0);
      const r3 = m.onAdvance(3100);
      assert.deepEqual(writes(r3), [{ kind: 'write', predecessor: Generation.create(INC, 5n), proposal: A }]);
      assert.equal(beats(r3).length, 1, 'the beat is still sent when nominating');
    });

    it('resets the failure count when the in-flight beat is answered', () => {
      const m = new PreferredAssignerStateMachine(A, INC, 0, { heartbeatIntervalMs: 1000 });
      m.onEvent({ kind: 'value-learned', value: some(B, 5n) }, 0);
      m.onAdvance(1000);
      const r = m.onAdvance(2000);
      const opId = (beats(r)[0] as { opId: bigint }).opId;
      m.onEvent({ kind: 'heartbeat-answered', opId, value: some(B, 5n) }, 2010);
      assert.equal(writes(m.onAdvance(3000)).length, 0);
      assert.equal(writes(m.onAdvance(4000)).length, 0);
    });

    it('sends one beat after a late advance, not a burst', () => {
      const m = new PreferredAssignerStateMachine(A, INC, 0, { heartbeatIntervalMs: 1000, heartbeatFailureThreshold: 100 });
      m.onEvent({ kind: 'value-learned', value: some(B, 5n) }, 0);
      const r = m.onAdvance(10_000);
      assert.equal(beats(r).length, 1);
      assert.equal(r.wakeAtMs, 11_000);
    });

    it('takes over a record of an older PA incarnation without heartbeats, and never one of a newer (scenario 9)', () => {
      const m = new PreferredAssignerStateMachine(A, INC, 0);
      const r = m.onEvent({ kind: 'value-learned', value: some(B, 5n, 0n) }, 0);
      assert.equal(beats(r).length, 0);
      assert.deepEqual(writes(r), [{ kind: 'write', predecessor: undefined, proposal: A }]);
      const n = new PreferredAssignerStateMachine(A, INC, 0, { heartbeatIntervalMs: 1000 });
      n.onEvent({ kind: 'value-learned', value: some(B, 5n, 4n) }, 0);
      for (let t = 0; t < 20_000; t += 500) {
        const x = n.onAdvance(t);
        assert.equal(writes(x).length + beats(x).length, 0);
      }
    });

    it('keeps heartbeating and never nominates itself once terminating (scenario 5)', () => {
      const m = new PreferredAssignerStateMachine(A, INC, 0, { heartbeatIntervalMs: 1000 });
      m.onEvent({ kind: 'value-learned', value: some(B, 5n) }, 0);
      m.onEvent({ kind: 'termination-notice' }, 0);
      let beatsSent = 0;
      for (let t = 0; t <= 10_000; t += 1000) {
        const r = m.onAdvance(t);
        assert.equal(writes(r).length, 0);
        beatsSent += beats(r).length;
      }
      assert.ok(beatsSent >= 10);
      const r = m.onEvent({ kind: 'value-learned', value: none(9n) }, 10_500);
      assert.equal(writes(r).length, 0);
    });
  });

  describe('as the preferred assigner', () => {
    it('abdicates on a termination notice and retries until someone else is preferred (scenario 2, 5)', () => {
      const m = new PreferredAssignerStateMachine(A, INC, 0, { writeRetryIntervalMs: 2000 });
      m.onEvent({ kind: 'value-learned', value: some(A, 5n) }, 0);
      const r = m.onEvent({ kind: 'termination-notice' }, 100);
      assert.deepEqual(writes(r), [{ kind: 'write', predecessor: Generation.create(INC, 5n), proposal: undefined }]);
      const r2 = m.onEvent({ kind: 'write-completed' }, 150); // lost the race
      assert.equal(writes(r2).length, 0, 'rate-limited');
      assert.equal(r2.wakeAtMs, 2100);
      assert.equal(writes(m.onAdvance(2100)).length, 1);
      m.onEvent({ kind: 'write-completed' }, 2150);
      m.onEvent({ kind: 'value-learned', value: some(B, 7n) }, 2200);
      assert.equal(m.state.kind, 'standby');
      for (let t = 2200; t < 20_000; t += 700) assert.equal(writes(m.onAdvance(t)).length, 0);
    });

    it('keeps at most one write in flight and rejects a stray completion', () => {
      const m = new PreferredAssignerStateMachine(A, INC, 0, { writeRetryIntervalMs: 10_000 });
      assert.equal(writes(m.onAdvance(2000)).length, 1);
      for (let t = 2000; t < 3000; t += 50) assert.equal(writes(m.onAdvance(t)).length, 0);
      m.onEvent({ kind: 'write-completed' }, 3000);
      assert.throws(() => m.onEvent({ kind: 'write-completed' }, 3001), IllegalStateError);
    });

    it('answers heartbeats with itself', () => {
      const m = new PreferredAssignerStateMachine(A, INC, 0);
      m.onEvent({ kind: 'value-learned', value: some(A, 5n) }, 0);
      assert.deepEqual(m.heartbeatReply(Generation.EMPTY), some(A, 5n));
    });
  });
});

/**
 * A deterministic little cluster: N machines, a compare-and-swap record (etcd), heartbeats with
 * a latency, crashes and partitions. Everything runs on virtual time.
 */
class Cluster {
  readonly machines: (PreferredAssignerStateMachine | undefined)[];
  readonly infos: AssignerInfo[];
  record: PreferredAssignerValue | undefined;
  readonly history: PreferredAssignerValue[] = [];
  now = 0;
  private readonly queue: { at: number; seq: number; run: () => void }[] = [];
  private seq = 0;
  private readonly wakes = new Map<number, number>();
  readonly partitioned = new Set<number>();
  private nextId = 10;

  constructor(n: number, readonly timings = { heartbeatIntervalMs: 1000, writeRetryIntervalMs: 2000, initialPreferredAssignerTimeoutMs: 2000 }) {
    this.infos = [];
    this.machines = [];
    for (let i = 0; i < n; i++) this.spawn(i);
  }

  spawn(i: number): void {
    this.infos[i] = info(this.nextId++);
    const m = new PreferredAssignerStateMachine(this.infos[i]!, INC, this.now, this.timings);
    this.machines[i] = m;
    // A fresh process reads the record first (its etcd watch), after a short delay.
    this.at(this.now + 5, () => {
      if (this.record !== undefined && this.machines[i] === m) this.apply(i, m.onEvent({ kind: 'value-learned', value: this.record }, this.now));
    });
    this.apply(i, m.onAdvance(this.now));
  }

  crash(i: number): void {
    this.machines[i] = undefined;
    this.wakes.delete(i);
  }

  terminate(i: number): void {
    const m = this.machines[i];
    if (m !== undefined) this.apply(i, m.onEvent({ kind: 'termination-notice' }, this.now));
  }

  runUntil(t: number, check: () => void = () => undefined): void {
    for (;;) {
      let next: { at: number; seq: number; run: () => void } | undefined;
      let nextIdx = -1;
      for (let k = 0; k < this.queue.length; k++) {
        const e = this.queue[k]!;
        if (next === undefined || e.at < next.at || (e.at === next.at && e.seq < next.seq)) {
          next = e;
          nextIdx = k;
        }
      }
      let wakeIdx = -1;
      let wakeAt = Infinity;
      for (const [i, at] of this.wakes) if (at < wakeAt) [wakeIdx, wakeAt] = [i, at];
      const evAt = next?.at ?? Infinity;
      const at = Math.min(evAt, wakeAt);
      if (at > t) break;
      this.now = Math.max(this.now, at);
      if (evAt <= wakeAt && next !== undefined) {
        this.queue.splice(nextIdx, 1);
        next.run();
      } else {
        this.wakes.delete(wakeIdx);
        const m = this.machines[wakeIdx];
        if (m !== undefined) this.apply(wakeIdx, m.onAdvance(this.now));
      }
      check();
    }
    this.now = t;
  }

  preferred(): { i: number; gen: Generation }[] {
    const out: { i: number; gen: Generation }[] = [];
    this.machines.forEach((m, i) => {
      if (m !== undefined && m.state.kind === 'preferred') out.push({ i, gen: m.state.generation });
    });
    return out;
  }

  private at(t: number, run: () => void): void {
    this.queue.push({ at: t, seq: this.seq++, run });
  }

  private apply(i: number, r: PreferredAssignerResult): void {
    const m = this.machines[i];
    if (m === undefined) return;
    if (r.wakeAtMs !== undefined) this.wakes.set(i, r.wakeAtMs);
    for (const a of r.actions) {
      if (a.kind === 'write') this.at(this.now + 3, () => this.write(i, m, a.predecessor, a.proposal));
      if (a.kind === 'send-heartbeat') {
        const j = this.infos.findIndex((x) => isSameAssigner(x, a.to));
        this.at(this.now + 2, () => {
          const peer = this.machines[j];
          if (peer === undefined || this.partitioned.has(i) || this.partitioned.has(j)) return; // lost
          const reply = peer.heartbeatReply(Generation.EMPTY);
          this.at(this.now + 2, () => {
            if (this.machines[i] === m && !this.partitioned.has(i)) this.apply(i, m.onEvent({ kind: 'heartbeat-answered', opId: a.opId, value: reply }, this.now));
          });
        });
      }
    }
  }

  /** The etcd compare-and-swap: commits iff the record's generation is the predecessor. */
  private write(i: number, m: PreferredAssignerStateMachine, predecessor: Generation | undefined, proposal: AssignerInfo | undefined): void {
    if (this.machines[i] !== m) return;
    const current = this.record?.generation;
    const ok =
      this.partitioned.has(i) ? false : predecessor === undefined ? current === undefined || current.incarnation < INC : current !== undefined && current.equals(predecessor);
    if (ok) {
      const generation = Generation.createForCurrentTime(INC, this.now, current !== undefined && current.incarnation === INC ? current : Generation.EMPTY);
      const value: PreferredAssignerValue = proposal === undefined ? { kind: 'no-assigner', generation } : { kind: 'some-assigner', info: proposal, generation };
      this.record = value;
      this.history.push(value);
      this.machines.forEach((peer, j) => {
        if (peer === undefined || this.partitioned.has(j)) return;
        this.at(this.now + (j === i ? 1 : 4), () => {
          if (this.machines[j] === peer) this.apply(j, peer.onEvent({ kind: 'value-learned', value }, this.now));
        });
      });
    }
    this.at(this.now + 1, () => {
      if (this.machines[i] === m) this.apply(i, m.onEvent({ kind: 'write-completed' }, this.now));
    });
  }

  heal(i: number): void {
    this.partitioned.delete(i);
    const m = this.machines[i];
    if (m !== undefined && this.record !== undefined) this.apply(i, m.onEvent({ kind: 'value-learned', value: this.record }, this.now));
  }
}

describe('PreferredAssignerStateMachine invariants', () => {
  type Cmd = { kind: 'run'; ms: number } | { kind: 'crash'; i: number } | { kind: 'restart'; i: number } | { kind: 'terminate'; i: number } | { kind: 'partition'; i: number } | { kind: 'heal'; i: number };
  const arbCmd: fc.Arbitrary<Cmd> = fc.oneof(
    { weight: 5, arbitrary: fc.integer({ min: 1, max: 3000 }).map((ms) => ({ kind: 'run' as const, ms })) },
    { weight: 1, arbitrary: fc.integer({ min: 0, max: 2 }).map((i) => ({ kind: 'crash' as const, i })) },
    { weight: 1, arbitrary: fc.integer({ min: 0, max: 2 }).map((i) => ({ kind: 'restart' as const, i })) },
    { weight: 1, arbitrary: fc.integer({ min: 0, max: 2 }).map((i) => ({ kind: 'terminate' as const, i })) },
    { weight: 1, arbitrary: fc.integer({ min: 0, max: 2 }).map((i) => ({ kind: 'partition' as const, i })) },
    { weight: 1, arbitrary: fc.integer({ min: 0, max: 2 }).map((i) => ({ kind: 'heal' as const, i })) },
  );

  it('never has two preferred assigners in the same PA generation, and roles follow the record history', () => {
    fc.assert(
      fc.property(fc.array(arbCmd, { minLength: 1, maxLength: 40 }), (cmds) => {
        const c = new Cluster(3);
        const lastKnown = new Map<PreferredAssignerStateMachine, Generation>();
        const check = () => {
          const pas = c.preferred();
          for (let x = 0; x < pas.length; x++) {
            for (let y = x + 1; y < pas.length; y++) assert.ok(!pas[x]!.gen.equals(pas[y]!.gen), 'two preferred in one generation');
          }
          for (const m of c.machines) {
            if (m === undefined || m.knownValue === undefined) continue;
            const before = lastKnown.get(m);
            assert.ok(before === undefined || m.knownValue.generation.compare(before) >= 0, 'known generation went back');
            lastKnown.set(m, m.knownValue.generation);
            // A preferred machine's generation is a committed record naming it.
            if (m.state.kind === 'preferred') {
              const g = m.state.generation;
              const rec = c.history.find((h) => h.generation.equals(g));
              assert.ok(rec !== undefined && rec.kind === 'some-assigner' && isSameAssigner(rec.info, m.self));
            }
          }
        };
        for (const cmd of cmds) {
          switch (cmd.kind) {
            case 'run':
              c.runUntil(c.now + cmd.ms, check);
              break;
            case 'crash':
              c.crash(cmd.i);
              break;
            case 'restart':
              if (c.machines[cmd.i] === undefined) c.spawn(cmd.i);
              break;
            case 'terminate':
              c.terminate(cmd.i);
              break;
            case 'partition':
              c.partitioned.add(cmd.i);
              break;
            case 'heal':
              c.heal(cmd.i);
              break;
          }
          check();
        }
        for (let k = 1; k < c.history.length; k++) assert.ok(c.history[k]!.generation.compare(c.history[k - 1]!.generation) > 0);
      }),
      { seed: 42, numRuns: 200 },
    );
  });

  it('replaces a crashed preferred assigner within 5 s with default timings (scenario 3)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 5000 }), (crashOffset) => {
        const c = new Cluster(3);
        c.runUntil(10_000);
        const before = c.preferred();
        assert.equal(before.length, 1, 'one preferred assigner after start');
        c.runUntil(c.now + crashOffset);
        const victim = c.preferred()[0]!.i;
        c.crash(victim);
        const crashedAt = c.now;
        let replacedAt: number | undefined;
        c.runUntil(crashedAt + 5000, () => {
          if (replacedAt === undefined && c.preferred().length === 1) replacedAt = c.now;
        });
        assert.ok(replacedAt !== undefined && replacedAt - crashedAt <= 5000, `replaced after ${replacedAt === undefined ? 'never' : replacedAt - crashedAt} ms`);
      }),
      { seed: 42, numRuns: 100 },
    );
  });

  it('hands over within milliseconds on graceful abdication (scenario 2)', () => {
    const c = new Cluster(3);
    c.runUntil(10_000);
    const victim = c.preferred()[0]!.i;
    c.terminate(victim);
    c.runUntil(c.now + 50);
    const now = c.preferred();
    assert.equal(now.length, 1);
    assert.notEqual(now[0]!.i, victim);
  });
});
