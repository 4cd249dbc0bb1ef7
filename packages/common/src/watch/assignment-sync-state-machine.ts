/**
 * The client side of the Watch protocol as a pure state machine: which sync state to send and
 * where, when to resend, how to treat answers (including late ones), failures, redirects, the
 * server's suggested timeout and backoff.
 *
 * States (`phase.kind`):
 * - `waiting`: nothing outstanding; the next request goes out at `nextSendAtMs` (−∞ at start,
 *   `now` after a success or a dropped redirect, `now + backoff` after a failure).
 * - `outstanding`: one request (`opId`) is in flight and must be answered by `deadlineAtMs`
 *   (`sent + watchTimeout` in effect when sent).
 * - `closed`: terminal; events are ignored and nothing is sent.
 *
 * Events: `response` (a parsed answer to some opId), `failure` (any error of some opId: a gRPC
 * status, a parse error, the gRPC deadline), `gossip` (rule 6: a sync state a Clerk sent to this
 * Slicelet's Watch server), `close`. Time passing is `onAdvance(nowMs)`.
 *
 * Transitions: waiting → outstanding when `now ≥ nextSendAtMs`; outstanding → waiting on the
 * outstanding op's response (send again at once, backoff reset), its failure or its local deadline
 * (a set redirect is dropped and the resend is immediate; otherwise after `backoff.next()`);
 * any → closed.
 *
 * Invariants: at most one outstanding op; opIds strictly increase; the published assignment's
 * generation strictly increases; `watchTimeoutMs ≥ 1000` (it comes from validated responses);
 * every answer (stale or not) overwrites the redirect; every failure of the outstanding op drops it.
 *
 * @see protocol.md §3.3 (Dicer `AssignmentSyncStateMachine.scala`, driven by `SliceLookup.scala`)
 */
import type { Logger } from 'pino';
import { IllegalStateError, InvalidArgumentError } from '../errors.js';
import { Generation } from '../model/generation.js';
import type { Random } from '../random.js';
import { Backoff, type BackoffOptions } from './backoff.js';

/** The client's initial watch timeout (Dicer `WATCH_RPC_TIMEOUT`), replaced by each answer's suggestion. */
export const DEFAULT_WATCH_TIMEOUT_MS = 5_000;
/** The smallest watch timeout a response may suggest or a client may configure. */
export const MIN_WATCH_TIMEOUT_MS = 1_000;

/** Anything with a generation: an assignment, or a diff received on the wire. */
export interface Versioned {
  /** The assignment generation. */
  readonly generation: Generation;
}

/**
 * What applying a received diff to the known assignment gave: a new assignment, or a diff that
 * could not be used (too stale, matches the known one, no known assignment for a partial diff,
 * inconsistent). Unused diffs are expected outcomes, not errors.
 */
export type ApplyDiffOutcome<A> =
  | { readonly kind: 'applied'; readonly assignment: A }
  | { readonly kind: 'unused'; readonly reason: string };

/** A sync state as received (in a response or, rule 6, in a Clerk's request). */
export type ReceivedSyncState<D extends Versioned> =
  | { readonly kind: 'known-generation'; readonly generation: Generation }
  | { readonly kind: 'known-assignment'; readonly diff: D };

/**
 * A sync state to send: a generation, or the known assignment as a diff against `diffGeneration`
 * (the generation the server last reported), which the driver encodes with `toDiff`.
 */
export type OutgoingSyncState<A> =
  | { readonly kind: 'known-generation'; readonly generation: Generation }
  | { readonly kind: 'known-assignment'; readonly assignment: A; readonly diffGeneration: Generation };

/** A validated Watch answer. */
export interface WatchResponse<D extends Versioned> {
  /** The server's sync state. */
  readonly syncState: ReceivedSyncState<D>;
  /** The server's suggested timeout; at least {@link MIN_WATCH_TIMEOUT_MS}. */
  readonly suggestedRpcTimeoutMs: number;
  /** The redirect address, or undefined when absent or empty ("no redirect"). */
  readonly redirectAddress: string | undefined;
}

/** An input of {@link AssignmentSyncStateMachine.onEvent}. */
export type AssignmentSyncEvent<D extends Versioned> =
  | { readonly kind: 'response'; readonly opId: number; readonly response: WatchResponse<D> }
  | { readonly kind: 'failure'; readonly opId: number; readonly reason: string }
  | { readonly kind: 'gossip'; readonly syncState: ReceivedSyncState<D> }
  | { readonly kind: 'close' };

