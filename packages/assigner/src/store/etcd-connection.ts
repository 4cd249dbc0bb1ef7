/**
 * How an Assigner connects to etcd: endpoints, TLS and password auth, mapped onto an `etcd3`
 * client. Dicer uses TLS to etcd only when all of cert, key and truststore are configured; we take
 * PEM contents and let the caller (the CLI) read files.
 *
 * @see store-ha.md §2.4 (client tuning), §6 (`store.etcd.endpoints`, `sslEnabled`)
 */
import { Etcd3 } from 'etcd3';
import { InvalidArgumentError } from '@dicer-ts/common';

/** Client TLS to etcd, as PEM contents. */
export interface EtcdTlsOptions {
  /** The CA bundle that signed etcd's serving certificates. */
  readonly rootCertificate: Buffer;
  /** Our client certificate chain, when etcd requires client certificates (`--client-cert-auth`). */
  readonly certChain?: Buffer;
  /** The private key of `certChain`. */
  readonly privateKey?: Buffer;
}

/** Where etcd is and how to authenticate. */
export interface EtcdConnectionOptions {
  /** Client URLs, e.g. `['https://etcd-0:2379', 'https://etcd-1:2379']`; at least one. */
  readonly endpoints: readonly string[];
  /** TLS; required for `https://` endpoints. @default undefined (plaintext) */
  readonly tls?: EtcdTlsOptions;
  /** etcd role-based auth. @default undefined */
  readonly auth?: { readonly username: string; readonly password: string };
  /** How long to wait for a connection. @default 10000 (Dicer's connect timeout) */
  readonly dialTimeoutMs?: number;
}

/** Dicer's etcd connect timeout. */
export const DEFAULT_ETCD_DIAL_TIMEOUT_MS = 10_000;

/**
 * A new etcd3 client for `options`.
 *
 * @throws {InvalidArgumentError} when there is no endpoint, an endpoint is not an http(s) URL,
 *   https is used without TLS options, or only one of `certChain`/`privateKey` is given.
 */
export function createEtcdClient(options: EtcdConnectionOptions): Etcd3 {
  if (options.endpoints.length === 0) throw new InvalidArgumentError('etcd endpoints must not be empty');
  for (const e of options.endpoints) {
    if (!/^https?:\/\/[^/]+$/.test(e)) {
      throw new InvalidArgumentError(`etcd endpoint must look like http(s)://host:port, got '${e}'`);
    }
    if (e.startsWith('https://') && options.tls === undefined) {
      throw new InvalidArgumentError(`etcd endpoint '${e}' uses https but no etcd TLS options were given`);
    }
  }
  const tls = options.tls;
  if (tls !== undefined && (tls.certChain === undefined) !== (tls.privateKey === undefined)) {
    throw new InvalidArgumentError('etcd TLS needs both certChain and privateKey, or neither');
  }
  return new Etcd3({
    hosts: [...options.endpoints],
    dialTimeout: options.dialTimeoutMs ?? DEFAULT_ETCD_DIAL_TIMEOUT_MS,
    ...(tls !== undefined
      ? {
          credentials: {
            rootCertificate: tls.rootCertificate,
            ...(tls.certChain !== undefined ? { certChain: tls.certChain } : {}),
            ...(tls.privateKey !== undefined ? { privateKey: tls.privateKey } : {}),
          },
        }
      : {}),
    ...(options.auth !== undefined ? { auth: { username: options.auth.username, password: options.auth.password } } : {}),
  });
}
