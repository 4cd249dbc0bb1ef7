/**
 * What an assignment means for one Slicelet: the slices it owns (coalesced), the added/removed
 * diff between two assignments, and the continuity rule behind `isAssignedContinuously`. Pure: no
 * I/O, no clock.
 *
 * - **Owned slices** (Dicer `Slicelet.assignedSlices`): the slices whose resource set holds a
 *   resource with this Slicelet's address (Affinity: a restarted pod with a new UUID keeps them),
 *   merged where adjacent and sorted.
 * - **Continuity** (Dicer's "subslice map" in `SliceletImpl`): each owned slice is cut into pieces;
 *   a piece covered by a subslice annotation whose owner is *exactly* this SQUID has been owned
 *   since the annotation's `generation_number`, the rest of the slice since the slice's generation
 *   number. A key owned since generation `(incarnation of the assignment, number)` is owned
 *   continuously from a handle's start generation `g` iff that generation is ≤ `g` (so a new
 *   incarnation makes every older handle false) and `g` is not EMPTY.
 *
 * @see protocol.md §4 (Assigned slices, createHandle, isAssignedContinuously), §8 item 9
 */
import {
  type Assignment,
  Generation,
  Slice,
  type SliceAssignment,
  SliceKey,
  SliceSet,
  SliceTable,
  type Squid,
} from '@dicer-ts/common';
import type { AssignedSliceLoad } from './load/load-accumulator.js';

/** Marks a gap between owned pieces in the lookup table. */
const NOT_OWNED = -1n;

/** The slices that changed hands for this Slicelet between two assignments (each coalesced, in key order). */
export interface OwnershipDiff {
  /** Keys owned now that were not owned before. */
  readonly added: readonly Slice[];
  /** Keys owned before that are not owned now. */
  readonly removed: readonly Slice[];
}

/** One piece of an owned slice with the generation number since which this SQUID has owned it. */
export interface ContinuityPiece {
  readonly slice: Slice;
  /** In the assignment's incarnation. */
  readonly sinceNumber: bigint;
}

/** The slice assignments that name this Slicelet (by address, Affinity matching), in key order. */
export function ownedSliceAssignments(assignment: Assignment | undefined, squid: Squid): SliceAssignment[] {
  if (assignment === undefined) return [];
  return assignment.sliceAssignments.filter((s) => s.hasResourceAddress(squid));
}

/** The keys this Slicelet owns in `assignment`: coalesced and sorted (empty without an assignment). */
export function ownedSliceSet(assignment: Assignment | undefined, squid: Squid): SliceSet {
  return SliceSet.create(ownedSliceAssignments(assignment, squid).map((s) => s.slice));
}

/** What the load accumulator needs from `assignment`: each owned slice with its replica count and recorded load. */
export function ownedSliceLoads(assignment: Assignment | undefined, squid: Squid): AssignedSliceLoad[] {
  return ownedSliceAssignments(assignment, squid).map((s) => ({
    slice: s.slice,
    numReplicas: s.resources.length,
    primaryRateLoad: s.primaryRateLoad,
  }));
}

/** The keys gained and lost going from `before` to `after`. */
export function diffOwnership(before: SliceSet, after: SliceSet): OwnershipDiff {
  return { added: after.subtract(before).slices, removed: before.subtract(after).slices };
}

/**
 * The continuity pieces of every owned slice, in key order: annotation pieces of exactly `squid`
 * carry the annotation's generation number, the rest of the slice the slice's.
 */
export function continuityPieces(assignment: Assignment | undefined, squid: Squid): ContinuityPiece[] {
  const out: ContinuityPiece[] = [];
  for (const sa of ownedSliceAssignments(assignment, squid)) {
    const sliceNumber = sa.generation.number;
    const high = sa.slice.highExclusive;
    let cursor: SliceKey | undefined = sa.slice.lowInclusive;
    // Annotations of one owner are ordered, disjoint and inside the slice (a SliceAssignment invariant).
    for (const a of sa.annotationsFor(squid)) {
      const aLow = a.subslice.lowInclusive;
      if (cursor !== undefined && cursor.compare(aLow) < 0) out.push({ slice: Slice.create(cursor, aLow), sinceNumber: sliceNumber });
      out.push({ slice: a.subslice, sinceNumber: a.generationNumber });
      cursor = a.subslice.highExclusive;
      if (cursor === undefined) break;
    }
    if (cursor !== undefined && (high === undefined || cursor.compare(high) < 0)) {
      out.push({ slice: Slice.create(cursor, high), sinceNumber: sliceNumber });
    }
  }
  return out;
}

