import { create } from '@bufbuild/protobuf';
import { InvalidArgumentError } from '../errors.js';
import { type GenerationP, GenerationPSchema } from '../gen/dicer/common/proto/common_pb.js';
import { formatJavaInstant } from './java-format.js';
import { requireThat } from './requirement.js';

const INT64_MAX = (1n << 63n) - 1n;

/**
 * Incarnations at or above `5 << 48` are rejected: historically the incarnation packed a store
 * incarnation in its top bits, and Dicer keeps this guardrail to stay above the values used then.
 */
export const MAX_INCARNATION_EXCLUSIVE = 5n << 48n;

/**
 * True for a *loose* incarnation (0 or odd): a non-durable store whose histories may diverge, so
 * diffs are never used and every slice's generation equals the assignment generation.
 *
 * @see protocol.md §2.1
 */
export function isLooseIncarnation(incarnation: bigint): boolean {
  return !isNonLooseIncarnation(incarnation);
}

/** True for a *non-loose* incarnation (positive and even): a durable store with a linear history. */
export function isNonLooseIncarnation(incarnation: bigint): boolean {
  return incarnation > 0n && incarnation % 2n === 0n;
}

/** The smallest loose incarnation greater than `incarnation` (0→1, 1→3, 2→3). */
export function nextLooseIncarnation(incarnation: bigint): bigint {
  return incarnation % 2n === 0n ? incarnation + 1n : incarnation + 2n;
}

/** The smallest non-loose (even, positive) incarnation greater than `incarnation` (0→2, 1→2, 2→4). */
export function nextNonLooseIncarnation(incarnation: bigint): bigint {
  return incarnation % 2n === 0n ? incarnation + 2n : incarnation + 1n;
}

/**
 * The version of an assignment: conceptually a 128-bit number whose high half is the incarnation
 * and whose low half (`number`) tracks wall-clock milliseconds. Ordered by incarnation, then number.
 * `EMPTY` (0#0) means "no knowledge" and is never a valid assignment generation.
 *
 * Invariant: `0 ≤ incarnation < 5 << 48` and `0 ≤ number ≤ 2^63 − 1`.
 *
 * @see protocol.md §2.1 (Dicer `Generation.scala`)
 */
export class Generation {
  /** 0#0, "no knowledge"; sorts before every other generation. */
  static readonly EMPTY: Generation = new Generation(0n, 0n);

  /** The high half: which store incarnation wrote the assignment. */
  readonly incarnation: bigint;
  /** The low half: epoch milliseconds (or a counter just above the previous generation's). */
  readonly number: bigint;

  private constructor(incarnation: bigint, number: bigint) {
    this.incarnation = incarnation;
    this.number = number;
  }

  /**
   * The generation `incarnation#number`, validated as Dicer's `Generation` constructor does (first
   * failure wins).
   *
   * @throws {InvalidArgumentError} "Value is too large (V >= (5 << 48)). Was this intentional?",
   *   "Incarnation number must be non-negative" or "Unix time version must be non-negative".
   */
  static create(incarnation: bigint, number: bigint): Generation {
    requireThat(
      incarnation < MAX_INCARNATION_EXCLUSIVE,
      () => `Value is too large (${incarnation} >= (5 << 48)). Was this intentional?`,
    );
    requireThat(incarnation >= 0n, () => 'Incarnation number must be non-negative');
    requireThat(number >= 0n, () => 'Unix time version must be non-negative');
    if (number > INT64_MAX) {
      throw new InvalidArgumentError(`Generation number must fit in a signed 64-bit integer, got ${number}`);
    }
    if (incarnation === 0n && number === 0n) return Generation.EMPTY;
    return new Generation(incarnation, number);
  }

  /**
   * A new generation for `incarnation` at wall-clock time `nowMs`, strictly greater than
   * `lowerBoundExclusive`: `(incarnation, nowMs)` when that is greater, else (same incarnation, clock
   * not ahead) `(incarnation, lowerBoundExclusive.number + 1)`.
   *
   * @throws {InvalidArgumentError} when `lowerBoundExclusive` is in a higher incarnation.
   */
  static createForCurrentTime(incarnation: bigint, nowMs: number | bigint, lowerBoundExclusive: Generation): Generation {
    requireThat(
      lowerBoundExclusive.incarnation <= incarnation,
      () => `Lower bound ${lowerBoundExclusive} must not be in a higher incarnation than ${incarnation}`,
    );
    const candidate = Generation.create(incarnation, BigInt(nowMs));
    if (candidate.compare(lowerBoundExclusive) > 0) return candidate;
    return Generation.create(incarnation, lowerBoundExclusive.number + 1n);
  }

  /**
   * Parses a `GenerationP`; absent fields (or an absent message) are 0.
   *
   * @throws {InvalidArgumentError} as {@link Generation.create}.
   */
  static fromProto(proto: GenerationP | undefined): Generation {
    if (proto === undefined) return Generation.EMPTY;
    return Generation.create(proto.incarnation, proto.number);
  }

  /** The wire form; both fields are always written, zeros included, as Dicer does. */
  toProto(): GenerationP {
    return create(GenerationPSchema, { incarnation: this.incarnation, number: this.number });
  }

  /** True for 0#0. */
  isEmpty(): boolean {
    return this.incarnation === 0n && this.number === 0n;
  }

  /** True when the incarnation is loose (0 or odd). */
  isLoose(): boolean {
    return isLooseIncarnation(this.incarnation);
  }

  /** Orders by incarnation, then number: negative, zero or positive. */
  compare(other: Generation): number {
    if (this.incarnation !== other.incarnation) return this.incarnation < other.incarnation ? -1 : 1;
    if (this.number !== other.number) return this.number < other.number ? -1 : 1;
    return 0;
  }

  /** True when both halves are equal. */
  equals(other: Generation): boolean {
    return this.incarnation === other.incarnation && this.number === other.number;
  }

  /** Dicer's debug form `<inc>#<num> (<Java Instant of num>)`, e.g. `42#1000 (1970-01-01T00:00:01Z)`. */
  toString(): string {
    return `${this.incarnation}#${this.number} (${formatJavaInstant(this.number)})`;
  }
}
