/**
 * Options of `Slicelet.start`: defaults, validation and the frozen resolved form. Defaults are
 * Dicer's (protocol.md §6) unless noted.
 *
 * Dicer reads the host, UUID and namespace from `POD_IP` / `POD_UID` / `NAMESPACE`; an SDK does not
 * read the environment (style.md §5), so the caller passes them (the README shows the usual wiring)
 * and we fall back to `os.hostname()`, a fresh random UUID and an empty namespace.
 *
 * @see protocol.md §3.2, §4 (Lifecycle), §6
 */
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { credentials as grpcCredentials, ServerCredentials, type ChannelCredentials } from '@grpc/grpc-js';
import type { Registry } from 'prom-client';
import {
  type BackoffOptions,
  type Clock,
  DEFAULT_WATCH_TIMEOUT_MS,
  InvalidArgumentError,
  type Logger,
  MIN_WATCH_TIMEOUT_MS,
  type Random,
  ResourceAddress,
  SYSTEM_CLOCK,
  SYSTEM_RANDOM,
  Target,
  createDefaultLogger,
  watchAddressToGrpcTarget,
} from '@dicer-ts/common';
import type { LoadAccumulatorOptions } from './load/load-accumulator.js';
import { type ReadinessCheck, DEFAULT_READINESS_REFRESH_INTERVAL_MS } from './readiness.js';
import {
  type ResolvedStateTransferOptions,
  type StateTransferOptions,
  resolveStateTransferOptions,
} from './state-transfer/state-transfer-options.js';

/** The port of a Slicelet's own Watch server (`databricks.dicer.slicelet.rpc.port`). */
export const DEFAULT_SLICELET_WATCH_PORT = 24510;
/** The Slicelet's Watch server listens on every interface, as Dicer's does. */
export const DEFAULT_SLICELET_WATCH_HOST = '0.0.0.0';

/** Options of `Slicelet.start`. */
export interface SliceletOptions {
  /** The target this server belongs to: a name (`'demo-cache'`, parsed with `Target.parse`) or a `Target`. */
  readonly target: string | Target;
  /** Where the Assigner's Watch service is, e.g. `'dicer-assigner:24500'` (scheme-less ⇒ `http://`; TLS comes from `credentials`). */
  readonly assigner: string;
  /**
   * The application port Clerks call: the SQUID address is `https://<host>:<port>` (the scheme is
   * cosmetic, protocol.md §3.1). Required unless `selfAddress` is given.
   */
  readonly port?: number;
  /** This pod's host name or IP (Dicer: `POD_IP`); also the last part of the debug name. @default os.hostname() */
  readonly host?: string | undefined;
  /** The whole resource address instead of `host` + `port`, e.g. `'http://10.0.0.5:8080'`. @default `https://<host>:<port>` */
  readonly selfAddress?: string;
  /** UUID of this incarnation (Dicer: `POD_UID`). @default a random UUID */
  readonly uuid?: string | undefined;
  /** The pod's Kubernetes namespace, reported in every heartbeat (Dicer: `NAMESPACE`). @default '' */
  readonly kubernetesNamespace?: string | undefined;
  /** Port of this Slicelet's own Watch server for Clerks; 0 picks a free port; `'disabled'` runs none. @default 24510 */
  readonly watchPort?: number | 'disabled';
  /** Interface the Watch server binds. @default '0.0.0.0' */
  readonly watchHost?: string;
  /**
   * The readiness probe: `RUNNING` is reported once it says ready (until then `NOT_READY`). Called
   * every `readinessRefreshIntervalMs`; a throw or rejection counts as not ready.
   * @default always ready
   */
  readonly readiness?: ReadinessCheck;
  /** How often the readiness probe is re-run. @default 1000 */
  readonly readinessRefreshIntervalMs?: number;
  /** Credentials for the channel to the Assigner. @default plaintext */
  readonly credentials?: ChannelCredentials;
  /** Credentials of the Watch server (TLS, mTLS). @default plaintext */
  readonly serverCredentials?: ServerCredentials;
  /**
   * The configured watch timeout (`WATCH_RPC_TIMEOUT`): the first request's timeout, and the
   * timeout the Watch server suggests to Clerks; at least 1000.
   * @default 5000
   */
  readonly watchTimeoutMs?: number;
  /** Retry backoff of the watch. @default 1 s → 10 s doubling, ±20 % */
  readonly backoff?: BackoffOptions;
  /** Load accounting (half-life, top-key support and error, 1 % floor). @default Dicer's */
  readonly load?: LoadAccumulatorOptions;
  /**
   * Whether the Watch server answers a request for another target with NOT_FOUND (Dicer's
   * `rejectWatchRequestsOnFatalTargetMismatch`); when false it is served anyway and logged.
   * @default true
   */
  readonly rejectWatchRequestsOnFatalTargetMismatch?: boolean;
  /** Time and timers. @default SYSTEM_CLOCK */
  readonly clock?: Clock;
  /** Backoff jitter. @default SYSTEM_RANDOM */
  readonly random?: Random;
  /** Parent logger (a `slicelet` child is made). @default pino at `warn` */
  readonly logger?: Logger;
  /** Opt-in state transfer on handoff (docs/state-transfer.md). @default none: nothing changes */
  readonly stateTransfer?: StateTransferOptions | undefined;
  /**
   * A prom-client registry to add this Slicelet's `dicer_slicelet_*` metrics to (docs/slicelet.md,
   * "Metrics"); several Slicelets may share one. @default none: no metrics
   */
  readonly metricsRegistry?: Registry | undefined;
}

