import type { SliceKey } from './slice-key.js';
import { Slice, compareHigh } from './slice.js';

/**
 * A set of keys held as slices in normal form: sorted, disjoint and non-touching (`[0,10)` and
 * `[10,20)` become `[0,20)`), so two sets with the same keys have the same slices and `equals` is a
 * slice-by-slice comparison.
 *
 * @see Dicer `SliceSetImpl.scala`; vectors `slice_set_test_data.json`
 */
export class SliceSet {
  /** The set with no keys. */
  static readonly EMPTY: SliceSet = new SliceSet([]);
  /** Every key, `["" .. ∞)`. */
  static readonly FULL: SliceSet = new SliceSet([Slice.FULL]);

  /** The slices in normal form (sorted, disjoint, non-touching). */
  readonly slices: readonly Slice[];

  private constructor(slices: readonly Slice[]) {
    this.slices = slices;
  }

  /** The set of keys in any of `slices`, given in any order, with repeats and overlaps. */
  static create(slices: Iterable<Slice>): SliceSet {
    const sorted = [...slices].sort((a, b) => a.compare(b));
    const out: Slice[] = [];
    let low: SliceKey | undefined;
    let high: SliceKey | undefined;
    let open = false;
    for (const s of sorted) {
      if (!open) {
        low = s.lowInclusive;
        high = s.highExclusive;
        open = true;
        continue;
      }
      // Sorted by low, so `s` extends the current run iff it starts at or before the run's end.
      if (high === undefined || s.lowInclusive.compare(high) <= 0) {
        if (compareHigh(s.highExclusive, high) > 0) high = s.highExclusive;
      } else {
        out.push(Slice.create(low as SliceKey, high));
        low = s.lowInclusive;
        high = s.highExclusive;
      }
    }
    if (open) out.push(Slice.create(low as SliceKey, high));
    return out.length === 0 ? SliceSet.EMPTY : new SliceSet(out);
  }

  /** True when the set holds no key. */
  isEmpty(): boolean {
    return this.slices.length === 0;
  }

  /** True when `key` is in one of the slices (binary search). */
  contains(key: SliceKey): boolean {
    let lo = 0;
    let hi = this.slices.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((this.slices[mid] as Slice).lowInclusive.compare(key) <= 0) lo = mid + 1;
      else hi = mid;
    }
    return lo > 0 && (this.slices[lo - 1] as Slice).contains(key);
  }

  /** The keys in either set. */
  union(other: SliceSet): SliceSet {
    return SliceSet.create([...this.slices, ...other.slices]);
  }

  /** The keys in both sets. */
  intersection(other: SliceSet): SliceSet {
    const out: Slice[] = [];
    let i = 0;
    let j = 0;
    while (i < this.slices.length && j < other.slices.length) {
      const a = this.slices[i] as Slice;
      const b = other.slices[j] as Slice;
      const both = a.intersection(b);
      if (both !== undefined) out.push(both);
      // Advance whichever ends first; the other may still meet the next slice.
      if (compareHigh(a.highExclusive, b.highExclusive) <= 0) i++;
      else j++;
    }
    return SliceSet.create(out);
  }

  /** The keys in this set and not in `other`. */
  subtract(other: SliceSet): SliceSet {
    const out: Slice[] = [];
    let j = 0;
    for (const a of this.slices) {
      let low: SliceKey | undefined = a.lowInclusive;
      // Skip the subtrahend slices that end at or before `a` starts.
      while (j < other.slices.length && compareHigh((other.slices[j] as Slice).highExclusive, a.lowInclusive) <= 0) j++;
      let k = j;
      while (low !== undefined && k < other.slices.length) {
        const b = other.slices[k] as Slice;
        if (compareHigh(a.highExclusive, b.lowInclusive) <= 0) break;
        if (low.compare(b.lowInclusive) < 0) out.push(Slice.create(low, b.lowInclusive));
        if (b.highExclusive === undefined) {
          low = undefined;
        } else if (low.compare(b.highExclusive) < 0) {
          low = b.highExclusive;
        }
        if (compareHigh(b.highExclusive, a.highExclusive) >= 0) {
          low = undefined;
          break;
        }
        k++;
      }
      if (low !== undefined && compareHigh(low, a.highExclusive) < 0) out.push(Slice.create(low, a.highExclusive));
    }
    return SliceSet.create(out);
  }

  /** True when both sets hold the same keys. */
  equals(other: SliceSet): boolean {
    if (this.slices.length !== other.slices.length) return false;
    return this.slices.every((s, i) => s.equals(other.slices[i] as Slice));
  }

  /** The slices, comma-separated, in braces. */
  toString(): string {
    return `{${this.slices.map((s) => s.toString()).join(', ')}}`;
  }
}
