/**
 * `dicer-assigner bootstrap`: initialises the two etcd namespaces of a deployment
 * (`<P>assignments` at the store incarnation, `<P>preferred-assigner` at the preferred-assigner
 * incarnation) by creating each namespace's high-watermark, as Dicer's `EtcdBootstrapper`
 * (`executionMode=etcd_bootstrapper`). Run it once before the first Assigner, e.g. as a Kubernetes
 * Job; it is idempotent.
 *
 * Exit codes (for a Job with retries):
 * - 0: both namespaces bootstrapped now or already (an existing watermark is kept as is, even in
 *   a lower incarnation: the first write at the new incarnation raises it);
 * - 2: usage error (unknown flag, missing endpoints, bad incarnation, unreadable TLS file);
 * - 255: etcd refused or failed a transaction (unreachable, timeout, auth, corrupt watermark).
 *
 * Deviation: Dicer makes no looseness check here; we refuse loose incarnations, which an etcd
 * store would refuse at start-up anyway.
 *
 * @see store-ha.md §2.6
 */
import { readFileSync } from 'node:fs';
import { type Generation, InvalidArgumentError, isDicerError, isNonLooseIncarnation } from '@dicer-ts/common';
import type { Etcd3 } from 'etcd3';
import { createEtcdClient, type EtcdConnectionOptions } from '../store/etcd-connection.js';
import { formatVersion, namespacesFor } from '../store/etcd-key-layout.js';
import { EtcdVersionedKv } from '../store/etcd-versioned-kv.js';
import { parseFlags } from './parse-flags.js';

/** Exit code: success. */
export const BOOTSTRAP_EXIT_OK = 0;
/** Exit code: usage error. */
export const BOOTSTRAP_EXIT_USAGE = 2;
/** Exit code: an etcd transaction failed (Dicer's 255). */
export const BOOTSTRAP_EXIT_ETCD_FAILURE = 255;

/** One flag of the etcd connection, shared with `dicer-assigner --store etcd`. */
export interface EtcdFlagSpec {
  readonly name: string;
  readonly value: string;
  readonly env: string;
  readonly help: string;
}

/** Flags that say how to reach etcd; also used by the `run` command with `--store etcd`. */
export const ETCD_FLAGS: readonly EtcdFlagSpec[] = [
  { name: 'etcd-endpoints', value: 'URLS', env: 'DICER_ETCD_ENDPOINTS', help: 'comma-separated etcd client URLs, e.g. https://etcd-0:2379,https://etcd-1:2379' },
  { name: 'etcd-ca', value: 'FILE', env: 'DICER_ETCD_CA', help: 'PEM CA bundle of the etcd serving certificates (enables TLS)' },
  { name: 'etcd-cert', value: 'FILE', env: 'DICER_ETCD_CERT', help: 'PEM client certificate for etcd (--client-cert-auth)' },
  { name: 'etcd-key', value: 'FILE', env: 'DICER_ETCD_KEY', help: 'PEM private key of --etcd-cert' },
  { name: 'etcd-user', value: 'NAME', env: 'DICER_ETCD_USER', help: 'etcd user (role-based auth)' },
  { name: 'etcd-password-file', value: 'FILE', env: 'DICER_ETCD_PASSWORD_FILE', help: 'file holding the etcd password of --etcd-user' },
  { name: 'store-namespace-prefix', value: 'P', env: 'DICER_STORE_NAMESPACE_PREFIX', help: "isolates deployments sharing one etcd (namespaces '<P>-assignments', …; default none)" },
];

const BOOTSTRAP_FLAGS: readonly EtcdFlagSpec[] = [
  ...ETCD_FLAGS,
  { name: 'store-incarnation', value: 'N', env: 'DICER_STORE_INCARNATION', help: 'assignment store incarnation; even and positive (e.g. 2)' },
  {
    name: 'preferred-assigner-incarnation',
    value: 'N',
    env: 'DICER_PREFERRED_ASSIGNER_INCARNATION',
    help: 'preferred-assigner record incarnation; even and positive (default: the store incarnation)',
  },
];

/** What `dicer-assigner bootstrap` was asked to do. */
export interface BootstrapOptions {
  readonly connection: EtcdConnectionOptions;
  readonly storeNamespacePrefix: string;
  readonly storeIncarnation: bigint;
  readonly preferredAssignerIncarnation: bigint;
}

