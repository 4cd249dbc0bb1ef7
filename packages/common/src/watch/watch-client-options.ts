import { credentials as grpcCredentials, type ChannelCredentials, type ChannelOptions } from '@grpc/grpc-js';
import type { Logger } from 'pino';
import { SYSTEM_CLOCK, type Clock } from '../clock.js';
import { InvalidArgumentError } from '../errors.js';
import { createDefaultLogger } from '../logging.js';
import type { Assignment } from '../model/assignment.js';
import type { Subscriber } from '../model/client-request.js';
import type { Target } from '../model/target.js';
import { SYSTEM_RANDOM, type Random } from '../random.js';
import { DEFAULT_WATCH_TIMEOUT_MS, MIN_WATCH_TIMEOUT_MS } from './assignment-sync-state-machine.js';
import { Backoff, type BackoffOptions } from './backoff.js';
import { MAX_MESSAGE_BYTES } from './grpc-services.js';
import { watchAddressToGrpcTarget } from './watch-address.js';

/** Added to the chosen watch timeout to get the gRPC deadline (Dicer `DEADLINE_BUFFER`). */
export const WATCH_DEADLINE_BUFFER_MS = 10_000;
/** How long an unused redirect channel is kept (Dicer `watchStubCacheTimeSeconds`). */
export const DEFAULT_REDIRECT_CHANNEL_IDLE_MS = 300_000;

/** Options of {@link WatchClient.start}. */
export interface WatchClientOptions {
  /** The configured watch address, e.g. `https://assigner:24500` or `softstore-slicelets:24510`. */
  readonly address: string;
  /** The watched target. */
  readonly target: Target;
  /** `subscriber_debug_name`, e.g. `S0-softstore-pod-1` or `C0-softstore-host`. */
  readonly subscriberDebugName: string;
  /**
   * The subscriber payload, called once per request: `() => ({ kind: 'clerk' })` for Clerks; a
   * Slicelet returns fresh `slicelet_fields` (state, SQUID, loads). If it throws, that request
   * counts as failed (retried after backoff).
   */
  readonly subscriber: () => Subscriber;
  /** Receives every strictly newer assignment, in order. Exceptions are logged and swallowed. @default none */
  readonly onAssignment?: (assignment: Assignment) => void;
  /** Channel credentials (TLS, mTLS). @default plaintext */
  readonly credentials?: ChannelCredentials;
  /** Extra grpc-js channel options (the 4 MiB limits are always set). @default none */
  readonly channelOptions?: ChannelOptions;
  /** Timeout of the first request, replaced by each answer's suggestion; at least 1000. @default 5000 */
  readonly initialWatchTimeoutMs?: number;
  /** Added to the chosen timeout for the gRPC deadline. @default 10000 */
  readonly deadlineBufferMs?: number;
  /** Retry backoff. @default 1 s → 10 s doubling, ±20 % */
  readonly backoff?: BackoffOptions;
  /** Unused redirect channels are closed after this long. @default 300000 */
  readonly redirectChannelIdleMs?: number;
  /** Time and timers. @default SYSTEM_CLOCK */
  readonly clock?: Clock;
  /** Backoff jitter. @default SYSTEM_RANDOM */
  readonly random?: Random;
  /** Parent logger (a `watch-client` child is made). @default pino at `warn` */
  readonly logger?: Logger;
  /** An assignment to start from (e.g. kept across a restart of the owner). @default none */
  readonly initialAssignment?: Assignment;
}

let sharedDefaultLogger: Logger | undefined;

/** One default logger for every watch client: a process with 1,000 Clerks needs no 1,000 pino streams. */
function defaultLogger(): Logger {
  sharedDefaultLogger ??= createDefaultLogger();
  return sharedDefaultLogger;
}

/** {@link WatchClientOptions} with defaults applied and validated; frozen. */
export interface ResolvedWatchClientOptions {
  readonly address: string;
  readonly target: Target;
  readonly subscriberDebugName: string;
  readonly subscriber: () => Subscriber;
  readonly onAssignment: ((assignment: Assignment) => void) | undefined;
  readonly credentials: ChannelCredentials;
  /** The caller's channel options plus the 4 MiB message limits. */
  readonly channelOptions: ChannelOptions;
  readonly initialWatchTimeoutMs: number;
  readonly deadlineBufferMs: number;
  readonly backoff: BackoffOptions;
  readonly redirectChannelIdleMs: number;
  readonly clock: Clock;
  readonly random: Random;
  readonly logger: Logger;
  readonly initialAssignment: Assignment | undefined;
}

/**
 * Applies the defaults of {@link WatchClientOptions} and validates them.
 *
 * @throws {InvalidArgumentError} naming the option and value: an address that does not parse, an
 *   empty debug name, `initialWatchTimeoutMs` below 1000 or not an integer, a negative
 *   `deadlineBufferMs`, a non-positive `redirectChannelIdleMs`, bad backoff settings.
 */
export function resolveWatchClientOptions(options: WatchClientOptions): ResolvedWatchClientOptions {
  watchAddressToGrpcTarget(options.address);
  if (options.subscriberDebugName === '') throw new InvalidArgumentError('subscriberDebugName must not be empty');
  const initialWatchTimeoutMs = options.initialWatchTimeoutMs ?? DEFAULT_WATCH_TIMEOUT_MS;
  if (!(Number.isSafeInteger(initialWatchTimeoutMs) && initialWatchTimeoutMs >= MIN_WATCH_TIMEOUT_MS)) {
    throw new InvalidArgumentError(`initialWatchTimeoutMs must be an integer of at least ${MIN_WATCH_TIMEOUT_MS}, got ${initialWatchTimeoutMs}`);
  }
  const deadlineBufferMs = options.deadlineBufferMs ?? WATCH_DEADLINE_BUFFER_MS;
  if (!(deadlineBufferMs >= 0 && Number.isFinite(deadlineBufferMs))) {
    throw new InvalidArgumentError(`deadlineBufferMs must be non-negative, got ${deadlineBufferMs}`);
  }
  const redirectChannelIdleMs = options.redirectChannelIdleMs ?? DEFAULT_REDIRECT_CHANNEL_IDLE_MS;
  if (!(redirectChannelIdleMs > 0)) {
    throw new InvalidArgumentError(`redirectChannelIdleMs must be positive, got ${redirectChannelIdleMs}`);
  }
  const backoff = options.backoff ?? {};
  const random = options.random ?? SYSTEM_RANDOM;
  // Validates the backoff settings now rather than at the first failure.
  new Backoff(random, backoff);
  return Object.freeze({
    address: options.address,
    target: options.target,
    subscriberDebugName: options.subscriberDebugName,
    subscriber: options.subscriber,
    onAssignment: options.onAssignment,
    credentials: options.credentials ?? grpcCredentials.createInsecure(),
    channelOptions: {
      ...options.channelOptions,
      'grpc.max_receive_message_length': MAX_MESSAGE_BYTES,
      'grpc.max_send_message_length': MAX_MESSAGE_BYTES,
    },
    initialWatchTimeoutMs,
    deadlineBufferMs,
    backoff,
    redirectChannelIdleMs,
    clock: options.clock ?? SYSTEM_CLOCK,
    random,
    logger: options.logger ?? defaultLogger(),
    initialAssignment: options.initialAssignment,
  });
}
