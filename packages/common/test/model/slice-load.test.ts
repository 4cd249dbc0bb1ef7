import assert from 'node:assert/strict';
import { describe, it } from 'mocha';
import { proto, Slice, SliceKey } from '@dicer-ts/common';
import { KeyLoad, SliceLoad } from '../../src/model/slice-load.js';
import { SliceletData } from '../../src/model/slicelet-data.js';
import { createTestSquid } from '../../src/model/squid.js';

const key = (s: string) => SliceKey.fromBytes(new TextEncoder().encode(s));

describe('SliceLoad', () => {
  it('accepts -0.0 and an empty window, and defaults to the full slice and one replica', () => {
    const load = SliceLoad.create({ primaryRateLoad: -0, windowLowInclusiveSeconds: 5n, windowHighExclusiveSeconds: 5n });
    assert.ok(load.slice.equals(Slice.FULL));
    assert.equal(load.numReplicas, 1);
  });

  it('writes the full slice as low_inclusive "" with no high bound', () => {
    const p = SliceLoad.create({ primaryRateLoad: 1, windowLowInclusiveSeconds: 0n, windowHighExclusiveSeconds: 1n }).toProto();
    assert.ok(p.slice !== undefined);
    assert.equal(proto.isFieldSet(p.slice, proto.SlicePSchema.field.lowInclusive), true);
    assert.equal(proto.isFieldSet(p.slice, proto.SlicePSchema.field.highExclusive), false);
    assert.equal(proto.isFieldSet(p, proto.ClientRequestP_SliceletDataP_SliceLoadPSchema.field.numReplicas), true);
  });

  it('validates direct construction as on the wire (fractional replicas too)', () => {
    const base = { primaryRateLoad: 1, windowLowInclusiveSeconds: 0n, windowHighExclusiveSeconds: 1n };
    assert.throws(() => SliceLoad.create({ ...base, numReplicas: 1.5 }), { message: 'numReplicas must be positive: 1.5.' });
    assert.throws(() => SliceLoad.create({ ...base, slice: Slice.create(key('a'), key('b')), topKeys: [KeyLoad.create(key('c'), 1)] }), {
      message: 'requirement failed: Top key c must be contained in slice [a .. b).',
    });
    assert.throws(() => KeyLoad.create(key('a'), Number.POSITIVE_INFINITY), /Infinity must be finite/);
  });

  it('parses the slice before the top keys (Dicer’s order)', () => {
    const p = proto.create(proto.ClientRequestP_SliceletDataP_SliceLoadPSchema, {
      slice: { lowInclusive: new Uint8Array([2]), highExclusive: new Uint8Array([1]) },
      topKeys: [{}],
    });
    assert.throws(() => SliceLoad.fromProto(p), /Low key must be less than high key/);
  });
});

describe('SliceletData', () => {
  it('ignores the deprecated and lease fields and never writes them', () => {
    const p = proto.create(proto.ClientRequestP_SliceletDataPSchema, {
      nonce: 'n',
      uri: 'u',
      state: proto.ClientRequestP_SliceletDataP_State.RUNNING,
      squid: createTestSquid('Pod0').toProto(),
      kubernetesNamespace: 'ns',
      releasedSquids: [createTestSquid('Pod1').toProto()],
    });
    const data = SliceletData.fromProto(p);
    assert.equal(data.state, 'running');
    const back = data.toProto();
    assert.equal(proto.isFieldSet(back, proto.ClientRequestP_SliceletDataPSchema.field.nonce), false);
    assert.equal(back.releasedSquids.length, 0);
  });

  it('requires a SQUID with a parseable address', () => {
    const p = proto.create(proto.ClientRequestP_SliceletDataPSchema, { kubernetesNamespace: 'ns' });
    assert.throws(() => SliceletData.fromProto(p), /URI must not be empty/);
  });
});
