/**
 * The preferred-assigner (leader) protocol of one Assigner (Dicer's
 * `EtcdPreferredAssignerStateMachine`), pure: the driver feeds events and performs the actions.
 *
 * States:
 * - `startup{deadlineAtMs}`: nothing learned yet; after `initialPreferredAssignerTimeoutMs`
 *   → `standby-without-preferred` (publishing nothing new);
 * - `preferred{generation}`: the record names us; we generate assignments;
 * - `standby{pa, generation, heartbeat}`: the record names another Assigner; we heartbeat it every
 *   `heartbeatIntervalMs` and take over after `heartbeatFailureThreshold` consecutive unanswered
 *   beats;
 * - `standby-without-preferred{}`: no (usable) preferred Assigner: we nominate ourselves.
 *
 * Events: `value-learned` (from the etcd record, a heartbeat reply, our own committed write),
 * `heartbeat-answered{opId, value}`, `write-completed`, `termination-notice` (SIGTERM).
 * Actions: `write{predecessor, value}` (a compare-and-swap on the record), `send-heartbeat`,
 * `publish-role`.
 *
 * Invariants: a value is incorporated only if its generation is strictly greater than the known
 * one (so a role follows the record's linear history); at most one write is in flight; writes are
 * at least `writeRetryIntervalMs` apart; a terminating Assigner never nominates itself and, if
 * preferred, writes `NoAssigner` until someone else is preferred. Safety does not depend on
 * timing: two Assigners that both believe they are preferred cannot fork anything, because every
 * record write and every assignment write is a compare-and-swap in etcd.
 *
 * Timing defaults are ours, not Dicer's (10 s / 5 s / 10 s / 3): a 1 s heartbeat and threshold 3
 * replace a crashed preferred Assigner within ≈4 s (see docs/operations.md for the trade-off).
 *
 * @see store-ha.md §3.2–3.7
 */
import { type Generation, IllegalStateError, InvalidArgumentError } from '@dicer-ts/common';
import { type AssignerInfo, type PreferredAssignerValue, isSameAssigner } from './preferred-assigner-value.js';

/** Heartbeat period of a standby, also the heartbeat RPC deadline (Dicer: 5 s). */
export const DEFAULT_HEARTBEAT_INTERVAL_MS = 1_000;
/** Consecutive unanswered heartbeats before a standby takes over (Dicer: 3). */
export const DEFAULT_HEARTBEAT_FAILURE_THRESHOLD = 3;
/** Minimum spacing of record writes (Dicer: 10 s). */
export const DEFAULT_WRITE_RETRY_INTERVAL_MS = 2_000;
/** How long a starting Assigner waits to learn the record before nominating itself (Dicer: 10 s). */
export const DEFAULT_INITIAL_PREFERRED_ASSIGNER_TIMEOUT_MS = 2_000;

/** Timing of {@link PreferredAssignerStateMachine}. */
export interface PreferredAssignerTimings {
  /** @default DEFAULT_HEARTBEAT_INTERVAL_MS */
  readonly heartbeatIntervalMs?: number;
  /** @default DEFAULT_HEARTBEAT_FAILURE_THRESHOLD */
  readonly heartbeatFailureThreshold?: number;
  /** @default DEFAULT_WRITE_RETRY_INTERVAL_MS */
  readonly writeRetryIntervalMs?: number;
  /** @default DEFAULT_INITIAL_PREFERRED_ASSIGNER_TIMEOUT_MS */
  readonly initialPreferredAssignerTimeoutMs?: number;
}

/** The role the Assigner plays and where standbys send clients. */
export interface PreferredAssignerRole {
  /** `preferred`: generate and serve; `standby`: answer watches with a redirect. */
  readonly role: 'preferred' | 'standby';
  /** The URI clients are redirected to; `undefined` = let them pick a replica. */
  readonly redirectUri: string | undefined;
  /** The value the role was derived from. */
  readonly value: PreferredAssignerValue;
}

