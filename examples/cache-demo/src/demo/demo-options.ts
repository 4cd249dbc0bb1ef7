/**
 * The `npm start` command line: flags → {@link DemoOptions}, and the `--help` text. Pure.
 */
import { parseArgs } from 'node:util';
import { InvalidArgumentError } from '@dicer-ts/common';
import { numberFlag } from '../bin/arguments.js';

/** What `npm start` was asked to do. */
export interface DemoOptions {
  /** Stop after this long; undefined runs until Ctrl-C. */
  readonly durationMs: number | undefined;
  /** Turn the hot key on after a warm-up (and off again later). */
  readonly hotKey: boolean;
  /** Restart every server one at a time, repeatedly, after a warm-up. */
  readonly rollingRestart: boolean;
  /** Run the Assigner on an etcd it starts (from PATH) instead of the in-memory store. */
  readonly etcd: boolean;
  readonly servers: number;
  readonly rate: number;
  readonly keys: number;
  readonly zipf: number;
  readonly debugPort: number;
  /** Where the children's logs go. */
  readonly logDir: string | undefined;
  /** Print frames one after another instead of redrawing (also when stdout is not a terminal). */
  readonly plain: boolean;
}

/** The parsed command line. */
export type DemoCommand = { readonly kind: 'help' } | { readonly kind: 'run'; readonly options: DemoOptions };

/** The `--help` text. */
export function demoHelpText(): string {
  return `Usage: npm start -- [options]

Starts the dicer-ts demo on loopback: an Assigner (in-memory store; debug page on
http://127.0.0.1:7777), 4 sharded cache servers (each with a Slicelet) and a load generator
(with a Clerk), each a separate process, and prints a live view every second.

Options:
  --duration SECONDS     stop after this long (default: run until Ctrl-C)
  --hot-key              after 10 s, one key takes 40 % of all requests; watch Dicer isolate
                         and replicate it (it turns off again after 60 s)
  --rolling-restart      after 10 s, restart every cache server one at a time, again and again
  --etcd                 store assignments in an etcd started from PATH (temp dir)
  --servers N            cache servers (default 4)
  --rate N               requests per second (default 500)
  --keys N               distinct keys (default 10000)
  --zipf S               Zipf exponent of key popularity (default 0.8)
  --debug-port N         the Assigner's debug page port (default 7777; 0 = any free port)
  --log-dir DIR          write each process's log to DIR/<name>.log (default: a temp dir)
  --plain                print frames one after another instead of redrawing
  --help                 print this help
`;
}

/**
 * Parses `argv` (after `npm start --`).
 *
 * @throws {InvalidArgumentError} naming the flag for an unknown flag or a bad value.
 */
export function parseDemoCommandLine(argv: readonly string[]): DemoCommand {
  let values: Record<string, string | boolean | undefined>;
  try {
    values = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: {
        duration: { type: 'string' },
        'hot-key': { type: 'boolean' },
        'rolling-restart': { type: 'boolean' },
        etcd: { type: 'boolean' },
        servers: { type: 'string' },
        rate: { type: 'string' },
        keys: { type: 'string' },
        zipf: { type: 'string' },
        'debug-port': { type: 'string' },
        'log-dir': { type: 'string' },
        plain: { type: 'boolean' },
        help: { type: 'boolean' },
      },
    }).values;
  } catch (err) {
    throw new InvalidArgumentError((err as Error).message);
  }
  if (values['help'] === true) return { kind: 'help' };
  const duration = values['duration'] === undefined ? undefined : numberFlag(values, 'duration', 0, 1);
  return {
    kind: 'run',
    options: {
      durationMs: duration === undefined ? undefined : duration * 1000,
      hotKey: values['hot-key'] === true,
      rollingRestart: values['rolling-restart'] === true,
      etcd: values['etcd'] === true,
      servers: numberFlag(values, 'servers', 4, 1, 32),
      rate: numberFlag(values, 'rate', 500, 1, 20_000),
      keys: numberFlag(values, 'keys', 10_000, 1, 10_000_000),
      zipf: numberFlag(values, 'zipf', 0.8, 0, 10),
      debugPort: numberFlag(values, 'debug-port', 7777, 0, 65535),
      logDir: typeof values['log-dir'] === 'string' ? values['log-dir'] : undefined,
      plain: values['plain'] === true,
    },
  };
}
