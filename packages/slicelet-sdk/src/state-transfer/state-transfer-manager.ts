/**
 * The Slicelet's state-transfer engine (`slicelet.stateTransfer`, present only when
 * `SliceletOptions.stateTransfer` is set). Never in the serving path: every failure is a cold
 * start, logged and counted.
 *
 * - **Incoming** (new owner): on every applied assignment, each annotation of exactly this SQUID
 *   that carries a `state_transfer` is pulled once (keyed by source and transfer id) for the part
 *   of its subslice this Slicelet did not own before; pulls run at most `maxConcurrentFetches` at a
 *   time, each with a deadline and a byte cap, and are cancelled (or dropped from the queue) as
 *   soon as a later assignment takes any of their range away.
 * - **Outgoing** (previous owner): serves `Fetch` from the application's provider, on its own
 *   server (`listen`) or on the application's server ({@link StateTransferManager.addTo}). The
 *   transfers expected from this pod are the annotations naming its SQUID as source in the latest
 *   assignment; {@link StateTransferManager.drainOutgoing} waits until each has been served (any
 *   outcome) or left the assignment, and no stream is running, within its timeout.
 *
 * @see docs/state-transfer.md; protocol.md §1.5 (TransferP)
 */
import { type Server, ServerCredentials, type UntypedServiceImplementation } from '@grpc/grpc-js';
import { type Assignment, type Clock, type Logger, type Slice, SliceSet, type Squid } from '@dicer-ts/common';
import type { ResolvedStateTransferOptions } from './state-transfer-options.js';
import { type FetchOutcome, fetchState } from './transfer-client.js';
import {
  type OutgoingOutcome,
  STATE_TRANSFER_SERVICE_DEFINITION,
  type TransferServerHandle,
  createStateTransferImplementation,
  startTransferServer,
} from './transfer-service.js';
import type { FetchRequest } from './transfer-wire.js';

/** Counters of one direction. */
export interface TransferCounters {
  /** Transfers started (incoming: pulls begun; outgoing: streams accepted). */
  started: number;
  /** Ended normally. */
  completed: number;
  /** Ended by an error (the peer died or refused, the provider or receiver threw). */
  failed: number;
  /** Incoming only: the deadline passed. */
  timedOut: number;
  /** Cut at the byte cap. */
  truncated: number;
  /** Abandoned: ownership changed again, the requester went away, close. */
  cancelled: number;
  /** Entries moved. */
  keys: number;
  /** Key + value bytes moved. */
  bytes: number;
  /** Sum of the durations of ended transfers, ms. */
  durationMs: number;
  /** Running now. */
  active: number;
}

/** What {@link StateTransferManager.stats} returns (a copy). */
export interface StateTransferStats {
  /** Pulls from previous owners. Queued pulls are in `queued`. */
  readonly incoming: Readonly<TransferCounters> & { readonly queued: number };
  /** Streams served to new owners; `rejected` counts refused Fetch calls (no provider, wrong target). */
  readonly outgoing: Readonly<TransferCounters> & { readonly rejected: number };
}

/** One ended transfer, for debug pages. */
export interface TransferRecord {
  readonly direction: 'incoming' | 'outgoing';
  readonly transferId: number;
  readonly range: string;
  /** The other Slicelet: the source (incoming) or the requester (outgoing). */
  readonly peer: string;
  readonly outcome: FetchOutcome | OutgoingOutcome;
  readonly keys: number;
  readonly bytes: number;
  readonly durationMs: number;
  readonly endedAtMs: number;
}

/** How many ended transfers {@link StateTransferManager.recent} keeps. */
const RECENT_LIMIT = 32;

/** A pull waiting or running. */
interface IncomingJob {
  readonly key: string;
  readonly range: Slice;
  readonly from: Squid;
  readonly transferId: number;
  readonly abort: AbortController;
  running: boolean;
}

/** What the manager needs from its Slicelet. */
export interface StateTransferContext {
  readonly squid: Squid;
  readonly target: string;
  readonly clock: Clock;
  readonly logger: Logger;
}

