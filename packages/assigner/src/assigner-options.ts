/**
 * Options of {@link Assigner.start}: defaults, validation and the frozen resolved form. Defaults
 * are Dicer's (store-ha.md §6, protocol.md §6) unless noted.
 *
 * @see store-ha.md §6
 */
import {
  type Clock,
  InvalidArgumentError,
  type Logger,
  MIN_SUGGESTED_RPC_TIMEOUT_MS,
  SYSTEM_CLOCK,
  createDefaultLogger,
} from '@dicer-ts/common';
import {
  IMBALANCE_TOLERANCE_RATIOS,
  UNIFORM_LOAD_RESERVATION_RATIOS,
  type ImbalanceToleranceHint,
  type UniformLoadReservationHint,
} from './core/algorithm/algorithm-config.js';
import { DEFAULT_TERMINATING_TIMEOUT_MS, DEFAULT_UNHEALTHY_TIMEOUT_MS } from './core/health-watcher.js';
import { DEFAULT_LOAD_BALANCING_INTERVAL_MS, DEFAULT_MIN_GENERATION_INTERVAL_MS } from './core/regeneration-decision.js';
import {
  DEFAULT_LOAD_WATCHER_MAX_AGE_MS,
  DEFAULT_LOAD_WATCHER_MIN_DURATION_MS,
  type TargetConfig,
} from './core/target-config.js';
import type { Store } from './store/store.js';
import type { PreferredAssignerDriver } from './service/preferred-assigner-driver.js';

/** Dicer's Assigner port (`databricks.dicer.assigner.rpc.port`). */
export const DEFAULT_ASSIGNER_PORT = 24500;
/** Dicer's info/debug server port. */
export const DEFAULT_DEBUG_PORT = 7777;
/** The debug server listens on loopback only unless told otherwise. */
export const DEFAULT_DEBUG_HOST = '127.0.0.1';
/** The gRPC server listens on every interface by default, as Dicer's does. */
export const DEFAULT_ASSIGNER_HOST = '0.0.0.0';
/** `generatorInactivityDeadlineSeconds` (300 s). */
export const DEFAULT_GENERATOR_INACTIVITY_DEADLINE_MS = 300_000;
/** `generatorInactivityScanIntervalSeconds` (60 s). */
export const DEFAULT_GENERATOR_INACTIVITY_SCAN_INTERVAL_MS = 60_000;
/** `watchServerSuggestedRpcTimeoutSeconds` (5 s), sent to Slicelets. */
export const DEFAULT_SLICELET_SUGGESTED_RPC_TIMEOUT_MS = 5_000;
/** `assignerSuggestedClerkWatchTimeoutSeconds` (5 s), sent to Clerks. */
export const DEFAULT_CLERK_SUGGESTED_RPC_TIMEOUT_MS = 5_000;
/** dicer-ts: parked watch calls per target before new ones get UNAVAILABLE. */
export const DEFAULT_MAX_PARKED_CALLS_PER_TARGET = 20_000;

/** A target config given in code rather than a file; only `maxLoadHint` is required. */
export interface InlineTargetConfig {
  /** Per-resource capacity in load units; positive and finite. */
  readonly maxLoadHint: number;
  /** @default 'default' */
  readonly imbalanceToleranceHint?: ImbalanceToleranceHint;
  /** @default 'no-reservation' */
  readonly uniformLoadReservationHint?: UniformLoadReservationHint;
  /** @default 1 */
  readonly minReplicas?: number;
  /** @default 1 */
  readonly maxReplicas?: number;
  /** @default false */
  readonly observeSliceletReadiness?: boolean;
  /** @default 60_000 */
  readonly loadWatcherMinDurationMs?: number;
  /** @default 300_000 */
  readonly loadWatcherMaxAgeMs?: number;
  /** @default true */
  readonly loadWatcherUseTopKeys?: boolean;
}

/** TLS for the gRPC port, as PEM contents. */
export interface AssignerTlsOptions {
  /** The server certificate chain (PEM). */
  readonly certChain: Buffer;
  /** The server private key (PEM). */
  readonly privateKey: Buffer;
  /** When set, clients must present a certificate signed by these roots (mutual TLS). @default none */
  readonly clientCaCerts?: Buffer | undefined;
}

