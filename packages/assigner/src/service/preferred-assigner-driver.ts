/**
 * Runs the {@link PreferredAssignerStateMachine} of one Assigner (Dicer's
 * `EtcdPreferredAssignerDriver`): feeds it the etcd record (through
 * {@link EtcdPreferredAssignerStore}), heartbeat replies and write completions, in order, on the
 * JavaScript event loop (the machine is synchronous, so no two events interleave); performs its
 * actions (compare-and-swap writes of the record, `dicer.PreferredAssignerService/Heartbeat` calls
 * to the preferred Assigner, role changes); and arms one timer for its next wake-up.
 *
 * It also serves the Heartbeat RPC ({@link PreferredAssignerDriver.heartbeatService}): the
 * request's value is handed to the store (it may teach us a newer record), and the reply is the
 * machine's current view (store-ha §3.5).
 *
 * Graceful abdication: {@link PreferredAssignerDriver.terminate} (call it from the SIGTERM handler
 * before draining the server) writes `NoAssigner` if we are preferred, so a standby takes over after
 * one etcd round trip instead of after missed heartbeats.
 *
 * @see store-ha.md §3.4–3.7
 */
import { Client, type ChannelCredentials, credentials as grpcCredentials, type ServerUnaryCall, type sendUnaryData, status } from '@grpc/grpc-js';
import {
  type Clock,
  Generation,
  HEARTBEAT_METHOD_PATH,
  InvalidArgumentError,
  type Logger,
  type PreferredAssignerServiceImplementation,
  UnavailableError,
  SYSTEM_CLOCK,
  componentLogger,
  createDefaultLogger,
  isDicerError,
  proto,
  toStatus,
} from '@dicer-ts/common';
import {
  DEFAULT_HEARTBEAT_INTERVAL_MS,
  PreferredAssignerStateMachine,
  type PreferredAssignerAction,
  type PreferredAssignerEvent,
  type PreferredAssignerResult,
  type PreferredAssignerRole,
  type PreferredAssignerTimings,
} from '../core/preferred-assigner-state-machine.js';
import { type AssignerInfo, type PreferredAssignerValue, describeValue, fromValueProto, toValueProto } from '../core/preferred-assigner-value.js';
import type { EtcdPreferredAssignerStore } from '../store/etcd-preferred-assigner-store.js';

/** Options of {@link PreferredAssignerDriver.start}. */
export interface PreferredAssignerDriverOptions extends PreferredAssignerTimings {
  /** This Assigner: its UUID (POD_UID) and the URI peers reach its gRPC port at. */
  readonly self: AssignerInfo;
  /** The PA record store (its incarnation is the PA incarnation). */
  readonly store: EtcdPreferredAssignerStore;
  /** Credentials for heartbeat calls to peers. @default insecure */
  readonly credentials?: ChannelCredentials;
  /** @default SYSTEM_CLOCK */
  readonly clock?: Clock;
  /** @default pino at warn */
  readonly logger?: Logger;
  /**
   * dicer-ts: while preferred, refuse heartbeats (UNAVAILABLE) when etcd has not answered a read of
   * the record for this long, so that standbys that can still reach etcd take over from a preferred
   * Assigner cut off from etcd (which can no longer write anyway). Needs the record store to poll
   * at least this often (`backupPollIntervalMs`). `undefined` = never refuse (Dicer's behaviour).
   * @default undefined
   */
  readonly etcdContactTimeoutMs?: number | undefined;
}

/** Counters for the debug page and metrics (`dicer_assigner_preferred_assigner_*`). */
export interface PreferredAssignerDriverStats {
  /** Heartbeats sent as a standby and answered. */
  heartbeatsSucceeded: number;
  /** Heartbeats sent as a standby that failed (error, deadline, malformed reply). */
  heartbeatsFailed: number;
  /** Record writes committed. */
  writesCommitted: number;
  /** Record writes that lost the compare-and-swap. */
  writesOccFailed: number;
  /** Record writes that failed (etcd unreachable, …). */
  writesFailed: number;
}

/** What {@link PreferredAssignerDriver.observe} reports, for metrics. */
export type PreferredAssignerDriverEvent =
  | { readonly kind: 'heartbeat'; readonly outcome: 'SUCCESS' | 'FAILURE' }
  | { readonly kind: 'write'; readonly outcome: 'committed' | 'occ_failure' | 'exception'; readonly latencySeconds: number };