/** The `bootstrap --help` text. */
export function bootstrapHelpText(): string {
  const lines = [
    'Usage: dicer-assigner bootstrap --etcd-endpoints URLS --store-incarnation N [options]',
    '',
    'Initialises the etcd namespaces of a dicer-ts deployment (idempotent). Run once before the',
    'first Assigner starts with --store etcd, e.g. as a Kubernetes Job.',
    '',
    'Options (each also read from the environment variable shown):',
  ];
  for (const f of BOOTSTRAP_FLAGS) lines.push(`${`  --${f.name} ${f.value}`.padEnd(40)}${f.help} [${f.env}]`);
  lines.push(`${'  --help'.padEnd(40)}print this help and exit`);
  lines.push('', 'Exit codes: 0 bootstrapped (now or before); 2 usage error; 255 etcd failure (retry).');
  return `${lines.join('\n')}\n`;
}

/** Reads a flag from parsed values, else its environment variable (empty = unset). */
type FlagGetter = (name: string) => string | undefined;

/**
 * The etcd connection described by `ETCD_FLAGS`.
 *
 * @throws {InvalidArgumentError} naming the flag when a value is missing, malformed or unreadable.
 */
export function etcdConnectionFromFlags(get: FlagGetter): EtcdConnectionOptions {
  const endpointsText = get('etcd-endpoints');
  if (endpointsText === undefined) throw new InvalidArgumentError('--etcd-endpoints is required');
  const endpoints = endpointsText
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  if (endpoints.length === 0) throw new InvalidArgumentError('--etcd-endpoints must name at least one URL');
  const read = (flag: string): Buffer | undefined => {
    const file = get(flag);
    if (file === undefined) return undefined;
    try {
      return readFileSync(file);
    } catch (err) {
      throw new InvalidArgumentError(`--${flag} cannot be read: ${(err as Error).message}`);
    }
  };
  const ca = read('etcd-ca');
  const cert = read('etcd-cert');
  const key = read('etcd-key');
  if ((cert === undefined) !== (key === undefined)) throw new InvalidArgumentError('--etcd-cert and --etcd-key must be given together');
  if (cert !== undefined && ca === undefined) throw new InvalidArgumentError('--etcd-cert needs --etcd-ca');
  const user = get('etcd-user');
  const password = read('etcd-password-file')?.toString('utf8').replace(/\r?\n$/, '');
  if ((user === undefined) !== (password === undefined)) {
    throw new InvalidArgumentError('--etcd-user and --etcd-password-file must be given together');
  }
  for (const e of endpoints) {
    if (!/^https?:\/\/[^/]+$/.test(e)) throw new InvalidArgumentError(`--etcd-endpoints: '${e}' is not an http(s)://host:port URL`);
    if (e.startsWith('https://') && ca === undefined) throw new InvalidArgumentError(`--etcd-endpoints: '${e}' uses https, which needs --etcd-ca`);
  }
  return {
    endpoints,
    ...(ca === undefined ? {} : { tls: { rootCertificate: ca, ...(cert === undefined ? {} : { certChain: cert }), ...(key === undefined ? {} : { privateKey: key }) } }),
    ...(user === undefined || password === undefined ? {} : { auth: { username: user, password } }),
  };
}

function parseIncarnation(flag: string, text: string): bigint {
  if (!/^\d+$/.test(text.trim())) throw new InvalidArgumentError(`--${flag} must be a non-negative integer, got ${JSON.stringify(text)}`);
  const value = BigInt(text.trim());
  if (!isNonLooseIncarnation(value) || value >= 5n << 48n) {
    throw new InvalidArgumentError(`--${flag} must be even, positive and below 5<<48 (an etcd store needs a non-loose incarnation), got ${text}`);
  }
  return value;
}

/**
 * Parses the arguments after `bootstrap`; `undefined` means `--help`.
 *
 * @throws {InvalidArgumentError} for usage errors (the message names the flag).
 */
