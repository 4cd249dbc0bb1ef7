/**
 * The server side of Watch, shared by the Assigner (one hub per target) and by Slicelets (one hub
 * for their own target): holds the latest assignment, parks long-poll calls and answers them.
 *
 * Rules (protocol.md §3.4):
 * - a call whose known generation is older than the latest assignment is answered at once with
 *   the **full** assignment, as `known_serialized_assignment` when the client set the feature bit,
 *   else as `known_assignment`;
 * - otherwise it is parked and answered as soon as a strictly newer generation is published, or
 *   at `processingTimeout(t)` after arrival (t − 5 s if t > 5 s, else t / 2) with
 *   `known_generation` = the latest generation (EMPTY if none);
 * - a call woken by a new generation after its whole timeout t has elapsed (overload) gets only
 *   the generation: its client has already given up on it;
 * - every reply carries `suggested_rpc_timeout_millis` and a `redirect` (empty when none).
 *
 * The full assignment is encoded once per generation, and each distinct reply (form × suggested
 * timeout × redirect) once, shared by all watchers. Parked calls sit in a map and a deadline heap
 * with one clock timer for the earliest. Nothing here throws out of a gRPC handler.
 *
 * @see protocol.md §3.4 (Dicer `SubscriberHandler.scala`), store-ha.md §1.2
 */
import { create, toBinary } from '@bufbuild/protobuf';
import { status as Status, type sendUnaryData, type ServerUnaryCall } from '@grpc/grpc-js';
import type { Logger } from 'pino';
import { SYSTEM_CLOCK, type Clock } from '../clock.js';
import { ClosedError, InvalidArgumentError, UnavailableError, toStatus } from '../errors.js';
import {
  type ClientRequestP,
  type ClientResponseP,
  ClientResponsePSchema,
  type DiffAssignmentP,
  DiffAssignmentPSchema,
  RedirectPSchema,
  type SyncAssignmentStateP,
  SyncAssignmentStatePSchema,
} from '../gen/dicer/common/proto/common_pb.js';
import type { Assignment } from '../model/assignment.js';
import type { ClientRequest } from '../model/client-request.js';
import { Generation } from '../model/generation.js';
import { DeadlineHeap } from './deadline-heap.js';
import { rememberSerializedFullAssignment, serializedFullAssignmentOf } from './decoded-assignment-cache.js';
import { type EncodedClientResponse, type WatchReply } from './grpc-services.js';

/** The suggested timeout Dicer's servers send by default (`watchServerSuggestedRpcTimeoutSeconds`). */
export const DEFAULT_SUGGESTED_RPC_TIMEOUT_MS = 5_000;
/** How long before the client's timeout a server answers a long poll, when the timeout allows. */
export const EARLY_REPLY_MARGIN_MS = 5_000;
/** Parked calls one hub holds before it refuses more with UNAVAILABLE. */
export const DEFAULT_MAX_PARKED_CALLS = 20_000;

/**
 * When a parked call with chosen timeout `timeoutMs` is answered with `known_generation`:
 * `t − 5 s` if `t > 5 s`, else `t / 2` (2.5 s for the default 5 s).
 */
export function processingTimeoutMs(timeoutMs: number): number {
  return timeoutMs > EARLY_REPLY_MARGIN_MS ? timeoutMs - EARLY_REPLY_MARGIN_MS : timeoutMs / 2;
}

/** Who sent a Watch request. */
export type SubscriberKind = 'clerk' | 'slicelet';

/** The parts of a parsed `ClientRequest` the hub uses. */
export type WatchRequest = Pick<ClientRequest, 'syncAssignmentState' | 'timeoutMs' | 'supportsSerializedAssignment'> & {
  readonly subscriber: { readonly kind: SubscriberKind };
};

/** Options of {@link SubscriberHub}. */
export interface SubscriberHubOptions {
  /** Time and timers. @default SYSTEM_CLOCK */
  readonly clock?: Clock;
  /** Debug lines about publishing and released calls. @default none */
  readonly logger?: Logger;
  /**
   * `suggested_rpc_timeout_millis` of every reply, fixed or per subscriber kind (read per reply, so
   * it can follow a dynamic flag). Must be at least 1000.
   * @default 5000
   */
  readonly suggestedRpcTimeoutMs?: number | ((subscriber: SubscriberKind) => number);
  /** The redirect address of every reply (read per reply); undefined = empty redirect. @default none */
  readonly redirectAddress?: () => string | undefined;
  /** Parked calls held at most; more are refused with UNAVAILABLE. @default 20000 */
  readonly maxParkedCalls?: number;
}

