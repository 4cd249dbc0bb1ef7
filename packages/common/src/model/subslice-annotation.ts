import { create, isFieldSet } from '@bufbuild/protobuf';
import {
  type DiffAssignmentP_SubsliceAnnotationP,
  DiffAssignmentP_SubsliceAnnotationPSchema,
  type DiffAssignmentP_TransferP,
  DiffAssignmentP_TransferPSchema,
} from '../gen/dicer/common/proto/common_pb.js';
import { requireThat } from './requirement.js';
import { type ResourceTableBuilder, resourceAt } from './resource-table.js';
import { Slice } from './slice.js';
import type { Squid } from './squid.js';

/**
 * A state transfer: the new owner of a subslice may fetch its state from `fromResource`.
 *
 * @see protocol.md §1.5 (`TransferP`; Dicer `Transfer`)
 */
export interface Transfer {
  /** Unique within the transfer's generation. */
  readonly id: number;
  /** The resource holding the state; never the annotation's owner. */
  readonly fromResource: Squid;
}

/**
 * Continuity information for part of a slice on one of its resources.
 *
 * @see protocol.md §1.5 (`SubsliceAnnotationP`)
 */
export interface SubsliceAnnotation {
  /** The part of the parent slice this annotation covers. */
  readonly subslice: Slice;
  /**
   * Start of the continuous assignment of the subslice to its owner, in the assignment's
   * incarnation; at most the parent slice's generation number.
   */
  readonly generationNumber: bigint;
  /** Where the owner can fetch the subslice's state from, if anywhere. */
  readonly stateTransfer?: Transfer | undefined;
}

/** An owner and its annotations, ordered and disjoint within the parent slice. */
export interface ResourceAnnotations {
  /** The annotated resource; one of the slice's resources. */
  readonly resource: Squid;
  /** Non-empty, ordered, disjoint, inside the parent slice. */
  readonly annotations: readonly SubsliceAnnotation[];
}

/**
 * Parses a `TransferP` against the resource table.
 *
 * @throws {InvalidArgumentError} "from_resource_id not present in <proto>" or "Resource index N out
 *   of range. Proto contains M resources."
 */
export function transferFromProto(proto: DiffAssignmentP_TransferP, resources: readonly Squid[]): Transfer {
  requireThat(isFieldSet(proto, DiffAssignmentP_TransferPSchema.field.fromResourceId), () => `from_resource_id not present in ${describeTransfer(proto)}`);
  return { id: proto.id, fromResource: resourceAt(resources, proto.fromResourceId) };
}

/** The wire form of a transfer, registering its source in `table`. */
export function transferToProto(transfer: Transfer, table: ResourceTableBuilder): DiffAssignmentP_TransferP {
  return create(DiffAssignmentP_TransferPSchema, { id: transfer.id, fromResourceId: table.indexOf(transfer.fromResource) });
}

/** Parses a `SubsliceAnnotationP`: owner index, subslice, generation number and transfer. */
export function annotationFromProto(
  proto: DiffAssignmentP_SubsliceAnnotationP,
  resources: readonly Squid[],
): { resource: Squid; annotation: SubsliceAnnotation } {
  const resource = resourceAt(resources, proto.resourceId);
  const subslice = Slice.fromProto(proto.subslice);
  const stateTransfer = proto.stateTransfer === undefined ? undefined : transferFromProto(proto.stateTransfer, resources);
  return { resource, annotation: { subslice, generationNumber: proto.generationNumber, stateTransfer } };
}

/**
 * The wire form of one annotation of `owner`. The transfer's source is registered before the owner,
 * as Dicer's encoder does.
 */
export function annotationToProto(
  owner: Squid,
  annotation: SubsliceAnnotation,
  table: ResourceTableBuilder,
): DiffAssignmentP_SubsliceAnnotationP {
  const stateTransfer = annotation.stateTransfer === undefined ? undefined : transferToProto(annotation.stateTransfer, table);
  const proto = create(DiffAssignmentP_SubsliceAnnotationPSchema, {
    resourceId: table.indexOf(owner),
    subslice: annotation.subslice.toProto(),
    generationNumber: annotation.generationNumber,
  });
  if (stateTransfer !== undefined) proto.stateTransfer = stateTransfer;
  return proto;
}

/** True when both annotations hold the same values. */
export function annotationEquals(a: SubsliceAnnotation, b: SubsliceAnnotation): boolean {
  if (!a.subslice.equals(b.subslice) || a.generationNumber !== b.generationNumber) return false;
  if (a.stateTransfer === undefined || b.stateTransfer === undefined) return a.stateTransfer === b.stateTransfer;
  return a.stateTransfer.id === b.stateTransfer.id && a.stateTransfer.fromResource.equals(b.stateTransfer.fromResource);
}

function describeTransfer(proto: DiffAssignmentP_TransferP): string {
  const fields = [`id: ${proto.id}`];
  if (isFieldSet(proto, DiffAssignmentP_TransferPSchema.field.continuousOwnershipGenerationNumber)) {
    fields.push(`continuous_ownership_generation_number: ${proto.continuousOwnershipGenerationNumber}`);
  }
  return `TransferP(${fields.join(', ')})`;
}
