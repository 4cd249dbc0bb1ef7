/**
 * The `dicer-assigner` command line: flags and environment variables → {@link AssignerOptions}.
 * A flag wins over its environment variable, which wins over the default. Pure apart from reading
 * the TLS files named on the command line.
 *
 * Exit codes: 0 after a clean shutdown (SIGTERM / SIGINT) or `--help`; 1 when the Assigner fails
 * to start or stops on an error; 2 for a usage error (unknown flag, bad value).
 *
 * @see store-ha.md §6
 */
import { readFileSync } from 'node:fs';
import { InvalidArgumentError, MIN_SUGGESTED_RPC_TIMEOUT_MS } from '@dicer-ts/common';
import {
  type AssignerOptions,
  DEFAULT_ASSIGNER_HOST,
  DEFAULT_ASSIGNER_PORT,
  DEFAULT_CLERK_SUGGESTED_RPC_TIMEOUT_MS,
  DEFAULT_DEBUG_HOST,
  DEFAULT_DEBUG_PORT,
} from '../assigner-options.js';
import { DEFAULT_LOAD_BALANCING_INTERVAL_MS } from '../core/regeneration-decision.js';
import { HIGH_AVAILABILITY_FLAGS, type EtcdRunConfig, parseEtcdRunConfig } from './high-availability-options.js';
import { parseFlags } from './parse-flags.js';

/** Exit code for a usage error. */
export const EXIT_USAGE = 2;
/** Exit code for a failed start or an unexpected stop. */
export const EXIT_FAILURE = 1;

/** Log levels the CLI accepts. */
export type CliLogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal' | 'silent';

/** What the command line asks for. */
export type CliCommand =
  | { readonly kind: 'help' }
  | { readonly kind: 'version' }
  | {
      readonly kind: 'run';
      readonly options: AssignerOptions;
      readonly logLevel: CliLogLevel;
      /** With `--store etcd` (issue #5): how to reach etcd and the preferred-assigner settings. */
      readonly etcd?: EtcdRunConfig | undefined;
    };

/** One flag: its name, value placeholder, environment variable and help text. */
interface FlagSpec {
  readonly name: string;
  readonly value?: string;
  readonly env?: string;
  readonly help: string;
}

const FLAGS: readonly FlagSpec[] = [
  { name: 'port', value: 'N', env: 'DICER_ASSIGNER_PORT', help: `gRPC port for Watch (default ${DEFAULT_ASSIGNER_PORT}; 0 = any free port)` },
  { name: 'host', value: 'ADDR', env: 'DICER_ASSIGNER_HOST', help: `interface for the gRPC port (default ${DEFAULT_ASSIGNER_HOST})` },
  { name: 'config-dir', value: 'DIR', env: 'DICER_TARGET_CONFIG_DIR', help: 'directory of <target>.textproto / <target>.json target configs, reloaded on change' },
  { name: 'advanced-config-dir', value: 'DIR', env: 'DICER_ADVANCED_TARGET_CONFIG_DIR', help: 'directory of AdvancedTargetConfigP files with the same names' },
  { name: 'store', value: 'KIND', env: 'DICER_STORE', help: "assignment store: 'memory' (default) or 'etcd' (durable; see docs/operations.md)" },
  { name: 'store-incarnation', value: 'N', env: 'DICER_STORE_INCARNATION', help: 'store incarnation; loose (0 or odd) for memory (default 0), even for etcd' },
  // The etcd store and preferred-assigner flags (issue #5).
  ...HIGH_AVAILABILITY_FLAGS,
  { name: 'cluster-uri', value: 'URI', env: 'DICER_CLUSTER_URI', help: "this Assigner's cluster (kubernetes-cluster:…); also read from LOCATION as Dicer does" },
  { name: 'debug-port', value: 'N', env: 'DICER_DEBUG_PORT', help: `debug page and /metrics port (default ${DEFAULT_DEBUG_PORT}; 0 = any; 'disabled' = off)` },
  { name: 'debug-host', value: 'ADDR', env: 'DICER_DEBUG_HOST', help: `interface for the debug port (default ${DEFAULT_DEBUG_HOST}, loopback only)` },
  { name: 'tls-cert', value: 'FILE', env: 'DICER_TLS_CERT', help: 'PEM certificate chain: serve the gRPC port over TLS (needs --tls-key)' },
  { name: 'tls-key', value: 'FILE', env: 'DICER_TLS_KEY', help: 'PEM private key for --tls-cert' },
  { name: 'tls-client-ca', value: 'FILE', env: 'DICER_TLS_CLIENT_CA', help: 'PEM CA bundle: require client certificates signed by it (mutual TLS)' },
  { name: 'unhealthy-timeout-ms', value: 'MS', env: 'DICER_UNHEALTHY_TIMEOUT_MS', help: 'a Slicelet silent this long loses its slices (default 30000)' },
  { name: 'min-generation-interval-ms', value: 'MS', env: 'DICER_MIN_GENERATION_INTERVAL_MS', help: 'least time between generations per target (default 10000)' },
  {
    name: 'load-balancing-interval-ms',
    value: 'MS',
    env: 'DICER_LOAD_BALANCING_INTERVAL_MS',
    help: `periodic rebalancing interval, at least 1 (default ${DEFAULT_LOAD_BALANCING_INTERVAL_MS})`,
  },
  {
    name: 'suggested-watch-timeout-ms',
    value: 'MS',
    env: 'DICER_SUGGESTED_WATCH_TIMEOUT_MS',
    help: `watch timeout suggested to Slicelets and Clerks, at least ${MIN_SUGGESTED_RPC_TIMEOUT_MS} (default ${DEFAULT_CLERK_SUGGESTED_RPC_TIMEOUT_MS})`,
  },
  {
    name: 'state-transfer-timeout-ms',
    value: 'MS',
    env: 'DICER_STATE_TRANSFER_TIMEOUT_MS',
    help: 'annotate moves with state transfers kept this long, at least 1 (default: none, as Dicer)',
  },
  { name: 'log-level', value: 'LEVEL', env: 'DICER_LOG_LEVEL', help: 'pino level: trace, debug, info (default), warn, error, fatal, silent' },
  { name: 'help', help: 'print this help and exit' },
  { name: 'version', help: 'print the version and exit' },
];

