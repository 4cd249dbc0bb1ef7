import assert from 'node:assert/strict';
import { describe, it } from 'mocha';
import fc from 'fast-check';
import { create, fromBinary, isFieldSet, toBinary } from '@bufbuild/protobuf';
import { SlicePSchema } from '../../src/gen/dicer/friend/proto/friend_pb.js';
import { Slice } from '../../src/model/slice.js';
import { FC_PARAMS, arbSlice, arbSliceKey } from './arbitraries.js';

describe('Slice invariants', () => {
  it('intersects commutatively, holding exactly the keys both hold', () => {
    fc.assert(
      fc.property(arbSlice, arbSlice, fc.array(arbSliceKey, { maxLength: 20 }), (a, b, keys) => {
        const ab = a.intersection(b);
        const ba = b.intersection(a);
        assert.equal(ab === undefined, ba === undefined);
        if (ab !== undefined && ba !== undefined) assert.ok(ab.equals(ba));
        for (const k of [...keys, a.lowInclusive, b.lowInclusive]) {
          assert.equal(ab?.contains(k) ?? false, a.contains(k) && b.contains(k));
        }
      }),
      FC_PARAMS,
    );
  });

  it('round-trips through SliceP bytes, keeping infinity as an absent high bound', () => {
    fc.assert(
      fc.property(arbSlice, (s) => {
        const proto = fromBinary(SlicePSchema, toBinary(SlicePSchema, s.toProto()));
        assert.equal(isFieldSet(proto, SlicePSchema.field.highExclusive), s.highExclusive !== undefined);
        assert.ok(Slice.fromProto(proto).equals(s));
      }),
      FC_PARAMS,
    );
  });
});

describe('Slice.fromProto', () => {
  it('rejects a present-but-empty high bound as an empty slice', () => {
    const proto = create(SlicePSchema, { lowInclusive: new Uint8Array(0), highExclusive: new Uint8Array(0) });
    assert.throws(() => Slice.fromProto(proto), /Low key must be less than high key/);
  });
});
