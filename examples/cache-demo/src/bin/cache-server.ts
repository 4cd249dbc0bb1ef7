/**
 * The demo's cache server process: a {@link CacheServer} against the Assigner given by
 * `--assigner`. Writes a `ready` line, then a `stats` line every `--stats-interval-ms` on stdout;
 * logs (pino) go to stderr. SIGTERM drains it (the Assigner moves its slices away first), SIGINT
 * closes it at once; `kill -9` is what the e2e tests use for a crash.
 */
import { parseArgs } from 'node:util';
import pino from 'pino';
import { CacheServer } from '../cache-server.js';
import { writeProcessMessage } from '../process-messages.js';
import { numberFlag, stringFlag } from './arguments.js';

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      assigner: { type: 'string' },
      port: { type: 'string' },
      'max-entries': { type: 'string' },
      'stats-interval-ms': { type: 'string' },
      'watch-timeout-ms': { type: 'string' },
      'drain-grace-ms': { type: 'string' },
      'drain-timeout-ms': { type: 'string' },
      'load-half-life-seconds': { type: 'string' },
      'log-level': { type: 'string' },
      'state-transfer': { type: 'boolean' },
    },
    strict: true,
  });
  const assigner = stringFlag(values, 'assigner');
  if (assigner === undefined) throw new Error('--assigner is required');
  const logger = pino({ level: stringFlag(values, 'log-level') ?? 'warn' }, pino.destination(2));
  const server = await CacheServer.start({
    assigner,
    port: numberFlag(values, 'port', 0, 0, 65535),
    maxEntries: numberFlag(values, 'max-entries', 100_000, 1),
    drainGraceMs: numberFlag(values, 'drain-grace-ms', 1_000),
    stateTransfer: values['state-transfer'] === true,
    slicelet: {
      watchTimeoutMs: numberFlag(values, 'watch-timeout-ms', 5_000, 1_000),
      load: { halfLifeSeconds: numberFlag(values, 'load-half-life-seconds', 120, 0.001) },
    },
    logger,
  });
  writeProcessMessage({ kind: 'ready', role: 'cache-server', pid: process.pid, port: server.port, watchPort: server.watchPort });
  const statsTimer = setInterval(() => writeProcessMessage(server.stats()), numberFlag(values, 'stats-interval-ms', 1_000, 10));
  const drainTimeoutMs = numberFlag(values, 'drain-timeout-ms', 15_000);
  let stopping = false;
  const stop = (how: 'drain' | 'close'): void => {
    if (stopping) return;
    stopping = true;
    const stopped = how === 'drain' ? server.drain({ timeoutMs: drainTimeoutMs }) : server.close();
    void stopped.finally(() => {
      clearInterval(statsTimer);
      writeProcessMessage(server.stats());
      process.exit(0);
    });
  };
  // SIGTERM is a graceful stop (Kubernetes' signal); SIGINT (Ctrl-C reaches the whole process
  // group) stops at once, since every server draining together would have nowhere to move slices.
  process.once('SIGTERM', () => stop('drain'));
  process.once('SIGINT', () => stop('close'));
}

main().catch((err: unknown) => {
  process.stderr.write(`cache-server: ${(err as Error).message}\n`);
  process.exit(1);
});
