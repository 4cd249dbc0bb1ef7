import { create, isFieldSet } from '@bufbuild/protobuf';
import {
  type DiffAssignmentP_SliceAssignmentP,
  DiffAssignmentP_SliceAssignmentPSchema,
} from '../gen/dicer/common/proto/common_pb.js';
import { Generation } from './generation.js';
import { formatJavaDouble } from './java-format.js';
import { requireThat } from './requirement.js';
import { type ResourceTableBuilder, resourceAt } from './resource-table.js';
import { Slice, compareHigh } from './slice.js';
import type { SliceKey } from './slice-key.js';
import type { Squid } from './squid.js';
import {
  type ResourceAnnotations,
  type SubsliceAnnotation,
  annotationEquals,
  annotationFromProto,
  annotationToProto,
} from './subslice-annotation.js';

/** The values of a {@link SliceAssignment}, as given to {@link SliceAssignment.create}. */
export interface SliceAssignmentInit {
  /** The slice assigned. */
  readonly slice: Slice;
  /** The generation since which the slice's assignment is unchanged; never EMPTY. */
  readonly generation: Generation;
  /** The resources the slice is assigned to (a set: order and repeats do not matter). */
  readonly resources: Iterable<Squid>;
  /** Annotations, each tagged with its owner, in order per owner. */
  readonly subsliceAnnotations?: Iterable<{ readonly resource: Squid; readonly annotation: SubsliceAnnotation }>;
  /** The slice's measured primary rate load; `undefined` is unknown. */
  readonly primaryRateLoad?: number | undefined;
}

/**
 * One slice of an assignment: the slice, the set of SQUIDs it is assigned to, the generation since
 * which that is unchanged, continuity annotations per resource and an optional load.
 *
 * Invariants (checked by {@link SliceAssignment.create}, Dicer's order and texts): resources
 * non-empty; generation non-empty; every annotated resource owns the slice and has a non-empty,
 * ordered, disjoint list of annotations inside the slice, none newer than the slice generation and
 * none transferring from its own owner; the load is a finite non-negative number.
 *
 * @see protocol.md §2.5 (Dicer `SliceAssignment.scala`); vectors `slice_assignment_test_data.json`
 */
export class SliceAssignment {
  /** The slice assigned. */
  readonly slice: Slice;
  /** Unchanged since this generation. */
  readonly generation: Generation;
  /** The assigned resources, sorted by SQUID order, without duplicates. */
  readonly resources: readonly Squid[];
  /** Annotations grouped by owner, owners in SQUID order. */
  readonly subsliceAnnotationsByResource: readonly ResourceAnnotations[];
  /** The primary rate load, or `undefined` when unknown. */
  readonly primaryRateLoad: number | undefined;

  private constructor(
    slice: Slice,
    generation: Generation,
    resources: readonly Squid[],
    annotations: readonly ResourceAnnotations[],
    primaryRateLoad: number | undefined,
  ) {
    this.slice = slice;
    this.generation = generation;
    this.resources = resources;
    this.subsliceAnnotationsByResource = annotations;
    this.primaryRateLoad = primaryRateLoad;
  }

  /**
   * A validated slice assignment.
   *
   * @throws {InvalidArgumentError} with Dicer's texts, e.g. "The assigned resources must be
   *   non-empty", "Slice assignment must have non-empty generation.", "Subslice annotations must be
   *   contained in slice: …", "… must be non-negative".
   */
  static create(init: SliceAssignmentInit): SliceAssignment {
    const resources = sortedUnique(init.resources);
    requireThat(resources.length > 0, () => 'The assigned resources must be non-empty');
    const generation = init.generation;
    requireThat(!generation.isEmpty(), () => 'Slice assignment must have non-empty generation.');
    const grouped = groupAnnotations(init.subsliceAnnotations ?? []);
    for (const { resource, annotations } of grouped) {
      requireThat(
        resources.some((r) => r.equals(resource)),
        () => `Subslice annotations must be to one of the resources that own the slice: expected one of {${resources.join(', ')}}, got ${resource}`,
      );
      requireThat(annotations.length > 0, () => `Subslice annotations for ${resource} must be non-empty`);
      validateAnnotations(init.slice, generation, resource, annotations);
    }
    const load = init.primaryRateLoad;
    if (load !== undefined) {
      requireThat(!Number.isNaN(load), () => `Primary rate load ${formatJavaDouble(load)} must be a number`);
      requireThat(load >= 0, () => `Primary rate load ${formatJavaDouble(load)} must be non-negative`);
      requireThat(Number.isFinite(load), () => `Primary rate load ${formatJavaDouble(load)} must be finite`);
    }
    return new SliceAssignment(init.slice, generation, resources, grouped, load);
  }

