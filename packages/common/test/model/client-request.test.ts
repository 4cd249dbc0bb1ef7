/**
 * ClientRequest / ClientResponse / SyncAssignmentState / SliceLoad: round trips model → proto →
 * bytes → proto → model (fast-check, fixed seed) and the behaviours the vectors do not cover.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'mocha';
import fc from 'fast-check';
import { proto, Slice, SliceKey } from '@dicer-ts/common';
import { ClientRequest } from '../../src/model/client-request.js';
import { ClientResponse } from '../../src/model/client-response.js';
import { DiffAssignment } from '../../src/model/diff-assignment.js';
import { Generation } from '../../src/model/generation.js';
import { SliceAssignment } from '../../src/model/slice-assignment.js';
import { SliceMap } from '../../src/model/slice-map.js';
import { KeyLoad, SliceLoad } from '../../src/model/slice-load.js';
import { SliceletData } from '../../src/model/slicelet-data.js';
import type { SliceletState } from '../../src/model/slicelet-data.js';
import { createTestSquid } from '../../src/model/squid.js';
import { SyncAssignmentState } from '../../src/model/sync-assignment-state.js';
import { Target } from '../../src/model/target.js';

const CLUSTER = 'kubernetes-cluster:test-env/cloud1/public/region8/clustertype2/01';

function key(text: string): SliceKey {
  return SliceKey.fromBytes(new TextEncoder().encode(text));
}

/** A two-slice full assignment at `gen` over test SQUIDs. */
function fullDiff(gen: Generation): DiffAssignment {
  const g = gen;
  const slices = [
    SliceAssignment.create({ slice: Slice.create(SliceKey.MIN, key('m')), generation: g, resources: [createTestSquid('Pod0')], primaryRateLoad: 1.5 }),
    SliceAssignment.create({ slice: Slice.atLeast(key('m')), generation: g, resources: [createTestSquid('Pod1'), createTestSquid('Pod0')] }),
  ];
  return DiffAssignment.create({ generation: g, sliceMap: { kind: 'full', map: SliceMap.createComplete(slices, (s) => s.slice) } });
}

const load = fc
  .record({
    primary: fc.double({ min: 0, max: 1e9, noNaN: true }),
    low: fc.bigInt({ min: 0n, max: 1n << 40n }),
    width: fc.bigInt({ min: 0n, max: 86_400n }),
    replicas: fc.integer({ min: 1, max: 5 }),
    topLoads: fc.array(fc.double({ min: 0, max: 100, noNaN: true }), { maxLength: 3 }),
  })
  .map(({ primary, low, width, replicas, topLoads }) =>
    SliceLoad.create({
      primaryRateLoad: primary,
      windowLowInclusiveSeconds: low,
      windowHighExclusiveSeconds: low + width,
      slice: Slice.create(key('a'), key('n')),
      topKeys: topLoads.map((l, i) => KeyLoad.create(key(`b${i}`), l)),
      numReplicas: replicas,
    }),
  );

const subscriber = fc.oneof(
  fc.constant({ kind: 'clerk' as const }),
  fc
    .record({
      state: fc.constantFrom<SliceletState>('unknown', 'not-ready', 'running', 'terminating'),
      loads: fc.array(load, { maxLength: 3 }),
      unattributed: fc.option(load, { nil: undefined }),
      name: fc.constantFrom('Pod0', 'https://10.0.0.1:8080'),
    })
    .map(({ state, loads, unattributed, name }) => ({
      kind: 'slicelet' as const,
      data: SliceletData.create({
        state,
        squid: createTestSquid(name),
        attributedLoads: loads,
        ...(unattributed === undefined ? {} : { unattributedLoad: unattributed }),
        kubernetesNamespace: 'ns',
      }),
    })),
);

const generation = fc
  .record({ inc: fc.bigInt({ min: 0n, max: 1000n }), num: fc.bigInt({ min: 1n, max: (1n << 63n) - 1n }) })
  .map(({ inc, num }) => Generation.create(inc, num));

const syncState = fc.oneof(
  fc.constant(SyncAssignmentState.knownGeneration(Generation.EMPTY)),
  generation.map((g) => SyncAssignmentState.knownGeneration(g)),
  generation.map((g) => SyncAssignmentState.knownAssignment(fullDiff(g))),
);

const target = fc.constantFrom(Target.kubernetes('softstore'), Target.kubernetes('softstore', CLUSTER), Target.app('app', 'inst-1'));

