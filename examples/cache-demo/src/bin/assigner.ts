/**
 * The demo's Assigner process: `Assigner.start` on the embedded in-memory store, with the demo's
 * target config directory and the timings given on the command line, so the orchestrator and the
 * e2e tests can shorten them (`npm start -- --etcd` runs the assigner package's own CLI instead).
 * Writes a `ready` line on stdout (ports) and logs (pino) on stderr; SIGTERM / SIGINT close it.
 */
import { parseArgs } from 'node:util';
import pino from 'pino';
import { Assigner, type AssignerOptions } from '@dicer-ts/assigner';
import { writeProcessMessage } from '../process-messages.js';
import { numberFlag, stringFlag } from './arguments.js';

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      port: { type: 'string' },
      host: { type: 'string' },
      'debug-port': { type: 'string' },
      'config-dir': { type: 'string' },
      'advanced-config-dir': { type: 'string' },
      'unhealthy-timeout-ms': { type: 'string' },
      'min-generation-interval-ms': { type: 'string' },
      'load-balancing-interval-ms': { type: 'string' },
      'suggested-rpc-timeout-ms': { type: 'string' },
      'log-level': { type: 'string' },
      'state-transfer-timeout-ms': { type: 'string' },
    },
    strict: true,
  });
  const logger = pino({ level: stringFlag(values, 'log-level') ?? 'warn' }, pino.destination(2));
  const suggested = numberFlag(values, 'suggested-rpc-timeout-ms', 5_000, 1_000);
  // State transfer (issue #10): 0 (the default) plans none.
  const stateTransferTimeoutMs = numberFlag(values, 'state-transfer-timeout-ms', 0);
  const options: AssignerOptions = {
    port: numberFlag(values, 'port', 0, 0, 65535),
    host: stringFlag(values, 'host') ?? '127.0.0.1',
    debugPort: numberFlag(values, 'debug-port', 0, 0, 65535),
    targetConfigDirectory: stringFlag(values, 'config-dir'),
    advancedTargetConfigDirectory: stringFlag(values, 'advanced-config-dir'),
    unhealthyTimeoutMs: numberFlag(values, 'unhealthy-timeout-ms', 30_000),
    minGenerationIntervalMs: numberFlag(values, 'min-generation-interval-ms', 10_000),
    loadBalancingIntervalMs: numberFlag(values, 'load-balancing-interval-ms', 60_000, 1),
    sliceletSuggestedRpcTimeoutMs: suggested,
    clerkSuggestedRpcTimeoutMs: suggested,
    store: 'memory',
    logger,
    ...(stateTransferTimeoutMs > 0 ? { stateTransferTimeoutMs } : {}),
  };

  const assigner = await Assigner.start(options);
  writeProcessMessage({ kind: 'ready', role: 'assigner', pid: process.pid, port: assigner.port, debugPort: assigner.debugPort });
  let stopping = false;
  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    void assigner.close().finally(() => process.exit(0));
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

main().catch((err: unknown) => {
  process.stderr.write(`assigner: ${(err as Error).message}\n`);
  process.exit(1);
});
