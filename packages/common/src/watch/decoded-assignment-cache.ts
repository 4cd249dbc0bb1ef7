/**
 * Decode once per process: every Slicelet watching the same Assigner, and every Clerk watching a
 * Slicelet of the same process, receives the same `known_serialized_assignment` bytes for a new
 * generation. Decoding them (`fromBinary` + `DiffAssignment.fromProto` + `Assignment.fromDiff`) costs
 * milliseconds per watcher for a few hundred slices, so 1,000 Clerks in one process would spend
 * seconds of one thread on identical work. This cache decodes a byte string once and hands every
 * watcher the same immutable {@link DiffAssignment} and, for a full diff, the same {@link Assignment}.
 *
 * Correctness before speed: an entry is found only by comparing the whole byte string (length first,
 * then the bytes), so two different encodings — even of the same generation — never share a
 * result. Per target only the last few distinct byte strings are kept (a watcher only ever needs
 * the newest), and only so many targets (least recently used first out).
 *
 * Two process-wide side tables go with it, both weak so nothing is kept alive by them:
 * - a full diff's pre-built Assignment, used by {@link applyAssignmentDiff}-style appliers instead
 *   of rebuilding it per watcher ({@link prebuiltAssignmentOf});
 * - an Assignment's full-diff bytes, so a Slicelet re-publishing what it decoded serves the very
 *   bytes it received (no re-encoding, and its Clerks hit this cache) ({@link serializedFullAssignmentOf},
 *   {@link rememberSerializedFullAssignment}).
 *
 * @see protocol.md §1.6 (`known_serialized_assignment`), §3.3
 */
import { fromBinary } from '@bufbuild/protobuf';
import { InvalidArgumentError } from '../errors.js';
import { DiffAssignmentPSchema } from '../gen/dicer/common/proto/common_pb.js';
import { Assignment } from '../model/assignment.js';
import { DiffAssignment } from '../model/diff-assignment.js';

/** Distinct byte strings kept per target by default: the newest few generations. */
export const DEFAULT_DECODED_PER_TARGET = 4;
/** Targets kept by default; the least recently used one goes first. */
export const DEFAULT_DECODED_TARGETS = 64;

/** Options of {@link DecodedAssignmentCache}. */
export interface DecodedAssignmentCacheOptions {
  /** Distinct byte strings kept per target. @default 4 */
  readonly maxPerTarget?: number;
  /** Targets kept. @default 64 */
  readonly maxTargets?: number;
}

/** Counters, for tests and metrics. */
export interface DecodedAssignmentCacheStats {
  /** Lookups answered from the cache. */
  readonly hits: number;
  /** Lookups that decoded the bytes. */
  readonly misses: number;
  /** Entries held now, over all targets. */
  readonly entries: number;
}

interface Entry {
  /** A private copy: the caller's buffer may be a view into a larger, reused one. */
  readonly bytes: Uint8Array;
  readonly diff: DiffAssignment;
}

/** Full diffs decoded by a cache → the Assignment built from them (shared by every watcher). */
const PREBUILT = new WeakMap<DiffAssignment, Assignment>();
/** Assignments → the bytes of their full `DiffAssignmentP` (received or encoded once). */
const SERIALIZED = new WeakMap<Assignment, Uint8Array>();

/**
 * The Assignment a {@link DecodedAssignmentCache} built for `diff` (a full diff only), or
 * undefined. Its generation equals `diff.generation` and it is what `Assignment.fromDiff(undefined,
 * diff)` returns, so an applier may use it for any `known` strictly older than `diff`.
 */
export function prebuiltAssignmentOf(diff: DiffAssignment): Assignment | undefined {
  return PREBUILT.get(diff);
}

/** The bytes of `assignment` as a full `DiffAssignmentP`, when this process already has them. */
export function serializedFullAssignmentOf(assignment: Assignment): Uint8Array | undefined {
  return SERIALIZED.get(assignment);
}

/**
 * Records `bytes` as the full-diff encoding of `assignment` (first one wins), so later servers of
 * the same Assignment object reuse them. The caller guarantees the bytes decode to it.
 */
