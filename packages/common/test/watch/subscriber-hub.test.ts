import assert from 'node:assert/strict';
import { describe, it } from 'mocha';
import fc from 'fast-check';
import { fromBinary } from '@bufbuild/protobuf';
import { type Clock, ManualClock } from '../../src/clock.js';
import { ClosedError, UnavailableError } from '../../src/errors.js';
import { ClientResponsePSchema } from '../../src/gen/dicer/common/proto/common_pb.js';
import { ClientResponse } from '../../src/model/client-response.js';
import { Generation } from '../../src/model/generation.js';
import type { EncodedClientResponse } from '../../src/watch/grpc-services.js';
import { SubscriberHub, processingTimeoutMs } from '../../src/watch/subscriber-hub.js';
import { gen, makeAssignment, watchRequest } from './fixtures.js';

function decode(reply: EncodedClientResponse) {
  const p = fromBinary(ClientResponsePSchema, reply.bytes);
  return { proto: p, model: ClientResponse.fromProto(p) };
}

/** Collects the replies of one watch. */
function collector() {
  const replies: EncodedClientResponse[] = [];
  return { replies, onReply: (r: EncodedClientResponse) => replies.push(r) };
}

describe('processingTimeoutMs', () => {
  it('is t − 5 s above 5 s and t / 2 otherwise', () => {
    assert.equal(processingTimeoutMs(5000), 2500);
    assert.equal(processingTimeoutMs(1000), 500);
    assert.equal(processingTimeoutMs(5001), 1);
    assert.equal(processingTimeoutMs(30000), 25000);
  });
});

