/**
 * The previous owner's side of state transfer: the `dicer_ts.StateTransferService/Fetch` gRPC
 * server-streaming method. It streams the application provider's entries for the requested range
 * in batches, with back-pressure: the provider is asked for the next entry only while the call's
 * write buffer has room, so a slow requester slows the provider instead of filling memory.
 *
 * Outcomes are reported to an {@link OutgoingTransferSink} (the manager's counters and drain).
 *
 * @see transfer-wire.ts for the schema; docs/state-transfer.md
 */
import {
  Server,
  type ServerCredentials,
  type ServerWritableStream,
  type ServiceDefinition,
  type UntypedServiceImplementation,
  status,
} from '@grpc/grpc-js';
import { UnavailableError, isDicerError } from '@dicer-ts/common';
import type { StateProvider } from './state-transfer-options.js';
import {
  FETCH_METHOD_PATH,
  type FetchRequest,
  type StateEntry,
  decodeFetchRequest,
  decodeFetchResponse,
  encodeFetchRequest,
  encodeFetchResponse,
  entrySize,
} from './transfer-wire.js';

/** How an outgoing stream ended. */
export type OutgoingOutcome = 'completed' | 'cancelled' | 'truncated' | 'failed' | 'rejected';

/** Receives the life of every outgoing stream. */
export interface OutgoingTransferSink {
  /** A Fetch was accepted and the provider is about to be called. */
  started(request: FetchRequest): void;
  /** The stream ended (exactly once per {@link OutgoingTransferSink.started}, or alone for `rejected`). */
  ended(request: FetchRequest | undefined, outcome: OutgoingOutcome, keys: number, bytes: number, err?: unknown): void;
}

/** What the Fetch handler needs. */
export interface FetchHandlerDeps {
  /** The application's provider; undefined answers FAILED_PRECONDITION. */
  readonly provide: StateProvider | undefined;
  /** This Slicelet's target name; a request naming another is rejected. */
  readonly target: string;
  /** Aborted when the Slicelet closes: every stream stops. */
  readonly closing: AbortSignal;
  /** Outcome reports. */
  readonly sink: OutgoingTransferSink;
}

/** A batch is written once it holds this many bytes … */
const BATCH_BYTES = 32 * 1024;
/** … or this many entries. */
const BATCH_ENTRIES = 256;

/** The grpc-js definition of `dicer_ts.StateTransferService` (responses are written pre-encoded). */
export const STATE_TRANSFER_SERVICE_DEFINITION: ServiceDefinition = {
  Fetch: {
    path: FETCH_METHOD_PATH,
    requestStream: false,
    responseStream: true,
    requestSerialize: encodeFetchRequest,
    requestDeserialize: decodeFetchRequest,
    responseSerialize: (encoded: Buffer) => encoded,
    responseDeserialize: decodeFetchResponse,
    originalName: 'fetch',
  },
};

/** The handler object to pass to `server.addService(STATE_TRANSFER_SERVICE_DEFINITION, …)`. */
export function createStateTransferImplementation(deps: FetchHandlerDeps): UntypedServiceImplementation {
  return { Fetch: (call: ServerWritableStream<FetchRequest, Buffer>) => void serveFetch(call, deps) };
}

/** An error status for the call (grpc-js turns an `error` event into the call's status). */
function fail(call: ServerWritableStream<FetchRequest, Buffer>, code: status, details: string): void {
  call.emit('error', Object.assign(new Error(details), { code, details }));
}

