import { status as Status } from '@grpc/grpc-js';

const DICER_ERROR_BRAND = Symbol.for('@dicer-ts/common/DicerError');

/**
 * The base of every error dicer-ts raises on purpose; each kind maps to exactly one gRPC status so
 * that a handler can answer a peer with `toStatus(err)` without guessing.
 *
 * @see ../../../shared/style.md §4
 */
export abstract class DicerError extends Error {
  /** The gRPC status this error is answered with. */
  abstract readonly code: Status;

  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
    Object.defineProperty(this, DICER_ERROR_BRAND, { value: true });
  }
}

/**
 * True when `err` is a {@link DicerError}; checks a brand rather than `instanceof` so it holds
 * across duplicate installs of this package.
 */
export function isDicerError(err: unknown): err is DicerError {
  return typeof err === 'object' && err !== null && (err as Record<symbol, unknown>)[DICER_ERROR_BRAND] === true;
}

/** A bad request, config or option; the message names the field and quotes the value. */
export class InvalidArgumentError extends DicerError {
  readonly code = Status.INVALID_ARGUMENT;
}

/** An unknown target, or a target that does not match the one a Slicelet serves. */
export class NotFoundError extends DicerError {
  readonly code = Status.NOT_FOUND;
}

/** The system is not in a state that allows the operation (e.g. the store is not bootstrapped). */
export class FailedPreconditionError extends DicerError {
  readonly code = Status.FAILED_PRECONDITION;
}

/** A method called in a lifecycle state that does not allow it. */
export class IllegalStateError extends DicerError {
  readonly code = Status.FAILED_PRECONDITION;
}

/** A dependency (etcd, a peer) is unreachable, or the component is not ready yet. */
export class UnavailableError extends DicerError {
  readonly code = Status.UNAVAILABLE;
}

/** The object was used after `close()`. */
export class ClosedError extends DicerError {
  readonly code = Status.CANCELLED;
}

/** A stored key or value that does not decode. */
export class DataLossError extends DicerError {
  readonly code = Status.DATA_LOSS;
}

/** A broken invariant, i.e. a bug. */
export class InternalError extends DicerError {
  readonly code = Status.INTERNAL;
}

/** What a gRPC handler sends back for a failure: a status code and a message safe for a peer. */
export interface StatusDetails {
  /** The gRPC status code. */
  readonly code: Status;
  /** The message for the peer; never a stack trace. */
  readonly details: string;
}

/**
 * Turns any thrown value into the status a gRPC handler answers with: a {@link DicerError} keeps
 * its code and message; anything else becomes INTERNAL with a generic message (log the original
 * where it is handled). A dependency's status code is never passed through.
 */
export function toStatus(err: unknown): StatusDetails {
  if (isDicerError(err)) return { code: err.code, details: err.message };
  return { code: Status.INTERNAL, details: 'internal error' };
}