/** Inputs of the machine. */
export type PreferredAssignerEvent =
  | { readonly kind: 'value-learned'; readonly value: PreferredAssignerValue }
  | { readonly kind: 'heartbeat-answered'; readonly opId: bigint; readonly value: PreferredAssignerValue }
  | { readonly kind: 'write-completed' }
  | { readonly kind: 'termination-notice' };

/** Outputs of the machine, performed by the driver in order. */
export type PreferredAssignerAction =
  /** Compare-and-swap the record: commit `value` (self, or `undefined` = NoAssigner) if its generation is `predecessor`. */
  | { readonly kind: 'write'; readonly predecessor: Generation | undefined; readonly proposal: AssignerInfo | undefined }
  | { readonly kind: 'send-heartbeat'; readonly opId: bigint; readonly to: AssignerInfo; readonly value: PreferredAssignerValue }
  | { readonly kind: 'publish-role'; readonly role: PreferredAssignerRole };

/** What each call returns: actions to perform and when to call {@link PreferredAssignerStateMachine.onAdvance} next. */
export interface PreferredAssignerResult {
  readonly actions: readonly PreferredAssignerAction[];
  readonly wakeAtMs: number | undefined;
}

interface HeartbeatState {
  nextAtMs: number;
  failures: number;
  inFlightOpId: bigint | undefined;
}

/** The machine's state; data lives only in the state it belongs to. */
export type PreferredAssignerState =
  | { readonly kind: 'startup'; readonly deadlineAtMs: number }
  | { readonly kind: 'preferred'; readonly generation: Generation }
  | { readonly kind: 'standby'; readonly pa: AssignerInfo; readonly generation: Generation; readonly heartbeat: HeartbeatState }
  | { readonly kind: 'standby-without-preferred' };

/** Observer of transitions, for logs. */
export type TransitionListener = (from: PreferredAssignerState['kind'], to: PreferredAssignerState['kind'], reason: string) => void;

/**
 * The state machine. Synchronous and deterministic: time arrives as `nowMs`.
 *
 * @example
 * ```ts
 * const m = new PreferredAssignerStateMachine(self, 2n, 0);
 * const { actions, wakeAtMs } = m.onAdvance(0);
 * ```
 */
export class PreferredAssignerStateMachine {
  readonly self: AssignerInfo;
  /** The PA-store incarnation our writes use (non-loose). */
  readonly incarnation: bigint;
  private readonly heartbeatIntervalMs: number;
  private readonly failureThreshold: number;
  private readonly writeRetryIntervalMs: number;
  private stateValue: PreferredAssignerState;
  private known: PreferredAssignerValue | undefined;
  private terminating = false;
  private writeInFlight = false;
  private earliestWriteAtMs = 0;
  private nextOpId = 0n;
  private readonly onTransition: TransitionListener | undefined;

  /** @throws {InvalidArgumentError} for non-positive timings or a threshold below 1. */
  constructor(self: AssignerInfo, incarnation: bigint, nowMs: number, timings: PreferredAssignerTimings = {}, onTransition?: TransitionListener) {
    this.self = self;
    this.incarnation = incarnation;
    this.heartbeatIntervalMs = positive('heartbeatIntervalMs', timings.heartbeatIntervalMs ?? DEFAULT_HEARTBEAT_INTERVAL_MS);
    this.writeRetryIntervalMs = positive('writeRetryIntervalMs', timings.writeRetryIntervalMs ?? DEFAULT_WRITE_RETRY_INTERVAL_MS);
    const initial = positive(
      'initialPreferredAssignerTimeoutMs',
      timings.initialPreferredAssignerTimeoutMs ?? DEFAULT_INITIAL_PREFERRED_ASSIGNER_TIMEOUT_MS,
    );
    const threshold = timings.heartbeatFailureThreshold ?? DEFAULT_HEARTBEAT_FAILURE_THRESHOLD;
    if (!Number.isInteger(threshold) || threshold < 1) {
      throw new InvalidArgumentError(`heartbeatFailureThreshold must be a positive integer, got ${threshold}`);
    }
    this.failureThreshold = threshold;
    this.stateValue = { kind: 'startup', deadlineAtMs: nowMs + initial };
    this.onTransition = onTransition;
  }