/** Options of {@link Assigner.start}. */
export interface AssignerOptions {
  /** gRPC port for Watch; 0 picks a free port. @default 24500 */
  readonly port?: number;
  /** Interface the gRPC server binds. @default '0.0.0.0' */
  readonly host?: string;
  /** TLS (and with `clientCaCerts`, mutual TLS) for the gRPC port. @default plaintext */
  readonly tls?: AssignerTlsOptions | undefined;
  /** Directory of `<target>.textproto` / `.json` target configs. @default none */
  readonly targetConfigDirectory?: string | undefined;
  /** Directory of `AdvancedTargetConfigP` files with the same names. @default none */
  readonly advancedTargetConfigDirectory?: string | undefined;
  /** Whether config directories are reloaded on change. @default true */
  readonly watchTargetConfigs?: boolean;
  /** Target configs given in code, by target name. @default {} */
  readonly targets?: Readonly<Record<string, InlineTargetConfig>>;
  /** The store: the embedded in-memory store, or an instance (the etcd store of issue #5). @default 'memory' */
  readonly store?: 'memory' | Store;
  /** Incarnation of the in-memory store; must be loose (0 or odd). @default 0n */
  readonly storeIncarnation?: bigint;
  /**
   * Preferred-assigner mode (issue #5): a started driver (`dicer-assigner --preferred-assigner
   * enabled` makes one). The Assigner serves its Heartbeat RPC, generates only while preferred, and
   * as a standby answers every Watch with a redirect to the preferred Assigner; `close()` abdicates
   * first. The caller closes the driver after the Assigner. @default undefined (mode disabled)
   */
  readonly preferredAssigner?: PreferredAssignerDriver | undefined;
  /** The Assigner's own cluster URI (Dicer's `LOCATION`), for override selection and target normalization. @default none */
  readonly clusterUri?: string | undefined;
  /** Debug page and `/metrics` port; 0 picks a free port; `'disabled'` turns it off. @default 7777 */
  readonly debugPort?: number | 'disabled';
  /** Interface the debug server binds. @default '127.0.0.1' */
  readonly debugHost?: string;
  /** @default 30_000 */
  readonly unhealthyTimeoutMs?: number;
  /** @default 300_000 */
  readonly terminatingTimeoutMs?: number;
  /** Least time between generation attempts per target (tests use 0). @default 10_000 */
  readonly minGenerationIntervalMs?: number;
  /** Periodic rebalancing interval. @default 60_000 */
  readonly loadBalancingIntervalMs?: number;
  /** @default 300_000 */
  readonly generatorInactivityDeadlineMs?: number;
  /** @default 60_000 */
  readonly generatorInactivityScanIntervalMs?: number;
  /** Suggested watch timeout sent to Slicelets; at least 1000. @default 5000 */
  readonly sliceletSuggestedRpcTimeoutMs?: number;
  /** Suggested watch timeout sent to Clerks; at least 1000. @default 5000 */
  readonly clerkSuggestedRpcTimeoutMs?: number;
  /** Server-wide top-keys switch (Dicer's `allowTopKeys`). @default true */
  readonly allowTopKeys?: boolean;
  /**
   * Annotate planned moves with state transfers and keep each annotation this long
   * (docs/state-transfer.md, issue #10). @default undefined: none, as Dicer
   */
  readonly stateTransferTimeoutMs?: number | undefined;
  /** @default 20_000 */
  readonly maxParkedCallsPerTarget?: number;
  /** @default pino at `info` */
  readonly logger?: Logger;
  /** @default SYSTEM_CLOCK */
  readonly clock?: Clock;
}

/** {@link AssignerOptions} with defaults applied and validated; frozen. */
export interface ResolvedAssignerOptions {
  readonly port: number;
  readonly host: string;
  readonly tls: AssignerTlsOptions | undefined;
  readonly targetConfigDirectory: string | undefined;
  readonly advancedTargetConfigDirectory: string | undefined;
  readonly watchTargetConfigs: boolean;
  readonly targets: Readonly<Record<string, TargetConfig>>;
  readonly store: 'memory' | Store;
  readonly storeIncarnation: bigint;
  readonly preferredAssigner: PreferredAssignerDriver | undefined;
  readonly clusterUri: string | undefined;
  readonly debugPort: number | 'disabled';
  readonly debugHost: string;
  readonly unhealthyTimeoutMs: number;
  readonly terminatingTimeoutMs: number;
  readonly minGenerationIntervalMs: number;
  readonly loadBalancingIntervalMs: number;
  readonly generatorInactivityDeadlineMs: number;
  readonly generatorInactivityScanIntervalMs: number;
  readonly sliceletSuggestedRpcTimeoutMs: number;
  readonly clerkSuggestedRpcTimeoutMs: number;
  readonly allowTopKeys: boolean;
  readonly stateTransferTimeoutMs: number | undefined;
  readonly maxParkedCallsPerTarget: number;
  readonly logger: Logger;
  readonly clock: Clock;
}

