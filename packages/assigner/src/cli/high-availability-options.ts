/**
 * The command-line side of `dicer-assigner --store etcd [--preferred-assigner enabled]`: the flags,
 * their parsing into an {@link EtcdRunConfig}, and {@link startEtcdBackends}, which connects the
 * etcd store and starts the preferred-assigner driver that `Assigner.start` is then given.
 *
 * Identity (store-ha §1.1): the UUID comes from `POD_UID` (a random one when unset), the URI peers
 * heartbeat and clients are redirected to from `--advertise-uri`, else `https://$POD_IP:<port>`.
 *
 * @see store-ha.md §2, §3, §6; docs/operations.md
 */
import { randomUUID } from 'node:crypto';
import { type ChannelCredentials, credentials as grpcCredentials } from '@grpc/grpc-js';
import { InvalidArgumentError, type Logger, isNonLooseIncarnation } from '@dicer-ts/common';
import {
  DEFAULT_HEARTBEAT_FAILURE_THRESHOLD,
  DEFAULT_HEARTBEAT_INTERVAL_MS,
  DEFAULT_INITIAL_PREFERRED_ASSIGNER_TIMEOUT_MS,
  DEFAULT_WRITE_RETRY_INTERVAL_MS,
  type PreferredAssignerTimings,
} from '../core/preferred-assigner-state-machine.js';
import { type AssignerInfo, createAssignerInfo } from '../core/preferred-assigner-value.js';
import { PreferredAssignerDriver } from '../service/preferred-assigner-driver.js';
import { createEtcdClient, type EtcdConnectionOptions } from '../store/etcd-connection.js';
import { EtcdPreferredAssignerStore } from '../store/etcd-preferred-assigner-store.js';
import { EtcdStore } from '../store/etcd-store.js';
import type { AssignerTlsOptions } from '../assigner-options.js';
import { ETCD_FLAGS, type EtcdFlagSpec, etcdConnectionFromFlags } from './bootstrap-command.js';

/** Flags of the etcd store and the preferred-assigner protocol for the run command. */
export const HIGH_AVAILABILITY_FLAGS: readonly EtcdFlagSpec[] = [
  ...ETCD_FLAGS,
  { name: 'preferred-assigner', value: 'MODE', env: 'DICER_PREFERRED_ASSIGNER', help: "'enabled' (needs --store etcd) or 'disabled' (default)" },
  {
    name: 'preferred-assigner-incarnation',
    value: 'N',
    env: 'DICER_PREFERRED_ASSIGNER_INCARNATION',
    help: 'incarnation of the preferred-assigner record; even (default: the store incarnation)',
  },
  { name: 'advertise-uri', value: 'URI', env: 'DICER_ADVERTISE_URI', help: 'URI peers and redirected clients reach this Assigner at (default https://$POD_IP:<port>)' },
  { name: 'heartbeat-interval-ms', value: 'MS', env: 'DICER_HEARTBEAT_INTERVAL_MS', help: `standby heartbeat period and deadline (default ${DEFAULT_HEARTBEAT_INTERVAL_MS})` },
  {
    name: 'heartbeat-failure-threshold',
    value: 'N',
    env: 'DICER_HEARTBEAT_FAILURE_THRESHOLD',
    help: `unanswered heartbeats before a standby takes over (default ${DEFAULT_HEARTBEAT_FAILURE_THRESHOLD})`,
  },
  {
    name: 'preferred-assigner-write-retry-ms',
    value: 'MS',
    env: 'DICER_PREFERRED_ASSIGNER_WRITE_RETRY_MS',
    help: `least time between preferred-assigner record writes (default ${DEFAULT_WRITE_RETRY_INTERVAL_MS})`,
  },
  {
    name: 'preferred-assigner-startup-timeout-ms',
    value: 'MS',
    env: 'DICER_PREFERRED_ASSIGNER_STARTUP_TIMEOUT_MS',
    help: `wait for a record before nominating itself at start-up (default ${DEFAULT_INITIAL_PREFERRED_ASSIGNER_TIMEOUT_MS})`,
  },
];

/** What `--store etcd` runs with. */
export interface EtcdRunConfig {
  readonly connection: EtcdConnectionOptions;
  readonly storeNamespacePrefix: string;
  readonly storeIncarnation: bigint;
  /** Present when `--preferred-assigner enabled`. */
  readonly preferredAssigner:
    | { readonly incarnation: bigint; readonly self: AssignerInfo; readonly timings: PreferredAssignerTimings }
    | undefined;
}

function positiveInt(flag: string, text: string): number {
  if (!/^\d+$/.test(text.trim()) || Number(text) < 1) throw new InvalidArgumentError(`--${flag} must be a positive integer, got ${JSON.stringify(text)}`);
  return Number(text);
}

function nonLoose(flag: string, text: string): bigint {
  if (!/^\d+$/.test(text.trim())) throw new InvalidArgumentError(`--${flag} must be a non-negative integer, got ${JSON.stringify(text)}`);
  const v = BigInt(text.trim());
  if (!isNonLooseIncarnation(v)) throw new InvalidArgumentError(`--${flag} must be even and positive for the etcd store, got ${text}`);
  return v;
}

/**
 * Parses the etcd and preferred-assigner flags.
 *
 * @param get reads a flag (or its environment variable); `undefined` when unset
 * @param env for `POD_UID` and `POD_IP`
 * @param port the gRPC port flag value, for the default advertised URI
 * @throws {InvalidArgumentError} naming the flag.
 */