/** A parked call, removable. */
export interface WatchRegistration {
  /** Forgets the call without answering it (the client went away). Idempotent. */
  cancel(): void;
}

/** Counters for metrics. */
export interface SubscriberHubStats {
  /** Calls parked now. */
  readonly parkedCalls: number;
  /** The latest generation held (EMPTY if none). */
  readonly generation: Generation;
  /** Replies sent since start, by content. */
  readonly assignmentReplies: number;
  readonly generationReplies: number;
  /** Full-assignment encodings made (one per generation that was asked for). */
  readonly assignmentEncodings: number;
}

interface ParkedCall {
  readonly atMs: number;
  readonly arrivalAtMs: number;
  readonly request: WatchRequest;
  readonly onReply: (reply: EncodedClientResponse) => void;
  done: boolean;
}

/** The full assignment of one generation, encoded once, plus the replies built from it. */
interface GenerationCache {
  readonly assignment: Assignment;
  diffProto: DiffAssignmentP | undefined;
  diffBytes: Uint8Array | undefined;
  /** Encoded replies by `form|timeout|redirect`. */
  readonly replies: Map<string, EncodedClientResponse>;
}

/**
 * Holds the latest assignment of one target and answers Watch long polls from it.
 *
 * @example
 * ```ts
 * const hub = new SubscriberHub({ redirectAddress: () => preferredUri });
 * const implementation: AssignmentServiceImplementation = {
 *   // Parse (and check the target) first; a parse error is answered with toStatus(err).
 *   watch: (call, callback) => hub.handleWatch(call, callback, ClientRequest.fromProto(call.request)),
 * };
 * server.addService(ASSIGNMENT_SERVICE_DEFINITION, implementation);
 * hub.publish(assignment); // wakes every parked watcher behind it
 * ```
 * @see protocol.md §3.4
 */
export class SubscriberHub {
  private readonly clock: Clock;
  private readonly logger: Logger | undefined;
  private readonly suggested: (subscriber: SubscriberKind) => number;
  private readonly redirect: () => string | undefined;
  private readonly maxParked: number;
  private latest: GenerationCache | undefined;
  /** Live parked calls; every one is also in `heap`. */
  private readonly parked = new Set<ParkedCall>();
  private readonly heap = new DeadlineHeap<ParkedCall>();
  private timer: { readonly atMs: number; readonly cancel: () => void } | undefined;
  private closed = false;
  private assignmentReplies = 0;
  private generationReplies = 0;
  private assignmentEncodings = 0;

  /** @throws {InvalidArgumentError} when `maxParkedCalls` is not positive or a fixed suggested timeout is below 1000. */
  constructor(options: SubscriberHubOptions = {}) {
    this.clock = options.clock ?? SYSTEM_CLOCK;
    this.logger = options.logger;
    const s = options.suggestedRpcTimeoutMs ?? DEFAULT_SUGGESTED_RPC_TIMEOUT_MS;
    if (typeof s === 'number' && !(Number.isSafeInteger(s) && s >= 1000)) {
      throw new InvalidArgumentError(`suggestedRpcTimeoutMs must be an integer of at least 1000, got ${s}`);
    }
    this.suggested = typeof s === 'number' ? () => s : s;
    this.redirect = options.redirectAddress ?? (() => undefined);
    this.maxParked = options.maxParkedCalls ?? DEFAULT_MAX_PARKED_CALLS;
    if (!(this.maxParked > 0)) throw new InvalidArgumentError(`maxParkedCalls must be positive, got ${this.maxParked}`);
  }

  /** The latest assignment held, if any. */
  get latestAssignment(): Assignment | undefined {
    return this.latest?.assignment;
  }

  /** The latest generation held (EMPTY if none). */
  get latestGeneration(): Generation {
    return this.latest?.assignment.generation ?? Generation.EMPTY;
  }