function checkPort(name: string, value: number): number {
  if (!(Number.isInteger(value) && value >= 0 && value <= 65535)) {
    throw new InvalidArgumentError(`${name} must be an integer from 0 to 65535, got ${value}`);
  }
  return value;
}

function checkDurationMs(name: string, value: number, min = 0): number {
  if (!(Number.isFinite(value) && value >= min)) throw new InvalidArgumentError(`${name} must be at least ${min}, got ${value}`);
  return value;
}

/**
 * A {@link TargetConfig} from an {@link InlineTargetConfig}.
 *
 * @throws {InvalidArgumentError} naming the target and field.
 */
export function resolveInlineTargetConfig(name: string, c: InlineTargetConfig): TargetConfig {
  const tolerance = c.imbalanceToleranceHint ?? 'default';
  const reservation = c.uniformLoadReservationHint ?? 'no-reservation';
  if (!(Number.isFinite(c.maxLoadHint) && c.maxLoadHint > 0)) {
    throw new InvalidArgumentError(`targets.${name}.maxLoadHint must be positive and finite, got ${c.maxLoadHint}`);
  }
  if (!(tolerance in IMBALANCE_TOLERANCE_RATIOS)) {
    throw new InvalidArgumentError(`targets.${name}.imbalanceToleranceHint must be default, tight or loose, got ${String(tolerance)}`);
  }
  if (!(reservation in UNIFORM_LOAD_RESERVATION_RATIOS)) {
    throw new InvalidArgumentError(
      `targets.${name}.uniformLoadReservationHint must be no-reservation, small, medium or large, got ${String(reservation)}`,
    );
  }
  const minReplicas = c.minReplicas ?? 1;
  const maxReplicas = c.maxReplicas ?? Math.max(1, minReplicas);
  if (!(Number.isInteger(minReplicas) && minReplicas >= 1)) {
    throw new InvalidArgumentError(`targets.${name}.minReplicas must be an integer of at least 1, got ${minReplicas}`);
  }
  if (!(Number.isInteger(maxReplicas) && maxReplicas >= minReplicas)) {
    throw new InvalidArgumentError(`targets.${name}.maxReplicas must be an integer of at least minReplicas (${minReplicas}), got ${maxReplicas}`);
  }
  return Object.freeze({
    ownerTeamName: undefined,
    maxLoadHint: c.maxLoadHint,
    imbalanceToleranceHint: tolerance,
    imbalanceToleranceRatio: IMBALANCE_TOLERANCE_RATIOS[tolerance],
    uniformLoadReservationHint: reservation,
    uniformLoadReservationRatio: UNIFORM_LOAD_RESERVATION_RATIOS[reservation],
    minReplicas,
    maxReplicas,
    loadBalancingIntervalMs: DEFAULT_LOAD_BALANCING_INTERVAL_MS,
    loadWatcherMinDurationMs: checkDurationMs(`targets.${name}.loadWatcherMinDurationMs`, c.loadWatcherMinDurationMs ?? DEFAULT_LOAD_WATCHER_MIN_DURATION_MS, 1),
    loadWatcherMaxAgeMs: checkDurationMs(`targets.${name}.loadWatcherMaxAgeMs`, c.loadWatcherMaxAgeMs ?? DEFAULT_LOAD_WATCHER_MAX_AGE_MS, 1),
    loadWatcherUseTopKeys: c.loadWatcherUseTopKeys ?? true,
    observeSliceletReadiness: c.observeSliceletReadiness ?? false,
  });
}

/**
 * Applies defaults and validates.
 *
 * @throws {InvalidArgumentError} naming the option and the value, e.g.
 *   `port must be an integer from 0 to 65535, got 70000`.
 */