export function rememberSerializedFullAssignment(assignment: Assignment, bytes: Uint8Array): void {
  if (!SERIALIZED.has(assignment)) SERIALIZED.set(assignment, bytes);
}

/** Byte-for-byte equality (length first). */
function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.byteLength !== b.byteLength) return false;
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
}

/**
 * A bounded map from (target, exact bytes of a serialized `DiffAssignmentP`) to the decoded diff.
 *
 * @example
 * ```ts
 * const diff = PROCESS_DECODED_ASSIGNMENTS.decode(target.toString(), state.value);
 * const full = prebuiltAssignmentOf(diff); // the shared Assignment, for a full diff
 * ```
 */
export class DecodedAssignmentCache {
  private readonly maxPerTarget: number;
  private readonly maxTargets: number;
  /** Per target, newest entry last; the Map's order is least recently used first. */
  private readonly byTarget = new Map<string, Entry[]>();
  private hits = 0;
  private misses = 0;

  /** @throws {InvalidArgumentError} when a bound is not a positive integer. */
  constructor(options: DecodedAssignmentCacheOptions = {}) {
    this.maxPerTarget = options.maxPerTarget ?? DEFAULT_DECODED_PER_TARGET;
    this.maxTargets = options.maxTargets ?? DEFAULT_DECODED_TARGETS;
    for (const [name, value] of [['maxPerTarget', this.maxPerTarget], ['maxTargets', this.maxTargets]] as const) {
      if (!(Number.isSafeInteger(value) && value > 0)) throw new InvalidArgumentError(`${name} must be a positive integer, got ${value}`);
    }
  }

  /**
   * The diff `bytes` encode, decoded at most once while cached. A full diff also gets its
   * Assignment built once ({@link prebuiltAssignmentOf}) and remembered with its bytes
   * ({@link serializedFullAssignmentOf}).
   *
   * @throws {InvalidArgumentError} for bytes that are not a valid `DiffAssignmentP` (never cached).
   */
  decode(target: string, bytes: Uint8Array): DiffAssignment {
    let entries = this.byTarget.get(target);
    if (entries !== undefined) {
      // Refresh the target's recency.
      this.byTarget.delete(target);
      this.byTarget.set(target, entries);
      for (let i = entries.length - 1; i >= 0; i--) {
        const entry = entries[i] as Entry;
        if (sameBytes(entry.bytes, bytes)) {
          this.hits++;
          return entry.diff;
        }
      }
    }
    this.misses++;
    const copy = Uint8Array.prototype.slice.call(bytes) as Uint8Array;
    let decoded;
    try {
      decoded = fromBinary(DiffAssignmentPSchema, copy);
    } catch (err) {
      throw new InvalidArgumentError(`known_serialized_assignment is not a DiffAssignmentP: ${(err as Error).message}`, { cause: err });
    }
    const diff = DiffAssignment.fromProto(decoded);
    if (diff.isFull()) {
      try {
        const built = Assignment.fromDiff(undefined, diff);
        if (built.kind === 'applied') {
          PREBUILT.set(diff, built.assignment);
          rememberSerializedFullAssignment(built.assignment, copy);
        }
      } catch {
        // A diff the applier rejects (Strong mode) is rejected again, per watcher, by fromDiff.
      }
    }
    if (entries === undefined) {
      entries = [];
      this.byTarget.set(target, entries);
      if (this.byTarget.size > this.maxTargets) this.byTarget.delete(this.byTarget.keys().next().value as string);
    }
    entries.push({ bytes: copy, diff });
    if (entries.length > this.maxPerTarget) entries.shift();
    return diff;
  }

  /** Counters: hits, misses and entries held. */
  stats(): DecodedAssignmentCacheStats {
    let entries = 0;
    for (const list of this.byTarget.values()) entries += list.length;
    return { hits: this.hits, misses: this.misses, entries };
  }
}

/** The cache every {@link WatchClient} of this process shares. */
export const PROCESS_DECODED_ASSIGNMENTS = new DecodedAssignmentCache();
