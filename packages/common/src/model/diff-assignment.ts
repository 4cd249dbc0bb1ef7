import { create } from '@bufbuild/protobuf';
import { type DiffAssignmentP, DiffAssignmentPSchema } from '../gen/dicer/common/proto/common_pb.js';
import { Generation } from './generation.js';
import { requireThat } from './requirement.js';
import { ResourceTableBuilder } from './resource-table.js';
import { SliceAssignment } from './slice-assignment.js';
import { type GapEntry, SliceMap } from './slice-map.js';
import { Squid } from './squid.js';

/**
 * How "is this key assigned to me" is decided: `affinity` compares resource addresses only (a pod
 * restarted with a new UUID keeps its slices); `strong` compares whole SQUIDs. OSS Dicer always
 * decodes assignments as `affinity`.
 *
 * @see protocol.md §2.5
 */
export type ConsistencyMode = 'affinity' | 'strong';

/**
 * The slices a diff carries: all of them (`full`, a complete map), or (`partial`) only those
 * changed after `diffGeneration`, with the holes between them as gap entries.
 */
export type DiffSliceMap =
  | { readonly kind: 'full'; readonly map: SliceMap<SliceAssignment> }
  | { readonly kind: 'partial'; readonly diffGeneration: Generation; readonly map: SliceMap<GapEntry<SliceAssignment>> };

/** The values of a {@link DiffAssignment}. */
export interface DiffAssignmentInit {
  /** @default false */
  readonly isFrozen?: boolean;
  /** @default 'affinity' */
  readonly consistencyMode?: ConsistencyMode;
  /** The assignment generation; never EMPTY. */
  readonly generation: Generation;
  /** The slices carried. */
  readonly sliceMap: DiffSliceMap;
}

/**
 * An assignment as sent on the wire (`DiffAssignmentP`): either the full slice map or, within one
 * non-loose incarnation, the slices changed since a `diffGeneration` the receiver already knows.
 * Apply it with `Assignment.fromDiff`.
 *
 * Invariants (checked on construction and decode, in Dicer's order): generation non-empty; Strong
 * mode only in non-loose incarnations; a partial diff's `diffGeneration` is non-loose, in the
 * assignment's incarnation and ≤ its generation; every slice generation is in the assignment's
 * incarnation and ≤ its generation.
 *
 * @see protocol.md §1.5, §2.6 (Dicer `DiffAssignment.scala`); vectors `diff_assignment_test_data.json`
 */
export class DiffAssignment {
  /** Whether the assigner has frozen the assignment. */
  readonly isFrozen: boolean;
  /** Affinity or Strong. */
  readonly consistencyMode: ConsistencyMode;
  /** The assignment generation. */
  readonly generation: Generation;
  /** Full or partial slices. */
  readonly sliceMap: DiffSliceMap;

  private constructor(init: Required<DiffAssignmentInit>) {
    this.isFrozen = init.isFrozen;
    this.consistencyMode = init.consistencyMode;
    this.generation = init.generation;
    this.sliceMap = init.sliceMap;
  }

  /**
   * A validated diff.
   *
   * @throws {InvalidArgumentError} "Assignment must have non-empty generation.", "Consistent
   *   assignment cannot be in the loose incarnation.", "Assignments in the loose incarnation cannot
   *   have diffs.", "Diff generation D must be …", "Slice generation S must be …".
   */
  static create(init: DiffAssignmentInit): DiffAssignment {
    const consistencyMode = init.consistencyMode ?? 'affinity';
    const slices =
      init.sliceMap.kind === 'full'
        ? init.sliceMap.map.entries
        : init.sliceMap.map.entries.flatMap((e) => (e.kind === 'some' ? [e.value] : []));
    validateAssignmentInvariants(
      init.generation,
      consistencyMode,
      init.sliceMap.kind === 'partial' ? init.sliceMap.diffGeneration : undefined,
      slices,
    );
    return new DiffAssignment({ isFrozen: init.isFrozen ?? false, consistencyMode, generation: init.generation, sliceMap: init.sliceMap });
  }

  /**
   * Parses and validates a `DiffAssignmentP`. `diff_generation` absent or in a loose incarnation
   * makes it full (the slices must cover the key space); otherwise partial (ordered, disjoint, gaps
   * allowed). `is_consistent` is ignored: the result is always Affinity, as in OSS Dicer.
   *
   * Order (it decides which message wins): resources, generation, diff generation, each slice
   * assignment, slice-map shape, then the invariants of {@link DiffAssignment.create}.
   *
   * @throws {InvalidArgumentError} with Dicer's texts.
   * @see protocol.md §8 item 12
   */
  static fromProto(proto: DiffAssignmentP): DiffAssignment {
    const resources = proto.resources.map((r) => Squid.fromProto(r));
    const generation = Generation.fromProto(proto.generation);
    const diffGeneration = Generation.fromProto(proto.diffGeneration);
    const slices = proto.sliceAssignments.map((s) => SliceAssignment.fromProto(s, resources));
    const getSlice = (s: SliceAssignment) => s.slice;
    const sliceMap: DiffSliceMap = diffGeneration.isLoose()
      ? { kind: 'full', map: SliceMap.createComplete(slices, getSlice) }
      : { kind: 'partial', diffGeneration, map: SliceMap.createFromOrderedDisjointEntries(slices, getSlice) };
    return DiffAssignment.create({ isFrozen: proto.isFrozen, consistencyMode: 'affinity', generation, sliceMap });
  }