  /** Counters for metrics. */
  stats(): SubscriberHubStats {
    return {
      parkedCalls: this.parked.size,
      generation: this.latestGeneration,
      assignmentReplies: this.assignmentReplies,
      generationReplies: this.generationReplies,
      assignmentEncodings: this.assignmentEncodings,
    };
  }

  /**
   * Makes `assignment` the latest if its generation is strictly newer, and answers every parked
   * call that knows less. Returns false (and changes nothing) for an older or equal generation, or
   * after {@link SubscriberHub.close}.
   */
  publish(assignment: Assignment): boolean {
    if (this.closed) return false;
    if (this.latest !== undefined && assignment.generation.compare(this.latest.assignment.generation) <= 0) return false;
    this.latest = { assignment, diffProto: undefined, diffBytes: undefined, replies: new Map() };
    const now = this.clock.nowMs();
    let woken = 0;
    for (const call of this.parked) {
      if (call.request.syncAssignmentState.generation.compare(assignment.generation) >= 0) continue;
      woken++;
      // A call whose whole timeout has passed is already abandoned by its client: send the cheap reply.
      this.answer(call, now - call.arrivalAtMs >= call.request.timeoutMs ? 'generation' : 'assignment');
    }
    this.compact();
    this.logger?.debug({ generation: assignment.generation.toString(), woken, parked: this.parked.size }, 'assignment published');
    return true;
  }

  /**
   * Answers `request` now if the hub holds a newer assignment, otherwise parks it until one is
   * published or its processing timeout passes. `onReply` is called exactly once unless the
   * registration is cancelled first.
   *
   * @throws {ClosedError} after {@link SubscriberHub.close}.
   * @throws {UnavailableError} when `maxParkedCalls` calls are already parked.
   */
  watch(request: WatchRequest, onReply: (reply: EncodedClientResponse) => void): WatchRegistration {
    if (this.closed) throw new ClosedError('subscriber hub is closed');
    const now = this.clock.nowMs();
    const call: ParkedCall = { atMs: now + processingTimeoutMs(request.timeoutMs), arrivalAtMs: now, request, onReply, done: false };
    const latest = this.latest;
    if (latest !== undefined && latest.assignment.generation.compare(request.syncAssignmentState.generation) > 0) {
      this.answer(call, 'assignment');
      return { cancel: () => undefined };
    }
    if (this.parked.size >= this.maxParked) {
      throw new UnavailableError(`too many parked watch calls (${this.parked.size}); retry later`);
    }
    this.parked.add(call);
    this.heap.push(call);
    this.armTimer();
    return {
      cancel: () => {
        if (call.done) return;
        call.done = true;
        this.parked.delete(call);
        this.compact();
      },
    };
  }

  /**
   * The grpc-js glue: answers `call` through `callback` as {@link SubscriberHub.watch} does, forgets
   * it when the client cancels, and turns any failure into a status (never throws).
   */
  handleWatch(call: ServerUnaryCall<ClientRequestP, WatchReply>, callback: sendUnaryData<WatchReply>, request: WatchRequest): void {
    try {
      if (call.cancelled) return;
      const registration = this.watch(request, (reply) => callback(null, reply));
      call.once('cancelled', () => registration.cancel());
    } catch (err) {
      const status = toStatus(err);
      if (status.code === Status.INTERNAL) this.logger?.error({ err }, 'watch handler failed');
      callback({ code: status.code, details: status.details });
    }
  }