  /**
   * Parses a `DiffAssignmentP.SliceAssignmentP` against the diff's resource table. Order: slice,
   * generation, resource indices (first bad index in list order), annotations, then the invariants
   * of {@link SliceAssignment.create}.
   *
   * @throws {InvalidArgumentError} "Low key must be less than high key", "Resource index N out of
   *   range. Proto contains M resources.", or an invariant's text.
   */
  static fromProto(proto: DiffAssignmentP_SliceAssignmentP, resources: readonly Squid[]): SliceAssignment {
    const slice = Slice.fromProto(proto.slice);
    const generation = Generation.fromProto(proto.generation);
    const owners: Squid[] = [];
    for (const index of proto.resourceIndices) owners.push(resourceAt(resources, index));
    const annotations = proto.subsliceAnnotations.map((a) => annotationFromProto(a, resources));
    const load = isFieldSet(proto, DiffAssignmentP_SliceAssignmentPSchema.field.primaryRateLoadOpt) ? proto.primaryRateLoadOpt : undefined;
    return SliceAssignment.create({ slice, generation, resources: owners, subsliceAnnotations: annotations, primaryRateLoad: load });
  }

  /**
   * The wire form, numbering resources through `table`: the slice's resources first (SQUID order),
   * then the annotations grouped by owner in SQUID order (a transfer's source before its owner).
   */
  toProto(table: ResourceTableBuilder): DiffAssignmentP_SliceAssignmentP {
    const proto = create(DiffAssignmentP_SliceAssignmentPSchema, {
      slice: this.slice.toProto(),
      generation: this.generation.toProto(),
      resourceIndices: this.resources.map((r) => table.indexOf(r)),
      subsliceAnnotations: this.subsliceAnnotationsByResource.flatMap(({ resource, annotations }) =>
        annotations.map((a) => annotationToProto(resource, a, table)),
      ),
    });
    if (this.primaryRateLoad !== undefined) proto.primaryRateLoadOpt = this.primaryRateLoad;
    return proto;
  }

  /** True when `squid` is one of the resources, compared by full SQUID. */
  hasResource(squid: Squid): boolean {
    return this.resources.some((r) => r.equals(squid));
  }

  /** True when a resource has the same address as `squid` (Affinity matching: UUID ignored). */
  hasResourceAddress(squid: Squid): boolean {
    return this.resources.some((r) => r.resourceAddress.equals(squid.resourceAddress));
  }

  /** The annotations of `resource`, empty when it has none. */
  annotationsFor(resource: Squid): readonly SubsliceAnnotation[] {
    return this.subsliceAnnotationsByResource.find((g) => g.resource.equals(resource))?.annotations ?? [];
  }

  /** True when `key` is in the slice. */
  contains(key: SliceKey): boolean {
    return this.slice.contains(key);
  }

  /**
   * The same assignment over `piece` (a sub-range of the slice), with the annotations clipped to it.
   * Used when a diff splits a known slice.
   */
  restrictTo(piece: Slice): SliceAssignment {
    if (piece.equals(this.slice)) return this;
    const annotations: { resource: Squid; annotation: SubsliceAnnotation }[] = [];
    for (const { resource, annotations: list } of this.subsliceAnnotationsByResource) {
      for (const a of list) {
        const clipped = a.subslice.intersection(piece);
        if (clipped !== undefined) annotations.push({ resource, annotation: { ...a, subslice: clipped } });
      }
    }
    return SliceAssignment.create({
      slice: piece,
      generation: this.generation,
      resources: this.resources,
      subsliceAnnotations: annotations,
      primaryRateLoad: this.primaryRateLoad,
    });
  }