export function parseBootstrapArgs(argv: readonly string[], env: Readonly<Record<string, string | undefined>>): BootstrapOptions | undefined {
  const values = parseFlags(argv, {
    ...Object.fromEntries(BOOTSTRAP_FLAGS.map((f) => [f.name, 'string' as const])),
    help: 'boolean',
  });
  if (values['help'] === true) return undefined;
  const get: FlagGetter = (name) => {
    const v = values[name];
    if (typeof v === 'string') return v;
    const spec = BOOTSTRAP_FLAGS.find((f) => f.name === name);
    const e = spec === undefined ? undefined : env[spec.env];
    return e === '' ? undefined : e;
  };
  const connection = etcdConnectionFromFlags(get);
  const storeText = get('store-incarnation');
  if (storeText === undefined) throw new InvalidArgumentError('--store-incarnation is required');
  const storeIncarnation = parseIncarnation('store-incarnation', storeText);
  const paText = get('preferred-assigner-incarnation');
  const preferredAssignerIncarnation = paText === undefined ? storeIncarnation : parseIncarnation('preferred-assigner-incarnation', paText);
  const storeNamespacePrefix = get('store-namespace-prefix') ?? '';
  if (storeNamespacePrefix.startsWith('__')) throw new InvalidArgumentError(`--store-namespace-prefix must not start with '__', got '${storeNamespacePrefix}'`);
  return { connection, storeNamespacePrefix, storeIncarnation, preferredAssignerIncarnation };
}

/** The outcome for one namespace. */
export interface NamespaceBootstrapReport {
  readonly namespace: string;
  readonly incarnation: bigint;
  readonly outcome: 'created' | 'already-exists' | 'failed';
  readonly watermark?: Generation;
  readonly error?: string;
}

/**
 * Bootstraps both namespaces concurrently with `client` and reports each.
 */
export async function bootstrapNamespaces(client: Etcd3, options: Omit<BootstrapOptions, 'connection'>, opTimeoutMs?: number): Promise<NamespaceBootstrapReport[]> {
  const ns = namespacesFor(options.storeNamespacePrefix);
  const one = async (namespace: string, incarnation: bigint): Promise<NamespaceBootstrapReport> => {
    try {
      const r = await new EtcdVersionedKv(client, namespace, opTimeoutMs === undefined ? {} : { opTimeoutMs }).bootstrap(incarnation);
      return { namespace, incarnation, outcome: r.kind, watermark: r.watermark };
    } catch (err) {
      return { namespace, incarnation, outcome: 'failed', error: isDicerError(err) || err instanceof Error ? err.message : String(err) };
    }
  };
  return Promise.all([one(ns.assignments, options.storeIncarnation), one(ns.preferredAssigner, options.preferredAssignerIncarnation)]);
}

/** One human-readable line per namespace. */
export function describeReport(r: NamespaceBootstrapReport): string {
  if (r.outcome === 'failed') return `namespace '${r.namespace}': FAILED: ${r.error ?? 'unknown error'}`;
  const wm = r.watermark === undefined ? '?' : formatVersion(r.watermark);
  if (r.outcome === 'created') return `namespace '${r.namespace}': bootstrapped, high-watermark ${wm}`;
  const inc = r.watermark?.incarnation ?? 0n;
  const note =
    inc < r.incarnation
      ? ` (incarnation ${inc}; the first write at incarnation ${r.incarnation} raises it)`
      : inc > r.incarnation
        ? ` (WARNING: incarnation ${inc} is above the requested ${r.incarnation}; Assigners at ${r.incarnation} cannot supersede it)`
        : '';
  return `namespace '${r.namespace}': already bootstrapped, high-watermark ${wm}${note}`;
}

/**
 * Runs `dicer-assigner bootstrap <argv>` and returns the exit code; writes results to `stdout`,
 * errors to `stderr`.
 */
export async function runBootstrapCommand(
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
  stdout: (text: string) => void,
  stderr: (text: string) => void,
): Promise<number> {
  let options: BootstrapOptions | undefined;
  try {
    options = parseBootstrapArgs(argv, env);
  } catch (err) {
    stderr(`dicer-assigner bootstrap: ${(err as Error).message}\nTry 'dicer-assigner bootstrap --help'.\n`);
    return BOOTSTRAP_EXIT_USAGE;
  }
  if (options === undefined) {
    stdout(bootstrapHelpText());
    return BOOTSTRAP_EXIT_OK;
  }
  let client: Etcd3;
  try {
    client = createEtcdClient(options.connection);
  } catch (err) {
    stderr(`dicer-assigner bootstrap: ${(err as Error).message}\n`);
    return BOOTSTRAP_EXIT_USAGE;
  }
  try {
    const reports = await bootstrapNamespaces(client, options);
    for (const r of reports) (r.outcome === 'failed' ? stderr : stdout)(`${describeReport(r)}\n`);
    return reports.some((r) => r.outcome === 'failed') ? BOOTSTRAP_EXIT_ETCD_FAILURE : BOOTSTRAP_EXIT_OK;
  } finally {
    client.close();
  }
}
