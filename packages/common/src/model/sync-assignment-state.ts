/**
 * What a Watch request or response says about assignments: either just a generation ("I know up to
 * this") or an assignment diff.
 *
 * @see protocol.md §1.6 (`SyncAssignmentStateP`), §3.3, §3.4, §8 items 7 and 13
 */
import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import { InvalidArgumentError } from '../errors.js';
import { DiffAssignmentPSchema, SyncAssignmentStatePSchema } from '../gen/dicer/common/proto/common_pb.js';
import type { SyncAssignmentStateP } from '../gen/dicer/common/proto/common_pb.js';
import { DiffAssignment } from './diff-assignment.js';
import { Generation } from './generation.js';

/** How an assignment is put on the wire. */
export type AssignmentEncoding =
  /** `known_assignment` (field 2), a nested message. */
  | 'message'
  /** `known_serialized_assignment` (field 3), the same bytes pre-serialized; only for clients that advertise support. */
  | 'serialized';

/** The sync state of a Watch message. */
export class SyncAssignmentState {
  /** Which member of the oneof. */
  readonly kind: 'known-generation' | 'known-assignment';
  /** The known generation, or the carried assignment's generation. */
  readonly generation: Generation;
  /** The carried assignment (`known-assignment` only). */
  readonly diff: DiffAssignment | undefined;

  private constructor(kind: 'known-generation' | 'known-assignment', generation: Generation, diff: DiffAssignment | undefined) {
    this.kind = kind;
    this.generation = generation;
    this.diff = diff;
  }

  /** "I know up to `generation`" (`Generation.EMPTY` for nothing; written as `{0, 0}`). */
  static knownGeneration(generation: Generation): SyncAssignmentState {
    return new SyncAssignmentState('known-generation', generation, undefined);
  }

  /** Carries an assignment (full or partial diff). */
  static knownAssignment(diff: DiffAssignment): SyncAssignmentState {
    return new SyncAssignmentState('known-assignment', diff.generation, diff);
  }

  /**
   * Reads the oneof; a missing message or an empty oneof is an error, and
   * `known_serialized_assignment` is decoded as `DiffAssignmentP` bytes.
   *
   * @throws {InvalidArgumentError} `SyncAssignmentStateP state must not be empty.`, undecodable
   *   serialized bytes, or the generation/diff validation errors.
   */
  static fromProto(proto: SyncAssignmentStateP | undefined): SyncAssignmentState {
    const state = proto?.state;
    switch (state?.case) {
      case 'knownGeneration':
        return SyncAssignmentState.knownGeneration(Generation.fromProto(state.value));
      case 'knownAssignment':
        return SyncAssignmentState.knownAssignment(DiffAssignment.fromProto(state.value));
      case 'knownSerializedAssignment': {
        let decoded;
        try {
          decoded = fromBinary(DiffAssignmentPSchema, state.value);
        } catch (err) {
          throw new InvalidArgumentError(`known_serialized_assignment is not a DiffAssignmentP: ${(err as Error).message}`, { cause: err });
        }
        return SyncAssignmentState.knownAssignment(DiffAssignment.fromProto(decoded));
      }
      default:
        // Dicer throws this directly, without the `requirement failed: ` prefix.
        throw new InvalidArgumentError('SyncAssignmentStateP state must not be empty.');
    }
  }

  /**
   * The wire form. An assignment goes in field 2, or in field 3 with `encoding: 'serialized'` (only
   * for peers whose request set `supports_serialized_assignment`).
   */
  toProto(encoding: AssignmentEncoding = 'message'): SyncAssignmentStateP {
    if (this.diff === undefined) {
      return create(SyncAssignmentStatePSchema, { state: { case: 'knownGeneration', value: this.generation.toProto() } });
    }
    const diffP = this.diff.toProto();
    return encoding === 'serialized'
      ? create(SyncAssignmentStatePSchema, {
          state: { case: 'knownSerializedAssignment', value: toBinary(DiffAssignmentPSchema, diffP) },
        })
      : create(SyncAssignmentStatePSchema, { state: { case: 'knownAssignment', value: diffP } });
  }

  /** Same kind and generation, and equal assignments. */
  equals(other: SyncAssignmentState): boolean {
    if (this.kind !== other.kind || !this.generation.equals(other.generation)) return false;
    return this.diff === undefined || other.diff === undefined ? this.diff === other.diff : this.diff.equals(other.diff);
  }

  /** Debug form. */
  toString(): string {
    return this.diff === undefined ? `knownGeneration(${this.generation})` : `knownAssignment(${this.diff})`;
  }
}