export function resolveAssignerOptions(options: AssignerOptions = {}): ResolvedAssignerOptions {
  const store = options.store ?? 'memory';
  if (store !== 'memory' && (typeof store !== 'object' || store === null || typeof store.writeAssignment !== 'function')) {
    throw new InvalidArgumentError(`store must be 'memory' or a Store, got ${String(store)}`);
  }
  const storeIncarnation = options.storeIncarnation ?? 0n;
  if (typeof storeIncarnation !== 'bigint' || storeIncarnation < 0n) {
    throw new InvalidArgumentError(`storeIncarnation must be a non-negative bigint, got ${String(storeIncarnation)}`);
  }
  if (store === 'memory' && storeIncarnation !== 0n && storeIncarnation % 2n === 0n) {
    throw new InvalidArgumentError(`storeIncarnation must be loose (0 or odd) for the memory store, got ${storeIncarnation}`);
  }
  if (store !== 'memory' && options.storeIncarnation !== undefined) {
    throw new InvalidArgumentError('storeIncarnation applies to the memory store only; a Store instance has its own');
  }
  const debugPort = options.debugPort ?? DEFAULT_DEBUG_PORT;
  if (debugPort !== 'disabled') checkPort('debugPort', debugPort);
  const tls = options.tls;
  if (tls !== undefined && (!(tls.certChain instanceof Buffer) || !(tls.privateKey instanceof Buffer))) {
    throw new InvalidArgumentError('tls needs both certChain and privateKey as PEM buffers');
  }
  const targets: Record<string, TargetConfig> = {};
  for (const [name, config] of Object.entries(options.targets ?? {})) targets[name] = resolveInlineTargetConfig(name, config);
  const sliceletTimeout = options.sliceletSuggestedRpcTimeoutMs ?? DEFAULT_SLICELET_SUGGESTED_RPC_TIMEOUT_MS;
  const clerkTimeout = options.clerkSuggestedRpcTimeoutMs ?? DEFAULT_CLERK_SUGGESTED_RPC_TIMEOUT_MS;
  const maxParked = options.maxParkedCallsPerTarget ?? DEFAULT_MAX_PARKED_CALLS_PER_TARGET;
  if (!(Number.isInteger(maxParked) && maxParked > 0)) {
    throw new InvalidArgumentError(`maxParkedCallsPerTarget must be a positive integer, got ${maxParked}`);
  }
  return Object.freeze({
    port: checkPort('port', options.port ?? DEFAULT_ASSIGNER_PORT),
    host: options.host ?? DEFAULT_ASSIGNER_HOST,
    tls,
    targetConfigDirectory: options.targetConfigDirectory || undefined,
    advancedTargetConfigDirectory: options.advancedTargetConfigDirectory || undefined,
    watchTargetConfigs: options.watchTargetConfigs ?? true,
    targets: Object.freeze(targets),
    store,
    storeIncarnation,
    preferredAssigner: options.preferredAssigner,
    clusterUri: options.clusterUri || undefined,
    debugPort,
    debugHost: options.debugHost ?? DEFAULT_DEBUG_HOST,
    unhealthyTimeoutMs: checkDurationMs('unhealthyTimeoutMs', options.unhealthyTimeoutMs ?? DEFAULT_UNHEALTHY_TIMEOUT_MS),
    terminatingTimeoutMs: checkDurationMs('terminatingTimeoutMs', options.terminatingTimeoutMs ?? DEFAULT_TERMINATING_TIMEOUT_MS),
    minGenerationIntervalMs: checkDurationMs('minGenerationIntervalMs', options.minGenerationIntervalMs ?? DEFAULT_MIN_GENERATION_INTERVAL_MS),
    loadBalancingIntervalMs: checkDurationMs('loadBalancingIntervalMs', options.loadBalancingIntervalMs ?? DEFAULT_LOAD_BALANCING_INTERVAL_MS, 1),
    generatorInactivityDeadlineMs: checkDurationMs(
      'generatorInactivityDeadlineMs',
      options.generatorInactivityDeadlineMs ?? DEFAULT_GENERATOR_INACTIVITY_DEADLINE_MS,
      1,
    ),
    generatorInactivityScanIntervalMs: checkDurationMs(
      'generatorInactivityScanIntervalMs',
      options.generatorInactivityScanIntervalMs ?? DEFAULT_GENERATOR_INACTIVITY_SCAN_INTERVAL_MS,
      1,
    ),
    sliceletSuggestedRpcTimeoutMs: checkDurationMs('sliceletSuggestedRpcTimeoutMs', sliceletTimeout, MIN_SUGGESTED_RPC_TIMEOUT_MS),
    clerkSuggestedRpcTimeoutMs: checkDurationMs('clerkSuggestedRpcTimeoutMs', clerkTimeout, MIN_SUGGESTED_RPC_TIMEOUT_MS),
    allowTopKeys: options.allowTopKeys ?? true,
    stateTransferTimeoutMs:
      options.stateTransferTimeoutMs === undefined ? undefined : checkDurationMs('stateTransferTimeoutMs', options.stateTransferTimeoutMs, 1),
    maxParkedCallsPerTarget: maxParked,
    logger: options.logger ?? createDefaultLogger('info'),
    clock: options.clock ?? SYSTEM_CLOCK,
  });
}
