import { hostname } from 'node:os';
import type { ChannelCredentials, ChannelOptions } from '@grpc/grpc-js';
import {
  type BackoffOptions,
  type Clock,
  InvalidArgumentError,
  type Logger,
  type Random,
  type ResourceAddress,
  SYSTEM_CLOCK,
  SYSTEM_RANDOM,
  Target,
  createDefaultLogger,
  watchAddressToGrpcTarget,
} from '@dicer-ts/common';
import type { RequestCounter } from './routing-table.js';

/**
 * How a Clerk chooses among the replicas of a replicated slice.
 *
 * - `'random'`: uniformly at random on every call, as Dicer's Clerk does (no stickiness).
 * - `'least-outstanding'`: the replica with the fewest requests in flight through this Clerk
 *   (ties broken uniformly at random). Requests are counted only when they go through
 *   {@link Clerk.withStubForKey}, {@link Clerk.beginRequest}/{@link Clerk.endRequest}, the
 *   routing channel or the grpc-js stubs of `grpcClientStubs`. A dicer-ts addition.
 */
export type ReplicaSelection = 'random' | 'least-outstanding';

/** Number of stubs kept at most; the least recently used beyond it are closed. */
export const DEFAULT_MAX_STUBS = 1_000;
/** Stubs unused this long are closed (Dicer's Clerk stub cache: expire 1 h after last access). */
export const DEFAULT_STUB_IDLE_MS = 3_600_000;
/** Consecutive watch failures on one address before a Clerk with several addresses moves on. */
export const DEFAULT_FAILOVER_AFTER_FAILURES = 2;
/** How often the Clerk samples its watch health (failover, counters, idle stubs). */
export const DEFAULT_MONITOR_INTERVAL_MS = 1_000;

/**
 * Options of {@link Clerk.create}.
 *
 * @typeParam Stub - what the `stubFactory` makes for one resource: a grpc-js client, a channel, an
 *   HTTP agent, …
 */
export interface ClerkOptions<Stub> {
  /**
   * The watched target: a `Target`, or its parseable form (`name`, `cluster:name`,
   * `appTarget:name:instanceId`, see `Target.parse`).
   */
  readonly target: string | Target;
  /**
   * Where to watch the assignment: Slicelets' Watch servers (the default deployment, e.g. the
   * Kubernetes Service `demo-cache:24510`, so each connection reaches some Slicelet) or Assigners
   * (`assigner:24500`). Several addresses are tried in turn when one keeps failing.
   * Forms: `host:port`, `http(s)://host:port` (TLS comes from `credentials`, not the scheme), or a
   * grpc-js style `dns:///host:port` (read as `host:port`).
   */
  readonly watchAddresses: string | readonly string[];
  /**
   * Makes the stub for one resource (a Slicelet's application address). Called lazily, once per
   * cached resource. `counter` counts that resource's requests in flight for least-outstanding
   * selection; a stub that wraps its calls (e.g. with `requestCountingInterceptor`) can use it.
   */
  readonly stubFactory: (resource: ResourceAddress, counter: RequestCounter) => Stub;
  /**
   * Releases a stub when it is evicted from the cache, idle too long, its resource left the
   * assignment, or the Clerk closes. Errors are logged and counted, never thrown.
   * @default none (stubs are dropped)
   */
  readonly closeStub?: (stub: Stub, resource: ResourceAddress) => void | Promise<void>;
  /** Replica choice for replicated slices. @default 'random' */
  readonly replicaSelection?: ReplicaSelection;
  /** Stubs kept at most (least recently used are closed). @default 1000 */
  readonly maxStubs?: number;
  /** Stubs unused this long are closed; 0 keeps them until evicted or unassigned. @default 3600000 */
  readonly stubIdleMs?: number;
  /** Consecutive failures on one watch address before moving to the next (with several). @default 2 */
  readonly failoverAfterFailures?: number;
  /** Period of the health sampling (failover, status counters, idle stubs). @default 1000 */
  readonly monitorIntervalMs?: number;
  /** The local host name in the watch debug name `C<n>-<target>-<host>`. @default os.hostname() */
  readonly hostName?: string;
  /** Watch channel credentials (TLS, mTLS). @default plaintext */
  readonly credentials?: ChannelCredentials;
  /** Extra grpc-js options of the watch channels. @default none */
  readonly channelOptions?: ChannelOptions;
  /** Timeout of the first watch request (then the server's suggestion). @default 5000 */
  readonly initialWatchTimeoutMs?: number;
  /** Watch retry backoff. @default 1 s → 10 s doubling, ±20 % */
  readonly backoff?: BackoffOptions;
  /** Time and timers. @default SYSTEM_CLOCK */
  readonly clock?: Clock;
  /** Replica choice and backoff jitter. @default SYSTEM_RANDOM */
  readonly random?: Random;
  /** Parent logger (a `clerk` child is made). @default pino at `warn` */
  readonly logger?: Logger;
}