/** {@link SliceletOptions} with defaults applied and validated; frozen. */
export interface ResolvedSliceletOptions {
  readonly target: Target;
  readonly assigner: string;
  readonly host: string;
  readonly selfAddress: ResourceAddress;
  readonly uuid: string;
  readonly kubernetesNamespace: string;
  readonly watchPort: number | 'disabled';
  readonly watchHost: string;
  readonly readiness: ReadinessCheck;
  readonly readinessRefreshIntervalMs: number;
  readonly credentials: ChannelCredentials;
  readonly serverCredentials: ServerCredentials;
  readonly watchTimeoutMs: number;
  readonly backoff: BackoffOptions;
  readonly load: LoadAccumulatorOptions;
  readonly rejectWatchRequestsOnFatalTargetMismatch: boolean;
  readonly clock: Clock;
  readonly random: Random;
  readonly logger: Logger;
  readonly stateTransfer: ResolvedStateTransferOptions | undefined;
  readonly metricsRegistry: Registry | undefined;
}

let sharedDefaultLogger: Logger | undefined;

const ALWAYS_READY: ReadinessCheck = () => true;

function isPort(value: number): boolean {
  return Number.isInteger(value) && value >= 0 && value <= 65535;
}

/**
 * Applies the defaults of {@link SliceletOptions} and validates them.
 *
 * @throws {InvalidArgumentError} naming the option and value: a target that does not parse, an
 *   assigner address that does not parse, neither `port` nor `selfAddress` (or a bad one), an
 *   empty host, a bad UUID, a port outside 0–65535, `watchTimeoutMs` below 1000, a non-positive
 *   `readinessRefreshIntervalMs`, a `metricsRegistry` that is not a prom-client `Registry`.
 */