function counters(): TransferCounters {
  return { started: 0, completed: 0, failed: 0, timedOut: 0, truncated: 0, cancelled: 0, keys: 0, bytes: 0, durationMs: 0, active: 0 };
}

/** See the file comment. */
export class StateTransferManager {
  private readonly incoming = counters();
  private readonly outgoing = { ...counters(), rejected: 0 };
  private readonly records: TransferRecord[] = [];
  private readonly queue: IncomingJob[] = [];
  private readonly jobs = new Map<string, IncomingJob>();
  /** Source#id of every transfer already pulled (or being pulled) that is still in the assignment. */
  private seen = new Set<string>();
  /** Ids of transfers from this pod in the latest assignment, not yet served. */
  private expected = new Set<number>();
  private readonly served = new Set<number>();
  private readonly outgoingStarts = new Map<FetchRequest, number>();
  private readonly closing = new AbortController();
  private readonly implementation: UntypedServiceImplementation;
  private readonly idleWaiters = new Set<() => void>();
  private server: TransferServerHandle | undefined;
  private closed = false;

  constructor(
    private readonly options: ResolvedStateTransferOptions,
    private readonly context: StateTransferContext,
  ) {
    this.implementation = createStateTransferImplementation({
      provide: options.provide,
      target: context.target,
      closing: this.closing.signal,
      sink: {
        started: (request) => this.outgoingStarted(request),
        ended: (request, outcome, keys, bytes, err) => this.outgoingEnded(request, outcome, keys, bytes, err),
      },
    });
  }

  /**
   * Starts the standalone transfer server when `listen` is set.
   *
   * @throws {UnavailableError} when its port cannot be bound.
   */
  async start(): Promise<void> {
    const listen = this.options.listen;
    if (listen === undefined) return;
    const credentials = this.options.serverCredentials ?? ServerCredentials.createInsecure();
    this.server = await startTransferServer(listen.host, listen.port, credentials, this.implementation);
  }

  /** The standalone server's port, when `listen` is set. */
  get port(): number | undefined {
    return this.server?.port;
  }

  /** Adds the transfer service to the application's own gRPC server (call before `server.bindAsync`). */
  addTo(server: Server): void {
    server.addService(STATE_TRANSFER_SERVICE_DEFINITION, this.implementation);
  }

  /** The counters (a copy). */
  stats(): StateTransferStats {
    return { incoming: { ...this.incoming, queued: this.queue.length }, outgoing: { ...this.outgoing } };
  }

  /** The last ended transfers, oldest first. */
  recent(): readonly TransferRecord[] {
    return [...this.records];
  }

  /**
   * Reacts to a newly applied assignment (called synchronously by the Slicelet, after its snapshot
   * changed). Never throws: a bug here must not stop the Slicelet.
   *
   * @param previousOwned what this Slicelet owned before (Affinity: by address)
   * @param owned what it owns now
   */
  onAssignment(previousOwned: SliceSet, owned: SliceSet, assignment: Assignment): void {
    if (this.closed) return;
    try {
      this.cancelLost(owned);
      this.planIncoming(previousOwned, assignment);
      this.trackOutgoing(assignment);
      this.pump();
    } catch (err) {
      this.context.logger.error({ err, generation: assignment.generation.toString() }, 'state transfer: assignment not processed');
    }
  }

  private cancelLost(owned: SliceSet): void {
    for (const job of [...this.jobs.values()]) {
      if (SliceSet.create([job.range]).subtract(owned).isEmpty()) continue;
      this.context.logger.info({ range: job.range.toString(), from: job.from.toString() }, 'state transfer cancelled: ownership changed');
      this.cancelJob(job, 'ownership changed');
    }
  }

  private cancelJob(job: IncomingJob, reason: string): void {
    if (job.running) {
      job.abort.abort(new Error(`state transfer cancelled: ${reason}`));
      return;
    }
    // Still queued: it never started, so it counts only as cancelled.
    this.queue.splice(this.queue.indexOf(job), 1);
    this.jobs.delete(job.key);
    this.incoming.cancelled++;
    this.notifyIdle();
  }