  /** The current state (read-only view, for debug pages and tests). */
  get state(): PreferredAssignerState {
    return this.stateValue;
  }

  /** The newest value incorporated. */
  get knownValue(): PreferredAssignerValue | undefined {
    return this.known;
  }

  /** Whether a termination notice was received. */
  get isTerminating(): boolean {
    return this.terminating;
  }

  /**
   * What this Assigner answers a heartbeat with (store-ha §3.5): itself when preferred, the PA it
   * follows when standby, else `NoAssigner(known generation)`.
   */
  heartbeatReply(emptyGeneration: Generation): PreferredAssignerValue {
    const s = this.stateValue;
    if (s.kind === 'preferred') return { kind: 'some-assigner', info: this.self, generation: s.generation };
    if (s.kind === 'standby') return { kind: 'some-assigner', info: s.pa, generation: s.generation };
    return { kind: 'no-assigner', generation: this.known?.generation ?? emptyGeneration };
  }

  /** Feeds one event, then advances. */
  onEvent(event: PreferredAssignerEvent, nowMs: number): PreferredAssignerResult {
    const actions: PreferredAssignerAction[] = [];
    switch (event.kind) {
      case 'value-learned':
        this.incorporate(event.value, nowMs, actions);
        break;
      case 'heartbeat-answered': {
        const s = this.stateValue;
        if (s.kind === 'standby' && s.heartbeat.inFlightOpId === event.opId) {
          s.heartbeat.failures = 0;
          s.heartbeat.inFlightOpId = undefined;
        }
        this.incorporate(event.value, nowMs, actions);
        break;
      }
      case 'write-completed':
        if (!this.writeInFlight) throw new IllegalStateError('write-completed without a write in flight');
        this.writeInFlight = false;
        break;
      case 'termination-notice':
        if (!this.terminating) {
          this.terminating = true;
          this.earliestWriteAtMs = nowMs;
        }
        break;
    }
    return this.advance(nowMs, actions);
  }

  /** Runs due work (timeouts, heartbeats, writes). */
  onAdvance(nowMs: number): PreferredAssignerResult {
    return this.advance(nowMs, []);
  }

  private advance(nowMs: number, actions: PreferredAssignerAction[]): PreferredAssignerResult {
    let wakeAtMs: number | undefined;
    const wake = (t: number) => {
      wakeAtMs = wakeAtMs === undefined ? t : Math.min(wakeAtMs, t);
    };
    const s = this.stateValue;
    switch (s.kind) {
      case 'startup':
        if (nowMs >= s.deadlineAtMs) {
          this.transition({ kind: 'standby-without-preferred' }, 'no preferred assigner learned before the startup deadline');
          return this.advance(nowMs, actions);
        }
        wake(s.deadlineAtMs);
        break;
      case 'preferred':
        if (this.terminating) {
          // Abdicate: NoAssigner on top of our own generation, until someone else is preferred.
          this.tryWrite(nowMs, actions, this.ownPredecessor(s.generation), undefined);
          wake(this.earliestWriteAtMs);
        }
        break;
      case 'standby': {
        if (s.generation.incarnation < this.incarnation) {
          // A record from an older PA incarnation: take over at once, no heartbeats.
          if (!this.terminating) this.tryWrite(nowMs, actions, undefined, this.self);
          wake(Math.max(this.earliestWriteAtMs, nowMs + 1));
          break;
        }
        if (s.generation.incarnation > this.incarnation) break; // a newer fleet: never take over
        const hb = s.heartbeat;
        if (nowMs >= hb.nextAtMs) {
          if (hb.inFlightOpId !== undefined) hb.failures++;
          this.nextOpId++;
          hb.inFlightOpId = this.nextOpId;
          // One beat per late advance, not a burst.
          hb.nextAtMs = hb.nextAtMs + this.heartbeatIntervalMs > nowMs ? hb.nextAtMs + this.heartbeatIntervalMs : nowMs + this.heartbeatIntervalMs;
          actions.push({
            kind: 'send-heartbeat',
            opId: this.nextOpId,
            to: s.pa,
            value: { kind: 'some-assigner', info: s.pa, generation: s.generation },
          });
        }
        wake(hb.nextAtMs);
        if (hb.failures >= this.failureThreshold && !this.terminating) {
          this.tryWrite(nowMs, actions, this.ownPredecessor(s.generation), this.self);
          if (!this.writeInFlight) wake(Math.max(this.earliestWriteAtMs, nowMs + 1));
        }
        break;
      }
      case 'standby-without-preferred':
        if (!this.terminating) {
          this.tryWrite(nowMs, actions, this.known === undefined ? undefined : this.ownPredecessor(this.known.generation), this.self);
          if (!this.writeInFlight) wake(Math.max(this.earliestWriteAtMs, nowMs + 1));
        }
        break;
    }
    return { actions, wakeAtMs };
  }

