import { InvalidArgumentError } from '../errors.js';
import { SliceTable } from '../lookup/slice-table.js';
import { type ConsistencyMode, DiffAssignment, validateAssignmentInvariants } from './diff-assignment.js';
import { Generation } from './generation.js';
import { requireThat } from './requirement.js';
import { SliceAssignment } from './slice-assignment.js';
import type { SliceKey } from './slice-key.js';
import { SliceMap } from './slice-map.js';
import { SliceSet } from './slice-set.js';
import type { Squid } from './squid.js';

/** The values of an {@link Assignment}. */
export interface AssignmentInit {
  /** @default false */
  readonly isFrozen?: boolean;
  /** @default 'affinity' */
  readonly consistencyMode?: ConsistencyMode;
  /** The assignment generation; never EMPTY. */
  readonly generation: Generation;
  /** Slice assignments in key order covering `["" .. ∞)` exactly. */
  readonly sliceAssignments: readonly SliceAssignment[];
}

/**
 * What {@link Assignment.fromDiff} made of a diff. Only `applied` yields an assignment; the others
 * are Dicer's "diff unused" reasons, expected outcomes rather than errors:
 * `too-stale-diff` (the known assignment is newer), `diff-matches-known` (same generation),
 * `no-known` (a partial diff and nothing known), `too-stale-known` (the known assignment is older
 * than the diff's base) and `inconsistency` (a known slice is newer than the diff's slice there).
 *
 * @see protocol.md §2.6
 */
export type FromDiffResult =
  | { readonly kind: 'applied'; readonly assignment: Assignment }
  | { readonly kind: 'too-stale-diff' }
  | { readonly kind: 'diff-matches-known' }
  | { readonly kind: 'no-known' }
  | { readonly kind: 'too-stale-known' }
  | { readonly kind: 'inconsistency' };

/**
 * Dicer's exact text for a Strong-mode diff handed to `fromDiff` (Scala throws
 * `NotImplementedError`; the bug reference was redacted in the public source).
 */
export const STRONG_MODE_NOT_IMPLEMENTED_MESSAGE = 'TODO(<internal bug>): Only Affinity is currently supported';

/**
 * A complete assignment of the key space: which resources own each slice, at which generation.
 *
 * Invariants: `generation` non-empty; the slice assignments cover `["" .. ∞)` exactly; each slice
 * generation is in the assignment's incarnation and ≤ it; Strong mode only in non-loose
 * incarnations.
 *
 * @see protocol.md §2.5–2.6 (Dicer `Assignment.scala`); vectors `assignment_test_data.json`
 */
export class Assignment {
  /** Whether the assigner has frozen the assignment. */
  readonly isFrozen: boolean;
  /** Affinity (address match) or Strong (SQUID match). */
  readonly consistencyMode: ConsistencyMode;
  /** The assignment generation. */
  readonly generation: Generation;
  /** The slice assignments, complete. */
  readonly sliceMap: SliceMap<SliceAssignment>;
  private table: SliceTable<SliceAssignment> | undefined;

  private constructor(isFrozen: boolean, mode: ConsistencyMode, generation: Generation, sliceMap: SliceMap<SliceAssignment>) {
    this.isFrozen = isFrozen;
    this.consistencyMode = mode;
    this.generation = generation;
    this.sliceMap = sliceMap;
  }

  /**
   * A validated assignment.
   *
   * @throws {InvalidArgumentError} a slice-map text ("Gap between successive entries: …") or an
   *   invariant text ("Assignment must have non-empty generation.", "Slice generation …").
   */
  static create(init: AssignmentInit): Assignment {
    const mode = init.consistencyMode ?? 'affinity';
    const sliceMap = SliceMap.createComplete(init.sliceAssignments, (s) => s.slice);
    validateAssignmentInvariants(init.generation, mode, undefined, init.sliceAssignments);
    return new Assignment(init.isFrozen ?? false, mode, init.generation, sliceMap);
  }

  /**
   * The diff a receiver that knows `diffGeneration` needs: partial (only slices whose generation is
   * newer than `diffGeneration`) when both are in the same non-loose incarnation, else full.
   *
   * @throws {InvalidArgumentError} "Diff generation D must be less than or equal to assignment
   *   generation G" when `diffGeneration` is newer than this assignment.
   */
  toDiff(diffGeneration: Generation): DiffAssignment {
    requireThat(
      diffGeneration.compare(this.generation) <= 0,
      () => `Diff generation ${diffGeneration} must be less than or equal to assignment generation ${this.generation}`,
    );
    const base = { isFrozen: this.isFrozen, consistencyMode: this.consistencyMode, generation: this.generation };
    if (diffGeneration.incarnation !== this.generation.incarnation || this.generation.isLoose()) {
      return DiffAssignment.create({ ...base, sliceMap: { kind: 'full', map: this.sliceMap } });
    }
    const changed = this.sliceMap.entries.filter((s) => s.generation.compare(diffGeneration) > 0);
    return DiffAssignment.create({
      ...base,
      sliceMap: { kind: 'partial', diffGeneration, map: SliceMap.createFromOrderedDisjointEntries(changed, (s) => s.slice) },
    });
  }

