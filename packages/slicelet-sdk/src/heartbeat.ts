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
import { type SliceletLoadReport, toSliceLoad } from './load/load-report.js';

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

/** Inputs of {@link buildSliceletData}. */
export interface HeartbeatInputs {
  readonly state: SliceletState;
  readonly squid: Squid;
  readonly kubernetesNamespace: string;
  readonly load: SliceletLoadReport;
}

/**
 * The `slicelet_fields` of one Watch request.
 *
 * @throws {InvalidArgumentError} when a load is not a finite non-negative number or a top key lies
 *   outside its slice (the request is then not sent and retried after the backoff delay).
 */
export function buildSliceletData(inputs: HeartbeatInputs): SliceletData {
  return SliceletData.create({
    state: inputs.state,
    squid: inputs.squid,
    attributedLoads: inputs.load.attributedLoads.map(toSliceLoad),
    unattributedLoad: toSliceLoad(inputs.load.unattributedLoad),
    kubernetesNamespace: inputs.kubernetesNamespace,
  });
}