/** The running preferred-assigner protocol of one Assigner. */
export class PreferredAssignerDriver {
  /** This Assigner's identity. */
  readonly self: AssignerInfo;
  /** Counters (monotonic). */
  readonly stats: PreferredAssignerDriverStats = {
    heartbeatsSucceeded: 0,
    heartbeatsFailed: 0,
    writesCommitted: 0,
    writesOccFailed: 0,
    writesFailed: 0,
  };
  private readonly machine: PreferredAssignerStateMachine;
  private readonly store: EtcdPreferredAssignerStore;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly credentials: ChannelCredentials;
  private readonly heartbeatDeadlineMs: number;
  private readonly etcdContactTimeoutMs: number | undefined;
  private readonly startedAtMs: number;
  private readonly roleListeners = new Set<(role: PreferredAssignerRole) => void>();
  private readonly observers = new Set<(event: PreferredAssignerDriverEvent) => void>();
  private currentRole: PreferredAssignerRole;
  private cancelWake: (() => void) | undefined;
  private unsubscribe: (() => void) | undefined;
  private peer: { address: string; client: Client } | undefined;
  private closed = false;

  private constructor(options: PreferredAssignerDriverOptions) {
    this.self = options.self;
    this.store = options.store;
    this.clock = options.clock ?? SYSTEM_CLOCK;
    this.logger = componentLogger(options.logger ?? createDefaultLogger(), 'preferred-assigner', { self: options.self.uri });
    this.credentials = options.credentials ?? grpcCredentials.createInsecure();
    this.heartbeatDeadlineMs = options.heartbeatIntervalMs ?? DEFAULT_HEARTBEAT_INTERVAL_MS;
    this.etcdContactTimeoutMs = options.etcdContactTimeoutMs;
    this.startedAtMs = this.clock.nowMs();
    this.machine = new PreferredAssignerStateMachine(options.self, options.store.incarnation, this.clock.nowMs(), options, (from, to, reason) =>
      this.logger.info({ from, to, reason }, 'preferred-assigner state changed'),
    );
    // Dicer's initial view: NoAssigner(EMPTY) ⇒ standby without redirect.
    this.currentRole = { role: 'standby', redirectUri: undefined, value: { kind: 'no-assigner', generation: Generation.EMPTY } };
  }

  /** Starts the protocol: watches the record and runs the machine. */
  static start(options: PreferredAssignerDriverOptions): PreferredAssignerDriver {
    const driver = new PreferredAssignerDriver(options);
    driver.unsubscribe = driver.store.subscribe((value) => driver.feed({ kind: 'value-learned', value }));
    driver.store.start();
    const latest = driver.store.latest;
    if (latest !== undefined) driver.feed({ kind: 'value-learned', value: latest });
    else driver.apply(driver.machine.onAdvance(driver.clock.nowMs()));
    return driver;
  }

  /** The current role (standby until a record is learned). */
  get role(): PreferredAssignerRole {
    return this.currentRole;
  }

  /** The machine's state kind, for the debug page. */
  get stateKind(): PreferredAssignerStateMachine['state']['kind'] {
    return this.machine.state.kind;
  }

  /** Calls `listener` on every role change; returns an unsubscribe function. */
  onRoleChange(listener: (role: PreferredAssignerRole) => void): () => void {
    this.roleListeners.add(listener);
    return () => this.roleListeners.delete(listener);
  }

  /** Calls `observer` for every heartbeat outcome and record write; returns an unsubscribe function. */
  observe(observer: (event: PreferredAssignerDriverEvent) => void): () => void {
    this.observers.add(observer);
    return () => this.observers.delete(observer);
  }

  /**
   * Handles a termination notice (SIGTERM): a preferred Assigner abdicates; a standby stops
   * nominating itself. Resolves once we are no longer preferred or after `timeoutMs`.
   */
  async terminate(timeoutMs = 5_000): Promise<void> {
    if (this.closed) return;
    this.feed({ kind: 'termination-notice' });
    if (this.currentRole.role !== 'preferred' || this.machine.state.kind !== 'preferred') return;
    await new Promise<void>((resolve) => {
      const cancelTimer = this.clock.setTimer(timeoutMs, () => {
        off();
        resolve();
      });
      const off = this.onRoleChange((role) => {
        if (role.role !== 'preferred' || role.redirectUri !== this.self.uri) {
          cancelTimer();
          off();
          resolve();
        }
      });
    });
  }

