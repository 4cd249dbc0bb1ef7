/**
 * The demo's load generator process: a {@link LoadGenerator} whose Clerk watches `--watch`
 * (comma-separated `host:port`s). Writes `ready` once the Clerk has an assignment, then a `stats`
 * line every `--stats-interval-ms` on stdout; reads `workload` commands (hot key on/off, rate) as
 * JSON lines on stdin. SIGTERM / SIGINT stop it after the requests in flight.
 */
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import pino from 'pino';
import { SeededRandom, SYSTEM_RANDOM } from '@dicer-ts/common';
import { LoadGenerator } from '../load-generator.js';
import { parseWorkloadCommand, writeProcessMessage } from '../process-messages.js';
import { numberFlag, stringFlag } from './arguments.js';

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      watch: { type: 'string' },
      rate: { type: 'string' },
      keys: { type: 'string' },
      zipf: { type: 'string' },
      'hot-key': { type: 'boolean' },
      'hot-key-fraction': { type: 'string' },
      'max-attempts': { type: 'string' },
      'attempt-timeout-ms': { type: 'string' },
      'stats-interval-ms': { type: 'string' },
      seed: { type: 'string' },
      'log-level': { type: 'string' },
    },
    strict: true,
  });
  const watch = stringFlag(values, 'watch');
  if (watch === undefined) throw new Error('--watch is required');
  const logger = pino({ level: stringFlag(values, 'log-level') ?? 'warn' }, pino.destination(2));
  const seed = stringFlag(values, 'seed');
  const generator = await LoadGenerator.start({
    watchAddresses: watch.split(','),
    rate: numberFlag(values, 'rate', 500),
    workload: {
      keyCount: numberFlag(values, 'keys', 10_000, 1),
      zipfExponent: numberFlag(values, 'zipf', 0.8),
      hotKeyFraction: numberFlag(values, 'hot-key-fraction', 0.4, 0, 1),
      hotKeyOn: values['hot-key'] === true,
    },
    maxAttempts: numberFlag(values, 'max-attempts', 4, 1),
    attemptTimeoutMs: numberFlag(values, 'attempt-timeout-ms', 1_000, 1),
    random: seed === undefined ? SYSTEM_RANDOM : new SeededRandom(Number(seed)),
    logger,
  });
  writeProcessMessage({ kind: 'ready', role: 'load-generator', pid: process.pid });
  const statsTimer = setInterval(() => writeProcessMessage(generator.stats()), numberFlag(values, 'stats-interval-ms', 1_000, 10));
  const commands = createInterface({ input: process.stdin });
  commands.on('line', (line) => {
    const command = parseWorkloadCommand(line);
    if (command === undefined) return;
    if (command.hotKey !== undefined) generator.setHotKey(command.hotKey);
    if (command.rate !== undefined) generator.setRate(command.rate);
    writeProcessMessage(generator.stats());
  });
  let stopping = false;
  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    commands.close();
    void generator.close().finally(() => {
      clearInterval(statsTimer);
      writeProcessMessage(generator.stats());
      process.exit(0);
    });
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

main().catch((err: unknown) => {
  process.stderr.write(`load-generator: ${(err as Error).message}\n`);
  process.exit(1);
});