/** Something the driver must do. */
export type AssignmentSyncAction<A> =
  | {
      readonly kind: 'send';
      readonly opId: number;
      /** The redirect address to send to, or undefined for the configured watch address. */
      readonly address: string | undefined;
      readonly syncState: OutgoingSyncState<A>;
      /** `chosen_rpc_timeout_millis`; the gRPC deadline is this plus the deadline buffer. */
      readonly timeoutMs: number;
    }
  | { readonly kind: 'publish'; readonly assignment: A };

/** What one call of `onEvent`/`onAdvance` asks of the driver. */
export interface AssignmentSyncResult<A> {
  /** Actions in the order to perform them. */
  readonly actions: readonly AssignmentSyncAction<A>[];
  /** When to call `onAdvance` next, or undefined when only an event can make progress. */
  readonly wakeAtMs: number | undefined;
}

/** Health of the watch, for metrics and status pages. */
export interface AssignmentSyncStatus {
  /** `waiting`, `outstanding` or `closed`. */
  readonly phase: AssignmentSyncPhase['kind'];
  /** The generation of the newest assignment known, EMPTY if none. */
  readonly generation: Generation;
  /** True when the latest outstanding op ended in a success and none has failed since. */
  readonly connected: boolean;
  /** Failures (incl. local deadlines) of outstanding ops since the last latest-op success. */
  readonly consecutiveFailures: number;
  /** When the last latest-op success arrived, or undefined if none yet. */
  readonly lastSuccessAtMs: number | undefined;
  /** The timeout in effect for the next request. */
  readonly watchTimeoutMs: number;
  /** The redirect address currently followed, if any. */
  readonly redirectAddress: string | undefined;
}

/** Options of {@link AssignmentSyncStateMachine}. */
export interface AssignmentSyncStateMachineOptions<A extends Versioned, D extends Versioned> {
  /** Applies a received diff to the known assignment (`Assignment.fromDiff`); must not throw for unusable diffs. */
  readonly applyDiff: (known: A | undefined, diff: D) => ApplyDiffOutcome<A>;
  /** Jitter source of the retry backoff. */
  readonly random: Random;
  /** The timeout of the first request. @default 5000 */
  readonly initialWatchTimeoutMs?: number;
  /** Retry backoff settings. @default 1 s → 10 s, ±20 % */
  readonly backoff?: BackoffOptions;
  /** Receives transition lines at `debug`. @default none */
  readonly logger?: Logger;
  /** An assignment already known at start (e.g. restored), treated as if published. @default none */
  readonly initialAssignment?: A;
}

/** The machine's lifecycle state; data that exists only in one state lives only there. */
export type AssignmentSyncPhase =
  | { readonly kind: 'waiting'; readonly nextSendAtMs: number }
  | {
      readonly kind: 'outstanding';
      readonly opId: number;
      readonly address: string | undefined;
      readonly deadlineAtMs: number;
    }
  | { readonly kind: 'closed' };

/** What the server on some address told us last: only then is a diff against it meaningful. */
interface RemoteKnown {
  readonly address: string | undefined;
  readonly generation: Generation;
}

/** Ops sent but not yet answered are remembered (bounded) so a late answer knows its address. */
const MAX_REMEMBERED_OPS = 64;

/**
 * The client sync state machine of the Watch protocol, shared by Slicelets and Clerks: synchronous,
 * deterministic, no I/O. Its driver is {@link WatchClient}.
 *
 * @typeParam A - the assignment type (`Assignment`)
 * @typeParam D - the received diff type (`DiffAssignment`)
 * @see protocol.md §3.3
 */
export class AssignmentSyncStateMachine<A extends Versioned, D extends Versioned> {
  private readonly applyDiffFn: (known: A | undefined, diff: D) => ApplyDiffOutcome<A>;
  private readonly backoff: Backoff;
  private readonly logger: Logger | undefined;
  private phase: AssignmentSyncPhase = { kind: 'waiting', nextSendAtMs: Number.NEGATIVE_INFINITY };
  /** The newest assignment known; its generation never decreases. */
  private assignment: A | undefined;
  private lastOpId = 0;
  private remoteKnown: RemoteKnown = { address: undefined, generation: Generation.EMPTY };
  private watchTimeoutMs: number;
  private redirect: string | undefined;
  /** Address each in-flight op was sent to, oldest first. */
  private readonly inFlight = new Map<number, string | undefined>();
  private consecutiveFailures = 0;
  private connected = false;
  private lastSuccessAtMs: number | undefined;

