/**
 * The Slicelet: the library every server of a sharded service embeds (Dicer `Slicelet` /
 * `SliceletImpl`). It watches the Assigner (every watch request is also the heartbeat, carrying
 * state and loads), tracks which keys this incarnation owns, hands out {@link SliceKeyHandle}s,
 * announces ownership changes as `assignment` events, serves Clerks from its own Watch server and
 * drains gracefully.
 *
 * Lifecycle (`lifecycle`): `running` → `draining` (after {@link Slicelet.drain}) → `closed`, or
 * `running` → `closed` ({@link Slicelet.close}). Reported heartbeat state: `NOT_READY` until the
 * readiness probe says ready, then `RUNNING`, `TERMINATING` from the start of a drain on; nothing
 * goes back.
 *
 * Per applied assignment (strictly newer generation, from the Assigner or gossiped by a Clerk),
 * synchronously and in this order: the load accumulator re-keys its counters, the ownership
 * snapshot is replaced (handles see both together), the Watch server's hub publishes it, a drain
 * waiting for its slices to move is checked. The `assignment` event follows asynchronously: one
 * delivery at a time, in generation order, each listener awaited; when several assignments arrive
 * during a delivery, the next event covers them all (Dicer's listener skips generations it already
 * signalled too). Listener errors are logged and swallowed.
 *
 * @see protocol.md §3.2, §3.6, §3.7, §4; api-sketch.md
 */
import { EventEmitter } from 'node:events';
import {
  type Assignment,
  ClosedError,
  type Generation,
  InvalidArgumentError,
  type Logger,
  type Slice,
  type SliceKey,
  type SliceletState,
  Squid,
  type Subscriber,
  SubscriberHub,
  type SyncAssignmentState,
  type Target,
  WatchClient,
  componentLogger,
} from '@dicer-ts/common';
import { buildSliceletData, heartbeatState } from './heartbeat.js';
import { HeartbeatCounters } from './heartbeat-counters.js';
import { nextSliceletDebugName } from './debug-name.js';
import { LoadAccumulator } from './load/load-accumulator.js';
import { OwnershipSnapshot, diffOwnership, ownedSliceLoads } from './ownership.js';
import { ReadinessProbe } from './readiness.js';
import type { SliceLoadCounter } from './load/slice-load-counter.js';
import { COARSE_TIME_INTERVAL_MS, type HandleContext, type SliceKeyHandle, ownershipCounters } from './slice-key-handle.js';
import { SliceKeyHandleCache } from './handle-cache.js';
import { type ResolvedSliceletOptions, type SliceletOptions, resolveSliceletOptions } from './slicelet-options.js';
import { SliceletWatchServer } from './watch-server.js';
import { type SliceletMetricsSample, registerSliceletMetrics } from './slicelet-metrics.js';
import { StateTransferManager } from './state-transfer/state-transfer-manager.js';

/** How long {@link Slicelet.drain} waits for the Assigner by default (a Kubernetes grace period). */
export const DEFAULT_DRAIN_TIMEOUT_MS = 30_000;

/** Payload of the `assignment` event: what this Slicelet gained and lost, and what it owns now. */
export interface AssignmentEvent {
  /** The generation of the assignment this event brings the listener up to. */
  readonly generation: Generation;
  /** Keys owned now and not at the previous event (coalesced, key order). */
  readonly added: readonly Slice[];
  /** Keys owned at the previous event and not now (coalesced, key order). */
  readonly removed: readonly Slice[];
  /** Every key owned now (coalesced, key order), as {@link Slicelet.assignedSlices}. */
  readonly assigned: readonly Slice[];
}

/** Listener of the `assignment` event; a returned promise is awaited before the next event. */
export type AssignmentListener = (event: AssignmentEvent) => void | Promise<void>;

/** Options of {@link Slicelet.drain}. */
export interface DrainOptions {
  /** Give up waiting for the Assigner after this long and stop anyway. @default 30000 */
  readonly timeoutMs?: number;
}

/** How a drain ended. */
export type DrainResult =
  /** The Assigner moved every slice away (or none was owned). */
  | { readonly kind: 'moved' }
  /** The timeout passed first; `remaining` are the keys still owned then. */
  | { readonly kind: 'timed-out'; readonly remaining: readonly Slice[] }
  /** {@link Slicelet.close} was called while draining. */
  | { readonly kind: 'closed' };

/** Where a Slicelet is in its life. */
export type SliceletLifecycle = 'running' | 'draining' | 'closed';

