import type { SliceKey } from './slice-key.js';
import { Slice, compareHigh } from './slice.js';
import { requireThat } from './requirement.js';

/** An entry of a gap-filled partial map: a value given by the caller, or a hole between them. */
export type GapEntry<T> =
  | { readonly kind: 'some'; readonly slice: Slice; readonly value: T }
  | { readonly kind: 'gap'; readonly slice: Slice };

/** One piece of {@link SliceMap.intersectSlices}: the common slice and the entries it came from. */
export interface IntersectionEntry<L, R> {
  /** The keys both entries cover. */
  readonly slice: Slice;
  /** Index of the left entry in the left map. */
  readonly leftIndex: number;
  /** Index of the right entry in the right map. */
  readonly rightIndex: number;
  /** The left entry. */
  readonly left: L;
  /** The right entry. */
  readonly right: R;
}

/**
 * Ordered entries, each covering a slice, that together cover the whole key space `["" .. ∞)`
 * exactly: no gap, no overlap. Partial maps are made complete by filling their holes with gap
 * entries ({@link SliceMap.createFromOrderedDisjointEntries}). Lookup is a binary search.
 *
 * Invariant: `entries` is non-empty, the first slice starts at `""`, each slice starts where the
 * previous ends, and only the last is unbounded.
 *
 * @see protocol.md §2.5 (Dicer `SliceMap.scala`); vectors `slice_map_test_data.json`
 */
export class SliceMap<T> {
  /** The entries in key order. */
  readonly entries: readonly T[];
  /** How to read an entry's slice. */
  readonly getSlice: (entry: T) => Slice;

  private constructor(entries: readonly T[], getSlice: (entry: T) => Slice) {
    this.entries = entries;
    this.getSlice = getSlice;
  }

  /**
   * A map over `entries`, which must already be ordered and cover the key space exactly.
   *
   * @throws {InvalidArgumentError} with Dicer's texts, first failure wins: "Must not be empty",
   *   `First entry must start at "": actual=<slice>`, "Only last entry may have Infinity upper
   *   bound", "Gap between successive entries: <a> and <b>", "Overlap between successive entries:
   *   <a> and <b>", "Last entry must have Infinity upper bound: actual=<slice>".
   */
  static createComplete<T>(entries: readonly T[], getSlice: (entry: T) => Slice): SliceMap<T> {
    SliceMap.validateComplete(entries.map(getSlice));
    return new SliceMap(entries, getSlice);
  }

  /** Checks that `slices` cover the key space exactly, with {@link SliceMap.createComplete}'s texts. */
  static validateComplete(slices: readonly Slice[]): void {
    requireThat(slices.length > 0, () => 'Must not be empty');
    const first = slices[0] as Slice;
    requireThat(first.lowInclusive.isMin(), () => `First entry must start at "": actual=${first}`);
    SliceMap.validateOrderedDisjoint(slices, false);
    const last = slices[slices.length - 1] as Slice;
    requireThat(last.highExclusive === undefined, () => `Last entry must have Infinity upper bound: actual=${last}`);
  }

  /**
   * Checks that `slices` are ordered and disjoint; with `allowGaps` false, also that each starts
   * exactly where the previous one ends.
   */
  static validateOrderedDisjoint(slices: readonly Slice[], allowGaps: boolean): void {
    for (let i = 1; i < slices.length; i++) {
      const prev = slices[i - 1] as Slice;
      const next = slices[i] as Slice;
      const prevHigh = prev.highExclusive;
      requireThat(prevHigh !== undefined, () => 'Only last entry may have Infinity upper bound');
      const order = prevHigh.compare(next.lowInclusive);
      requireThat(order <= 0, () => `Overlap between successive entries: ${prev} and ${next}`);
      requireThat(allowGaps || order === 0, () => `Gap between successive entries: ${prev} and ${next}`);
    }
  }

  /**
   * A complete map from ordered, disjoint entries that may leave holes; each hole becomes a `gap`
   * entry. No entries give one gap over the whole key space.
   *
   * @throws {InvalidArgumentError} "Overlap between successive entries: …" or "Only last entry may
   *   have Infinity upper bound" when the entries are not ordered and disjoint.
   */
  static createFromOrderedDisjointEntries<T>(
    entries: readonly T[],
    getSlice: (entry: T) => Slice,
  ): SliceMap<GapEntry<T>> {
    const slices = entries.map(getSlice);
    SliceMap.validateOrderedDisjoint(slices, true);
    const out: GapEntry<T>[] = [];
    let cursor: SliceKey | undefined = slices.length === 0 ? undefined : (slices[0] as Slice).lowInclusive;
    if (slices.length === 0) {
      out.push({ kind: 'gap', slice: Slice.FULL });
    } else {
      if (!(cursor as SliceKey).isMin()) out.push({ kind: 'gap', slice: Slice.create(Slice.FULL.lowInclusive, cursor) });
      for (let i = 0; i < entries.length; i++) {
        const slice = slices[i] as Slice;
        if (cursor !== undefined && cursor.compare(slice.lowInclusive) < 0) {
          out.push({ kind: 'gap', slice: Slice.create(cursor, slice.lowInclusive) });
        }
        out.push({ kind: 'some', slice, value: entries[i] as T });
        cursor = slice.highExclusive;
      }
      if (cursor !== undefined) out.push({ kind: 'gap', slice: Slice.atLeast(cursor) });
    }
    return new SliceMap<GapEntry<T>>(out, (e) => e.slice);
  }

  /**
   * The pieces where an entry of `left` meets an entry of `right`, in key order: both maps are
   * complete, so the pieces cover the key space too.
   */
  static intersectSlices<L, R>(left: SliceMap<L>, right: SliceMap<R>): IntersectionEntry<L, R>[] {
    const out: IntersectionEntry<L, R>[] = [];
    let i = 0;
    let j = 0;
    while (i < left.entries.length && j < right.entries.length) {
      const l = left.entries[i] as L;
      const r = right.entries[j] as R;
      const ls = left.getSlice(l);
      const rs = right.getSlice(r);
      const slice = ls.intersection(rs);
      if (slice !== undefined) out.push({ slice, leftIndex: i, rightIndex: j, left: l, right: r });
      const order = compareHigh(ls.highExclusive, rs.highExclusive);
      if (order <= 0) i++;
      if (order >= 0) j++;
    }
    return out;
  }

  /** The number of entries. */
  get size(): number {
    return this.entries.length;
  }

  /** The index of the entry whose slice holds `key` (binary search over the low bounds). */
  indexOf(key: SliceKey): number {
    let lo = 1;
    let hi = this.entries.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.getSlice(this.entries[mid] as T).lowInclusive.compare(key) <= 0) lo = mid + 1;
      else hi = mid;
    }
    return lo - 1;
  }

  /** The entry whose slice holds `key`. */
  lookup(key: SliceKey): T {
    return this.entries[this.indexOf(key)] as T;
  }

  /** The entries' slices, in key order. */
  slices(): Slice[] {
    return this.entries.map(this.getSlice);
  }
}