  /** @throws {InvalidArgumentError} when `initialWatchTimeoutMs` is below 1000 or backoff options are bad. */
  constructor(options: AssignmentSyncStateMachineOptions<A, D>) {
    const timeout = options.initialWatchTimeoutMs ?? DEFAULT_WATCH_TIMEOUT_MS;
    if (!(timeout >= MIN_WATCH_TIMEOUT_MS) || !Number.isFinite(timeout)) {
      throw new InvalidArgumentError(`initialWatchTimeoutMs must be at least ${MIN_WATCH_TIMEOUT_MS}, got ${timeout}`);
    }
    this.applyDiffFn = options.applyDiff;
    this.backoff = new Backoff(options.random, options.backoff);
    this.logger = options.logger;
    this.watchTimeoutMs = timeout;
    this.assignment = options.initialAssignment;
  }

  /** The newest assignment known, if any. */
  get latestAssignment(): A | undefined {
    return this.assignment;
  }

  /** The current lifecycle state (read-only view, for tests and status). */
  get currentPhase(): AssignmentSyncPhase {
    return this.phase;
  }

  /** A snapshot for metrics. */
  status(): AssignmentSyncStatus {
    return {
      phase: this.phase.kind,
      generation: this.assignment?.generation ?? Generation.EMPTY,
      connected: this.connected,
      consecutiveFailures: this.consecutiveFailures,
      lastSuccessAtMs: this.lastSuccessAtMs,
      watchTimeoutMs: this.watchTimeoutMs,
      redirectAddress: this.redirect,
    };
  }

  /** Feeds one event; returns what to do and when to advance next. */
  onEvent(event: AssignmentSyncEvent<D>, nowMs: number): AssignmentSyncResult<A> {
    const actions: AssignmentSyncAction<A>[] = [];
    if (this.phase.kind === 'closed') return { actions, wakeAtMs: undefined };
    switch (event.kind) {
      case 'response':
        this.onResponse(event.opId, event.response, nowMs, actions);
        break;
      case 'failure':
        this.inFlight.delete(event.opId);
        if (this.phase.kind === 'outstanding' && this.phase.opId === event.opId) {
          this.failOutstanding(nowMs, `failure: ${event.reason}`);
        }
        break;
      case 'gossip':
        this.apply(event.syncState, actions);
        break;
      case 'close':
        this.inFlight.clear();
        this.transition({ kind: 'closed' }, 'close');
        return { actions, wakeAtMs: undefined };
    }
    return this.advance(nowMs, actions);
  }

  /** Lets time pass: sends when due and expires the outstanding op at its local deadline. */
  onAdvance(nowMs: number): AssignmentSyncResult<A> {
    return this.advance(nowMs, []);
  }

  private advance(nowMs: number, actions: AssignmentSyncAction<A>[]): AssignmentSyncResult<A> {
    if (this.phase.kind === 'outstanding' && nowMs >= this.phase.deadlineAtMs) {
      // The op stays in `inFlight`: a late answer is still incorporated as a stale success.
      this.failOutstanding(nowMs, 'local deadline');
    }
    if (this.phase.kind === 'waiting' && nowMs >= this.phase.nextSendAtMs) {
      actions.push(this.send(nowMs));
    }
    switch (this.phase.kind) {
      case 'waiting':
        return { actions, wakeAtMs: this.phase.nextSendAtMs };
      case 'outstanding':
        return { actions, wakeAtMs: this.phase.deadlineAtMs };
      case 'closed':
        return { actions, wakeAtMs: undefined };
    }
  }

