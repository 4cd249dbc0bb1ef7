/**
 * The heartbeat payload (`slicelet_fields`) of a Slicelet's Watch request, built fresh for every
 * request from the lifecycle state and the load accumulator's report. Pure.
 *
 * Fields written: state, SQUID, one attributed load per owned slice (key order), the unattributed
 * load (always, full slice, one replica) and the namespace; nothing else (protocol.md §3.6). Reports
 * are validated by the common model's factories here, before sending: the Assigner rejects the
 * whole call for one bad value (protocol.md §8 item 17).
 *
 * @see protocol.md §3.6, §8 items 14 and 17; algorithm.md §7.1
 */
import { SliceletData, type SliceletState, type Squid } from '@dicer-ts/common';
import { type KeyLoadReport, type SliceLoadReport, type SliceletLoadReport, toSliceLoad } from './load/load-report.js';

/** Where the Slicelet is in its life, as the heartbeat state is derived from it. */
export interface LifecycleView {
  /** True once `drain()` (or shutdown) began: nothing leaves TERMINATING. */
  readonly terminating: boolean;
  /** The readiness probe's last answer. */
  readonly ready: boolean;
  /** True once RUNNING was reported: NOT_READY is never sent after RUNNING. */
  readonly reportedRunning: boolean;
}

/** The state a heartbeat reports: TERMINATING once shutdown began, else RUNNING when ready (or ever reported so), else NOT_READY. */
export function heartbeatState(view: LifecycleView): SliceletState {
  if (view.terminating) return 'terminating';
  return view.ready || view.reportedRunning ? 'running' : 'not-ready';
}

/** A load the Assigner accepts: +∞ (float overflow of huge increments) becomes the largest double, NaN or a negative value 0. */
function acceptableLoad(value: number): number {
  if (value >= 0 && value <= Number.MAX_VALUE) return value;
  return value === Number.POSITIVE_INFINITY ? Number.MAX_VALUE : 0;
}

/**
 * The report with every value made acceptable to the Assigner and top keys outside the slice
 * dropped. The accumulator ignores non-finite increments, but finite ones can still sum to +∞;
 * sending that would make the Assigner reject every heartbeat from then on, since an infinite
 * rate never decays (protocol.md §8 item 17).
 */
export function sanitizeSliceLoadReport(report: SliceLoadReport): SliceLoadReport {
  const load = acceptableLoad(report.primaryRateLoad);
  let topKeys: readonly KeyLoadReport[] = report.topKeys;
  if (topKeys.some((k) => acceptableLoad(k.underestimatedPrimaryRateLoad) !== k.underestimatedPrimaryRateLoad || !report.slice.contains(k.sliceKey))) {
    topKeys = topKeys
      .filter((k) => report.slice.contains(k.sliceKey))
      .map((k) => ({ sliceKey: k.sliceKey, underestimatedPrimaryRateLoad: acceptableLoad(k.underestimatedPrimaryRateLoad) }));
  }
  return load === report.primaryRateLoad && topKeys === report.topKeys ? report : { ...report, primaryRateLoad: load, topKeys };
}

/** Inputs of {@link buildSliceletData}. */
export interface HeartbeatInputs {
  readonly state: SliceletState;
  readonly squid: Squid;
  readonly kubernetesNamespace: string;
  readonly load: SliceletLoadReport;
}

/**
 * The `slicelet_fields` of one Watch request, loads sanitized (see {@link sanitizeSliceLoadReport}).
 *
 * @throws {InvalidArgumentError} for a malformed report the sanitizing cannot repair, e.g. a window
 *   whose high end is below its low end (the request is then not sent and retried after backoff).
 */
export function buildSliceletData(inputs: HeartbeatInputs): SliceletData {
  return SliceletData.create({
    state: inputs.state,
    squid: inputs.squid,
    attributedLoads: inputs.load.attributedLoads.map((r) => toSliceLoad(sanitizeSliceLoadReport(r))),
    unattributedLoad: toSliceLoad(sanitizeSliceLoadReport(inputs.load.unattributedLoad)),
    kubernetesNamespace: inputs.kubernetesNamespace,
  });
}