/** The mutable side of {@link HandleContext}, written only by the Slicelet. */
interface MutableHandleContext extends HandleContext {
  ownership: OwnershipSnapshot;
  counters: readonly SliceLoadCounter[];
  countersEpoch: number;
}

interface DrainWaiter {
  readonly resolve: (result: DrainResult) => void;
  readonly cancelTimer: () => void;
}

// Typed `on`/`once`/`off` for the events (style.md §5).
export interface Slicelet {
  /** Ownership changed (or a newer generation arrived); delivered in order, never concurrently. */
  on(event: 'assignment', listener: AssignmentListener): this;
  once(event: 'assignment', listener: AssignmentListener): this;
  off(event: 'assignment', listener: AssignmentListener): this;
}

/**
 * A running Slicelet.
 *
 * @example
 * ```ts
 * const slicelet = await Slicelet.start({ target: 'demo-cache', assigner: 'dicer-assigner:24500', port: 8080 });
 * slicelet.on('assignment', ({ added, removed }) => { warm(added); drop(removed); });
 * const handle = slicelet.createHandle(SliceKey.fromApplicationKey('user-42'));
 * if (handle.isAssignedContinuously()) handle.incrementLoadBy(1);
 * process.once('SIGTERM', () => void slicelet.drain({ timeoutMs: 30_000 }));
 * ```
 */
export class Slicelet extends EventEmitter {
  /** The resolved options it runs with. */
  readonly options: ResolvedSliceletOptions;
  /** The target. */
  readonly target: Target;
  /** This incarnation: application address, creation time, UUID. */
  readonly squid: Squid;
  /** `S<n>-<target>-<host>`, sent with every watch request. */
  readonly debugName: string;
  private readonly log: Logger;
  private readonly context: MutableHandleContext;
  private readonly accumulator: LoadAccumulator;
  private readonly handles: SliceKeyHandleCache;
  private readonly hub: SubscriberHub;
  private readonly readiness: ReadinessProbe;
  private watchServer: SliceletWatchServer | undefined;
  private watch: WatchClient | undefined;
  private phase: SliceletLifecycle = 'running';
  private reportedRunning = false;
  private lastState: SliceletState | undefined;
  /** The snapshot the last `assignment` event brought listeners up to. */
  private signalled: OwnershipSnapshot = OwnershipSnapshot.EMPTY;
  private delivering: Promise<void> | undefined;
  private readonly drainWaiters = new Set<DrainWaiter>();
  private draining: Promise<DrainResult> | undefined;
  private closing: Promise<void> | undefined;
  private cancelTimeRefresh: (() => void) | undefined;
  /** For metrics: heartbeats sent and failed, `createHandle` calls, the last heartbeat's load rates. */
  private readonly heartbeats = new HeartbeatCounters();
  private handlesCreated = 0;
  private lastAttributedLoadRate = 0;
  private lastUnattributedLoadRate = 0;
  private unregisterMetrics: (() => void) | undefined;
  /** State transfer on handoff; undefined unless `options.stateTransfer` is set (docs/state-transfer.md). */
  readonly stateTransfer: StateTransferManager | undefined;

  private constructor(options: ResolvedSliceletOptions) {
    super();
    this.options = options;
    this.target = options.target;
    const nowMs = options.clock.nowMs();
    this.squid = Squid.create(options.selfAddress, BigInt(Math.floor(nowMs)), options.uuid);
    this.debugName = nextSliceletDebugName(options.target, options.host);
    this.log = componentLogger(options.logger, 'slicelet', { target: options.target.toString(), squid: this.squid.toString() });
    this.accumulator = new LoadAccumulator(nowMs, options.load);
    this.context = {
      ownership: OwnershipSnapshot.EMPTY,
      counters: [],
      countersEpoch: this.accumulator.assignmentEpoch,
      accumulator: this.accumulator,
      nowMs: Float64Array.of(nowMs),
    };
    this.handles = new SliceKeyHandleCache(this.context);
    this.hub = new SubscriberHub({
      clock: options.clock,
      logger: this.log,
      // Dicer's Slicelet server suggests its configured timeout to Clerks and Slicelets alike.
      suggestedRpcTimeoutMs: options.watchTimeoutMs,
      redirectAddress: () => undefined,
    });
    this.readiness = new ReadinessProbe(options.readiness, options.clock, options.readinessRefreshIntervalMs, this.log);
    this.stateTransfer =
      options.stateTransfer === undefined
        ? undefined
        : new StateTransferManager(options.stateTransfer, {
            squid: this.squid,
            target: options.target.toString(),
            clock: options.clock,
            logger: this.log.child({ area: 'state-transfer' }),
          });
  }