  private send(nowMs: number): AssignmentSyncAction<A> {
    const opId = ++this.lastOpId;
    const address = this.redirect;
    const a = this.assignment;
    // A diff is meaningful only to the server that reported remoteKnown.generation: the same
    // address (both undefined = the configured default counts as equal).
    const syncState: OutgoingSyncState<A> =
      a !== undefined && a.generation.compare(this.remoteKnown.generation) > 0 && address === this.remoteKnown.address
        ? { kind: 'known-assignment', assignment: a, diffGeneration: this.remoteKnown.generation }
        : { kind: 'known-generation', generation: a?.generation ?? Generation.EMPTY };
    this.inFlight.set(opId, address);
    if (this.inFlight.size > MAX_REMEMBERED_OPS) {
      const oldest = this.inFlight.keys().next().value as number;
      this.inFlight.delete(oldest);
    }
    this.transition({ kind: 'outstanding', opId, address, deadlineAtMs: nowMs + this.watchTimeoutMs }, `send op ${opId}`);
    return { kind: 'send', opId, address, syncState, timeoutMs: this.watchTimeoutMs };
  }

  private onResponse(opId: number, response: WatchResponse<D>, nowMs: number, actions: AssignmentSyncAction<A>[]): void {
    if (!(response.suggestedRpcTimeoutMs >= MIN_WATCH_TIMEOUT_MS) || !Number.isFinite(response.suggestedRpcTimeoutMs)) {
      // Parsing guarantees this; a violation is a driver bug, never a reason to adopt a bad timeout.
      throw new InvalidArgumentError(
        `suggestedRpcTimeoutMs must be at least ${MIN_WATCH_TIMEOUT_MS}, got ${response.suggestedRpcTimeoutMs}`,
      );
    }
    const addressUsed = this.inFlight.get(opId);
    const remembered = this.inFlight.has(opId);
    this.inFlight.delete(opId);
    const brought = this.apply(response.syncState, actions);
    const responseGeneration =
      response.syncState.kind === 'known-generation' ? response.syncState.generation : response.syncState.diff.generation;
    this.redirect = response.redirectAddress === '' ? undefined : response.redirectAddress;

    if (this.phase.kind === 'outstanding' && this.phase.opId === opId) {
      this.remoteKnown = { address: this.phase.address, generation: responseGeneration };
      this.watchTimeoutMs = response.suggestedRpcTimeoutMs;
      this.backoff.reset();
      this.consecutiveFailures = 0;
      this.connected = true;
      this.lastSuccessAtMs = nowMs;
      this.transition({ kind: 'waiting', nextSendAtMs: nowMs }, `response to op ${opId}`);
    } else if (brought && remembered) {
      // A stale answer only teaches us something when it brought a newer assignment.
      this.remoteKnown = { address: addressUsed, generation: responseGeneration };
      this.watchTimeoutMs = response.suggestedRpcTimeoutMs;
    }
  }

  /** Step 2's apply rule; returns true when a strictly newer assignment was published. */
  private apply(syncState: ReceivedSyncState<D>, actions: AssignmentSyncAction<A>[]): boolean {
    if (syncState.kind !== 'known-assignment') return false;
    const outcome = this.applyDiffFn(this.assignment, syncState.diff);
    if (outcome.kind !== 'applied') {
      this.logger?.debug({ generation: syncState.diff.generation.toString(), reason: outcome.reason }, 'diff unused');
      return false;
    }
    const next = outcome.assignment;
    if (this.assignment !== undefined && next.generation.compare(this.assignment.generation) <= 0) return false;
    this.assignment = next;
    actions.push({ kind: 'publish', assignment: next });
    return true;
  }

  private failOutstanding(nowMs: number, reason: string): void {
    this.consecutiveFailures++;
    this.connected = false;
    if (this.redirect !== undefined) {
      // A redirect target that fails is abandoned at once for the configured address.
      this.redirect = undefined;
      this.transition({ kind: 'waiting', nextSendAtMs: nowMs }, `${reason}; redirect dropped`);
    } else {
      this.transition({ kind: 'waiting', nextSendAtMs: nowMs + this.backoff.next() }, `${reason}; backing off`);
    }
  }

  private transition(to: AssignmentSyncPhase, reason: string): void {
    const from = this.phase;
    const legal =
      (from.kind === 'waiting' && to.kind === 'outstanding') ||
      (from.kind === 'outstanding' && to.kind === 'waiting') ||
      (from.kind !== 'closed' && to.kind === 'closed');
    if (!legal) throw new IllegalStateError(`illegal watch sync transition ${from.kind} -> ${to.kind} (${reason})`);
    this.phase = to;
    this.logger?.debug({ from: from.kind, to: to.kind, reason }, 'watch sync transition');
  }
}