  /**
   * Stops accepting calls and releases every parked one with the current known generation, so
   * clients move on at once. Idempotent.
   */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.timer?.cancel();
    this.timer = undefined;
    const calls = [...this.parked];
    for (const call of calls) this.answer(call, 'generation');
    this.heap.clear();
    this.logger?.debug({ released: calls.length }, 'subscriber hub closed');
  }

  private answer(call: ParkedCall, content: 'assignment' | 'generation'): void {
    if (call.done) return;
    call.done = true;
    this.parked.delete(call);
    let reply: EncodedClientResponse;
    try {
      reply = this.replyFor(call.request, content);
    } catch (err) {
      // Encoding our own validated assignment cannot fail unless there is a bug; answer the
      // generation rather than leave the call hanging.
      this.logger?.error({ err }, 'encoding a watch reply failed');
      reply = this.replyFor(call.request, 'generation');
    }
    if (content === 'assignment' && this.latest !== undefined) this.assignmentReplies++;
    else this.generationReplies++;
    try {
      call.onReply(reply);
    } catch (err) {
      this.logger?.warn({ err }, 'watch reply callback failed');
    }
  }

  private replyFor(request: WatchRequest, content: 'assignment' | 'generation'): EncodedClientResponse {
    const timeoutMs = this.suggested(request.subscriber.kind);
    const redirect = this.redirect() ?? '';
    const latest = this.latest;
    const form = latest === undefined || content === 'generation' ? 'generation' : request.supportsSerializedAssignment ? 'serialized' : 'message';
    const key = `${form}|${timeoutMs}|${redirect}`;
    const cached = latest?.replies.get(key);
    if (cached !== undefined) return cached;
    let state: SyncAssignmentStateP;
    if (latest === undefined || form === 'generation') {
      state = create(SyncAssignmentStatePSchema, { state: { case: 'knownGeneration', value: this.latestGeneration.toProto() } });
    } else if (form === 'serialized') {
      // An Assignment this process decoded (a Slicelet re-publishing the Assigner's) or already
      // encoded (several hubs of one process) is served with those same bytes: no re-encoding, and
      // in-process watchers decode them once (decoded-assignment-cache.ts).
      latest.diffBytes ??= serializedFullAssignmentOf(latest.assignment);
      if (latest.diffBytes === undefined) {
        latest.diffBytes = toBinary(DiffAssignmentPSchema, this.fullDiffProto(latest));
        rememberSerializedFullAssignment(latest.assignment, latest.diffBytes);
      }
      state = create(SyncAssignmentStatePSchema, { state: { case: 'knownSerializedAssignment', value: latest.diffBytes } });
    } else {
      state = create(SyncAssignmentStatePSchema, { state: { case: 'knownAssignment', value: this.fullDiffProto(latest) } });
    }
    const response: ClientResponseP = create(ClientResponsePSchema, {
      syncAssignmentState: state,
      suggestedRpcTimeoutMillis: BigInt(timeoutMs),
      redirect: redirect === '' ? create(RedirectPSchema) : create(RedirectPSchema, { address: redirect }),
    });
    const encoded: EncodedClientResponse = { kind: 'encoded-client-response', bytes: toBinary(ClientResponsePSchema, response) };
    latest?.replies.set(key, encoded);
    return encoded;
  }

  private fullDiffProto(cache: GenerationCache): DiffAssignmentP {
    if (cache.diffProto === undefined) {
      cache.diffProto = cache.assignment.toDiff(Generation.EMPTY).toProto();
      this.assignmentEncodings++;
    }
    return cache.diffProto;
  }

  private armTimer(): void {
    let top = this.heap.peek();
    while (top !== undefined && top.done) {
      this.heap.pop();
      top = this.heap.peek();
    }
    if (top === undefined) {
      this.timer?.cancel();
      this.timer = undefined;
      return;
    }
    if (this.timer !== undefined && this.timer.atMs === top.atMs) return;
    this.timer?.cancel();
    const atMs = top.atMs;
    this.timer = { atMs, cancel: this.clock.setTimer(atMs - this.clock.nowMs(), () => this.onTimer(atMs)) };
  }

  private onTimer(atMs: number): void {
    if (this.timer?.atMs === atMs) this.timer = undefined;
    const now = this.clock.nowMs();
    for (let top = this.heap.peek(); top !== undefined && (top.done || top.atMs <= now); top = this.heap.peek()) {
      this.heap.pop();
      if (!top.done) this.answer(top, 'generation');
    }
    this.armTimer();
  }

  /** Keeps dead heap entries bounded by the live ones, so churned calls cannot grow memory. */
  private compact(): void {
    if (this.parked.size === 0) {
      this.heap.clear();
      this.timer?.cancel();
      this.timer = undefined;
      return;
    }
    if (this.heap.size > 2 * this.parked.size + 1024) {
      this.heap.retain((c) => !c.done);
      this.timer?.cancel();
      this.timer = undefined;
      this.armTimer();
    }
  }
}
