import assert from 'node:assert/strict';
import { describe, it } from 'mocha';
import fc from 'fast-check';
import { fromBinary, toBinary } from '@bufbuild/protobuf';
import { DiffAssignmentP_SliceAssignmentPSchema } from '../../src/gen/dicer/common/proto/common_pb.js';
import { Generation } from '../../src/model/generation.js';
import { ResourceTableBuilder } from '../../src/model/resource-table.js';
import { SliceAssignment } from '../../src/model/slice-assignment.js';
import { Slice } from '../../src/model/slice.js';
import type { Squid } from '../../src/model/squid.js';
import type { SubsliceAnnotation } from '../../src/model/subslice-annotation.js';
import { FC_PARAMS, SQUIDS, arbResources, arbSlice, arbSliceKey } from './arbitraries.js';

/** A slice assignment whose owners carry 1–2 annotations each, some with state transfers. */
const arbAnnotated: fc.Arbitrary<SliceAssignment> = fc
  .tuple(arbSlice, arbResources, fc.bigInt({ min: 1n, max: 1000n }), arbSliceKey, fc.array(fc.tuple(fc.boolean(), fc.nat(), fc.nat()), { minLength: 3, maxLength: 3 }))
  .map(([slice, resources, number, cut, choices]) => {
    const generation = Generation.create(2n, number);
    const inside = slice.contains(cut) && !cut.equals(slice.lowInclusive);
    const pieces = inside ? [Slice.create(slice.lowInclusive, cut), Slice.create(cut, slice.highExclusive)] : [slice];
    const annotations = resources.flatMap((owner, i) => {
      const [withTransfer, from, gen] = choices[i] ?? [false, 0, 0];
      return pieces.map((subslice, k): { resource: Squid; annotation: SubsliceAnnotation } => {
        const source = SQUIDS.filter((s) => !s.equals(owner))[from % (SQUIDS.length - 1)] as Squid;
        return {
          resource: owner,
          annotation: {
            subslice,
            generationNumber: BigInt(gen) % (number + 1n),
            stateTransfer: withTransfer && k === 0 ? { id: i, fromResource: source } : undefined,
          },
        };
      });
    });
    return SliceAssignment.create({ slice, generation, resources, subsliceAnnotations: annotations, primaryRateLoad: Number(number) / 8 });
  });

describe('SliceAssignment invariants', () => {
  it('round-trips model → proto → bytes → proto → model with annotations and transfers', () => {
    fc.assert(
      fc.property(arbAnnotated, (s) => {
        const table = new ResourceTableBuilder();
        const bytes = toBinary(DiffAssignmentP_SliceAssignmentPSchema, s.toProto(table));
        const back = SliceAssignment.fromProto(fromBinary(DiffAssignmentP_SliceAssignmentPSchema, bytes), table.resources());
        assert.ok(back.equals(s), `${back} != ${s}`);
        assert.deepEqual(toBinary(DiffAssignmentP_SliceAssignmentPSchema, back.toProto(new ResourceTableBuilder())), bytes);
      }),
      FC_PARAMS,
    );
  });

  it('keeps annotations inside the slice when restricted to a piece of it', () => {
    fc.assert(
      fc.property(arbAnnotated, arbSlice, (s, other) => {
        const piece = s.slice.intersection(other);
        fc.pre(piece !== undefined);
        const restricted = s.restrictTo(piece as Slice);
        for (const { annotations } of restricted.subsliceAnnotationsByResource) {
          for (const a of annotations) assert.ok((piece as Slice).containsSlice(a.subslice));
        }
      }),
      FC_PARAMS,
    );
  });
});
