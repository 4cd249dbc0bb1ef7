import { create, isFieldSet } from '@bufbuild/protobuf';
import { InvalidArgumentError } from '../errors.js';
import { type SliceP, SlicePSchema } from '../gen/dicer/friend/proto/friend_pb.js';
import { SliceKey } from './slice-key.js';

/**
 * A half-open range of keys `[lowInclusive, highExclusive)`; a missing high bound is infinity.
 *
 * @see protocol.md §2.2
 */
export class Slice {
  /** The whole key space, `["" .. ∞)`. */
  static readonly FULL: Slice = new Slice(SliceKey.MIN, undefined);

  /** The smallest key in the slice. */
  readonly lowInclusive: SliceKey;
  /** The first key above the slice; `undefined` is infinity. */
  readonly highExclusive: SliceKey | undefined;

  private constructor(low: SliceKey, high: SliceKey | undefined) {
    this.lowInclusive = low;
    this.highExclusive = high;
  }

  /**
   * The slice `[low, high)`; `high` undefined means infinity.
   *
   * @throws {InvalidArgumentError} "Low key must be less than high key" unless low < high.
   */
  static create(low: SliceKey, high: SliceKey | undefined): Slice {
    if (high !== undefined && low.compare(high) >= 0) {
      throw new InvalidArgumentError(`Low key must be less than high key: [${low}, ${high})`);
    }
    if (low.isMin() && high === undefined) return Slice.FULL;
    return new Slice(low, high);
  }

  /** `[low, ∞)`. */
  static atLeast(low: SliceKey): Slice {
    return Slice.create(low, undefined);
  }

  /** The slice holding exactly one key, `[key, key‖00)`. */
  static singleKey(key: SliceKey): Slice {
    return new Slice(key, key.successor());
  }

  /** True when `low ≤ key < high`. */
  contains(key: SliceKey): boolean {
    return this.lowInclusive.compare(key) <= 0 && (this.highExclusive === undefined || key.compare(this.highExclusive) < 0);
  }

  /** True when every key of `other` is in this slice. */
  containsSlice(other: Slice): boolean {
    return (
      this.lowInclusive.compare(other.lowInclusive) <= 0 && compareHigh(other.highExclusive, this.highExclusive) <= 0
    );
  }

  /** The keys in both slices, or `undefined` when they are disjoint. */
  intersection(other: Slice): Slice | undefined {
    const low = this.lowInclusive.compare(other.lowInclusive) >= 0 ? this.lowInclusive : other.lowInclusive;
    const high = compareHigh(this.highExclusive, other.highExclusive) <= 0 ? this.highExclusive : other.highExclusive;
    if (high !== undefined && low.compare(high) >= 0) return undefined;
    return Slice.create(low, high);
  }

  /** True when the slices share at least one key. */
  intersects(other: Slice): boolean {
    return this.intersection(other) !== undefined;
  }

  /** Orders by low bound, then high bound (infinity last). */
  compare(other: Slice): number {
    return this.lowInclusive.compare(other.lowInclusive) || compareHigh(this.highExclusive, other.highExclusive);
  }

  /** True when both bounds are equal. */
  equals(other: Slice): boolean {
    return this === other || this.compare(other) === 0;
  }

  /**
   * Parses a `SliceP`: `low_inclusive` absent or empty is `SliceKey.MIN`; `high_exclusive` absent
   * is infinity, but present-and-empty is the empty key (an invalid slice). An absent message is
   * the full slice, as ScalaPB's default instance.
   *
   * @throws {InvalidArgumentError} "Low key must be less than high key" for an empty range.
   * @see protocol.md §1.2, §8 item 1
   */
  static fromProto(proto: SliceP | undefined): Slice {
    if (proto === undefined) return Slice.FULL;
    const low = SliceKey.fromBytes(proto.lowInclusive);
    const high = isFieldSet(proto, SlicePSchema.field.highExclusive) ? SliceKey.fromBytes(proto.highExclusive) : undefined;
    return Slice.create(low, high);
  }

  /** The wire form: `low_inclusive` always written (even empty), `high_exclusive` only when finite. */
  toProto(): SliceP {
    const proto = create(SlicePSchema, { lowInclusive: this.lowInclusive.bytes });
    if (this.highExclusive !== undefined) proto.highExclusive = this.highExclusive.bytes;
    return proto;
  }

  /** Dicer's debug form, `[low .. high)` with `∞` for a missing high bound. */
  toString(): string {
    return `[${this.lowInclusive} .. ${this.highExclusive === undefined ? '∞' : this.highExclusive.toString()})`;
  }
}

/** Compares two high bounds where `undefined` is infinity. */
export function compareHigh(a: SliceKey | undefined, b: SliceKey | undefined): number {
  if (a === undefined) return b === undefined ? 0 : 1;
  if (b === undefined) return -1;
  return a.compare(b);
}