  /**
   * Applies `diff` to the `known` assignment (if any). A full diff is taken as is; a partial diff
   * keeps the known slice assignments in its gaps and takes its own entries elsewhere.
   *
   * @throws {InvalidArgumentError} {@link STRONG_MODE_NOT_IMPLEMENTED_MESSAGE} for a Strong-mode
   *   diff, before any other check (as Dicer).
   */
  static fromDiff(known: Assignment | undefined, diff: DiffAssignment): FromDiffResult {
    if (diff.consistencyMode === 'strong') throw new InvalidArgumentError(STRONG_MODE_NOT_IMPLEMENTED_MESSAGE);
    if (known !== undefined) {
      const order = known.generation.compare(diff.generation);
      if (order > 0) return { kind: 'too-stale-diff' };
      if (order === 0) return { kind: 'diff-matches-known' };
    }
    const base = { isFrozen: diff.isFrozen, consistencyMode: diff.consistencyMode, generation: diff.generation };
    const sliceMap = diff.sliceMap;
    if (sliceMap.kind === 'full') {
      return { kind: 'applied', assignment: Assignment.create({ ...base, sliceAssignments: sliceMap.map.entries }) };
    }
    if (known === undefined) return { kind: 'no-known' };
    if (known.generation.compare(sliceMap.diffGeneration) < 0) return { kind: 'too-stale-known' };
    const pieces = SliceMap.intersectSlices(known.sliceMap, sliceMap.map);
    const out: SliceAssignment[] = [];
    for (let i = 0; i < pieces.length; i++) {
      const piece = pieces[i] as (typeof pieces)[number];
      const entry = piece.right;
      if (entry.kind === 'gap') {
        out.push(piece.left.restrictTo(piece.slice));
        continue;
      }
      if (piece.left.generation.compare(entry.value.generation) > 0) return { kind: 'inconsistency' };
      // A diff entry may span several known slices: emit it once, at its last piece.
      const next = pieces[i + 1];
      if (next === undefined || next.rightIndex !== piece.rightIndex) out.push(entry.value);
    }
    return { kind: 'applied', assignment: Assignment.create({ ...base, sliceAssignments: out }) };
  }

  /** The slice assignments in key order. */
  get sliceAssignments(): readonly SliceAssignment[] {
    return this.sliceMap.entries;
  }

  /** The allocation-free lookup table over the slices, built on first use. */
  get sliceTable(): SliceTable<SliceAssignment> {
    this.table ??= SliceTable.create(this.sliceMap.entries, (s) => s.slice);
    return this.table;
  }

  /** The slice assignment whose slice holds `key`. */
  lookup(key: SliceKey): SliceAssignment {
    return this.sliceTable.lookup(key);
  }

  /**
   * True when the slice holding `key` is assigned to `squid`: by address in Affinity mode (a
   * restarted pod keeps its slices), by whole SQUID in Strong mode.
   */
  isAssignedKey(key: SliceKey, squid: Squid): boolean {
    return this.isAssigned(this.lookup(key), squid);
  }

  /** True when `sliceAssignment` is assigned to `squid` under this assignment's consistency mode. */
  isAssigned(sliceAssignment: SliceAssignment, squid: Squid): boolean {
    return this.consistencyMode === 'affinity' ? sliceAssignment.hasResourceAddress(squid) : sliceAssignment.hasResource(squid);
  }

  /** The coalesced set of keys assigned to `squid` (consistency-mode matching). */
  getSliceSetForResource(squid: Squid): SliceSet {
    return SliceSet.create(this.getAssignedSliceAssignments(squid).map((s) => s.slice));
  }

  /** The slice assignments assigned to `squid` (consistency-mode matching), in key order. */
  getAssignedSliceAssignments(squid: Squid): SliceAssignment[] {
    return this.sliceMap.entries.filter((s) => this.isAssigned(s, squid));
  }

  /** Every SQUID assigned to some slice, sorted, without duplicates. */
  assignedResources(): Squid[] {
    const all = this.sliceMap.entries.flatMap((s) => s.resources).sort((a, b) => a.compare(b));
    return all.filter((r, i) => i === 0 || !(all[i - 1] as Squid).equals(r));
  }

  /** True when every value is equal. */
  equals(other: Assignment): boolean {
    if (this === other) return true;
    if (this.isFrozen !== other.isFrozen || this.consistencyMode !== other.consistencyMode) return false;
    if (!this.generation.equals(other.generation)) return false;
    const a = this.sliceMap.entries;
    const b = other.sliceMap.entries;
    return a.length === b.length && a.every((s, i) => s.equals(b[i] as SliceAssignment));
  }

  /** A debug form: generation, mode and one line per slice. */
  toString(): string {
    const head = `Assignment(${this.generation}, ${this.consistencyMode}${this.isFrozen ? ', frozen' : ''})`;
    return [head, ...this.sliceMap.entries.map((s) => `  ${s}`)].join('\n');
  }
}
