/**
 * The grpc-js driver of {@link AssignmentSyncStateMachine}: performs its sends as unary
 * `/dicer.AssignmentService/Watch` calls, turns answers and errors back into events, arms one timer
 * for its `wakeAtMs` and hands every newer assignment to a listener. Shared by Slicelets (watching
 * the Assigner) and Clerks (watching Slicelets).
 *
 * Transport (protocol.md §3.1, §3.2): gRPC deadline = chosen timeout + 10 s; 4 MiB max message;
 * plaintext unless credentials are given (TLS is configuration, not the address scheme); one channel
 * per address, redirect channels closed after 300 s unused; scheme-less addresses read as `http://`.
 * Requests carry the target, the sync state, the subscriber debug name, the chosen timeout,
 * `version = 1761600610`, `supports_serialized_assignment = true` and the subscriber payload from a
 * callback run per request (`clerk_fields {}` or fresh `slicelet_fields`).
 *
 * @see protocol.md §3.1–3.3 (Dicer `SliceLookup.scala`, `WatchStubHelper.scala`)
 */
import { type ClientUnaryCall, Metadata, type ServiceError, status as Status } from '@grpc/grpc-js';
import type { Logger } from 'pino';
import type { Clock } from '../clock.js';
import type { ClientResponseP } from '../gen/dicer/common/proto/common_pb.js';
import { componentLogger } from '../logging.js';
import { Assignment } from '../model/assignment.js';
import { ClientRequest } from '../model/client-request.js';
import { ClientResponse } from '../model/client-response.js';
import type { DiffAssignment } from '../model/diff-assignment.js';
import { SyncAssignmentState } from '../model/sync-assignment-state.js';
import {
  type ApplyDiffOutcome,
  type AssignmentSyncAction,
  type AssignmentSyncEvent,
  type AssignmentSyncResult,
  AssignmentSyncStateMachine,
  type AssignmentSyncStatus,
  type OutgoingSyncState,
  type ReceivedSyncState,
} from './assignment-sync-state-machine.js';
import { ChannelCache } from './channel-cache.js';
import { PROCESS_DECODED_ASSIGNMENTS, prebuiltAssignmentOf } from './decoded-assignment-cache.js';
import { WATCH_METHOD } from './grpc-services.js';
import { type ResolvedWatchClientOptions, type WatchClientOptions, resolveWatchClientOptions } from './watch-client-options.js';

/** Health of a watch, for metrics and status pages. */
export interface WatchClientStatus extends AssignmentSyncStatus {
  /** The address the next (or current) request goes to. */
  readonly address: string;
}

/**
 * Adapts `Assignment.fromDiff` to the state machine: unusable diffs and Strong-mode diffs are
 * unused, not errors. A full diff decoded by the process cache comes with its Assignment already
 * built, shared by every watcher (same staleness rules as `fromDiff`).
 */
export function applyAssignmentDiff(known: Assignment | undefined, diff: DiffAssignment): ApplyDiffOutcome<Assignment> {
  const prebuilt = prebuiltAssignmentOf(diff);
  if (prebuilt !== undefined) {
    const order = known === undefined ? -1 : known.generation.compare(diff.generation);
    if (order < 0) return { kind: 'applied', assignment: prebuilt };
    return { kind: 'unused', reason: order > 0 ? 'too-stale-diff' : 'diff-matches-known' };
  }
  try {
    const result = Assignment.fromDiff(known, diff);
    return result.kind === 'applied' ? result : { kind: 'unused', reason: result.kind };
  } catch (err) {
    return { kind: 'unused', reason: (err as Error).message };
  }
}

/** The model sync state as the state machine sees it. */
export function toReceivedSyncState(state: SyncAssignmentState): ReceivedSyncState<DiffAssignment> {
  return state.diff === undefined
    ? { kind: 'known-generation', generation: state.generation }
    : { kind: 'known-assignment', diff: state.diff };
}

/**
 * Watches one target's assignment over gRPC and keeps the newest one through any outage.
 *
 * @example
 * ```ts
 * const watch = WatchClient.start({
 *   address: 'softstore-slicelets:24510',
 *   target: Target.kubernetes('softstore'),
 *   subscriberDebugName: 'C0-softstore-host',
 *   subscriber: () => ({ kind: 'clerk' }),
 *   onAssignment: (a) => table = a.sliceTable,
 * });
 * // … later
 * await watch.close();
 * ```
 * @see protocol.md §3.3
 */