  /**
   * The wire form: generation, the (non-gap) slice assignments in key order, the resource table
   * they index, `is_frozen` only when true and `diff_generation` only for partial diffs.
   * `is_consistent` is never written (OSS Dicer does not).
   */
  toProto(): DiffAssignmentP {
    const table = new ResourceTableBuilder();
    const sliceAssignments = this.sliceAssignments().map((s) => s.toProto(table));
    const proto = create(DiffAssignmentPSchema, {
      generation: this.generation.toProto(),
      sliceAssignments,
      resources: table.resources().map((r) => r.toProto()),
    });
    if (this.isFrozen) proto.isFrozen = true;
    if (this.sliceMap.kind === 'partial') proto.diffGeneration = this.sliceMap.diffGeneration.toProto();
    return proto;
  }

  /** True for a full diff. */
  isFull(): boolean {
    return this.sliceMap.kind === 'full';
  }

  /** The slice assignments carried (gaps left out), in key order. */
  sliceAssignments(): SliceAssignment[] {
    return this.sliceMap.kind === 'full'
      ? [...this.sliceMap.map.entries]
      : this.sliceMap.map.entries.flatMap((e) => (e.kind === 'some' ? [e.value] : []));
  }

  /** Every SQUID assigned to a carried slice, sorted, without duplicates. */
  assignedResources(): Squid[] {
    const all = this.sliceAssignments().flatMap((s) => s.resources).sort((a, b) => a.compare(b));
    return all.filter((r, i) => i === 0 || !(all[i - 1] as Squid).equals(r));
  }

  /** True when every value is equal. */
  equals(other: DiffAssignment): boolean {
    if (this.isFrozen !== other.isFrozen || this.consistencyMode !== other.consistencyMode) return false;
    if (!this.generation.equals(other.generation) || this.sliceMap.kind !== other.sliceMap.kind) return false;
    if (this.sliceMap.kind === 'partial' && other.sliceMap.kind === 'partial') {
      if (!this.sliceMap.diffGeneration.equals(other.sliceMap.diffGeneration)) return false;
    }
    const a = this.sliceAssignments();
    const b = other.sliceAssignments();
    return a.length === b.length && a.every((s, i) => s.equals(b[i] as SliceAssignment));
  }

  /** A short debug form: generation, kind and slice count. */
  toString(): string {
    const kind = this.sliceMap.kind === 'full' ? 'full' : `partial since ${this.sliceMap.diffGeneration}`;
    return `DiffAssignment(${this.generation}, ${kind}, ${this.sliceAssignments().length} slices)`;
  }
}

/**
 * The checks shared by `DiffAssignment` and `Assignment`, in Dicer's order and with its texts.
 *
 * @throws {InvalidArgumentError} on the first failure.
 */
export function validateAssignmentInvariants(
  generation: Generation,
  consistencyMode: ConsistencyMode,
  diffGeneration: Generation | undefined,
  sliceAssignments: readonly SliceAssignment[],
): void {
  requireThat(!generation.isEmpty(), () => 'Assignment must have non-empty generation.');
  requireThat(
    consistencyMode !== 'strong' || !generation.isLoose(),
    () => 'Consistent assignment cannot be in the loose incarnation.',
  );
  if (diffGeneration !== undefined) {
    requireThat(!diffGeneration.isLoose(), () => 'Assignments in the loose incarnation cannot have diffs.');
    requireThat(
      diffGeneration.incarnation === generation.incarnation,
      () => `Diff generation ${diffGeneration} must be in the same incarnation as the assignment generation ${generation}.`,
    );
    requireThat(
      diffGeneration.compare(generation) <= 0,
      () => `Diff generation ${diffGeneration} must be less than or equal to the assignment generation ${generation}.`,
    );
  }
  for (const s of sliceAssignments) {
    requireThat(
      s.generation.incarnation === generation.incarnation,
      () => `Slice generation ${s.generation} must be in the same incarnation as the assignment generation ${generation}.`,
    );
    requireThat(
      s.generation.compare(generation) <= 0,
      () => `Slice generation ${s.generation} must be less than or equal to the assignment generation ${generation}.`,
    );
  }
}
