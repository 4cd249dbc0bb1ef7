/**
 * The boundary between etcd3's errors and ours: every error the etcd client raises is translated
 * here, so no etcd3 error class leaves the store modules (style.md §4).
 *
 * | etcd3 / grpc condition | ours |
 * |---|---|
 * | unreachable, deadline, circuit open, stream ended, cancelled | {@link UnavailableError} |
 * | "request is too large" (value above `--max-request-bytes`) | {@link EtcdValueTooLargeError} |
 * | authentication / permission failures | {@link FailedPreconditionError} |
 * | client closed | {@link ClosedError} |
 * | compacted watch revision | {@link UnavailableError} (callers re-list, see {@link isCompactedError}) |
 * | missing high-watermark | {@link StoreNotBootstrappedError} |
 * | undecodable row, version or watermark | {@link DataLossError} (raised by the layout/decoders) |
 *
 * @see store-ha.md §2.4–2.6, §10
 */
import {
  ClosedError,
  FailedPreconditionError,
  InvalidArgumentError,
  UnavailableError,
  isDicerError,
  type DicerError,
} from '@dicer-ts/common';

/**
 * The etcd namespace has no high-watermark: nobody ran `dicer-assigner bootstrap` for it. Every
 * write fails with this until the namespace is bootstrapped (Dicer answers DATA_LOSS here; we use
 * a precondition error with instructions because it is an operator's step, not a corruption).
 *
 * @see store-ha.md §2.6
 */
export class StoreNotBootstrappedError extends FailedPreconditionError {
  /** The etcd namespace that lacks a watermark. */
  readonly namespace: string;

  constructor(namespace: string) {
    super(
      `etcd namespace '${namespace}' is not bootstrapped (no high-watermark key); ` +
        `run 'dicer-assigner bootstrap' with the same endpoints, prefix and incarnation first`,
    );
    this.namespace = namespace;
  }
}

/**
 * A value larger than etcd accepts in one request. Dicer stores one version as one etcd value
 * (no chunking), so the write is refused and nothing is lost: the previous version stays current.
 */
export class EtcdValueTooLargeError extends InvalidArgumentError {
  /** The encoded size of the refused value. */
  readonly valueBytes: number;

  constructor(key: string, valueBytes: number, limitBytes: number | undefined, options?: ErrorOptions) {
    const limit = limitBytes === undefined ? "etcd's request size limit (--max-request-bytes)" : `the limit of ${limitBytes} bytes`;
    super(`value of ${valueBytes} bytes for etcd key '${key}' exceeds ${limit}`, options);
    this.valueBytes = valueBytes;
  }
}

const UNAVAILABLE_NAMES = new Set([
  'GRPCUnavailableError',
  'GRPCDeadlineExceededError',
  'GRPCCancelledError',
  'GRPCGenericError',
  'GRPCProtocolError',
  'GRPCInternalError',
  'GRPCUnknownError',
  'GRPCAbortedError',
  'GRPCResourceExhastedError',
  'EtcdWatchStreamEnded',
  'BrokenCircuitError',
  'TaskCancelledError',
  'BulkheadRejectedError',
]);
const AUTH_NAMES = new Set([
  'EtcdPermissionDeniedError',
  'EtcdAuthenticationFailedError',
  'EtcdInvalidAuthTokenError',
  'GRPCUnauthenticatedError',
  'EtcdRoleNotGrantedError',
  'EtcdUserNotFoundError',
]);

/** True when `err` (from etcd3) says the requested revision was compacted away. */
export function isCompactedError(err: unknown): boolean {
  return err instanceof Error && /required revision has been compacted/.test(err.message);
}

/** True when `err` (from etcd3) says a request exceeded etcd's size limit. */
function isTooLarge(err: Error): boolean {
  return /request is too large|message larger than max|exceeds? .*max.*(size|bytes)/i.test(err.message);
}

/**
 * Translates anything an etcd3 call threw into a {@link DicerError}; a `DicerError` passes through.
 *
 * @param operation what was attempted, for the message (`"write assignments/demo/version"`)
 */
export function translateEtcdError(err: unknown, operation: string): DicerError {
  if (isDicerError(err)) return err;
  if (!(err instanceof Error)) return new UnavailableError(`etcd ${operation} failed: ${String(err)}`);
  const name = err.constructor?.name ?? err.name;
  if (name === 'ClientClosedError') return new ClosedError(`etcd client is closed (${operation})`, { cause: err });
  if (AUTH_NAMES.has(name) || /permission denied|authentication failed|invalid auth token/i.test(err.message)) {
    return new FailedPreconditionError(`etcd refused ${operation}: ${err.message}`, { cause: err });
  }
  if (isCompactedError(err)) {
    return new UnavailableError(`etcd ${operation} failed: revision compacted (${err.message})`, { cause: err });
  }
  if (UNAVAILABLE_NAMES.has(name) || UNAVAILABLE_NAMES.has(err.name)) {
    return new UnavailableError(`etcd ${operation} failed: ${err.message}`, { cause: err });
  }
  // Connection-level failures from grpc-js or the OS (ECONNREFUSED, "No connection established").
  return new UnavailableError(`etcd ${operation} failed: ${err.message}`, { cause: err });
}

/**
 * Like {@link translateEtcdError}, but recognises a too-large request for a put of `valueBytes`.
 */
export function translateEtcdWriteError(err: unknown, key: string, valueBytes: number): DicerError {
  if (!isDicerError(err) && err instanceof Error && isTooLarge(err)) {
    return new EtcdValueTooLargeError(key, valueBytes, undefined, { cause: err });
  }
  return translateEtcdError(err, `write ${key}`);
}