export class WatchClient {
  private readonly options: ResolvedWatchClientOptions;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly machine: AssignmentSyncStateMachine<Assignment, DiffAssignment>;
  private readonly channels: ChannelCache;
  private readonly inFlight = new Map<number, ClientUnaryCall>();
  private timer: { readonly atMs: number; readonly cancel: () => void } | undefined;
  private closed = false;
  /** True while a step runs, so re-entrant events (a listener feeding gossip) queue instead of nesting. */
  private stepping = false;
  private readonly queue: AssignmentSyncEvent<DiffAssignment>[] = [];

  private constructor(options: ResolvedWatchClientOptions) {
    this.options = options;
    this.clock = options.clock;
    this.logger = componentLogger(options.logger, 'watch-client', { target: options.target.toString() });
    this.machine = new AssignmentSyncStateMachine<Assignment, DiffAssignment>({
      applyDiff: applyAssignmentDiff,
      random: options.random,
      initialWatchTimeoutMs: options.initialWatchTimeoutMs,
      logger: this.logger,
      backoff: options.backoff,
      ...(options.initialAssignment === undefined ? {} : { initialAssignment: options.initialAssignment }),
    });
    this.channels = new ChannelCache(
      options.credentials,
      options.channelOptions,
      this.clock,
      options.redirectChannelIdleMs,
      options.address,
    );
  }

  /**
   * Starts watching: the first request goes out at once.
   *
   * @throws {InvalidArgumentError} for a bad option (see {@link resolveWatchClientOptions}).
   */
  static start(options: WatchClientOptions): WatchClient {
    const client = new WatchClient(resolveWatchClientOptions(options));
    client.step(undefined);
    return client;
  }

  /** The newest assignment received, kept through any outage; undefined until the first. */
  get latestAssignment(): Assignment | undefined {
    return this.machine.latestAssignment;
  }

  /** Health of the watch for metrics: connected or not, consecutive failures, last success time. */
  status(): WatchClientStatus {
    const s = this.machine.status();
    return { ...s, address: s.redirectAddress ?? this.options.address };
  }

  /**
   * Rule 6: a Slicelet's Watch server passes each Clerk request's sync state here, so an
   * assignment a Clerk holds that is newer than ours is adopted (target-mismatched requests must
   * not be fed). Ignored after {@link WatchClient.close}, since servers race with shutdown.
   */
  feedSyncState(state: SyncAssignmentState): void {
    if (this.closed) return;
    this.step({ kind: 'gossip', syncState: toReceivedSyncState(state) });
  }

  /**
   * Stops watching: cancels the call in flight, the timer and every channel. Idempotent; the last
   * assignment stays readable.
   */
  close(): Promise<void> {
    if (this.closed) return Promise.resolve();
    this.step({ kind: 'close' });
    this.closed = true;
    this.timer?.cancel();
    this.timer = undefined;
    for (const call of this.inFlight.values()) call.cancel();
    this.inFlight.clear();
    this.channels.close();
    return Promise.resolve();
  }

  /** Feeds one event (or just time, for undefined), then performs the actions; never re-entrant. */
  private step(event: AssignmentSyncEvent<DiffAssignment> | undefined): void {
    if (event !== undefined) this.queue.push(event);
    if (this.stepping) return;
    this.stepping = true;
    try {
      // Events go first: an answer that arrives together with its local deadline still counts
      // as the answer (the machine checks the deadline after the event).
      let result: AssignmentSyncResult<Assignment> | undefined;
      if (event === undefined) {
        result = this.machine.onAdvance(this.clock.nowMs());
        this.perform(result);
      }
      for (let next = this.queue.shift(); next !== undefined; next = this.queue.shift()) {
        result = this.machine.onEvent(next, this.clock.nowMs());
        this.perform(result);
      }
      if (result !== undefined) this.arm(result.wakeAtMs);
    } finally {
      this.stepping = false;
    }
  }

  private perform(result: AssignmentSyncResult<Assignment>): void {
    for (const action of result.actions) {
      if (action.kind === 'publish') this.publish(action.assignment);
      else this.send(action);
    }
  }

  private publish(assignment: Assignment): void {
    this.logger.debug({ generation: assignment.generation.toString(), slices: assignment.sliceAssignments.length }, 'assignment received');
    try {
      this.options.onAssignment?.(assignment);
    } catch (err) {
      this.logger.error({ err }, 'assignment listener failed');
    }
  }

