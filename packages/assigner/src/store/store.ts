/**
 * The Store contract: where the generator writes assignments and learns the latest one.
 *
 * Dicer's `Store.scala` (store-ha.md §2.1): `watchAssignments` eventually delivers the latest
 * (highest-generation) assignment of a target, possibly skipping intermediate ones;
 * `writeAssignment` is a compare-and-swap on the proposal's predecessor generation, and the
 * **store picks the generation** of the committed assignment; `informAssignment` feeds an
 * assignment learned elsewhere (a Slicelet, a Clerk) into the cache; `getLatestKnownAssignment`
 * reads the cache, which may be stale.
 *
 * One store incarnation per process: every generation a store writes has
 * `incarnation = storeIncarnation`; it may observe assignments of any incarnation.
 *
 * Implementations: `in-memory-store.ts` (loose incarnation, this issue) and the etcd store of
 * issue #5 (non-loose incarnation, durable, linear history).
 *
 * @see store-ha.md §2.1–2.2
 */
import type { Assignment, Generation, Slice, Squid, Target } from '@dicer-ts/common';

/** One slice of a {@link ProposedAssignment}: what the algorithm decided, before a generation exists. */
export interface ProposedAssignmentSlice {
  /** The slice. */
  readonly slice: Slice;
  /** The resources holding the slice; at least one, no duplicates. */
  readonly resources: readonly Squid[];
  /** The measured load of the whole slice, if known (the initial assignment records none). */
  readonly primaryRateLoad?: number | undefined;
}

/**
 * An assignment the generator wants to commit: a complete slice map and the predecessor it was
 * computed from (Dicer's `ProposedAssignment`).
 */
export interface ProposedAssignment {
  /**
   * The assignment this one replaces, the compare-and-swap anchor: the write commits only if the
   * store's current assignment of the target has exactly this generation. `undefined` means "no
   * assignment exists". The generator claims a predecessor only in the store's own incarnation.
   */
  readonly predecessor: Assignment | undefined;
  /** The new slices in key order, covering the whole key space. */
  readonly slices: readonly ProposedAssignmentSlice[];
  /**
   * Applied to the committed assignment before it is stored (state transfer, issue #10: planning
   * needs the generation the store picks). Returns an assignment of the same generation and
   * slices; may run more than once when a store retries a write. @default none
   */
  readonly finalize?: ((committed: Assignment) => Assignment) | undefined;
}

/**
 * The outcome of {@link Store.writeAssignment}: the committed assignment, or the generation that
 * made the compare-and-swap fail (an expected outcome, not an error; the generator learns the
 * winner through {@link Store.watchAssignments}).
 */
export type WriteAssignmentResult =
  | { readonly kind: 'committed'; readonly assignment: Assignment }
  | { readonly kind: 'occ-failure'; readonly existingGeneration: Generation };

/** Stops a {@link Store.watchAssignments} subscription; idempotent. */
export type CancelWatch = () => void;

/**
 * Where assignments live. All methods are safe to call from any target's serial queue; callbacks
 * never run synchronously inside the call that caused them.
 *
 * @see store-ha.md §2.1
 */
export interface Store {
  /** The incarnation of every generation this store writes. */
  readonly storeIncarnation: bigint;

  /**
   * Subscribes to the latest assignment of `target`: `callback` eventually receives the
   * highest-generation assignment (at once, asynchronously, if one is known), then every newer one
   * it learns about; intermediate versions may be skipped.
   *
   * @throws {ClosedError} after {@link Store.close}.
   */
  watchAssignments(target: Target, callback: (assignment: Assignment) => void): CancelWatch;

  /**
   * Commits `proposal` if the target's current assignment has the predecessor's generation (or
   * there is none and the proposal claims none). The store picks a generation strictly greater than
   * everything it knows for the target, in its own incarnation, and computes slice generations
   * (a slice unchanged since the predecessor keeps its generation).
   *
   * @param shouldFreeze whether the committed assignment is frozen (generators skip frozen targets)
   * @throws {ClosedError} after {@link Store.close}.
   * @throws {UnavailableError} when the backing service cannot be reached (durable stores).
   */
  writeAssignment(target: Target, shouldFreeze: boolean, proposal: ProposedAssignment): Promise<WriteAssignmentResult>;

  /**
   * Feeds an assignment learned elsewhere into the cache; the store keeps it only if it is in its
   * own incarnation and newer than what it holds (then watchers hear of it).
   */
  informAssignment(target: Target, assignment: Assignment): void;

  /** The newest assignment of `target` the store knows (a cached, possibly stale view). */
  getLatestKnownAssignment(target: Target): Assignment | undefined;

  /** Releases resources and ends every watch; idempotent. */
  close(): Promise<void>;
}