/** The `--help` text. */
export function helpText(): string {
  const lines = [
    'Usage: dicer-assigner [options]',
    '',
    'Runs a dicer-ts Assigner: the Watch gRPC server Slicelets and Clerks talk to, the assignment',
    'generator per target, and a debug page with Prometheus metrics. Logs are JSON on stdout.',
    '',
    'Options (each also read from the environment variable shown):',
  ];
  const lefts = FLAGS.map((f) => `  --${f.name}${f.value === undefined ? '' : ` ${f.value}`}`);
  const width = Math.max(...lefts.map((l) => l.length)) + 2;
  FLAGS.forEach((f, i) => {
    lines.push(`${(lefts[i] as string).padEnd(width)}${f.help}${f.env === undefined ? '' : ` [${f.env}]`}`);
  });
  lines.push(
    '',
    'Also: DICER_DEBUG=generator,watch-service (or all) raises those components to debug.',
    '',
    'Exit codes: 0 clean shutdown (SIGTERM/SIGINT) or --help; 1 start failure; 2 usage error.',
    '',
    'Example: dicer-assigner --config-dir ./configs --port 24500 --debug-port 7777',
  );
  return `${lines.join('\n')}\n`;
}

function parseInteger(name: string, text: string, min: number, max: number): number {
  if (!/^-?\d+$/.test(text.trim())) throw new InvalidArgumentError(`--${name} must be an integer, got ${JSON.stringify(text)}`);
  const value = Number(text);
  if (value < min || value > max) throw new InvalidArgumentError(`--${name} must be from ${min} to ${max}, got ${text}`);
  return value;
}

/**
 * Reads the cluster URI from Dicer's `LOCATION` variable (`{"kubernetes_cluster_uri": "…"}`); any
 * unknown field or bad JSON makes the value unusable, as in Dicer (treated as absent).
 */