  /**
   * Starts a Slicelet: builds the SQUID, starts the readiness probe and the Watch server for
   * Clerks, and starts watching the Assigner (the first heartbeat goes out at once). Resolves once
   * the Watch server listens; slices arrive later (see the `assignment` event).
   *
   * @throws {InvalidArgumentError} for a bad option (see `resolveSliceletOptions`).
   * @throws {UnavailableError} when the Watch port cannot be bound.
   */
  static async start(options: SliceletOptions): Promise<Slicelet> {
    const slicelet = new Slicelet(resolveSliceletOptions(options));
    await slicelet.startParts();
    return slicelet;
  }

  private async startParts(): Promise<void> {
    const o = this.options;
    await this.stateTransfer?.start();
    this.refreshTime();
    this.readiness.start();
    if (o.watchPort !== 'disabled') {
      try {
        this.watchServer = await SliceletWatchServer.start({
          host: o.watchHost,
          port: o.watchPort,
          target: o.target,
          hub: this.hub,
          onSyncState: (state) => this.onClerkSyncState(state),
          rejectOnFatalTargetMismatch: o.rejectWatchRequestsOnFatalTargetMismatch,
          credentials: o.serverCredentials,
          logger: this.log,
        });
      } catch (err) {
        this.phase = 'closed';
        this.readiness.close();
        this.cancelTimeRefresh?.();
        this.hub.close();
        await this.stateTransfer?.close();
        throw err;
      }
    }
    this.watch = this.startWatch(undefined);
    if (o.metricsRegistry !== undefined) this.unregisterMetrics = registerSliceletMetrics(o.metricsRegistry, () => this.metricsSample());
    this.log.info({ debugName: this.debugName, watchPort: this.watchServer?.port, assigner: o.assigner }, 'slicelet started');
  }

  private startWatch(initialAssignment: Assignment | undefined): WatchClient {
    const o = this.options;
    return WatchClient.start({
      address: o.assigner,
      target: o.target,
      subscriberDebugName: this.debugName,
      subscriber: () => this.heartbeat(),
      onAssignment: (assignment) => this.onAssignment(assignment),
      credentials: o.credentials,
      initialWatchTimeoutMs: o.watchTimeoutMs,
      backoff: o.backoff,
      clock: o.clock,
      random: o.random,
      logger: o.logger,
      ...(initialAssignment === undefined ? {} : { initialAssignment }),
    });
  }

  /** The bound port of the Watch server for Clerks (undefined when disabled). */
  get watchPort(): number | undefined {
    return this.watchServer?.port;
  }

  /** Where the Slicelet is in its life. */
  get lifecycle(): SliceletLifecycle {
    return this.phase;
  }

  /** The state the last heartbeat reported (undefined before the first). */
  get reportedState(): SliceletState | undefined {
    return this.lastState;
  }

  /** The generation of the latest applied assignment (EMPTY before any). */
  get generation(): Generation {
    return this.context.ownership.generation;
  }

  /** The latest applied assignment, if any. */
  get latestAssignment(): Assignment | undefined {
    return this.context.ownership.assignment;
  }

  /** The keys this Slicelet owns now: coalesced, in key order (empty before the first assignment and after close). */
  assignedSlices(): readonly Slice[] {
    return this.context.ownership.owned.slices;
  }

  /**
   * A handle on `key` for one request, remembering the current generation as its start. Works in
   * any lifecycle phase (before the first assignment and after close it owns nothing).
   *
   * A string is an application key: the handle's key is `SliceKey.fromApplicationKey(key)`,
   * computed without allocating when the handle is cached.
   *
   * Handles are shared, not recycled: while the same assignment is current, requests for the same
   * key may get the same object (it answers exactly as a new one would, since its key and start
   * generation are the same), which makes this allocation-free in steady state. Do not use a
   * handle's identity to tell requests apart.
   */
  createHandle(key: SliceKey | string): SliceKeyHandle {
    this.handlesCreated++;
    return typeof key === 'string' ? this.handles.handleForApplicationKey(key) : this.handles.handleFor(key);
  }