  private planIncoming(previousOwned: SliceSet, assignment: Assignment): void {
    const present = new Set<string>();
    for (const sa of assignment.sliceAssignments) {
      if (!sa.hasResource(this.context.squid)) continue;
      for (const a of sa.annotationsFor(this.context.squid)) {
        const t = a.stateTransfer;
        if (t === undefined) continue;
        const key = `${t.fromResource.toString()}#${t.id}`;
        present.add(key);
        if (this.options.receive === undefined || this.seen.has(key)) continue;
        this.seen.add(key);
        // Only what is newly acquired: a transfer still annotated on a range owned before is old news.
        for (const range of SliceSet.create([a.subslice]).subtract(previousOwned).slices) {
          const job: IncomingJob = { key: `${key}@${range.toString()}`, range, from: t.fromResource, transferId: t.id, abort: new AbortController(), running: false };
          this.jobs.set(job.key, job);
          this.queue.push(job);
        }
      }
    }
    // Forget transfers the Assigner dropped, so the set does not grow.
    this.seen = new Set([...this.seen].filter((k) => present.has(k)));
  }

  private trackOutgoing(assignment: Assignment): void {
    const expected = new Set<number>();
    for (const sa of assignment.sliceAssignments) {
      for (const { annotation } of sa.flatAnnotations()) {
        const t = annotation.stateTransfer;
        if (t !== undefined && t.fromResource.equals(this.context.squid) && !this.served.has(t.id)) expected.add(t.id);
      }
    }
    this.expected = expected;
    // Served ids no longer annotated will not come back (ids are never reused while tracked).
    for (const id of [...this.served]) if (!expected.has(id) && !this.isAnnotated(assignment, id)) this.served.delete(id);
    this.notifyIdle();
  }

  private isAnnotated(assignment: Assignment, id: number): boolean {
    return assignment.sliceAssignments.some((sa) =>
      sa.flatAnnotations().some(({ annotation }) => annotation.stateTransfer?.id === id && annotation.stateTransfer.fromResource.equals(this.context.squid)),
    );
  }

  private pump(): void {
    while (!this.closed && this.incoming.active < this.options.maxConcurrentFetches && this.queue.length > 0) {
      const job = this.queue.shift() as IncomingJob;
      job.running = true;
      this.incoming.active++;
      this.incoming.started++;
      void this.runIncoming(job);
    }
  }

  private async runIncoming(job: IncomingJob): Promise<void> {
    const o = this.options;
    const startedMs = this.context.clock.nowMs();
    const fetch = fetchState({
      address: o.resolveAddress(job.from),
      range: job.range,
      transferId: job.transferId,
      requester: this.context.squid.toString(),
      target: this.context.target,
      deadlineMs: o.fetchDeadlineMs,
      maxBytes: o.maxBytesPerTransfer,
      signal: job.abort.signal,
      credentials: o.credentials,
    });
    let receiverError: unknown;
    try {
      await (o.receive as NonNullable<typeof o.receive>)({
        range: job.range,
        from: job.from,
        transferId: job.transferId,
        entries: fetch,
        signal: job.abort.signal,
      });
    } catch (err) {
      receiverError = err;
    }
    // A receiver that stopped early leaves the call open: end it.
    fetch.cancel();
    const outcome: FetchOutcome =
      fetch.outcome !== undefined && fetch.outcome !== 'completed'
        ? fetch.outcome
        : receiverError !== undefined
          ? job.abort.signal.aborted
            ? 'cancelled'
            : 'failed'
          : 'completed';
    const c = this.incoming;
    c.active--;
    c.keys += fetch.keys;
    c.bytes += fetch.bytes;
    const durationMs = Math.max(0, this.context.clock.nowMs() - startedMs);
    c.durationMs += durationMs;
    if (outcome === 'completed') c.completed++;
    else if (outcome === 'failed') c.failed++;
    else if (outcome === 'timed-out') c.timedOut++;
    else if (outcome === 'truncated') c.truncated++;
    else c.cancelled++;
    const fields = { range: job.range.toString(), from: job.from.toString(), transferId: job.transferId, keys: fetch.keys, bytes: fetch.bytes, durationMs, outcome };
    if (outcome === 'completed') this.context.logger.info(fields, 'state transfer received');
    else this.context.logger.warn({ ...fields, err: receiverError ?? fetch.error }, 'state transfer failed; the range starts cold');
    this.record({ direction: 'incoming', transferId: job.transferId, range: job.range.toString(), peer: job.from.toString(), outcome, keys: fetch.keys, bytes: fetch.bytes, durationMs });
    this.jobs.delete(job.key);
    this.pump();
    this.notifyIdle();
  }

