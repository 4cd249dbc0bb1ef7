#!/usr/bin/env node
/**
 * The `dicer-assigner` executable: parses the command line (`command-line.ts`), starts an
 * {@link Assigner} with pino JSON logs on stdout, and stops it cleanly on SIGTERM / SIGINT.
 * Usage errors go to stderr with exit code 2; a failed start exits 1.
 */
import { readFileSync } from 'node:fs';
import { pino } from 'pino';
import { isDicerError } from '@dicer-ts/common';
import { Assigner } from '../assigner.js';
import { EXIT_FAILURE, EXIT_USAGE, helpText, parseCommandLine, type CliCommand } from './command-line.js';
import { runBootstrapCommand } from './bootstrap-command.js';
import { type EtcdBackends, heartbeatCredentials, startEtcdBackends } from './high-availability-options.js';

function packageVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: string };
    return pkg.version ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

async function main(): Promise<void> {
  // `dicer-assigner bootstrap …` initialises the etcd namespaces (issue #5).
  if (process.argv[2] === 'bootstrap') {
    process.exitCode = await runBootstrapCommand(process.argv.slice(3), process.env, (t) => process.stdout.write(t), (t) => process.stderr.write(t));
    return;
  }
  let command: CliCommand;
  try {
    command = parseCommandLine(process.argv.slice(2), process.env);
  } catch (err) {
    process.stderr.write(`dicer-assigner: ${(err as Error).message}\nTry 'dicer-assigner --help'.\n`);
    process.exitCode = EXIT_USAGE;
    return;
  }
  if (command.kind === 'help') {
    process.stdout.write(helpText());
    return;
  }
  if (command.kind === 'version') {
    process.stdout.write(`dicer-assigner ${packageVersion()}\n`);
    return;
  }
  const logger = pino({ level: command.logLevel });
  let assigner: Assigner;
  let backends: EtcdBackends | undefined;
  try {
    // --store etcd (issue #5): connect, check the bootstrap, start the preferred-assigner driver.
    if (command.etcd !== undefined) backends = await startEtcdBackends(command.etcd, logger, heartbeatCredentials(command.options.tls));
    assigner = await Assigner.start({
      ...command.options,
      ...(backends === undefined ? {} : { store: backends.store, preferredAssigner: backends.preferredAssigner }),
      logger,
    });
  } catch (err) {
    await backends?.close();
    logger.fatal({ err: isDicerError(err) ? err.message : err }, 'assigner failed to start');
    process.stderr.write(`dicer-assigner: ${(err as Error).message}\n`);
    process.exitCode = EXIT_FAILURE;
    return;
  }
  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'stopping');
    assigner
      .close()
      .then(() => backends?.close())
      .then(
        () => {
          process.exitCode = 0;
        },
        (err: unknown) => {
          logger.error({ err }, 'stop failed');
          process.exitCode = EXIT_FAILURE;
        },
      );
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
}

void main();