  /**
   * Graceful shutdown: reports TERMINATING at once (a new watch request carries it, rather than
   * waiting up to a long-poll period as Dicer does), keeps serving Clerks and keeps its handles
   * answering while the Assigner moves the slices away, resolves as soon as nothing is owned (or
   * `timeoutMs` passed), then stops everything as {@link Slicelet.close} does. Later calls return
   * the same promise.
   *
   * @throws {InvalidArgumentError} for a negative or non-finite `timeoutMs`.
   * @throws {ClosedError} when called after close.
   */
  drain(options: DrainOptions = {}): Promise<DrainResult> {
    const timeoutMs = options.timeoutMs ?? DEFAULT_DRAIN_TIMEOUT_MS;
    if (!(timeoutMs >= 0 && Number.isFinite(timeoutMs))) {
      return Promise.reject(new InvalidArgumentError(`timeoutMs must be a non-negative number, got ${timeoutMs}`));
    }
    if (this.draining !== undefined) return this.draining;
    if (this.phase === 'closed') return Promise.reject(new ClosedError('slicelet is closed'));
    this.draining = this.doDrain(timeoutMs);
    return this.draining;
  }

  private async doDrain(timeoutMs: number): Promise<DrainResult> {
    this.phase = 'draining';
    this.log.info({ timeoutMs, owned: this.assignedSlices().length }, 'draining');
    // A fresh long poll carries TERMINATING now; the old one would only return at its timeout.
    const previous = this.watch;
    // The new client's failure count starts at 0; count the old one's last failures first.
    if (previous !== undefined) this.heartbeats.observe(previous.status().consecutiveFailures);
    this.heartbeats.onWatchReplaced();
    this.watch = undefined;
    this.watch = this.startWatch(previous?.latestAssignment ?? this.latestAssignment);
    await previous?.close();
    const deadlineMs = this.options.clock.nowMs() + timeoutMs;
    const result = await this.waitUntilMoved(timeoutMs);
    if (result.kind !== 'closed') {
      // Let listeners see the removal before the Slicelet stops, within what is left of the timeout.
      await this.atMost(this.delivering, deadlineMs - this.options.clock.nowMs());
      // New owners pull this pod's state while it still answers (bounded by what is left).
      await this.stateTransfer?.drainOutgoing(deadlineMs - this.options.clock.nowMs());
      this.log.info({ result: result.kind }, 'drain finished');
      await this.close();
    }
    return result;
  }