  private outgoingStarted(request: FetchRequest): void {
    this.outgoing.started++;
    this.outgoing.active++;
    this.outgoingStarts.set(request, this.context.clock.nowMs());
  }

  private outgoingEnded(request: FetchRequest | undefined, outcome: OutgoingOutcome, keys: number, bytes: number, err?: unknown): void {
    const o = this.outgoing;
    if (outcome === 'rejected') {
      o.rejected++;
      this.context.logger.warn({ transferId: request?.transferId, requester: request?.requester }, 'state transfer request rejected');
      return;
    }
    o.active--;
    o.keys += keys;
    o.bytes += bytes;
    const startedMs = request === undefined ? undefined : this.outgoingStarts.get(request);
    if (request !== undefined) this.outgoingStarts.delete(request);
    const durationMs = startedMs === undefined ? 0 : Math.max(0, this.context.clock.nowMs() - startedMs);
    o.durationMs += durationMs;
    if (outcome === 'completed') o.completed++;
    else if (outcome === 'truncated') o.truncated++;
    else if (outcome === 'cancelled') o.cancelled++;
    else o.failed++;
    if (request !== undefined) {
      this.served.add(request.transferId);
      this.expected.delete(request.transferId);
      const fields = { range: request.range.toString(), requester: request.requester, transferId: request.transferId, keys, bytes, durationMs, outcome };
      if (outcome === 'completed') this.context.logger.info(fields, 'state transfer sent');
      else this.context.logger.warn({ ...fields, err }, 'state transfer not completed');
      this.record({ direction: 'outgoing', transferId: request.transferId, range: request.range.toString(), peer: request.requester, outcome, keys, bytes, durationMs });
    }
    this.notifyIdle();
  }

  private record(r: Omit<TransferRecord, 'endedAtMs'>): void {
    this.records.push({ ...r, endedAtMs: this.context.clock.nowMs() });
    if (this.records.length > RECENT_LIMIT) this.records.shift();
  }

  /** True when no outgoing stream runs and every expected outgoing transfer was served. */
  get outgoingIdle(): boolean {
    return this.outgoing.active === 0 && this.expected.size === 0;
  }

  /**
   * Resolves once the outgoing side is idle ({@link StateTransferManager.outgoingIdle}) or
   * `timeoutMs` passed; never rejects.
   */
  drainOutgoing(timeoutMs: number): Promise<void> {
    if (this.outgoingIdle || this.closed) return Promise.resolve();
    this.context.logger.info({ expected: [...this.expected], active: this.outgoing.active, timeoutMs }, 'waiting for outgoing state transfers');
    return new Promise<void>((resolve) => {
      let cancelTimer: () => void = () => undefined;
      const waiter = (): void => {
        if (!this.outgoingIdle && !this.closed) return;
        this.idleWaiters.delete(waiter);
        cancelTimer();
        resolve();
      };
      this.idleWaiters.add(waiter);
      cancelTimer = this.context.clock.setTimer(Math.max(0, timeoutMs), () => {
        this.idleWaiters.delete(waiter);
        this.context.logger.warn({ expected: [...this.expected], active: this.outgoing.active }, 'outgoing state transfers unfinished at the drain timeout');
        resolve();
      });
    });
  }

  private notifyIdle(): void {
    for (const waiter of [...this.idleWaiters]) waiter();
  }

  /** Cancels every pull and stream and stops the standalone server; idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const job of [...this.jobs.values()]) this.cancelJob(job, 'slicelet closing');
    this.closing.abort();
    this.notifyIdle();
    await this.server?.close();
  }
}