  /** A copy with another generation (re-validated). */
  withGeneration(generation: Generation): SliceAssignment {
    return SliceAssignment.create({
      slice: this.slice,
      generation,
      resources: this.resources,
      subsliceAnnotations: this.flatAnnotations(),
      primaryRateLoad: this.primaryRateLoad,
    });
  }

  /** The annotations as a flat list of (owner, annotation), grouped by owner. */
  flatAnnotations(): { resource: Squid; annotation: SubsliceAnnotation }[] {
    return this.subsliceAnnotationsByResource.flatMap(({ resource, annotations }) => annotations.map((annotation) => ({ resource, annotation })));
  }

  /** True when every value is equal (resources as sets, annotations per owner in order). */
  equals(other: SliceAssignment): boolean {
    if (this === other) return true;
    if (!this.slice.equals(other.slice) || !this.generation.equals(other.generation)) return false;
    if (this.primaryRateLoad !== other.primaryRateLoad) return false;
    if (this.resources.length !== other.resources.length) return false;
    if (!this.resources.every((r, i) => r.equals(other.resources[i] as Squid))) return false;
    const a = this.subsliceAnnotationsByResource;
    const b = other.subsliceAnnotationsByResource;
    if (a.length !== b.length) return false;
    return a.every((g, i) => {
      const h = b[i] as ResourceAnnotations;
      return (
        g.resource.equals(h.resource) &&
        g.annotations.length === h.annotations.length &&
        g.annotations.every((x, j) => annotationEquals(x, h.annotations[j] as SubsliceAnnotation))
      );
    });
  }

  /** A one-line debug form: slice, generation, resources. */
  toString(): string {
    return `${this.slice} @${this.generation} -> {${this.resources.join(', ')}}`;
  }
}

function sortedUnique(resources: Iterable<Squid>): Squid[] {
  const sorted = [...resources].sort((a, b) => a.compare(b));
  return sorted.filter((r, i) => i === 0 || !(sorted[i - 1] as Squid).equals(r));
}

/** Groups annotations by owner (owners in SQUID order), keeping each owner's given order. */
function groupAnnotations(
  flat: Iterable<{ readonly resource: Squid; readonly annotation: SubsliceAnnotation }>,
): ResourceAnnotations[] {
  const groups: { resource: Squid; annotations: SubsliceAnnotation[] }[] = [];
  for (const { resource, annotation } of flat) {
    let group = groups.find((g) => g.resource.equals(resource));
    if (group === undefined) {
      group = { resource, annotations: [] };
      groups.push(group);
    }
    group.annotations.push(annotation);
  }
  return groups.sort((a, b) => a.resource.compare(b.resource));
}

function validateAnnotations(slice: Slice, generation: Generation, owner: Squid, annotations: readonly SubsliceAnnotation[]): void {
  // `cursor` is where the next annotation may start: the slice low, then each annotation's end.
  let cursor: SliceKey | undefined = slice.lowInclusive;
  for (const a of annotations) {
    requireThat(
      a.generationNumber <= generation.number,
      () => `Subslice annotations cannot have a newer generation: ${a.generationNumber} > ${generation.number} for ${owner}`,
    );
    requireThat(
      cursor !== undefined && cursor.compare(a.subslice.lowInclusive) <= 0,
      () => `Subslice annotations must be contained in slice and must be ordered and disjoint: ${slice}, ${a.subslice}`,
    );
    const transfer = a.stateTransfer;
    requireThat(
      transfer === undefined || !transfer.fromResource.equals(owner),
      () => `State transfer cannot be from and to the same resource ${owner}`,
    );
    cursor = a.subslice.highExclusive;
  }
  requireThat(
    compareHigh(cursor, slice.highExclusive) <= 0,
    () => `Subslice annotations must be contained in slice: ${slice}, ${annotations.map((a) => a.subslice).join(', ')}`,
  );
}
