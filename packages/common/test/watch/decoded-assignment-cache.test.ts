import assert from 'node:assert/strict';
import { describe, it } from 'mocha';
import { fromBinary, toBinary } from '@bufbuild/protobuf';
import { ClientResponsePSchema, DiffAssignmentPSchema } from '../../src/gen/dicer/common/proto/common_pb.js';
import { InvalidArgumentError } from '../../src/errors.js';
import type { Assignment } from '../../src/model/assignment.js';
import { Generation } from '../../src/model/generation.js';
import { ManualClock } from '../../src/clock.js';
import {
  DecodedAssignmentCache,
  prebuiltAssignmentOf,
  serializedFullAssignmentOf,
} from '../../src/watch/decoded-assignment-cache.js';
import { SubscriberHub } from '../../src/watch/subscriber-hub.js';
import { applyAssignmentDiff } from '../../src/watch/watch-client.js';
import { ClientResponse } from '../../src/model/client-response.js';
import { makeAssignment, watchRequest } from './fixtures.js';

const TARGET = 'softstore';

function fullBytes(a: Assignment): Uint8Array {
  return toBinary(DiffAssignmentPSchema, a.toDiff(Generation.EMPTY).toProto());
}

describe('DecodedAssignmentCache', () => {
  it('decodes identical bytes once and shares the diff and the built Assignment', () => {
    const cache = new DecodedAssignmentCache();
    const bytes = fullBytes(makeAssignment(5, 8, 3));
    const first = cache.decode(TARGET, bytes);
    // A different buffer with the same content, as a second gRPC reply would carry.
    const second = cache.decode(TARGET, Uint8Array.from(bytes));
    assert.equal(second, first, 'the same DiffAssignment object');
    assert.deepEqual(cache.stats(), { hits: 1, misses: 1, entries: 1 });
    const built = prebuiltAssignmentOf(first);
    assert.ok(built?.equals(makeAssignment(5, 8, 3)));
  });

  it('decodes other bytes of another generation (a miss)', () => {
    const cache = new DecodedAssignmentCache();
    const a = cache.decode(TARGET, fullBytes(makeAssignment(5)));
    const b = cache.decode(TARGET, fullBytes(makeAssignment(6)));
    assert.notEqual(a, b);
    assert.ok(b.generation.equals(makeAssignment(6).generation));
    assert.deepEqual(cache.stats(), { hits: 0, misses: 2, entries: 2 });
  });

  it('never answers a different byte string of the same generation with the cached one', () => {
    const cache = new DecodedAssignmentCache();
    const twoPods = makeAssignment(7, 4, 2);
    const threePods = makeAssignment(7, 4, 3);
    const a = cache.decode(TARGET, fullBytes(twoPods));
    const b = cache.decode(TARGET, fullBytes(threePods));
    assert.notEqual(a, b);
    assert.ok(prebuiltAssignmentOf(a)?.equals(twoPods));
    assert.ok(prebuiltAssignmentOf(b)?.equals(threePods));
    // Same length, one byte changed: still a miss.
    const bytes = fullBytes(twoPods);
    const changed = Uint8Array.from(bytes);
    const i = changed.lastIndexOf('0'.charCodeAt(0));
    assert.ok(i >= 0);
    changed[i] = '1'.charCodeAt(0);
    assert.notEqual(cache.decode(TARGET, changed), a);
    assert.equal(cache.stats().hits, 0);
  });

  it('keeps the same bytes apart per target', () => {
    const cache = new DecodedAssignmentCache();
    const bytes = fullBytes(makeAssignment(5));
    assert.notEqual(cache.decode('one', bytes), cache.decode('two', bytes));
  });

  it('keeps at most maxPerTarget byte strings per target and maxTargets targets', () => {
    const cache = new DecodedAssignmentCache({ maxPerTarget: 2, maxTargets: 2 });
    const b1 = fullBytes(makeAssignment(1));
    const first = cache.decode(TARGET, b1);
    cache.decode(TARGET, fullBytes(makeAssignment(2)));
    cache.decode(TARGET, fullBytes(makeAssignment(3)));
    assert.equal(cache.stats().entries, 2);
    assert.notEqual(cache.decode(TARGET, b1), first, 'the oldest was evicted, so decoded again');
    cache.decode('other', b1);
    cache.decode('third', b1);
    assert.equal(cache.stats().entries, 2, `${TARGET} (least recently used) evicted`);
    assert.throws(() => new DecodedAssignmentCache({ maxPerTarget: 0 }), InvalidArgumentError);
  });

  it('rejects bytes that are not a DiffAssignmentP and caches nothing', () => {
    const cache = new DecodedAssignmentCache();
    assert.throws(() => cache.decode(TARGET, Uint8Array.of(0xff, 0xff, 0xff)), InvalidArgumentError);
    assert.equal(cache.stats().entries, 0);
  });

  it('does not let the caller mutate a cached entry through its buffer', () => {
    const cache = new DecodedAssignmentCache();
    const bytes = fullBytes(makeAssignment(5));
    const diff = cache.decode(TARGET, bytes);
    const pristine = Uint8Array.from(bytes);
    bytes.fill(0);
    assert.equal(cache.decode(TARGET, pristine), diff);
  });
});