  /** The `dicer.PreferredAssignerService` implementation to add to the Assigner's gRPC server. */
  heartbeatService(): PreferredAssignerServiceImplementation {
    return {
      heartbeat: (call: ServerUnaryCall<proto.HeartbeatRequestP, proto.HeartbeatResponseP>, callback: sendUnaryData<proto.HeartbeatResponseP>) => {
        try {
          callback(null, this.handleHeartbeat(call.request));
        } catch (err) {
          if (!isDicerError(err)) this.logger.error({ err }, 'heartbeat handler failed');
          const s = toStatus(err);
          callback({ code: s.code, details: s.details });
        }
      },
    };
  }

  /**
   * Answers one heartbeat: informs the store of the sender's value, then replies with the current
   * view without waiting for that value to be incorporated.
   *
   * @throws {InvalidArgumentError} when `op_id` is not positive or the value is not SomeAssigner.
   */
  handleHeartbeat(request: proto.HeartbeatRequestP): proto.HeartbeatResponseP {
    if (request.opId <= 0n) throw new InvalidArgumentError(`heartbeat op_id must be positive, got ${request.opId}`);
    const value = fromValueProto(request.preferredAssignerValue);
    if (value.kind !== 'some-assigner') throw new InvalidArgumentError(`heartbeat must carry SomeAssigner, got ${describeValue(value)}`);
    this.store.inform(value);
    if (this.etcdContactTimeoutMs !== undefined && this.machine.state.kind === 'preferred') {
      const now = this.clock.nowMs();
      const lastContact = this.store.lastEtcdContactAtMs ?? this.startedAtMs;
      if (now - lastContact > this.etcdContactTimeoutMs) {
        this.logger.warn({ sinceMs: Math.round(now - lastContact) }, 'refusing heartbeats: no answer from etcd');
        throw new UnavailableError(`preferred assigner ${this.self.uri} cannot reach etcd (last answer ${Math.round(now - lastContact)} ms ago)`);
      }
    }
    return proto.create(proto.HeartbeatResponsePSchema, {
      opId: request.opId,
      preferredAssignerValue: toValueProto(this.machine.heartbeatReply(Generation.EMPTY)),
    });
  }

