/**
 * The load a Slicelet reports for one slice (or for its unattributed keys) in a heartbeat, with its
 * top keys.
 *
 * @see protocol.md §1.7 (`SliceletDataP.SliceLoadP`, `KeyLoadP`), §3.6, §8 items 1 and 17; Dicer
 *   `ClientRequest.scala` (`SliceletData.SliceLoad`, `KeyLoad`)
 */
import { create, isFieldSet } from '@bufbuild/protobuf';
import { InvalidArgumentError } from '../errors.js';
import {
  ClientRequestP_SliceletDataP_KeyLoadPSchema,
  ClientRequestP_SliceletDataP_SliceLoadPSchema,
} from '../gen/dicer/common/proto/common_pb.js';
import type {
  ClientRequestP_SliceletDataP_KeyLoadP,
  ClientRequestP_SliceletDataP_SliceLoadP,
} from '../gen/dicer/common/proto/common_pb.js';
import { formatJavaDouble, formatJavaInstant } from './java-format.js';
import { requireThat } from './requirement.js';
import { Slice } from './slice.js';
import { SliceKey } from './slice-key.js';

/**
 * Dicer's load check: a number, non-negative and finite, in that order (`-0.0` passes).
 *
 * @throws {InvalidArgumentError} `NaN must be a number`, `-1.0 must be non-negative`, `Infinity must be finite`.
 */
export function checkLoad(value: number): number {
  requireThat(!Number.isNaN(value), () => `${formatJavaDouble(value)} must be a number`);
  requireThat(value >= 0, () => `${formatJavaDouble(value)} must be non-negative`);
  requireThat(Number.isFinite(value), () => `${formatJavaDouble(value)} must be finite`);
  return value;
}

/** One hot key and a lower bound of its primary rate load. */
export class KeyLoad {
  /** The key. */
  readonly key: SliceKey;
  /** Underestimated primary rate load of the key (included in its slice's load). */
  readonly underestimatedPrimaryRateLoad: number;

  private constructor(key: SliceKey, load: number) {
    this.key = key;
    this.underestimatedPrimaryRateLoad = load;
  }

  /** @throws {InvalidArgumentError} for an invalid load (see {@link checkLoad}). */
  static create(key: SliceKey, underestimatedPrimaryRateLoad: number): KeyLoad {
    return new KeyLoad(key, checkLoad(underestimatedPrimaryRateLoad));
  }

  /**
   * Reads a `KeyLoadP`; the key must be present (an empty key is a valid key).
   *
   * @throws {InvalidArgumentError} `KeyLoadP must have a slice key`, or an invalid load.
   */
  static fromProto(proto: ClientRequestP_SliceletDataP_KeyLoadP): KeyLoad {
    requireThat(isFieldSet(proto, ClientRequestP_SliceletDataP_KeyLoadPSchema.field.sliceKey), () => 'KeyLoadP must have a slice key');
    return KeyLoad.create(SliceKey.fromBytes(proto.sliceKey), proto.underestimatedPrimaryRateLoad);
  }

  /** Wire form, both fields written. */
  toProto(): ClientRequestP_SliceletDataP_KeyLoadP {
    return create(ClientRequestP_SliceletDataP_KeyLoadPSchema, {
      sliceKey: this.key.bytes,
      underestimatedPrimaryRateLoad: this.underestimatedPrimaryRateLoad,
    });
  }

  /** Same key and same load (`Object.is`, so NaN never arises and -0 differs from 0 as in Java `Double.equals`). */
  equals(other: KeyLoad): boolean {
    return this.key.equals(other.key) && Object.is(this.underestimatedPrimaryRateLoad, other.underestimatedPrimaryRateLoad);
  }

  /** Debug form `<key>=<load>`. */
  toString(): string {
    return `${this.key}=${formatJavaDouble(this.underestimatedPrimaryRateLoad)}`;
  }
}

/** Fields of a {@link SliceLoad}. */
export interface SliceLoadInit {
  /** Primary rate load of the slice, top keys included. */
  readonly primaryRateLoad: number;
  /** Measurement window start, epoch seconds (inclusive). */
  readonly windowLowInclusiveSeconds: bigint;
  /** Measurement window end, epoch seconds (exclusive); may equal the start. */
  readonly windowHighExclusiveSeconds: bigint;
  /** The slice the load is for. @default Slice.FULL */
  readonly slice?: Slice;
  /** Hot keys, each inside `slice`. @default [] */
  readonly topKeys?: readonly KeyLoad[];
  /** Replicas the reporting Slicelet believes the slice has; must be positive. @default 1 */
  readonly numReplicas?: number;
}

/** The load reported for one slice over a time window. Immutable and validated. */
export class SliceLoad {
  /** Primary rate load, top keys included. */
  readonly primaryRateLoad: number;
  /** Window start, epoch seconds (inclusive). */
  readonly windowLowInclusiveSeconds: bigint;
  /** Window end, epoch seconds (exclusive). */
  readonly windowHighExclusiveSeconds: bigint;
  /** The slice. */
  readonly slice: Slice;
  /** Hot keys, in the reported order. */
  readonly topKeys: readonly KeyLoad[];
  /** Number of replicas (≥ 1). */
  readonly numReplicas: number;

