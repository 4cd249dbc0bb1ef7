import { KeyLoad, SliceLoad } from '@dicer-ts/common';
import type { proto, Slice, SliceKey } from '@dicer-ts/common';

/**
 * The measured load of one hot key, the fields of `SliceletDataP.KeyLoadP`.
 *
 * @see protocol.md §1.7
 */
export interface KeyLoadReport {
  /** The key (always written: the Assigner rejects a KeyLoadP without one). */
  readonly sliceKey: SliceKey;
  /** `contribution × slice load`: never more than the key's true rate. */
  readonly underestimatedPrimaryRateLoad: number;
}

/**
 * The measured load of one slice, the fields of `SliceletDataP.SliceLoadP`.
 *
 * @see protocol.md §1.7, §3.6; algorithm.md §7.1
 */
export interface SliceLoadReport {
  /** Decayed load per second over the window, top keys included; finite and ≥ 0. */
  readonly primaryRateLoad: number;
  /** The accumulator's start, in whole epoch seconds (floored). */
  readonly windowLowInclusiveSeconds: bigint;
  /** The start plus the whole seconds completed, in epoch seconds (floored). */
  readonly windowHighExclusiveSeconds: bigint;
  /** The slice measured; the full slice for unattributed load. */
  readonly slice: Slice;
  /** Hot keys of the slice that carry at least 1 % of the Slicelet's total load, in key order. */
  readonly topKeys: readonly KeyLoadReport[];
  /** The slice's replica count as this Slicelet knows it (1 for unattributed load). */
  readonly numReplicas: number;
}

/** What one heartbeat reports about load: fields 5 and 6 of `SliceletDataP`. */
export interface SliceletLoadReport {
  /** One entry per slice assigned to this Slicelet, in key order. */
  readonly attributedLoads: readonly SliceLoadReport[];
  /** Load of keys outside the assigned slices (full slice, one replica). */
  readonly unattributedLoad: SliceLoadReport;
}

/**
 * The common `SliceLoad` model of a {@link SliceLoadReport}, validated with Dicer's rules (finite,
 * non-negative loads; window high ≥ low; top keys inside the slice; replicas > 0) so that a bad
 * report fails here instead of making the Assigner reject the whole heartbeat.
 *
 * @throws {InvalidArgumentError} when the report breaks one of those rules (a bug).
 * @see protocol.md §8 item 17
 */
export function toSliceLoad(report: SliceLoadReport): SliceLoad {
  return SliceLoad.create({
    primaryRateLoad: report.primaryRateLoad,
    windowLowInclusiveSeconds: report.windowLowInclusiveSeconds,
    windowHighExclusiveSeconds: report.windowHighExclusiveSeconds,
    slice: report.slice,
    topKeys: report.topKeys.map((k) => KeyLoad.create(k.sliceKey, k.underestimatedPrimaryRateLoad)),
    numReplicas: report.numReplicas,
  });
}

/** The `KeyLoadP` message of a {@link KeyLoadReport}. */
export function keyLoadToProto(report: KeyLoadReport): proto.ClientRequestP_SliceletDataP_KeyLoadP {
  return KeyLoad.create(report.sliceKey, report.underestimatedPrimaryRateLoad).toProto();
}

/**
 * The `SliceLoadP` message of a {@link SliceLoadReport}, validated (see {@link toSliceLoad}) and
 * with every field written: `low_inclusive` even when empty, `high_exclusive` only when finite.
 *
 * @throws {InvalidArgumentError} when the report breaks Dicer's rules (a bug).
 */
export function sliceLoadToProto(report: SliceLoadReport): proto.ClientRequestP_SliceletDataP_SliceLoadP {
  return toSliceLoad(report).toProto();
}