/**
 * Everything the hot path needs about one assignment, built once per applied assignment: the owned
 * slices and a lookup table from a key to the generation number since which it has been owned.
 * {@link OwnershipSnapshot.isAssignedContinuously} allocates nothing.
 */
export class OwnershipSnapshot {
  /** The snapshot before any assignment: nothing owned. */
  static readonly EMPTY: OwnershipSnapshot = new OwnershipSnapshot(undefined, Generation.EMPTY, SliceSet.EMPTY, []);

  /** The assignment it was built from (undefined for {@link OwnershipSnapshot.EMPTY}). */
  readonly assignment: Assignment | undefined;
  /** Its generation (EMPTY when none). */
  readonly generation: Generation;
  /** The owned keys, coalesced. */
  readonly owned: SliceSet;
  /** Covers the key space: owned pieces and the gaps between them (since = NOT_OWNED); undefined when nothing is owned. */
  private readonly table: SliceTable<ContinuityPiece> | undefined;

  private constructor(assignment: Assignment | undefined, generation: Generation, owned: SliceSet, pieces: readonly ContinuityPiece[]) {
    this.assignment = assignment;
    this.generation = generation;
    this.owned = owned;
    this.table = pieces.length === 0 ? undefined : buildTable(pieces);
  }

  /** The snapshot of `assignment` for `squid`. */
  static create(assignment: Assignment, squid: Squid): OwnershipSnapshot {
    return new OwnershipSnapshot(assignment, assignment.generation, ownedSliceSet(assignment, squid), continuityPieces(assignment, squid));
  }

  /**
   * The index of the lookup-table entry holding `key` (an owned piece or a gap between them), or
   * -1 when nothing is owned. Allocation-free.
   */
  indexOf(key: SliceKey): number {
    const table = this.table;
    return table === undefined ? -1 : table.lookupIndex(key);
  }

  /** The low bound of every lookup-table entry, by index (so callers can attach data per entry). */
  entryLowKeys(): SliceKey[] {
    return this.table === undefined ? [] : this.table.entries.map((e) => e.slice.lowInclusive);
  }

  /**
   * Whether the key at table entry `index` (from {@link OwnershipSnapshot.indexOf}) has been owned
   * without interruption since the start generation `(startIncarnation, startNumber)`: false when
   * the start is EMPTY (`0#0`) or the entry is not owned; else `(this incarnation, since number) ≤
   * start`. Allocation-free.
   */
  isContinuousAt(index: number, startIncarnation: bigint, startNumber: bigint): boolean {
    const table = this.table;
    if (table === undefined || index < 0) return false;
    if (startIncarnation === 0n && startNumber === 0n) return false;
    const since = (table.entries[index] as ContinuityPiece).sinceNumber;
    if (since === NOT_OWNED) return false;
    const incarnation = this.generation.incarnation;
    if (incarnation !== startIncarnation) return incarnation < startIncarnation;
    return since <= startNumber;
  }

  /** {@link OwnershipSnapshot.isContinuousAt} for `key`. Allocation-free. */
  isAssignedContinuously(key: SliceKey, startIncarnation: bigint, startNumber: bigint): boolean {
    return this.isContinuousAt(this.indexOf(key), startIncarnation, startNumber);
  }
}

/** Fills the gaps between the ordered, disjoint pieces with {@link NOT_OWNED} entries so the table covers the key space. */
function buildTable(pieces: readonly ContinuityPiece[]): SliceTable<ContinuityPiece> {
  const entries: ContinuityPiece[] = [];
  let cursor: SliceKey | undefined = SliceKey.MIN;
  for (const p of pieces) {
    if (cursor !== undefined && cursor.compare(p.slice.lowInclusive) < 0) {
      entries.push({ slice: Slice.create(cursor, p.slice.lowInclusive), sinceNumber: NOT_OWNED });
    }
    entries.push(p);
    cursor = p.slice.highExclusive;
  }
  if (cursor !== undefined) entries.push({ slice: Slice.atLeast(cursor), sinceNumber: NOT_OWNED });
  return SliceTable.create(entries, (e) => e.slice);
}