  /** Stops timers, the record subscription and the peer channel; does not abdicate. Idempotent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.cancelWake?.();
    this.unsubscribe?.();
    this.peer?.client.close();
    this.peer = undefined;
    this.roleListeners.clear();
    this.observers.clear();
  }

  private emit(event: PreferredAssignerDriverEvent): void {
    for (const o of [...this.observers]) {
      try {
        o(event);
      } catch (err) {
        this.logger.warn({ err }, 'preferred-assigner observer failed');
      }
    }
  }

  private feed(event: PreferredAssignerEvent): void {
    if (this.closed) return;
    this.apply(this.machine.onEvent(event, this.clock.nowMs()));
  }

  private apply(result: PreferredAssignerResult): void {
    if (this.closed) return;
    this.cancelWake?.();
    this.cancelWake = undefined;
    if (result.wakeAtMs !== undefined) {
      this.cancelWake = this.clock.setTimer(Math.max(0, result.wakeAtMs - this.clock.nowMs()), () => {
        this.cancelWake = undefined;
        if (!this.closed) this.apply(this.machine.onAdvance(this.clock.nowMs()));
      });
    }
    for (const action of result.actions) this.perform(action);
  }

  private perform(action: PreferredAssignerAction): void {
    switch (action.kind) {
      case 'publish-role': {
        const before = this.currentRole;
        this.currentRole = action.role;
        if (before.role !== action.role.role || before.redirectUri !== action.role.redirectUri) {
          this.logger.info({ role: action.role.role, redirect: action.role.redirectUri ?? null, value: describeValue(action.role.value) }, 'role changed');
        }
        for (const l of [...this.roleListeners]) l(action.role);
        break;
      }
      case 'write':
        void this.write(action.predecessor, action.proposal);
        break;
      case 'send-heartbeat':
        this.sendHeartbeat(action.opId, action.to, action.value);
        break;
    }
  }

  private async write(predecessor: Generation | undefined, proposal: AssignerInfo | undefined): Promise<void> {
    const startedAtMs = Date.now();
    const report = (outcome: 'committed' | 'occ_failure' | 'exception') =>
      this.emit({ kind: 'write', outcome, latencySeconds: (Date.now() - startedAtMs) / 1000 });
    try {
      const result = await this.store.write(predecessor, proposal);
      report(result.kind === 'committed' ? 'committed' : 'occ_failure');
      if (result.kind === 'committed') {
        this.stats.writesCommitted++;
        this.logger.info({ value: describeValue(result.value) }, proposal === undefined ? 'abdicated' : 'nominated self as preferred assigner');
        this.feed({ kind: 'value-learned', value: result.value });
      } else {
        this.stats.writesOccFailed++;
        this.logger.info({ existing: result.existingGeneration.toString() }, 'preferred-assigner write lost the compare-and-swap');
      }
    } catch (err) {
      report('exception');
      this.stats.writesFailed++;
      this.logger.warn({ err }, 'preferred-assigner write failed');
    } finally {
      this.feed({ kind: 'write-completed' });
    }
  }

  private sendHeartbeat(opId: bigint, to: AssignerInfo, value: PreferredAssignerValue): void {
    let address: string;
    try {
      address = new URL(to.uri).host;
    } catch {
      this.logger.warn({ uri: to.uri }, 'preferred assigner URI is not usable for heartbeats');
      return;
    }
    if (this.peer?.address !== address) {
      this.peer?.client.close();
      this.peer = { address, client: new Client(address, this.credentials) };
    }
    const request = proto.create(proto.HeartbeatRequestPSchema, { opId, preferredAssignerValue: toValueProto(value) });
    this.peer.client.makeUnaryRequest(
      HEARTBEAT_METHOD_PATH,
      (m: proto.HeartbeatRequestP) => Buffer.from(proto.toBinary(proto.HeartbeatRequestPSchema, m)),
      (b: Buffer) => proto.fromBinary(proto.HeartbeatResponsePSchema, b),
      request,
      { deadline: Date.now() + this.heartbeatDeadlineMs },
      (err, response) => {
        if (this.closed) return;
        if (err !== null || response === undefined) {
          // Not an event: the failure counts when the next beat finds this one unanswered.
          this.stats.heartbeatsFailed++;
          this.emit({ kind: 'heartbeat', outcome: 'FAILURE' });
          this.logger.debug({ opId: opId.toString(), code: err?.code ?? status.UNKNOWN, to: to.uri }, 'heartbeat failed');
          return;
        }
        let reply: PreferredAssignerValue;
        try {
          if (response.opId <= 0n) throw new InvalidArgumentError(`heartbeat response op_id must be positive, got ${response.opId}`);
          reply = fromValueProto(response.preferredAssignerValue);
        } catch (e) {
          this.stats.heartbeatsFailed++;
          this.logger.warn({ err: e, to: to.uri }, 'malformed heartbeat response');
          return;
        }
        this.stats.heartbeatsSucceeded++;
        this.emit({ kind: 'heartbeat', outcome: 'SUCCESS' });
        this.feed({ kind: 'heartbeat-answered', opId: response.opId, value: reply });
      },
    );
  }
}

/**
 * A standby's answer to every Watch (store-ha §1.2 step 2): `KnownGeneration(EMPTY)`, the suggested
 * timeout, and a redirect to the preferred Assigner (empty when none is known, so the client picks
 * a replica). No target validation or config lookup happens on a standby.
 */
export function standbyWatchReply(redirectUri: string | undefined, suggestedRpcTimeoutMs: number): proto.ClientResponseP {
  return proto.create(proto.ClientResponsePSchema, {
    syncAssignmentState: { state: { case: 'knownGeneration', value: Generation.EMPTY.toProto() } },
    suggestedRpcTimeoutMillis: BigInt(Math.round(suggestedRpcTimeoutMs)),
    redirect: redirectUri === undefined ? {} : { address: redirectUri },
  });
}