  private send(action: Extract<AssignmentSyncAction<Assignment>, { kind: 'send' }>): void {
    if (this.closed) return;
    const { opId } = action;
    const address = action.address ?? this.options.address;
    let request;
    let client;
    try {
      request = ClientRequest.create({
        target: this.options.target,
        syncAssignmentState: toSyncAssignmentState(action.syncState),
        subscriberDebugName: this.options.subscriberDebugName,
        timeoutMs: action.timeoutMs,
        subscriber: this.options.subscriber(),
      }).toProto();
      client = this.channels.get(address);
    } catch (err) {
      this.logger.warn({ err, address }, 'watch request not sent');
      this.queue.push({ kind: 'failure', opId, reason: `request not built: ${(err as Error).message}` });
      return;
    }
    // grpc-js measures deadlines on the wall clock, not on the injected one.
    const deadline = new Date(Date.now() + action.timeoutMs + this.options.deadlineBufferMs);
    const call = client.makeUnaryRequest(
      WATCH_METHOD.path,
      WATCH_METHOD.requestSerialize,
      WATCH_METHOD.responseDeserialize,
      request,
      new Metadata(),
      { deadline },
      (err: ServiceError | null, value?: ClientResponseP) => {
        this.inFlight.delete(opId);
        if (this.closed) return;
        this.step(this.toEvent(opId, address, err, value));
      },
    );
    this.inFlight.set(opId, call);
  }

  private toEvent(opId: number, address: string, err: ServiceError | null, value: ClientResponseP | undefined): AssignmentSyncEvent<DiffAssignment> {
    if (err !== null || value === undefined) {
      const code = err?.code ?? Status.UNKNOWN;
      const reason = `${Status[code] ?? code}: ${err?.details ?? 'no response'}`;
      this.logFailure(address, reason);
      return { kind: 'failure', opId, reason };
    }
    let response: ClientResponse;
    try {
      response = this.parseResponse(value);
    } catch (err2) {
      const reason = `invalid response: ${(err2 as Error).message}`;
      this.logFailure(address, reason);
      return { kind: 'failure', opId, reason };
    }
    if (this.machine.status().consecutiveFailures > 0) this.logger.info({ address }, 'watch reconnected');
    return {
      kind: 'response',
      opId,
      response: {
        syncState: toReceivedSyncState(response.syncAssignmentState),
        suggestedRpcTimeoutMs: response.suggestedRpcTimeoutMs,
        redirectAddress: response.redirectAddress,
      },
    };
  }

  /**
   * `ClientResponse.fromProto`, except that serialized assignment bytes go through the process-wide
   * cache: every watcher of this process receiving the same bytes shares one decoding.
   */
  private parseResponse(value: ClientResponseP): ClientResponse {
    const state = value.syncAssignmentState?.state;
    if (state?.case !== 'knownSerializedAssignment') return ClientResponse.fromProto(value);
    const diff = PROCESS_DECODED_ASSIGNMENTS.decode(this.options.target.toString(), state.value);
    return ClientResponse.create({
      syncAssignmentState: SyncAssignmentState.knownAssignment(diff),
      suggestedRpcTimeoutMs: Number(value.suggestedRpcTimeoutMillis),
      ...(value.redirect?.address === undefined ? {} : { redirectAddress: value.redirect.address }),
    });
  }

  private logFailure(address: string, reason: string): void {
    // Warn once per outage; the retries that follow are debug noise.
    if (this.machine.status().consecutiveFailures === 0) this.logger.warn({ address, reason }, 'watch failed; retrying');
    else this.logger.debug({ address, reason }, 'watch failed again');
  }

  private arm(wakeAtMs: number | undefined): void {
    if (this.closed || wakeAtMs === undefined || !Number.isFinite(wakeAtMs)) {
      this.timer?.cancel();
      this.timer = undefined;
      return;
    }
    if (this.timer?.atMs === wakeAtMs) return;
    this.timer?.cancel();
    this.timer = {
      atMs: wakeAtMs,
      cancel: this.clock.setTimer(Math.max(0, wakeAtMs - this.clock.nowMs()), () => {
        this.timer = undefined;
        if (!this.closed) this.step(undefined);
      }),
    };
  }
}

/** The wire sync state for an outgoing one: a diff of the known assignment, or a generation. */
function toSyncAssignmentState(state: OutgoingSyncState<Assignment>): SyncAssignmentState {
  return state.kind === 'known-assignment'
    ? SyncAssignmentState.knownAssignment(state.assignment.toDiff(state.diffGeneration))
    : SyncAssignmentState.knownGeneration(state.generation);
}