async function serveFetch(call: ServerWritableStream<FetchRequest, Buffer>, deps: FetchHandlerDeps): Promise<void> {
  const request = call.request;
  if (deps.provide === undefined) {
    deps.sink.ended(request, 'rejected', 0, 0);
    fail(call, status.FAILED_PRECONDITION, 'this Slicelet has no state provider');
    return;
  }
  if (request.target !== '' && request.target !== deps.target) {
    deps.sink.ended(request, 'rejected', 0, 0);
    fail(call, status.FAILED_PRECONDITION, `this Slicelet serves target ${deps.target}, not ${request.target}`);
    return;
  }
  const abort = new AbortController();
  const onCancelled = (): void => abort.abort(new UnavailableError('requester went away'));
  const onClosing = (): void => abort.abort(new UnavailableError('slicelet closing'));
  call.on('cancelled', onCancelled);
  if (deps.closing.aborted) onClosing();
  else deps.closing.addEventListener('abort', onClosing, { once: true });
  deps.sink.started(request);
  let keys = 0;
  let bytes = 0;
  let batch: StateEntry[] = [];
  let batchBytes = 0;
  const flush = async (): Promise<void> => {
    if (batch.length === 0) return;
    // Encoded here rather than by the serializer: the batch is final once queued.
    const encoded = encodeFetchResponse(batch);
    batch = [];
    batchBytes = 0;
    if (!call.write(encoded)) await drained(call, abort.signal);
  };
  const stopped = aborted(abort.signal);
  let iterator: Iterator<StateEntry> | AsyncIterator<StateEntry> | undefined;
  let finished = false;
  try {
    const source = deps.provide(request.range, { transferId: request.transferId, requester: request.requester, signal: abort.signal });
    iterator = iteratorOf(source);
    for (;;) {
      let step = iterator.next();
      if (isPromise(step)) {
        // An async provider: while it thinks, send what is batched (a stalled provider must not
        // hold back entries already read), and stop waiting for it once the call is abandoned.
        const waiting = batch.length > 0 ? Promise.race([step, nextMacrotask()]) : step;
        let raced = await Promise.race([waiting, stopped]);
        if (raced === PENDING) {
          await flush();
          raced = await Promise.race([step, stopped]);
        }
        if (raced === STOPPED) break;
        step = raced as IteratorResult<StateEntry>;
      }
      if (step.done === true) {
        finished = true;
        break;
      }
      if (abort.signal.aborted) break;
      const entry = step.value;
      if (!(entry?.key instanceof Uint8Array) || !(entry.value instanceof Uint8Array)) {
        throw new TypeError('a state provider must yield { key: Uint8Array; value: Uint8Array }');
      }
      const size = entrySize(entry);
      if (request.maxBytes > 0 && bytes + size > request.maxBytes) {
        await flush();
        deps.sink.ended(request, 'truncated', keys, bytes);
        fail(call, status.RESOURCE_EXHAUSTED, `the state of ${request.range} exceeds the requester's cap of ${request.maxBytes} bytes`);
        return;
      }
      batch.push(entry);
      batchBytes += size;
      keys++;
      bytes += size;
      if (batchBytes >= BATCH_BYTES || batch.length >= BATCH_ENTRIES) await flush();
    }
    if (!abort.signal.aborted) await flush();
    if (abort.signal.aborted) {
      deps.sink.ended(request, 'cancelled', keys, bytes, abort.signal.reason);
      if (deps.closing.aborted) fail(call, status.UNAVAILABLE, 'slicelet closing');
      return;
    }
    call.end();
    deps.sink.ended(request, 'completed', keys, bytes);
  } catch (err) {
    finished = true;
    // Entries read before the failure are valid: send them first (a partial transfer beats none).
    if (!abort.signal.aborted) await flush().catch(() => undefined);
    deps.sink.ended(request, 'failed', keys, bytes, err);
    const code = isDicerError(err) ? err.code : status.INTERNAL;
    fail(call, code, `state provider failed: ${(err as Error)?.message ?? String(err)}`);
  } finally {
    // Let an unfinished provider clean up; not awaited, since one that ignores its signal may never settle.
    if (!finished && iterator?.return !== undefined) void Promise.resolve(iterator.return()).catch(() => undefined);
    call.off('cancelled', onCancelled);
    deps.closing.removeEventListener('abort', onClosing);
  }
}

const PENDING = Symbol('pending');
const STOPPED = Symbol('stopped');

/** The iterator of a provider's result, sync or async. */
function iteratorOf(source: AsyncIterable<StateEntry> | Iterable<StateEntry>): Iterator<StateEntry> | AsyncIterator<StateEntry> {
  if (source !== null && typeof source === 'object' && Symbol.asyncIterator in source) return source[Symbol.asyncIterator]();
  if (source !== null && typeof source === 'object' && Symbol.iterator in source) return source[Symbol.iterator]();
  throw new TypeError('a state provider must return an iterable or async iterable');
}

function isPromise<T>(value: T | Promise<T>): value is Promise<T> {
  return typeof (value as { then?: unknown })?.then === 'function';
}

/** Resolves with {@link PENDING} on the next macrotask (after every pending microtask). */
function nextMacrotask(): Promise<typeof PENDING> {
  return new Promise((resolve) => setImmediate(() => resolve(PENDING)));
}

/** Resolves with {@link STOPPED} when `signal` aborts. */
function aborted(signal: AbortSignal): Promise<typeof STOPPED> {
  return new Promise((resolve) => {
    if (signal.aborted) resolve(STOPPED);
    else signal.addEventListener('abort', () => resolve(STOPPED), { once: true });
  });
}

/** Resolves when the call's buffer drained or `signal` aborted. */
function drained(call: ServerWritableStream<FetchRequest, Buffer>, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      call.off('drain', done);
      signal.removeEventListener('abort', done);
      resolve();
    };
    call.on('drain', done);
    signal.addEventListener('abort', done, { once: true });
    if (signal.aborted) done();
  });
}

/** A standalone server for the transfer service (used when `stateTransfer.listen` is set). */
export interface TransferServerHandle {
  /** The bound port. */
  readonly port: number;
  /** Stops accepting calls and ends running ones. */
  close(): Promise<void>;
}

/**
 * Starts a gRPC server that serves only the transfer service.
 *
 * @throws {UnavailableError} when the port cannot be bound.
 */
export async function startTransferServer(
  host: string,
  port: number,
  credentials: ServerCredentials,
  implementation: UntypedServiceImplementation,
): Promise<TransferServerHandle> {
  const server = new Server();
  server.addService(STATE_TRANSFER_SERVICE_DEFINITION, implementation);
  const bracketed = host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
  const bound = await new Promise<number>((resolve, reject) => {
    server.bindAsync(`${bracketed}:${port}`, credentials, (err, p) => (err === null ? resolve(p) : reject(err)));
  }).catch((err: unknown) => {
    server.forceShutdown();
    throw new UnavailableError(`cannot bind the state-transfer server to ${host}:${port}: ${(err as Error).message}`, { cause: err });
  });
  return {
    port: bound,
    close: () =>
      new Promise<void>((resolve) => {
        // Running streams were aborted by the manager's closing signal; a short grace, then force.
        const timer = setTimeout(() => {
          server.forceShutdown();
          resolve();
        }, 1_000);
        timer.unref();
        server.tryShutdown(() => {
          clearTimeout(timer);
          resolve();
        });
      }),
  };
}
