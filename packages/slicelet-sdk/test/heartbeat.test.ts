import assert from 'node:assert/strict';
import { ClientRequest, Generation, Slice, SliceKey, SyncAssignmentState, Target, proto } from '@dicer-ts/common';
import fc from 'fast-check';
import { describe, it } from 'mocha';
import { buildSliceletData, heartbeatState } from '../src/heartbeat.js';
import { LoadAccumulator } from '../src/load/load-accumulator.js';
import { key, squidOf } from './fixtures.js';

const SQUID = squidOf('pod-a');
const START_MS = 1_700_000_000_000;

describe('heartbeat', () => {
  describe('heartbeatState', () => {
    it('reports NOT_READY until ready, RUNNING after, TERMINATING once shutdown began', () => {
      assert.equal(heartbeatState({ terminating: false, ready: false, reportedRunning: false }), 'not-ready');
      assert.equal(heartbeatState({ terminating: false, ready: true, reportedRunning: false }), 'running');
      assert.equal(heartbeatState({ terminating: true, ready: true, reportedRunning: true }), 'terminating');
      assert.equal(heartbeatState({ terminating: true, ready: false, reportedRunning: false }), 'terminating');
    });

    it('never goes back to NOT_READY after RUNNING was reported', () => {
      assert.equal(heartbeatState({ terminating: false, ready: false, reportedRunning: true }), 'running');
    });
  });

  describe('buildSliceletData', () => {
    it('writes state, SQUID, one load per owned slice in key order, the unattributed load and the namespace', () => {
      const accumulator = new LoadAccumulator(START_MS);
      const low = Slice.create(SliceKey.MIN, key(0x80));
      const high = Slice.atLeast(key(0x80));
      accumulator.onAssignmentChanged(Generation.create(1n, 5n), [{ slice: high, numReplicas: 2 }, { slice: low, numReplicas: 1 }], START_MS);
      accumulator.incrementPrimaryRateBy(key(0x10), 6, START_MS + 10);
      accumulator.incrementPrimaryRateBy(key(0x90), 4, START_MS + 10);
      const data = buildSliceletData({ state: 'running', squid: SQUID, kubernetesNamespace: 'prod', load: accumulator.readLoad(START_MS + 1_000) });
      assert.equal(data.state, 'running');
      assert.ok(data.squid.equals(SQUID));
      assert.equal(data.kubernetesNamespace, 'prod');
      assert.deepEqual(data.attributedLoads.map((l) => l.slice.toString()), [low.toString(), high.toString()]);
      assert.deepEqual(data.attributedLoads.map((l) => l.numReplicas), [1, 2]);
      assert.deepEqual(data.attributedLoads.map((l) => l.primaryRateLoad), [6, 4]);
      assert.ok(data.unattributedLoad!.slice.equals(Slice.FULL));
      assert.equal(data.unattributedLoad!.numReplicas, 1);
      assert.equal(data.attributedLoads[0]!.windowLowInclusiveSeconds, BigInt(START_MS / 1000));
      assert.equal(data.attributedLoads[0]!.windowHighExclusiveSeconds, BigInt(START_MS / 1000) + 1n);
    });

    it('reports the largest double rather than +∞ when huge increments overflow (fast-check counterexample)', () => {
      const accumulator = new LoadAccumulator(START_MS);
      accumulator.incrementPrimaryRateBy(key(0), 1.696464263104512e293, START_MS);
      accumulator.incrementPrimaryRateBy(key(0), 1.7976931348623141e308, START_MS);
      const data = buildSliceletData({ state: 'running', squid: SQUID, kubernetesNamespace: '', load: accumulator.readLoad(START_MS + 1_000) });
      assert.equal(data.unattributedLoad!.primaryRateLoad, Number.MAX_VALUE);
    });

    it('round-trips through the wire form as the Assigner parses it', () => {
      const accumulator = new LoadAccumulator(START_MS);
      accumulator.incrementPrimaryRateBy(key(1), 3, START_MS);
      const data = buildSliceletData({ state: 'terminating', squid: SQUID, kubernetesNamespace: 'ns', load: accumulator.readLoad(START_MS + 2_000) });
      const request = ClientRequest.create({
        target: Target.kubernetes('t'),
        syncAssignmentState: SyncAssignmentState.knownGeneration(Generation.EMPTY),
        subscriberDebugName: 'S0-t-pod',
        timeoutMs: 5000,
        subscriber: { kind: 'slicelet', data },
      });
      const parsed = ClientRequest.fromProto(proto.fromBinary(proto.ClientRequestPSchema, proto.toBinary(proto.ClientRequestPSchema, request.toProto())));
      assert.equal(parsed.subscriber.kind, 'slicelet');
      assert.ok(parsed.subscriber.kind === 'slicelet' && parsed.subscriber.data.equals(data));
      const wire = request.toProto().SubscriberDataP;
      assert.ok(wire.case === 'sliceletFields');
      assert.equal(wire.value.state, proto.ClientRequestP_SliceletDataP_State.TERMINATING);
    });
  });
});

describe('heartbeat invariants', () => {
  it('reports only finite non-negative loads, whatever was recorded', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 255 }), fc.double(), fc.integer({ min: 0, max: 5_000 })), { maxLength: 40 }),
        (increments) => {
          const accumulator = new LoadAccumulator(START_MS);
          accumulator.onAssignmentChanged(Generation.create(1n, 1n), [{ slice: Slice.create(SliceKey.MIN, key(0x80)), numReplicas: 1 }], START_MS);
          let t = START_MS;
          for (const [b, v, dt] of increments) {
            t += dt;
            accumulator.incrementPrimaryRateBy(key(b), v, t);
          }
          const data = buildSliceletData({ state: 'running', squid: SQUID, kubernetesNamespace: '', load: accumulator.readLoad(t + 1_000) });
          for (const l of [...data.attributedLoads, data.unattributedLoad!]) {
            assert.ok(Number.isFinite(l.primaryRateLoad) && l.primaryRateLoad >= 0);
            for (const k of l.topKeys) assert.ok(l.slice.contains(k.key));
          }
        },
      ),
      { seed: 42, numRuns: 200 },
    );
  });
});