export function parseEtcdRunConfig(
  get: (name: string) => string | undefined,
  env: Readonly<Record<string, string | undefined>>,
  port: number | undefined,
): EtcdRunConfig {
  const incText = get('store-incarnation');
  if (incText === undefined) throw new InvalidArgumentError('--store etcd needs --store-incarnation (even and positive, e.g. 2)');
  const storeIncarnation = nonLoose('store-incarnation', incText);
  const connection = etcdConnectionFromFlags(get);
  const mode = get('preferred-assigner') ?? 'disabled';
  if (mode !== 'enabled' && mode !== 'disabled') throw new InvalidArgumentError(`--preferred-assigner must be enabled or disabled, got ${JSON.stringify(mode)}`);
  let preferredAssigner: EtcdRunConfig['preferredAssigner'];
  if (mode === 'enabled') {
    const paText = get('preferred-assigner-incarnation');
    const incarnation = paText === undefined ? storeIncarnation : nonLoose('preferred-assigner-incarnation', paText);
    let uri = get('advertise-uri');
    if (uri === undefined) {
      const ip = env['POD_IP'];
      if (ip === undefined || ip === '') throw new InvalidArgumentError('--preferred-assigner enabled needs --advertise-uri or the POD_IP environment variable');
      if (port === undefined || port === 0) throw new InvalidArgumentError('--preferred-assigner enabled needs a fixed --port (not 0) or --advertise-uri');
      uri = `https://${ip.includes(':') ? `[${ip}]` : ip}:${port}`;
    }
    const self = createAssignerInfo(env['POD_UID'] !== undefined && env['POD_UID'] !== '' ? env['POD_UID'] : randomUUID(), uri);
    const opt = (flag: string) => {
      const t = get(flag);
      return t === undefined ? undefined : positiveInt(flag, t);
    };
    const hb = opt('heartbeat-interval-ms');
    const th = opt('heartbeat-failure-threshold');
    const wr = opt('preferred-assigner-write-retry-ms');
    const st = opt('preferred-assigner-startup-timeout-ms');
    const timings: PreferredAssignerTimings = {
      ...(hb === undefined ? {} : { heartbeatIntervalMs: hb }),
      ...(th === undefined ? {} : { heartbeatFailureThreshold: th }),
      ...(wr === undefined ? {} : { writeRetryIntervalMs: wr }),
      ...(st === undefined ? {} : { initialPreferredAssignerTimeoutMs: st }),
    };
    preferredAssigner = { incarnation, self, timings };
  }
  return { connection, storeNamespacePrefix: get('store-namespace-prefix') ?? '', storeIncarnation, preferredAssigner };
}

/** The running etcd-side pieces an Assigner is started with. */
export interface EtcdBackends {
  readonly store: EtcdStore;
  readonly preferredAssigner: PreferredAssignerDriver | undefined;
  /** Stops the driver and closes the store and the etcd client (after the Assigner closed). */
  close(): Promise<void>;
}

/**
 * Connects to etcd, verifies the namespace was bootstrapped, and starts the preferred-assigner
 * driver when enabled.
 *
 * @throws {StoreNotBootstrappedError} when `dicer-assigner bootstrap` was not run.
 * @throws {UnavailableError} when etcd cannot be reached in time.
 */
export async function startEtcdBackends(config: EtcdRunConfig, logger: Logger, credentials?: ChannelCredentials): Promise<EtcdBackends> {
  const client = createEtcdClient(config.connection);
  const store = EtcdStore.create({ etcd: client, storeIncarnation: config.storeIncarnation, storeNamespacePrefix: config.storeNamespacePrefix, logger });
  try {
    await store.checkBootstrapped();
  } catch (err) {
    await store.close();
    client.close();
    throw err;
  }
  let paStore: EtcdPreferredAssignerStore | undefined;
  let driver: PreferredAssignerDriver | undefined;
  const pa = config.preferredAssigner;
  if (pa !== undefined) {
    // The record is polled once per heartbeat interval, so a preferred Assigner that stops hearing
    // from etcd notices within ~3 intervals and refuses heartbeats, letting a standby take over.
    const heartbeatIntervalMs = pa.timings.heartbeatIntervalMs ?? DEFAULT_HEARTBEAT_INTERVAL_MS;
    paStore = new EtcdPreferredAssignerStore({
      client,
      incarnation: pa.incarnation,
      storeNamespacePrefix: config.storeNamespacePrefix,
      logger,
      backupPollIntervalMs: heartbeatIntervalMs,
    });
    driver = PreferredAssignerDriver.start({
      self: pa.self,
      store: paStore,
      logger,
      ...pa.timings,
      etcdContactTimeoutMs: 3 * heartbeatIntervalMs,
      ...(credentials === undefined ? {} : { credentials }),
    });
  }
  return {
    store,
    preferredAssigner: driver,
    async close() {
      driver?.close();
      paStore?.close();
      await store.close();
      client.close();
    },
  };
}

/**
 * Credentials for heartbeats to peer Assigners when the gRPC port serves TLS: trust the client CA
 * bundle (peers' certificates are signed by the same CA in a mutual-TLS deployment, Dicer's
 * `rpc.truststore`) and present our own certificate. Peers are addressed by pod IP while
 * certificates usually name services, so the host name is not checked; the chain is.
 * `undefined` (plaintext) when the port serves plaintext.
 */
export function heartbeatCredentials(tls: AssignerTlsOptions | undefined): ChannelCredentials | undefined {
  if (tls === undefined) return undefined;
  return grpcCredentials.createSsl(tls.clientCaCerts ?? null, tls.clientCaCerts === undefined ? null : tls.privateKey, tls.clientCaCerts === undefined ? null : tls.certChain, {
    checkServerIdentity: () => undefined,
  });
}