  private constructor(init: Required<SliceLoadInit>) {
    this.primaryRateLoad = init.primaryRateLoad;
    this.windowLowInclusiveSeconds = init.windowLowInclusiveSeconds;
    this.windowHighExclusiveSeconds = init.windowHighExclusiveSeconds;
    this.slice = init.slice;
    this.topKeys = Object.freeze([...init.topKeys]);
    this.numReplicas = init.numReplicas;
  }

  /**
   * Validates and builds a slice load. Checks, in Dicer's order: the primary load, the window, that
   * every top key lies in the slice, and the replica count.
   *
   * @throws {InvalidArgumentError} with Dicer's texts (`Infinity must be finite`, `High exclusive
   *   time must be >= low inclusive time: …`, `Top key <k> must be contained in slice <s>.`,
   *   `numReplicas must be positive: <n>.`).
   */
  static create(init: SliceLoadInit): SliceLoad {
    const slice = init.slice ?? Slice.FULL;
    const topKeys = init.topKeys ?? [];
    const numReplicas = init.numReplicas ?? 1;
    checkLoad(init.primaryRateLoad);
    requireThat(
      init.windowHighExclusiveSeconds >= init.windowLowInclusiveSeconds,
      () =>
        `High exclusive time must be >= low inclusive time: ${formatJavaInstant(init.windowHighExclusiveSeconds * 1000n)} < ` +
        formatJavaInstant(init.windowLowInclusiveSeconds * 1000n),
    );
    for (const key of topKeys) {
      requireThat(slice.contains(key.key), () => `Top key ${key.key} must be contained in slice ${slice}.`);
    }
    // Dicer throws this one directly, without the `requirement failed: ` prefix (protocol.md §2.1).
    if (!Number.isInteger(numReplicas) || numReplicas <= 0) {
      throw new InvalidArgumentError(`numReplicas must be positive: ${numReplicas}.`);
    }
    return new SliceLoad({ ...init, slice, topKeys, numReplicas });
  }

  /**
   * Reads a `SliceLoadP`: absent `slice` is the full slice, absent `num_replicas` is 1. The slice and
   * the top keys are parsed before the rules of {@link SliceLoad.create}.
   *
   * @throws {InvalidArgumentError} with Dicer's texts.
   */
  static fromProto(proto: ClientRequestP_SliceletDataP_SliceLoadP): SliceLoad {
    const schema = ClientRequestP_SliceletDataP_SliceLoadPSchema;
    const slice = Slice.fromProto(proto.slice);
    const topKeys = proto.topKeys.map((k) => KeyLoad.fromProto(k));
    return SliceLoad.create({
      primaryRateLoad: proto.primaryRateLoad,
      windowLowInclusiveSeconds: proto.windowLowInclusiveSeconds,
      windowHighExclusiveSeconds: proto.windowHighExclusiveSeconds,
      slice,
      topKeys,
      numReplicas: isFieldSet(proto, schema.field.numReplicas) ? proto.numReplicas : 1,
    });
  }

  /** Wire form: every field written (`low_inclusive` even when empty, `high_exclusive` only when finite). */
  toProto(): ClientRequestP_SliceletDataP_SliceLoadP {
    return create(ClientRequestP_SliceletDataP_SliceLoadPSchema, {
      primaryRateLoad: this.primaryRateLoad,
      windowLowInclusiveSeconds: this.windowLowInclusiveSeconds,
      windowHighExclusiveSeconds: this.windowHighExclusiveSeconds,
      slice: this.slice.toProto(),
      topKeys: this.topKeys.map((k) => k.toProto()),
      numReplicas: this.numReplicas,
    });
  }

  /** Field-by-field equality. */
  equals(other: SliceLoad): boolean {
    return (
      Object.is(this.primaryRateLoad, other.primaryRateLoad) &&
      this.windowLowInclusiveSeconds === other.windowLowInclusiveSeconds &&
      this.windowHighExclusiveSeconds === other.windowHighExclusiveSeconds &&
      this.slice.equals(other.slice) &&
      this.numReplicas === other.numReplicas &&
      this.topKeys.length === other.topKeys.length &&
      this.topKeys.every((k, i) => k.equals(other.topKeys[i]!))
    );
  }

  /** Debug form. */
  toString(): string {
    const keys = this.topKeys.length === 0 ? '' : `, topKeys=[${this.topKeys.join(', ')}]`;
    return (
      `SliceLoad(${this.slice}, load=${formatJavaDouble(this.primaryRateLoad)}, ` +
      `window=[${this.windowLowInclusiveSeconds}s, ${this.windowHighExclusiveSeconds}s), replicas=${this.numReplicas}${keys})`
    );
  }
}
