/** The heartbeat adapters: `SliceLoadReport` → `SliceLoadP` / `KeyLoadP` on the wire. */
import assert from 'node:assert/strict';
import { proto, Slice, SliceKey, SliceLoad } from '@dicer-ts/common';
import { describe, it } from 'mocha';
import { LoadAccumulator } from '../../src/load/load-accumulator.js';
import { sliceLoadToProto, toSliceLoad } from '../../src/load/load-report.js';

const key = (s: string): SliceKey => SliceKey.fromBytes(Buffer.from(s, 'latin1'));
const START_MS = 1_700_000_000_000;

/** Encodes and decodes, as the Assigner would see the message. */
function roundTrip(msg: proto.ClientRequestP_SliceletDataP_SliceLoadP): proto.ClientRequestP_SliceletDataP_SliceLoadP {
  const schema = proto.ClientRequestP_SliceletDataP_SliceLoadPSchema;
  return proto.fromBinary(schema, proto.toBinary(schema, msg));
}

describe('sliceLoadToProto', () => {
  it('writes the unattributed load with an empty low key present, no high key and one replica', () => {
    const acc = new LoadAccumulator(START_MS);
    acc.incrementPrimaryRateBy(key('x'), 8, START_MS);
    const wire = roundTrip(sliceLoadToProto(acc.readLoad(START_MS + 1500).unattributedLoad));
    assert.equal(wire.primaryRateLoad, 8);
    assert.equal(wire.windowLowInclusiveSeconds, BigInt(START_MS / 1000));
    assert.equal(wire.windowHighExclusiveSeconds, BigInt(START_MS / 1000) + 1n);
    assert.equal(wire.numReplicas, 1);
    assert.ok(proto.isFieldSet(wire, proto.ClientRequestP_SliceletDataP_SliceLoadPSchema.field.numReplicas));
    const slice = wire.slice;
    assert.ok(slice !== undefined);
    assert.ok(proto.isFieldSet(slice, proto.SlicePSchema.field.lowInclusive), 'low_inclusive is written');
    assert.equal(slice.lowInclusive.length, 0);
    assert.ok(!proto.isFieldSet(slice, proto.SlicePSchema.field.highExclusive), 'high_exclusive is absent (∞)');
    assert.deepEqual(wire.topKeys.map((k) => Buffer.from(k.sliceKey).toString('latin1')), ['x']);
    assert.equal(wire.topKeys[0]?.underestimatedPrimaryRateLoad, 8);
  });

  it('writes an attributed slice with both bounds, its replica count and its top keys', () => {
    const acc = new LoadAccumulator(START_MS);
    acc.onAssignmentChanged({ incarnation: 1n, number: 1n }, [{ slice: Slice.create(key('a'), key('m')), numReplicas: 3 }], START_MS);
    acc.incrementPrimaryRateBy(key('c'), 10, START_MS);
    const [load] = acc.readLoad(START_MS + 1000).attributedLoads;
    assert.ok(load !== undefined);
    const wire = roundTrip(sliceLoadToProto(load));
    assert.equal(Buffer.from(wire.slice?.lowInclusive ?? []).toString('latin1'), 'a');
    assert.equal(Buffer.from(wire.slice?.highExclusive ?? []).toString('latin1'), 'm');
    assert.equal(wire.numReplicas, 3);
    assert.equal(wire.topKeys.length, 1);
    assert.ok(proto.isFieldSet(wire.topKeys[0]!, proto.ClientRequestP_SliceletDataP_KeyLoadPSchema.field.sliceKey));
  });
});

describe('toSliceLoad', () => {
  it('gives the common SliceLoad model, equal to what the Assigner decodes from the wire', () => {
    const acc = new LoadAccumulator(START_MS);
    acc.onAssignmentChanged({ incarnation: 1n, number: 1n }, [{ slice: Slice.atLeast(key('b')), numReplicas: 2, primaryRateLoad: 8 }], START_MS);
    acc.incrementPrimaryRateBy(key('q'), 6, START_MS);
    const [load] = acc.readLoad(START_MS + 2000).attributedLoads;
    assert.ok(load !== undefined);
    const model = toSliceLoad(load);
    assert.ok(SliceLoad.fromProto(roundTrip(sliceLoadToProto(load))).equals(model));
    assert.equal(model.numReplicas, 2);
  });

  it('rejects a report whose top key lies outside its slice with InvalidArgumentError', () => {
    const report = {
      primaryRateLoad: 1,
      windowLowInclusiveSeconds: 0n,
      windowHighExclusiveSeconds: 1n,
      slice: Slice.create(key('a'), key('b')),
      topKeys: [{ sliceKey: key('z'), underestimatedPrimaryRateLoad: 1 }],
      numReplicas: 1,
    };
    assert.throws(() => toSliceLoad(report), { name: 'InvalidArgumentError' });
  });
});