  private tryWrite(nowMs: number, actions: PreferredAssignerAction[], predecessor: Generation | undefined, proposal: AssignerInfo | undefined): void {
    if (this.writeInFlight || nowMs < this.earliestWriteAtMs) return;
    this.writeInFlight = true;
    this.earliestWriteAtMs = nowMs + this.writeRetryIntervalMs;
    actions.push({ kind: 'write', predecessor, proposal });
  }

  /** Our predecessor claim: the known generation only if it is in our incarnation. */
  private ownPredecessor(generation: Generation): Generation | undefined {
    return generation.incarnation === this.incarnation && !generation.isEmpty() ? generation : undefined;
  }

  private incorporate(value: PreferredAssignerValue, nowMs: number, actions: PreferredAssignerAction[]): void {
    if (this.known !== undefined && value.generation.compare(this.known.generation) <= 0) return;
    this.known = value;
    switch (value.kind) {
      case 'some-assigner':
        if (isSameAssigner(value.info, this.self)) {
          this.transition({ kind: 'preferred', generation: value.generation }, `record names us at ${value.generation.number}`);
        } else {
          const prev = this.stateValue;
          const heartbeat: HeartbeatState =
            prev.kind === 'standby' && isSameAssigner(prev.pa, value.info)
              ? prev.heartbeat
              : { nextAtMs: nowMs, failures: 0, inFlightOpId: undefined };
          this.transition({ kind: 'standby', pa: value.info, generation: value.generation, heartbeat }, `record names ${value.info.uri}`);
        }
        break;
      case 'no-assigner':
        this.earliestWriteAtMs = nowMs;
        this.transition({ kind: 'standby-without-preferred' }, 'record says no preferred assigner');
        break;
      case 'mode-disabled':
        this.transition({ kind: 'standby-without-preferred' }, 'record says preferred-assigner mode is disabled');
        break;
    }
    actions.push({ kind: 'publish-role', role: roleFor(value, this.self) });
  }

  private transition(to: PreferredAssignerState, reason: string): void {
    const from = this.stateValue.kind;
    this.stateValue = to;
    this.onTransition?.(from, to.kind, reason);
  }
}

/**
 * The role table of store-ha §3.2: preferred with our URI when the record names us; standby
 * redirecting to the named Assigner; standby without redirect for NoAssigner; preferred without
 * redirect when the mode is disabled.
 */
export function roleFor(value: PreferredAssignerValue, self: AssignerInfo): PreferredAssignerRole {
  switch (value.kind) {
    case 'some-assigner':
      return isSameAssigner(value.info, self)
        ? { role: 'preferred', redirectUri: self.uri, value }
        : { role: 'standby', redirectUri: value.info.uri, value };
    case 'no-assigner':
      return { role: 'standby', redirectUri: undefined, value };
    case 'mode-disabled':
      return { role: 'preferred', redirectUri: undefined, value };
  }
}

function positive(name: string, value: number): number {
  if (!(value > 0) || !Number.isFinite(value)) throw new InvalidArgumentError(`${name} must be positive, got ${value}`);
  return value;
}