describe('applyAssignmentDiff with a prebuilt Assignment', () => {
  it('applies the shared Assignment over an older one and follows fromDiff for equal or newer', () => {
    const cache = new DecodedAssignmentCache();
    const diff = cache.decode(TARGET, fullBytes(makeAssignment(5)));
    const shared = prebuiltAssignmentOf(diff)!;
    for (const known of [undefined, makeAssignment(4)]) {
      const outcome = applyAssignmentDiff(known, diff);
      assert.equal(outcome.kind === 'applied' && outcome.assignment, shared);
    }
    assert.deepEqual(applyAssignmentDiff(makeAssignment(5), diff), { kind: 'unused', reason: 'diff-matches-known' });
    assert.deepEqual(applyAssignmentDiff(makeAssignment(6), diff), { kind: 'unused', reason: 'too-stale-diff' });
  });
});

describe('SubscriberHub re-publishing a decoded Assignment', () => {
  it('serves the very bytes the Assignment was decoded from, without encoding it', () => {
    const cache = new DecodedAssignmentCache();
    const bytes = fullBytes(makeAssignment(5, 8, 3));
    const shared = prebuiltAssignmentOf(cache.decode(TARGET, bytes))!;
    const hub = new SubscriberHub({ clock: new ManualClock() });
    hub.publish(shared);
    let reply: Uint8Array | undefined;
    hub.watch(watchRequest(0, { serialized: true }), (r) => (reply = r.bytes));
    assert.equal(hub.stats().assignmentEncodings, 0);
    const state = fromBinary(ClientResponsePSchema, reply!).syncAssignmentState?.state;
    assert.equal(state?.case, 'knownSerializedAssignment');
    assert.deepEqual(state.value, bytes);
    assert.ok(ClientResponse.fromProto(fromBinary(ClientResponsePSchema, reply!)).syncAssignmentState.diff?.equals(shared.toDiff(Generation.EMPTY)));
  });

  it('lets a second hub of the process reuse the first hub encoding of the same Assignment', () => {
    const a = makeAssignment(9);
    const hubs = [new SubscriberHub({ clock: new ManualClock() }), new SubscriberHub({ clock: new ManualClock() })];
    for (const hub of hubs) {
      hub.publish(a);
      hub.watch(watchRequest(0, { serialized: true }), () => undefined);
    }
    assert.equal(hubs[0]!.stats().assignmentEncodings + hubs[1]!.stats().assignmentEncodings, 1);
    assert.ok(serializedFullAssignmentOf(a) !== undefined);
  });
});
