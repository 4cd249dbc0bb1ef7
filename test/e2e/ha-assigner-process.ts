/**
 * One Assigner of the HA e2e scenario (`ha-rolling-restart.test.ts`), run as its own process: the
 * etcd store and the preferred-assigner driver wired exactly as `dicer-assigner --store etcd
 * --preferred-assigner enabled` wires them (`startEtcdBackends`), with the demo's target config and
 * the e2e timings. `dicer-assigner` now takes every timing used here as a flag, but it writes no
 * `ready` line with its ports and logs on stdout, where the scenario reads process messages, so the
 * scenario still starts this entry.
 *
 * Writes the demo's `ready` line on stdout, logs (pino) on stderr; SIGTERM / SIGINT close it.
 * Run once with `bootstrap` first to initialise the etcd namespaces.
 */
import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import pino from 'pino';
import { Assigner, type EtcdBackends, bootstrapNamespaces, createAssignerInfo, createEtcdClient, startEtcdBackends } from '@dicer-ts/assigner';
import { InvalidArgumentError, UnavailableError } from '@dicer-ts/common';
import { writeProcessMessage } from '@dicer-ts/cache-demo';

/** Store and preferred-assigner record incarnation (even, as the etcd store needs). */
const INCARNATION = 2n;

function numberFlag(values: Readonly<Record<string, string | undefined>>, name: string): number {
  const value = Number(values[name]);
  if (values[name] === undefined || !Number.isInteger(value) || value < 0) throw new InvalidArgumentError(`--${name} must be a non-negative integer, got ${JSON.stringify(values[name])}`);
  return value;
}

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      'etcd-endpoints': { type: 'string' },
      'namespace-prefix': { type: 'string' },
      port: { type: 'string' },
      'config-dir': { type: 'string' },
      'advanced-config-dir': { type: 'string' },
      'unhealthy-timeout-ms': { type: 'string' },
      'min-generation-interval-ms': { type: 'string' },
      'load-balancing-interval-ms': { type: 'string' },
      'suggested-rpc-timeout-ms': { type: 'string' },
      'heartbeat-interval-ms': { type: 'string' },
      'heartbeat-failure-threshold': { type: 'string' },
      'log-level': { type: 'string' },
    },
  });
  const endpoints = (values['etcd-endpoints'] ?? '').split(',').filter((e) => e !== '');
  const storeNamespacePrefix = values['namespace-prefix'] ?? '';
  const logger = pino({ level: values['log-level'] ?? 'warn' }, pino.destination(2));

  if (positionals[0] === 'bootstrap') {
    const client = createEtcdClient({ endpoints });
    try {
      const reports = await bootstrapNamespaces(client, { storeNamespacePrefix, storeIncarnation: INCARNATION, preferredAssignerIncarnation: INCARNATION });
      const failed = reports.find((r) => r.outcome === 'failed');
      if (failed !== undefined) throw new UnavailableError(`bootstrap of ${failed.namespace} failed: ${failed.error ?? ''}`);
    } finally {
      client.close();
    }
    return;
  }

  // A fixed port: the preferred-assigner record carries the address standbys redirect clients to.
  const port = numberFlag(values, 'port');
  const suggested = numberFlag(values, 'suggested-rpc-timeout-ms');
  const backends: EtcdBackends = await startEtcdBackends(
    {
      connection: { endpoints },
      storeNamespacePrefix,
      storeIncarnation: INCARNATION,
      preferredAssigner: {
        incarnation: INCARNATION,
        self: createAssignerInfo(randomUUID(), `http://127.0.0.1:${port}`),
        timings: {
          heartbeatIntervalMs: numberFlag(values, 'heartbeat-interval-ms'),
          heartbeatFailureThreshold: numberFlag(values, 'heartbeat-failure-threshold'),
        },
      },
    },
    logger,
  );
  let assigner: Assigner;
  try {
    assigner = await Assigner.start({
      port,
      host: '127.0.0.1',
      debugPort: 0,
      targetConfigDirectory: values['config-dir'],
      advancedTargetConfigDirectory: values['advanced-config-dir'],
      unhealthyTimeoutMs: numberFlag(values, 'unhealthy-timeout-ms'),
      minGenerationIntervalMs: numberFlag(values, 'min-generation-interval-ms'),
      loadBalancingIntervalMs: numberFlag(values, 'load-balancing-interval-ms'),
      sliceletSuggestedRpcTimeoutMs: suggested,
      clerkSuggestedRpcTimeoutMs: suggested,
      store: backends.store,
      preferredAssigner: backends.preferredAssigner,
      logger,
    });
  } catch (err) {
    await backends.close();
    throw err;
  }
  writeProcessMessage({ kind: 'ready', role: 'assigner', pid: process.pid, port: assigner.port, debugPort: assigner.debugPort });
  let stopping = false;
  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    void assigner
      .close()
      .then(() => backends.close())
      .finally(() => process.exit(0));
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

main().then(
  () => undefined,
  (err: unknown) => {
    process.stderr.write(`ha-assigner: ${(err as Error).message}\n`);
    process.exit(1);
  },
);