  /** Resolves when `promise` settles or `ms` passed on the clock, whichever is first; never rejects. */
  private atMost(promise: Promise<void> | undefined, ms: number): Promise<void> {
    if (promise === undefined) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const cancel = this.options.clock.setTimer(Math.max(0, ms), resolve);
      const done = (): void => {
        cancel();
        resolve();
      };
      promise.then(done, done);
    });
  }

  private waitUntilMoved(timeoutMs: number): Promise<DrainResult> {
    if (this.phase === 'closed') return Promise.resolve({ kind: 'closed' });
    if (this.context.ownership.owned.isEmpty()) return Promise.resolve({ kind: 'moved' });
    return new Promise<DrainResult>((resolve) => {
      const waiter: DrainWaiter = {
        resolve: (result) => {
          this.drainWaiters.delete(waiter);
          waiter.cancelTimer();
          resolve(result);
        },
        cancelTimer: this.options.clock.setTimer(timeoutMs, () => waiter.resolve({ kind: 'timed-out', remaining: this.assignedSlices() })),
      };
      this.drainWaiters.add(waiter);
    });
  }

  /**
   * Stops at once: the watch, the readiness probe and the Watch server (parked Clerk calls are
   * answered with the current generation first); ownership reads as empty afterwards. A drain in
   * progress resolves with `closed`. Idempotent.
   */
  close(): Promise<void> {
    this.closing ??= this.doClose();
    return this.closing;
  }

  private async doClose(): Promise<void> {
    this.phase = 'closed';
    this.unregisterMetrics?.();
    for (const waiter of [...this.drainWaiters]) waiter.resolve({ kind: 'closed' });
    this.readiness.close();
    this.cancelTimeRefresh?.();
    this.cancelTimeRefresh = undefined;
    this.hub.close();
    await this.stateTransfer?.close();
    await this.watch?.close();
    await this.watchServer?.close();
    this.context.counters = [];
    this.context.ownership = OwnershipSnapshot.EMPTY;
    this.handles.clear();
    this.log.info('slicelet stopped');
  }

  /** Refreshes the handles' coarse time now and every {@link COARSE_TIME_INTERVAL_MS} until close. */
  private refreshTime(): void {
    this.context.nowMs[0] = this.options.clock.nowMs();
    if (this.phase === 'closed') return;
    this.cancelTimeRefresh = this.options.clock.setTimer(COARSE_TIME_INTERVAL_MS, () => this.refreshTime());
  }

  /** The subscriber payload of one watch request: state, SQUID, loads, namespace (rebuilt every time). */
  private heartbeat(): Subscriber {
    const state = heartbeatState({
      terminating: this.phase !== 'running',
      ready: this.readiness.isReady,
      reportedRunning: this.reportedRunning,
    });
    const load = this.accumulator.readLoad(this.options.clock.nowMs());
    const data = buildSliceletData({ state, squid: this.squid, kubernetesNamespace: this.options.kubernetesNamespace, load });
    let attributed = 0;
    for (const l of load.attributedLoads) attributed += l.primaryRateLoad;
    this.lastAttributedLoadRate = attributed;
    this.lastUnattributedLoadRate = load.unattributedLoad.primaryRateLoad;
    this.heartbeats.onSend(this.watch?.status().consecutiveFailures ?? 0);
    if (state === 'running') this.reportedRunning = true;
    if (state !== this.lastState) this.log.info({ from: this.lastState, to: state }, 'reported state changed');
    this.lastState = state;
    return { kind: 'slicelet', data };
  }

  /** What the `dicer_slicelet_*` metrics show now. */
  private metricsSample(): SliceletMetricsSample {
    const status = this.watch?.status();
    if (status !== undefined) this.heartbeats.observe(status.consecutiveFailures);
    let assignedSlices = 0;
    for (const sa of this.latestAssignment?.sliceAssignments ?? []) if (sa.hasResource(this.squid)) assignedSlices++;
    return {
      target: this.target.toString(),
      resource: this.squid.resourceAddress.toString(),
      assignedSlices,
      attributedLoadRate: this.lastAttributedLoadRate,
      unattributedLoadRate: this.lastUnattributedLoadRate,
      attributedLoadTotal: this.accumulator.attributedLoadTotal,
      unattributedLoadTotal: this.accumulator.unattributedLoadTotal,
      heartbeatsSent: this.heartbeats.sent,
      heartbeatsFailed: this.heartbeats.failed,
      watchConnected: status?.connected ?? false,
      watchConsecutiveFailures: status?.consecutiveFailures ?? 0,
      handlesCreated: this.handlesCreated,
      stateTransfers: this.stateTransfer?.stats(),
    };
  }

  /** Rule 6: a Clerk's sync state may bring a newer assignment. */
  private onClerkSyncState(state: SyncAssignmentState): void {
    if (state.kind !== 'known-assignment') return;
    this.watch?.feedSyncState(state);
  }

  private onAssignment(assignment: Assignment): void {
    if (this.phase === 'closed') return;
    if (assignment.generation.compare(this.context.ownership.generation) <= 0) return;
    try {
      this.accumulator.onAssignmentChanged(
        assignment.generation,
        ownedSliceLoads(assignment, this.squid),
        this.options.clock.nowMs(),
      );
    } catch (err) {
      // Overlapping owned slices cannot come from a valid assignment; keep the old counters.
      this.log.error({ err, generation: assignment.generation.toString() }, 'load accumulator rejected the assignment');
    }
    const previousOwned = this.context.ownership.owned;
    const snapshot = OwnershipSnapshot.create(assignment, this.squid);
    this.context.counters = ownershipCounters(snapshot, this.accumulator);
    this.context.countersEpoch = this.accumulator.assignmentEpoch;
    this.context.ownership = snapshot;
    this.hub.publish(assignment);
    this.stateTransfer?.onAssignment(previousOwned, snapshot.owned, assignment);
    this.log.debug({ generation: assignment.generation.toString(), owned: snapshot.owned.slices.length }, 'assignment applied');
    if (snapshot.owned.isEmpty()) for (const waiter of [...this.drainWaiters]) waiter.resolve({ kind: 'moved' });
    this.delivering ??= this.deliver();
  }

  /** Delivers `assignment` events until listeners have caught up with the latest snapshot. */
  private async deliver(): Promise<void> {
    try {
      // Let the watch client finish its step before listeners run.
      await new Promise<void>((resolve) => setImmediate(resolve));
      for (;;) {
        const latest = this.context.ownership;
        if (latest.generation.compare(this.signalled.generation) <= 0) break;
        const { added, removed } = diffOwnership(this.signalled.owned, latest.owned);
        this.signalled = latest;
        const event: AssignmentEvent = { generation: latest.generation, added, removed, assigned: latest.owned.slices };
        // rawListeners: a `once` wrapper removes itself when called and returns the listener's result.
        for (const listener of this.rawListeners('assignment') as AssignmentListener[]) {
          try {
            await listener(event);
          } catch (err) {
            this.log.error({ err, generation: latest.generation.toString() }, 'assignment listener failed');
          }
        }
      }
    } finally {
      // No await between the last check and here, so no snapshot can slip in unseen.
      this.delivering = undefined;
    }
  }
}