/** {@link ClerkOptions} with defaults applied and validated; frozen. */
export interface ResolvedClerkOptions<Stub> {
  readonly target: Target;
  readonly watchAddresses: readonly string[];
  readonly stubFactory: (resource: ResourceAddress, counter: RequestCounter) => Stub;
  readonly closeStub: ((stub: Stub, resource: ResourceAddress) => void | Promise<void>) | undefined;
  readonly replicaSelection: ReplicaSelection;
  readonly maxStubs: number;
  readonly stubIdleMs: number;
  readonly failoverAfterFailures: number;
  readonly monitorIntervalMs: number;
  readonly hostName: string;
  readonly credentials: ChannelCredentials | undefined;
  readonly channelOptions: ChannelOptions | undefined;
  readonly initialWatchTimeoutMs: number | undefined;
  readonly backoff: BackoffOptions | undefined;
  readonly clock: Clock;
  readonly random: Random;
  readonly logger: Logger;
}

let sharedDefaultLogger: Logger | undefined;

/** One default logger for every Clerk of the process (1,000 Clerks need no 1,000 pino streams). */
function defaultLogger(): Logger {
  sharedDefaultLogger ??= createDefaultLogger();
  return sharedDefaultLogger;
}

/**
 * `dns:///host:port` (or `dns://resolver/host:port`), the grpc-js target form the API sketch uses,
 * as the `host:port` the watch client takes; other forms unchanged.
 */
function fromDnsTarget(address: string): string {
  const m = /^dns:(?:\/\/[^/]*)?\/([^/]+)$/.exec(address);
  return m === null ? address : (m[1] as string);
}

function positiveInteger(name: string, value: number): number {
  if (!(Number.isSafeInteger(value) && value > 0)) throw new InvalidArgumentError(`${name} must be a positive integer, got ${value}`);
  return value;
}

/**
 * Applies the defaults of {@link ClerkOptions} and validates them.
 *
 * @throws {InvalidArgumentError} naming the option and value: no watch address or one that does not
 *   parse, a target that does not parse, a missing `stubFactory`, an unknown `replicaSelection`, a
 *   non-positive `maxStubs`, `failoverAfterFailures` or `monitorIntervalMs`, a negative `stubIdleMs`.
 */
export function resolveClerkOptions<Stub>(options: ClerkOptions<Stub>): ResolvedClerkOptions<Stub> {
  const given = typeof options.watchAddresses === 'string' ? [options.watchAddresses] : [...options.watchAddresses];
  const watchAddresses = given.map(fromDnsTarget);
  if (watchAddresses.length === 0) throw new InvalidArgumentError('watchAddresses must name at least one address');
  for (const address of watchAddresses) watchAddressToGrpcTarget(address);
  let target: Target;
  try {
    target = typeof options.target === 'string' ? Target.parse(options.target) : options.target;
  } catch (err) {
    throw new InvalidArgumentError(`target is not a valid target: ${String(options.target)}`, { cause: err });
  }
  if (typeof options.stubFactory !== 'function') throw new InvalidArgumentError('stubFactory must be a function');
  const replicaSelection = options.replicaSelection ?? 'random';
  if (replicaSelection !== 'random' && replicaSelection !== 'least-outstanding') {
    throw new InvalidArgumentError(`replicaSelection must be 'random' or 'least-outstanding', got ${String(replicaSelection)}`);
  }
  const stubIdleMs = options.stubIdleMs ?? DEFAULT_STUB_IDLE_MS;
  if (!(Number.isFinite(stubIdleMs) && stubIdleMs >= 0)) throw new InvalidArgumentError(`stubIdleMs must be non-negative, got ${stubIdleMs}`);
  const hostName = options.hostName ?? hostname();
  return Object.freeze({
    target,
    watchAddresses: Object.freeze(watchAddresses),
    stubFactory: options.stubFactory,
    closeStub: options.closeStub,
    replicaSelection,
    maxStubs: positiveInteger('maxStubs', options.maxStubs ?? DEFAULT_MAX_STUBS),
    stubIdleMs,
    failoverAfterFailures: positiveInteger('failoverAfterFailures', options.failoverAfterFailures ?? DEFAULT_FAILOVER_AFTER_FAILURES),
    monitorIntervalMs: positiveInteger('monitorIntervalMs', options.monitorIntervalMs ?? DEFAULT_MONITOR_INTERVAL_MS),
    hostName: hostName === '' ? 'localhost' : hostName,
    credentials: options.credentials,
    channelOptions: options.channelOptions,
    initialWatchTimeoutMs: options.initialWatchTimeoutMs,
    backoff: options.backoff,
    clock: options.clock ?? SYSTEM_CLOCK,
    random: options.random ?? SYSTEM_RANDOM,
    logger: options.logger ?? defaultLogger(),
  });
}