describe('ClientRequest', () => {
  it('round-trips model → proto → bytes → proto → model (property)', () => {
    fc.assert(
      fc.property(target, syncState, subscriber, fc.integer({ min: 1, max: 600_000 }), (t, s, sub, timeoutMs) => {
        const request = ClientRequest.create({ target: t, syncAssignmentState: s, subscriberDebugName: 'S1-softstore-pod', timeoutMs, subscriber: sub });
        const bytes = proto.toBinary(proto.ClientRequestPSchema, request.toProto());
        const back = ClientRequest.fromProto(proto.fromBinary(proto.ClientRequestPSchema, bytes));
        assert.ok(back.equals(request), `${back} != ${request}`);
      }),
      { seed: 42, numRuns: 150 },
    );
  });

  it('always writes version and the serialized-assignment feature bit', () => {
    const request = ClientRequest.create({
      target: Target.kubernetes('softstore'),
      syncAssignmentState: SyncAssignmentState.knownGeneration(Generation.EMPTY),
      subscriberDebugName: 'C1-softstore-host',
      timeoutMs: 5000,
      subscriber: { kind: 'clerk' },
    });
    const p = request.toProto();
    assert.equal(p.version, 1_761_600_610n);
    assert.equal(p.clientFeatureSupport?.supportsSerializedAssignment, true);
    // EMPTY is written explicitly as {0, 0} (protocol.md §8 item 13).
    const state = p.syncAssignmentState?.state;
    assert.equal(state?.case, 'knownGeneration');
    assert.equal(proto.isFieldSet(state.value, proto.GenerationPSchema.field.incarnation), true);
  });

  it('keeps a foreign cluster and drops the Assigner’s own cluster', () => {
    const request = ClientRequest.create({
      target: Target.kubernetes('softstore', CLUSTER),
      syncAssignmentState: SyncAssignmentState.knownGeneration(Generation.EMPTY),
      subscriberDebugName: 'S1',
      timeoutMs: 5000,
      subscriber: { kind: 'clerk' },
    });
    assert.equal(ClientRequest.fromProto(request.toProto()).target.toString(), `${CLUSTER}:softstore`);
    assert.equal(ClientRequest.fromProto(request.toProto(), { assignerClusterUri: CLUSTER }).target.toString(), 'softstore');
  });

  it('rejects non-positive timeouts and empty debug names at construction', () => {
    const base = {
      target: Target.kubernetes('softstore'),
      syncAssignmentState: SyncAssignmentState.knownGeneration(Generation.EMPTY),
      subscriber: { kind: 'clerk' as const },
    };
    assert.throws(() => ClientRequest.create({ ...base, subscriberDebugName: 'x', timeoutMs: 0 }), /Positive timeout value needed: 0 milliseconds/);
    assert.throws(() => ClientRequest.create({ ...base, subscriberDebugName: '', timeoutMs: 1 }), /Subscriber debug name must not be empty/);
  });
});

describe('ClientResponse', () => {
  it('round-trips in both assignment encodings (property)', () => {
    fc.assert(
      fc.property(syncState, fc.integer({ min: 1000, max: 10_000_000 }), fc.constantFrom(undefined, 'https://assigner-1:24500'), (s, t, redirect) => {
        const response = ClientResponse.create({ syncAssignmentState: s, suggestedRpcTimeoutMs: t, ...(redirect === undefined ? {} : { redirectAddress: redirect }) });
        for (const encoding of ['message', 'serialized'] as const) {
          const bytes = proto.toBinary(proto.ClientResponsePSchema, response.toProto(encoding));
          assert.ok(ClientResponse.fromProto(proto.fromBinary(proto.ClientResponsePSchema, bytes)).equals(response));
        }
      }),
      { seed: 42, numRuns: 100 },
    );
  });

  it('writes the serialized form byte-identical to the message form', () => {
    const diff = fullDiff(Generation.create(2n, 42n));
    const state = SyncAssignmentState.knownAssignment(diff);
    const serialized = state.toProto('serialized').state;
    assert.equal(serialized.case, 'knownSerializedAssignment');
    assert.deepEqual(serialized.value, proto.toBinary(proto.DiffAssignmentPSchema, diff.toProto()));
  });

  it('always writes a redirect, empty when there is none, and reads "" as none', () => {
    const response = ClientResponse.create({ syncAssignmentState: SyncAssignmentState.knownGeneration(Generation.EMPTY), suggestedRpcTimeoutMs: 5000 });
    const p = response.toProto();
    assert.ok(p.redirect !== undefined);
    assert.equal(proto.isFieldSet(p.redirect, proto.RedirectPSchema.field.address), false);
    p.redirect.address = '';
    assert.equal(ClientResponse.fromProto(p).redirectAddress, undefined);
  });

  it('rejects undecodable serialized assignment bytes', () => {
    const p = proto.create(proto.ClientResponsePSchema, {
      syncAssignmentState: { state: { case: 'knownSerializedAssignment', value: new Uint8Array([0x0a, 0x05, 0x01]) } },
      suggestedRpcTimeoutMillis: 5000n,
    });
    assert.throws(() => ClientResponse.fromProto(p), /known_serialized_assignment is not a DiffAssignmentP/);
  });
});