export function clusterUriFromLocation(location: string | undefined): string | undefined {
  if (location === undefined || location === '') return undefined;
  try {
    const parsed: unknown = JSON.parse(location);
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return undefined;
    const keys = Object.keys(parsed);
    if (keys.some((k) => k !== 'kubernetes_cluster_uri')) return undefined;
    const uri = (parsed as Record<string, unknown>)['kubernetes_cluster_uri'];
    return typeof uri === 'string' && uri !== '' ? uri : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Parses `argv` (without `node` and the script) and `env`.
 *
 * @throws {InvalidArgumentError} for an unknown flag, a missing value or a bad value; the message
 *   names the flag.
 */
export function parseCommandLine(argv: readonly string[], env: Readonly<Record<string, string | undefined>>): CliCommand {
  const values = parseFlags(argv, Object.fromEntries(FLAGS.map((f) => [f.name, f.value === undefined ? 'boolean' : 'string'] as const)));
  if (values['help'] === true) return { kind: 'help' };
  if (values['version'] === true) return { kind: 'version' };
  const get = (name: string): string | undefined => {
    const flag = values[name];
    if (typeof flag === 'string') return flag;
    const spec = FLAGS.find((f) => f.name === name);
    const fromEnv = spec?.env === undefined ? undefined : env[spec.env];
    return fromEnv === '' ? undefined : fromEnv;
  };

  const store = get('store') ?? 'memory';
  if (store !== 'memory' && store !== 'etcd') throw new InvalidArgumentError(`--store must be memory or etcd, got ${JSON.stringify(store)}`);
  const portText = get('port');
  const etcd = store === 'etcd' ? parseEtcdRunConfig(get, env, portText === undefined ? DEFAULT_ASSIGNER_PORT : parseInteger('port', portText, 0, 65535)) : undefined;
  if (etcd === undefined && get('preferred-assigner') === 'enabled') throw new InvalidArgumentError('--preferred-assigner enabled needs --store etcd');

  const tlsCert = get('tls-cert');
  const tlsKey = get('tls-key');
  const tlsClientCa = get('tls-client-ca');
  if ((tlsCert === undefined) !== (tlsKey === undefined)) throw new InvalidArgumentError('--tls-cert and --tls-key must be given together');
  if (tlsClientCa !== undefined && tlsCert === undefined) throw new InvalidArgumentError('--tls-client-ca needs --tls-cert and --tls-key');
  const readPem = (flag: string, file: string): Buffer => {
    try {
      return readFileSync(file);
    } catch (err) {
      throw new InvalidArgumentError(`--${flag} cannot be read: ${(err as Error).message}`);
    }
  };

  const logLevel = (get('log-level') ?? 'info') as CliLogLevel;
  if (!['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'].includes(logLevel)) {
    throw new InvalidArgumentError(`--log-level must be one of trace, debug, info, warn, error, fatal, silent, got ${JSON.stringify(logLevel)}`);
  }

  const port = get('port');
  const debugPort = get('debug-port');
  const incarnation = get('store-incarnation');
  const unhealthy = get('unhealthy-timeout-ms');
  const minInterval = get('min-generation-interval-ms');
  const loadBalancing = get('load-balancing-interval-ms');
  const suggestedWatch = get('suggested-watch-timeout-ms');
  const stateTransfer = get('state-transfer-timeout-ms');
  // One flag for both suggestions: the Assigner keeps Dicer's two settings, which share a default.
  const suggestedWatchMs =
    suggestedWatch === undefined ? undefined : parseInteger('suggested-watch-timeout-ms', suggestedWatch, MIN_SUGGESTED_RPC_TIMEOUT_MS, 86_400_000);
  const options: AssignerOptions = {
    ...(port === undefined ? {} : { port: parseInteger('port', port, 0, 65535) }),
    ...(get('host') === undefined ? {} : { host: get('host') as string }),
    targetConfigDirectory: get('config-dir'),
    advancedTargetConfigDirectory: get('advanced-config-dir'),
    // With --store etcd the caller passes the EtcdStore instance (which carries the incarnation).
    ...(etcd !== undefined ? {} : { store: 'memory' as const }),
    ...(incarnation === undefined || etcd !== undefined ? {} : { storeIncarnation: BigInt(parseInteger('store-incarnation', incarnation, 0, Number.MAX_SAFE_INTEGER)) }),
    clusterUri: get('cluster-uri') ?? clusterUriFromLocation(env['LOCATION']),
    ...(debugPort === undefined ? {} : { debugPort: debugPort === 'disabled' ? 'disabled' : parseInteger('debug-port', debugPort, 0, 65535) }),
    ...(get('debug-host') === undefined ? {} : { debugHost: get('debug-host') as string }),
    ...(tlsCert === undefined || tlsKey === undefined
      ? {}
      : {
          tls: {
            certChain: readPem('tls-cert', tlsCert),
            privateKey: readPem('tls-key', tlsKey),
            clientCaCerts: tlsClientCa === undefined ? undefined : readPem('tls-client-ca', tlsClientCa),
          },
        }),
    ...(unhealthy === undefined ? {} : { unhealthyTimeoutMs: parseInteger('unhealthy-timeout-ms', unhealthy, 0, 86_400_000) }),
    ...(minInterval === undefined ? {} : { minGenerationIntervalMs: parseInteger('min-generation-interval-ms', minInterval, 0, 86_400_000) }),
    ...(loadBalancing === undefined ? {} : { loadBalancingIntervalMs: parseInteger('load-balancing-interval-ms', loadBalancing, 1, 86_400_000) }),
    ...(suggestedWatchMs === undefined ? {} : { sliceletSuggestedRpcTimeoutMs: suggestedWatchMs, clerkSuggestedRpcTimeoutMs: suggestedWatchMs }),
    ...(stateTransfer === undefined ? {} : { stateTransferTimeoutMs: parseInteger('state-transfer-timeout-ms', stateTransfer, 1, 86_400_000) }),
  };
  return { kind: 'run', options, logLevel, etcd };
}