export function resolveSliceletOptions(options: SliceletOptions): ResolvedSliceletOptions {
  let target: Target;
  try {
    target = typeof options.target === 'string' ? Target.parse(options.target) : options.target;
  } catch (err) {
    throw new InvalidArgumentError(`target is invalid, got ${String(options.target)}: ${(err as Error).message}`, { cause: err });
  }
  if (typeof options.assigner !== 'string' || options.assigner === '') {
    throw new InvalidArgumentError(`assigner must be a non-empty address, got ${String(options.assigner)}`);
  }
  try {
    watchAddressToGrpcTarget(options.assigner);
  } catch (err) {
    throw new InvalidArgumentError(`assigner is not a valid address, got ${options.assigner}: ${(err as Error).message}`, { cause: err });
  }
  const host = options.host ?? hostname();
  if (host === '') throw new InvalidArgumentError('host must not be empty');
  let selfAddress: ResourceAddress;
  if (options.selfAddress !== undefined) {
    if (options.port !== undefined) throw new InvalidArgumentError('port and selfAddress are mutually exclusive');
    try {
      selfAddress = ResourceAddress.create(options.selfAddress);
    } catch (err) {
      throw new InvalidArgumentError(`selfAddress is invalid, got ${options.selfAddress}: ${(err as Error).message}`, { cause: err });
    }
  } else {
    if (options.port === undefined) throw new InvalidArgumentError('port (the application port) is required unless selfAddress is given');
    if (!(isPort(options.port) && options.port > 0)) throw new InvalidArgumentError(`port must be an integer in 1–65535, got ${options.port}`);
    const bracketed = host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
    try {
      selfAddress = ResourceAddress.create(`https://${bracketed}:${options.port}`);
    } catch (err) {
      throw new InvalidArgumentError(`host does not form a valid address, got ${host}: ${(err as Error).message}`, { cause: err });
    }
  }
  const uuid = options.uuid ?? randomUUID();
  if (!/^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/.test(uuid)) {
    throw new InvalidArgumentError(`uuid must be a UUID, got ${uuid}`);
  }
  const watchPort = options.watchPort ?? DEFAULT_SLICELET_WATCH_PORT;
  if (watchPort !== 'disabled' && !isPort(watchPort)) {
    throw new InvalidArgumentError(`watchPort must be an integer in 0–65535 or 'disabled', got ${String(watchPort)}`);
  }
  const watchTimeoutMs = options.watchTimeoutMs ?? DEFAULT_WATCH_TIMEOUT_MS;
  if (!(Number.isSafeInteger(watchTimeoutMs) && watchTimeoutMs >= MIN_WATCH_TIMEOUT_MS)) {
    throw new InvalidArgumentError(`watchTimeoutMs must be an integer of at least ${MIN_WATCH_TIMEOUT_MS}, got ${watchTimeoutMs}`);
  }
  const metricsRegistry = options.metricsRegistry;
  if (metricsRegistry !== undefined && (typeof metricsRegistry !== 'object' || metricsRegistry === null || typeof metricsRegistry.registerMetric !== 'function')) {
    throw new InvalidArgumentError(`metricsRegistry must be a prom-client Registry, got ${String(metricsRegistry)}`);
  }
  const readinessRefreshIntervalMs = options.readinessRefreshIntervalMs ?? DEFAULT_READINESS_REFRESH_INTERVAL_MS;
  if (!(readinessRefreshIntervalMs > 0 && Number.isFinite(readinessRefreshIntervalMs))) {
    throw new InvalidArgumentError(`readinessRefreshIntervalMs must be positive, got ${readinessRefreshIntervalMs}`);
  }
  return Object.freeze({
    target,
    assigner: options.assigner,
    host,
    selfAddress,
    uuid: uuid.toLowerCase(),
    kubernetesNamespace: options.kubernetesNamespace ?? '',
    watchPort,
    watchHost: options.watchHost ?? DEFAULT_SLICELET_WATCH_HOST,
    readiness: options.readiness ?? ALWAYS_READY,
    readinessRefreshIntervalMs,
    credentials: options.credentials ?? grpcCredentials.createInsecure(),
    serverCredentials: options.serverCredentials ?? ServerCredentials.createInsecure(),
    watchTimeoutMs,
    backoff: options.backoff ?? {},
    load: options.load ?? {},
    rejectWatchRequestsOnFatalTargetMismatch: options.rejectWatchRequestsOnFatalTargetMismatch ?? true,
    clock: options.clock ?? SYSTEM_CLOCK,
    random: options.random ?? SYSTEM_RANDOM,
    logger: options.logger ?? (sharedDefaultLogger ??= createDefaultLogger()),
    stateTransfer: options.stateTransfer === undefined ? undefined : resolveStateTransferOptions(options.stateTransfer),
    metricsRegistry,
  });
}
