/**
 * The new owner's side of state transfer: one `Fetch` call to a previous owner, exposed as an
 * async iterable of entries. Back-pressure is end to end: entries are read from the call only as
 * the receiver iterates, grpc-js pauses the HTTP/2 stream when its buffer is full, and the
 * previous owner's provider waits for the stream to drain.
 *
 * The pull ends with exactly one {@link FetchOutcome}: `completed` (the stream ended normally),
 * `cancelled` (the signal aborted: ownership changed again, close), `timed-out` (the deadline
 * passed), `truncated` (more than `maxBytes` of keys and values), `failed` (anything else: the
 * previous owner died, refused, sent garbage).
 */
import { Client, type ChannelCredentials, type ClientReadableStream, Metadata, type ServiceError, status } from '@grpc/grpc-js';
import { FailedPreconditionError, type Slice, UnavailableError } from '@dicer-ts/common';
import { FETCH_METHOD_PATH, type FetchRequest, type StateEntry, decodeFetchResponse, encodeFetchRequest, entrySize } from './transfer-wire.js';

/** How a pull ended. */
export type FetchOutcome = 'completed' | 'cancelled' | 'timed-out' | 'truncated' | 'failed';

/** Parameters of one pull. */
export interface FetchStateOptions {
  /** The previous owner's transfer service, `host:port`. */
  readonly address: string;
  /** The range to pull. */
  readonly range: Slice;
  /** The transfer's id (`TransferP.id`). */
  readonly transferId: number;
  /** This Slicelet's SQUID (sent for the previous owner's logs). */
  readonly requester: string;
  /** The target name. */
  readonly target: string;
  /** Deadline from the start of the call. */
  readonly deadlineMs: number;
  /** Most key + value bytes accepted. */
  readonly maxBytes: number;
  /** Aborting cancels the call. */
  readonly signal: AbortSignal;
  /** Channel credentials. */
  readonly credentials: ChannelCredentials;
}

/**
 * One pull from a previous owner. Iterate {@link StateFetch} once; the call starts on the first
 * `next()` and is cancelled and its channel closed when iteration stops for any reason.
 */
export class StateFetch implements AsyncIterable<StateEntry> {
  /** Entries handed to the iterator so far. */
  keys = 0;
  /** Key + value bytes handed to the iterator so far. */
  bytes = 0;
  /** How the pull ended; undefined while running or if never iterated to an end. */
  outcome: FetchOutcome | undefined;
  /** The error behind a non-`completed` outcome. */
  error: unknown;
  private iterated = false;
  private call: ClientReadableStream<StateEntry[]> | undefined;
  private client: Client | undefined;

  constructor(private readonly options: FetchStateOptions) {}

  /** Cancels the call if it is still running (an iterator that stopped early calls this itself). */
  cancel(): void {
    this.call?.cancel();
    this.client?.close();
    this.call = undefined;
    this.client = undefined;
  }

  [Symbol.asyncIterator](): AsyncIterator<StateEntry> {
    if (this.iterated) throw new FailedPreconditionError('a state fetch can be iterated only once');
    this.iterated = true;
    return this.pull();
  }

  private async *pull(): AsyncGenerator<StateEntry> {
    const o = this.options;
    if (o.signal.aborted) {
      this.finish('cancelled', o.signal.reason);
      throw o.signal.reason;
    }
    const client = new Client(o.address, o.credentials);
    const request: FetchRequest = { range: o.range, transferId: o.transferId, requester: o.requester, maxBytes: o.maxBytes, target: o.target };
    const call = client.makeServerStreamRequest<FetchRequest, StateEntry[]>(
      FETCH_METHOD_PATH,
      encodeFetchRequest,
      decodeFetchResponse,
      request,
      new Metadata(),
      { deadline: Date.now() + o.deadlineMs },
    );
    this.client = client;
    this.call = call;
    const onAbort = (): void => call.cancel();
    o.signal.addEventListener('abort', onAbort, { once: true });
    try {
      for await (const batch of call as AsyncIterable<StateEntry[]>) {
        for (const entry of batch) {
          const size = entrySize(entry);
          if (this.bytes + size > o.maxBytes) {
            const err = new FailedPreconditionError(`the state of ${o.range} exceeds maxBytesPerTransfer (${o.maxBytes} bytes)`);
            this.finish('truncated', err);
            throw err;
          }
          this.keys++;
          this.bytes += size;
          yield entry;
        }
      }
      this.finish('completed', undefined);
    } catch (err) {
      if (this.outcome === undefined) this.finish(...classify(err, o.signal));
      throw this.outcome === 'cancelled' && o.signal.reason !== undefined ? o.signal.reason : this.error;
    } finally {
      o.signal.removeEventListener('abort', onAbort);
      this.cancel();
    }
  }

  private finish(outcome: FetchOutcome, error: unknown): void {
    this.outcome ??= outcome;
    this.error ??= error;
  }
}

/** Starts nothing yet: returns the pull, which calls the previous owner when iterated. */
export function fetchState(options: FetchStateOptions): StateFetch {
  return new StateFetch(options);
}

function classify(err: unknown, signal: AbortSignal): [FetchOutcome, unknown] {
  if (signal.aborted) return ['cancelled', err];
  const code = (err as Partial<ServiceError>)?.code;
  if (code === status.DEADLINE_EXCEEDED) return ['timed-out', err];
  if (code === status.RESOURCE_EXHAUSTED) return ['truncated', err];
  if (code === status.UNAVAILABLE) return ['failed', new UnavailableError(`previous owner unreachable: ${(err as Error).message}`, { cause: err })];
  return ['failed', err];
}
