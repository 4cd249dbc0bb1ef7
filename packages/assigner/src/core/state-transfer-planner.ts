/**
 * The stateful side of state-transfer planning for one target's generator: it holds the
 * {@link StateTransferState} between generations and adopts the state of a plan only once the
 * store committed the assignment it was made for (a lost compare-and-swap leaves it unchanged).
 *
 * The store picks the generation, so planning happens inside the commit: the driver hands
 * {@link StateTransferPlanner.finalizer} to the proposal and calls
 * {@link StateTransferPlanner.onCommitted} with the write's result (see docs/state-transfer.md,
 * "Wiring into the Assigner").
 */
import type { Assignment, Squid } from '@dicer-ts/common';
import {
  DEFAULT_STATE_TRANSFER_TIMEOUT_MS,
  INITIAL_STATE_TRANSFER_STATE,
  type SourceReachability,
  type StateTransferCounts,
  type StateTransferState,
  planStateTransfers,
} from './state-transfer.js';

/** Options of a {@link StateTransferPlanner}. */
export interface StateTransferPlannerOptions {
  /** How long a transfer annotation lives after it is first issued. @default 120_000 */
  readonly timeoutMs?: number;
}

/** See the file comment. */
export class StateTransferPlanner {
  private state: StateTransferState = INITIAL_STATE_TRANSFER_STATE;
  private pending: { readonly assignment: Assignment; readonly state: StateTransferState; readonly nextExpiryMs: number | undefined; readonly counts: StateTransferCounts } | undefined;
  private expiryMs: number | undefined;
  private counts: StateTransferCounts | undefined;
  /** How long a transfer annotation lives. */
  readonly timeoutMs: number;

  constructor(options: StateTransferPlannerOptions = {}) {
    this.timeoutMs = options.timeoutMs ?? DEFAULT_STATE_TRANSFER_TIMEOUT_MS;
  }

  /**
   * The function to run on the committed assignment inside the store's commit: adds, keeps and
   * removes transfers relative to `predecessor` (the proposal's), with the reachability and time
   * of the moment the proposal was made.
   */
  finalizer(
    predecessor: Assignment | undefined,
    reachability: (squid: Squid) => SourceReachability,
    nowMs: number,
  ): (committed: Assignment) => Assignment {
    return (committed) => {
      const result = planStateTransfers({ predecessor, committed, reachability, nowMs, state: this.state, timeoutMs: this.timeoutMs });
      this.pending = { assignment: result.assignment, state: result.state, nextExpiryMs: result.nextExpiryMs, counts: result.counts };
      return result.assignment;
    };
  }

  /** Adopts the plan made for `committed` (call with every committed write; others are ignored). */
  onCommitted(committed: Assignment): void {
    const pending = this.pending;
    if (pending === undefined || !pending.assignment.generation.equals(committed.generation)) return;
    this.state = pending.state;
    this.expiryMs = pending.nextExpiryMs;
    this.counts = pending.counts;
    this.pending = undefined;
  }

  /** Transfers in flight in the last committed plan. */
  get inFlight(): number {
    return this.state.issuedAtMs.size;
  }

  /** Transfer id → when it was first issued (epoch ms), for the transfers in flight in the last committed plan. */
  get issuedAtMs(): ReadonlyMap<number, number> {
    return this.state.issuedAtMs;
  }

  /** When the earliest in-flight transfer times out (regenerate then to remove it), if any. */
  get nextExpiryMs(): number | undefined {
    return this.expiryMs;
  }

  /** The counts of the last committed plan. */
  get lastCounts(): StateTransferCounts | undefined {
    return this.counts;
  }
}
