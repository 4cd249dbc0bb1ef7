/**
 * Options of the Slicelet's opt-in state transfer (`SliceletOptions.stateTransfer`): the provider
 * that streams this pod's entries to a new owner, the receiver that takes entries pulled from a
 * previous owner, where the transfer service is reached, and the limits of each pull.
 *
 * @see docs/state-transfer.md
 */
import { type ChannelCredentials, type ServerCredentials, credentials as grpcCredentials } from '@grpc/grpc-js';
import { InvalidArgumentError, type Slice, type Squid, watchAddressToGrpcTarget } from '@dicer-ts/common';
import type { StateEntry } from './transfer-wire.js';

/** What a provider is told about one outgoing transfer. */
export interface OutgoingTransferContext {
  /** The transfer's id (`TransferP.id`). */
  readonly transferId: number;
  /** The new owner's SQUID, as it sent it (for logs). */
  readonly requester: string;
  /** Aborted when the requester goes away (cancel, deadline, disconnect) or the Slicelet closes. */
  readonly signal: AbortSignal;
}

/**
 * The previous owner's side: the entries of `range` (keys are the application's bytes; the provider
 * decides which belong to the range, usually by `SliceKey.fromApplicationKey`). Pulled lazily: the
 * next entry is asked for only when the stream to the requester can take more (back-pressure).
 */
export type StateProvider = (range: Slice, context: OutgoingTransferContext) => AsyncIterable<StateEntry> | Iterable<StateEntry>;

/** One incoming transfer handed to the {@link StateReceiver}. */
export interface IncomingTransfer {
  /** The newly acquired key range. */
  readonly range: Slice;
  /** The previous owner the entries come from. */
  readonly from: Squid;
  /** The transfer's id (`TransferP.id`). */
  readonly transferId: number;
  /**
   * The entries, pulled from the previous owner as they are iterated. Iteration throws when the
   * pull fails (deadline, size cap, the previous owner gone, ownership changed again); entries
   * already taken stay valid.
   */
  readonly entries: AsyncIterable<StateEntry>;
  /** Aborted when the pull is abandoned (ownership changed again, deadline, close). */
  readonly signal: AbortSignal;
}

/**
 * The new owner's side: consumes one transfer's entries (usually "insert unless present", since
 * the Slicelet serves the range cold while the transfer runs). A throw or rejection counts the
 * transfer as failed; it never affects serving.
 */
export type StateReceiver = (transfer: IncomingTransfer) => void | Promise<void>;

/** `SliceletOptions.stateTransfer`. */
export interface StateTransferOptions {
  /** Serves this pod's entries to new owners. Absent: Fetch calls are answered FAILED_PRECONDITION. */
  readonly provide?: StateProvider;
  /** Takes entries pulled from previous owners. Absent: this pod never pulls. */
  readonly receive?: StateReceiver;
  /**
   * Where the Slicelet runs its own transfer server. Absent: none; the application adds the
   * service to its own gRPC server with `slicelet.stateTransfer.addTo(server)` (the default
   * {@link StateTransferOptions.resolveAddress} then finds it at the pod's application address).
   */
  readonly listen?: { readonly host?: string; readonly port: number };
  /** The gRPC target (`host:port`) of a previous owner's transfer service. @default its resource address's host and port */
  readonly resolveAddress?: (source: Squid) => string;
  /** Deadline of one pull, from its start. Keep it below the Assigner's transfer timeout. @default 30_000 */
  readonly fetchDeadlineMs?: number;
  /** Most key + value bytes one pull accepts; beyond it the pull is cut and counted as truncated. @default 256 MiB */
  readonly maxBytesPerTransfer?: number;
  /** Pulls running at once; more wait in line. @default 4 */
  readonly maxConcurrentFetches?: number;
  /** Credentials of the channels to previous owners. @default plaintext */
  readonly credentials?: ChannelCredentials;
  /** Credentials of the transfer server started for `listen`. @default plaintext */
  readonly serverCredentials?: ServerCredentials;
}

/** {@link StateTransferOptions} with defaults applied and validated. */
export interface ResolvedStateTransferOptions {
  readonly provide: StateProvider | undefined;
  readonly receive: StateReceiver | undefined;
  readonly listen: { readonly host: string; readonly port: number } | undefined;
  readonly resolveAddress: (source: Squid) => string;
  readonly fetchDeadlineMs: number;
  readonly maxBytesPerTransfer: number;
  readonly maxConcurrentFetches: number;
  readonly credentials: ChannelCredentials;
  readonly serverCredentials: ServerCredentials | undefined;
}

/** Default deadline of one pull. */
export const DEFAULT_FETCH_DEADLINE_MS = 30_000;
/** Default byte cap of one pull. */
export const DEFAULT_MAX_BYTES_PER_TRANSFER = 256 * 1024 * 1024;
/** Default number of concurrent pulls. */
export const DEFAULT_MAX_CONCURRENT_FETCHES = 4;

/** The gRPC target of a SQUID's application address (`https://10.0.0.5:8080` → `10.0.0.5:8080`). */
export function defaultTransferAddress(source: Squid): string {
  return watchAddressToGrpcTarget(source.resourceAddress.uri);
}

/**
 * Applies defaults and validates.
 *
 * @throws {InvalidArgumentError} for a non-positive deadline, cap or concurrency, or a bad port.
 */
export function resolveStateTransferOptions(options: StateTransferOptions): ResolvedStateTransferOptions {
  const fetchDeadlineMs = options.fetchDeadlineMs ?? DEFAULT_FETCH_DEADLINE_MS;
  if (!(fetchDeadlineMs > 0 && Number.isFinite(fetchDeadlineMs))) {
    throw new InvalidArgumentError(`stateTransfer.fetchDeadlineMs must be positive, got ${fetchDeadlineMs}`);
  }
  const maxBytesPerTransfer = options.maxBytesPerTransfer ?? DEFAULT_MAX_BYTES_PER_TRANSFER;
  if (!(Number.isSafeInteger(maxBytesPerTransfer) && maxBytesPerTransfer > 0)) {
    throw new InvalidArgumentError(`stateTransfer.maxBytesPerTransfer must be a positive integer, got ${maxBytesPerTransfer}`);
  }
  const maxConcurrentFetches = options.maxConcurrentFetches ?? DEFAULT_MAX_CONCURRENT_FETCHES;
  if (!(Number.isSafeInteger(maxConcurrentFetches) && maxConcurrentFetches > 0)) {
    throw new InvalidArgumentError(`stateTransfer.maxConcurrentFetches must be a positive integer, got ${maxConcurrentFetches}`);
  }
  const listen = options.listen;
  if (listen !== undefined && !(Number.isInteger(listen.port) && listen.port >= 0 && listen.port <= 65535)) {
    throw new InvalidArgumentError(`stateTransfer.listen.port must be an integer in 0–65535, got ${listen.port}`);
  }
  return Object.freeze({
    provide: options.provide,
    receive: options.receive,
    listen: listen === undefined ? undefined : { host: listen.host ?? '0.0.0.0', port: listen.port },
    resolveAddress: options.resolveAddress ?? defaultTransferAddress,
    fetchDeadlineMs,
    maxBytesPerTransfer,
    maxConcurrentFetches,
    credentials: options.credentials ?? grpcCredentials.createInsecure(),
    serverCredentials: options.serverCredentials,
  });
}