describe('SubscriberHub', () => {
  describe('watch', () => {
    it('answers a client that is behind at once with the full assignment as serialized bytes', () => {
      const hub = new SubscriberHub({ clock: new ManualClock() });
      hub.publish(makeAssignment(10));
      const c = collector();
      hub.watch(watchRequest(5), c.onReply);
      assert.equal(c.replies.length, 1);
      const { proto, model } = decode(c.replies[0]!);
      assert.equal(proto.syncAssignmentState?.state.case, 'knownSerializedAssignment');
      assert.ok(model.syncAssignmentState.generation.equals(gen(10)));
      assert.equal(model.syncAssignmentState.diff?.isFull(), true, 'always the full assignment');
      assert.equal(hub.stats().parkedCalls, 0);
    });

    it('uses known_assignment for a client without the feature bit', () => {
      const hub = new SubscriberHub({ clock: new ManualClock() });
      hub.publish(makeAssignment(10));
      const c = collector();
      hub.watch(watchRequest(0, { serialized: false }), c.onReply);
      const { proto, model } = decode(c.replies[0]!);
      assert.equal(proto.syncAssignmentState?.state.case, 'knownAssignment');
      assert.ok(model.syncAssignmentState.diff?.equals(makeAssignment(10).toDiff(Generation.EMPTY)));
    });

    it('parks an up-to-date client and answers known_generation at the processing timeout from arrival', () => {
      const clock = new ManualClock(1000);
      const hub = new SubscriberHub({ clock });
      hub.publish(makeAssignment(10));
      const c5 = collector();
      const c8 = collector();
      hub.watch(watchRequest(10), c5.onReply);
      hub.watch(watchRequest(10, { timeoutMs: 8000 }), c8.onReply);
      clock.advance(2499);
      assert.equal(c5.replies.length, 0);
      clock.advance(1);
      assert.equal(c5.replies.length, 1);
      const { proto, model } = decode(c5.replies[0]!);
      assert.equal(proto.syncAssignmentState?.state.case, 'knownGeneration');
      assert.ok(model.syncAssignmentState.generation.equals(gen(10)));
      clock.advance(499);
      assert.equal(c8.replies.length, 0);
      clock.advance(1);
      assert.equal(c8.replies.length, 1);
      assert.equal(hub.stats().parkedCalls, 0);
    });

    it('answers known_generation EMPTY when it holds nothing', () => {
      const clock = new ManualClock();
      const hub = new SubscriberHub({ clock });
      const c = collector();
      hub.watch(watchRequest(0), c.onReply);
      clock.advance(2500);
      const { proto, model } = decode(c.replies[0]!);
      assert.equal(proto.syncAssignmentState?.state.case, 'knownGeneration');
      assert.ok(model.syncAssignmentState.generation.isEmpty());
    });

    it('sets the suggested timeout per subscriber kind and always a redirect', () => {
      let redirect: string | undefined;
      const hub = new SubscriberHub({
        clock: new ManualClock(),
        suggestedRpcTimeoutMs: (kind) => (kind === 'clerk' ? 7000 : 5000),
        redirectAddress: () => redirect,
      });
      hub.publish(makeAssignment(3));
      const clerk = collector();
      hub.watch(watchRequest(0), clerk.onReply);
      const a = decode(clerk.replies[0]!);
      assert.equal(a.proto.suggestedRpcTimeoutMillis, 7000n);
      assert.ok(a.proto.redirect !== undefined, 'redirect present even when empty');
      assert.equal(a.model.redirectAddress, undefined);
      redirect = 'https://preferred:24500';
      const slicelet = collector();
      hub.watch(watchRequest(0, { subscriber: { kind: 'clerk' } }), slicelet.onReply);
      assert.equal(decode(slicelet.replies[0]!).model.redirectAddress, 'https://preferred:24500');
    });

    it('refuses calls beyond maxParkedCalls with UNAVAILABLE', () => {
      const hub = new SubscriberHub({ clock: new ManualClock(), maxParkedCalls: 2 });
      hub.watch(watchRequest(0), () => undefined);
      hub.watch(watchRequest(0), () => undefined);
      assert.throws(() => hub.watch(watchRequest(0), () => undefined), UnavailableError);
    });
  });

  describe('publish', () => {
    it('wakes every parked watcher behind the new generation and leaves those ahead parked', () => {
      const clock = new ManualClock();
      const hub = new SubscriberHub({ clock });
      hub.publish(makeAssignment(10));
      const behind = Array.from({ length: 5 }, () => collector());
      for (const c of behind) hub.watch(watchRequest(10), c.onReply);
      const ahead = collector();
      hub.watch(watchRequest(30), ahead.onReply);
      clock.advance(1000);
      assert.equal(hub.publish(makeAssignment(20)), true);
      for (const c of behind) {
        assert.equal(c.replies.length, 1);
        assert.ok(decode(c.replies[0]!).model.syncAssignmentState.generation.equals(gen(20)));
      }
      assert.equal(ahead.replies.length, 0);
      assert.equal(hub.stats().parkedCalls, 1);
    });

    it('encodes the full assignment once per generation and shares the reply bytes', () => {
      const hub = new SubscriberHub({ clock: new ManualClock() });
      const calls = Array.from({ length: 50 }, () => collector());
      for (const c of calls) hub.watch(watchRequest(0), c.onReply);
      hub.publish(makeAssignment(10));
      assert.equal(hub.stats().assignmentEncodings, 1);
      const first = calls[0]!.replies[0]!;
      for (const c of calls) assert.equal(c.replies[0], first, 'the same encoded reply object');
      hub.publish(makeAssignment(11));
      hub.watch(watchRequest(0), () => undefined);
      assert.equal(hub.stats().assignmentEncodings, 2);
    });

    it('ignores an older or equal generation', () => {
      const hub = new SubscriberHub({ clock: new ManualClock() });
      assert.equal(hub.publish(makeAssignment(10)), true);
      assert.equal(hub.publish(makeAssignment(10)), false);
      assert.equal(hub.publish(makeAssignment(9)), false);
      assert.ok(hub.latestGeneration.equals(gen(10)));
    });

    it('answers only the generation to a call woken after its whole timeout passed (overload)', () => {
      // A clock whose timers never fire stands for an event loop too busy to run them.
      let now = 0;
      const stalled: Clock = { nowMs: () => now, setTimer: () => () => undefined };
      const hub = new SubscriberHub({ clock: stalled });
      hub.publish(makeAssignment(1));
      const late = collector();
      const fresh = collector();
      hub.watch(watchRequest(1, { timeoutMs: 1000 }), late.onReply);
      now = 1500;
      hub.watch(watchRequest(1, { timeoutMs: 1000 }), fresh.onReply);
      now = 1600;
      hub.publish(makeAssignment(2));
      assert.equal(decode(late.replies[0]!).proto.syncAssignmentState?.state.case, 'knownGeneration');
      assert.ok(decode(late.replies[0]!).model.syncAssignmentState.generation.equals(gen(2)));
      assert.equal(decode(fresh.replies[0]!).proto.syncAssignmentState?.state.case, 'knownSerializedAssignment');
    });
  });

  describe('cancel', () => {
    it('forgets a parked call without answering it', () => {
      const clock = new ManualClock();
      const hub = new SubscriberHub({ clock });
      const c = collector();
      const registration = hub.watch(watchRequest(0), c.onReply);
      registration.cancel();
      registration.cancel();
      assert.equal(hub.stats().parkedCalls, 0);
      hub.publish(makeAssignment(1));
      clock.advance(10_000);
      assert.equal(c.replies.length, 0);
      assert.equal(clock.pendingTimers, 0);
    });
  });

  describe('close', () => {
    it('releases parked calls with the known generation and refuses later ones', () => {
      const clock = new ManualClock();
      const hub = new SubscriberHub({ clock });
      hub.publish(makeAssignment(4));
      const c = collector();
      hub.watch(watchRequest(4), c.onReply);
      hub.close();
      hub.close();
      assert.equal(c.replies.length, 1);
      assert.ok(decode(c.replies[0]!).model.syncAssignmentState.generation.equals(gen(4)));
      assert.throws(() => hub.watch(watchRequest(0), () => undefined), ClosedError);
      assert.equal(hub.publish(makeAssignment(5)), false);
      assert.equal(clock.pendingTimers, 0);
    });
  });

  describe('SubscriberHub invariants', () => {
    it('answers every call exactly once, never before a newer generation or its processing timeout, and never with an older generation than it knows', () => {
      type Op = { kind: 'watch'; known: number; timeoutMs: number } | { kind: 'publish'; n: number } | { kind: 'advance'; ms: number } | { kind: 'cancel'; pick: number };
      const arbOp: fc.Arbitrary<Op> = fc.oneof(
        fc.record({ kind: fc.constant('watch' as const), known: fc.integer({ min: 0, max: 12 }), timeoutMs: fc.constantFrom(1000, 5000, 8000) }),
        fc.record({ kind: fc.constant('publish' as const), n: fc.integer({ min: 1, max: 12 }) }),
        fc.record({ kind: fc.constant('advance' as const), ms: fc.integer({ min: 0, max: 4000 }) }),
        fc.record({ kind: fc.constant('cancel' as const), pick: fc.nat() }),
      );
      fc.assert(
        fc.property(fc.array(arbOp, { maxLength: 80 }), (ops) => {
          const clock = new ManualClock();
          const hub = new SubscriberHub({ clock, maxParkedCalls: 1000 });
          const assignments = new Map<number, ReturnType<typeof makeAssignment>>();
          const calls: { known: number; arrival: number; timeoutMs: number; replies: EncodedClientResponse[]; cancelled: boolean; cancel: () => void; publishedAtArrival: number }[] = [];
          let latest = 0;
          const checkAll = () => {
            for (const c of calls) {
              assert.ok(c.replies.length <= 1, 'at most one reply');
              if (!c.cancelled && c.replies.length === 0) {
                assert.ok(latest <= c.known, 'a call behind the latest generation is never left parked');
                assert.ok(clock.nowMs() < c.arrival + processingTimeoutMs(c.timeoutMs), 'a call is answered by its processing timeout');
              }
            }
          };
          for (const op of ops) {
            if (op.kind === 'watch') {
              const replies: EncodedClientResponse[] = [];
              const arrival = clock.nowMs();
              const reg = hub.watch(watchRequest(op.known, { timeoutMs: op.timeoutMs }), (r) => {
                const m = decode(r).model;
                const g = m.syncAssignmentState.generation;
                if (m.syncAssignmentState.kind === 'known-assignment') {
                  assert.ok(g.compare(op.known === 0 ? Generation.EMPTY : gen(op.known)) > 0, 'assignments only when strictly newer');
                } else {
                  assert.ok(clock.nowMs() >= arrival + processingTimeoutMs(op.timeoutMs), 'generation replies only at the processing timeout');
                }
                assert.ok(g.equals(latest === 0 ? Generation.EMPTY : gen(latest)), 'replies carry the latest generation');
                replies.push(r);
              });
              const entry = { known: op.known, arrival, timeoutMs: op.timeoutMs, replies, cancelled: false, cancel: () => reg.cancel(), publishedAtArrival: latest };
              calls.push(entry);
            } else if (op.kind === 'publish') {
              let a = assignments.get(op.n);
              if (a === undefined) {
                a = makeAssignment(op.n, 1, 1);
                assignments.set(op.n, a);
              }
              const expected = op.n > latest;
              // Replies fire inside publish, so the model moves first.
              if (expected) latest = op.n;
              assert.equal(hub.publish(a), expected);
            } else if (op.kind === 'advance') {
              clock.advance(op.ms);
            } else if (calls.length > 0) {
              const c = calls[op.pick % calls.length]!;
              if (c.replies.length === 0) c.cancelled = true;
              c.cancel();
            }
            checkAll();
            assert.equal(hub.stats().parkedCalls, calls.filter((c) => !c.cancelled && c.replies.length === 0).length);
          }
        }),
        { seed: 42, numRuns: 200 },
      );
    });
  });
});
