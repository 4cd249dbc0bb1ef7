/**
 * One child process of the demo (the Assigner, a cache server or the load generator), started as
 * `node --conditions=@dicer-ts/source --import tsx <entry>` so nothing needs building. It reads the
 * child's JSON lines ({@link ProcessMessage}) from stdout, keeps the latest `stats`, and resolves
 * `ready` on the `ready` line; stderr (the child's logs) goes to a log file or is dropped.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createWriteStream, type WriteStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { UnavailableError } from '@dicer-ts/common';
import type { CacheServerStats, LoadGeneratorStats, ReadyMessage, WorkloadCommand } from '../process-messages.js';
import { parseProcessMessage } from '../process-messages.js';

/** The entry points of the demo's processes. */
export const ENTRY_POINTS = {
  assigner: fileURLToPath(new URL('../bin/assigner.ts', import.meta.url)),
  'cache-server': fileURLToPath(new URL('../bin/cache-server.ts', import.meta.url)),
  'load-generator': fileURLToPath(new URL('../bin/load-generator.ts', import.meta.url)),
} as const;

/** The package directory: children run here so `tsx` and the workspace packages resolve. */
const PACKAGE_DIR = fileURLToPath(new URL('../..', import.meta.url));

/** How a child ended. */
export interface ExitInfo {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

/** A running child process of the demo. */
export class DemoProcess<Stats extends CacheServerStats | LoadGeneratorStats | never = never> {
  /** A short name for views and errors (`assigner`, `cache-0`, …). */
  readonly name: string;
  /** Resolves with the child's `ready` message; rejects if it exits first. */
  readonly ready: Promise<ReadyMessage>;
  /** Resolves when the child has exited. */
  readonly exited: Promise<ExitInfo>;
  /** The latest `stats` message, if any. */
  latestStats: Stats | undefined;
  /** Set once exited. */
  exitInfo: ExitInfo | undefined;
  private readonly child: ChildProcess;
  private readonly statsListeners = new Set<(stats: Stats) => void>();

  private constructor(name: string, child: ChildProcess, log: WriteStream | undefined) {
    this.name = name;
    this.child = child;
    this.exited = new Promise<ExitInfo>((resolve) => {
      child.once('exit', (code, signal) => {
        this.exitInfo = { code, signal };
        resolve(this.exitInfo);
      });
    });
    this.ready = new Promise<ReadyMessage>((resolve, reject) => {
      createInterface({ input: child.stdout! }).on('line', (line) => {
        const message = parseProcessMessage(line);
        if (message === undefined) return;
        if (message.kind === 'ready') resolve(message);
        else {
          this.latestStats = message as Stats;
          for (const listener of this.statsListeners) listener(message as Stats);
        }
      });
      void this.exited.then(({ code, signal }) =>
        reject(new UnavailableError(`${name} exited before it was ready (code ${code}, signal ${signal})${log ? `; see ${log.path as string}` : ''}`)),
      );
    });
    // Nobody may await `ready` (e.g. after a kill); keep the rejection handled.
    this.ready.catch(() => undefined);
    if (log !== undefined) child.stderr!.pipe(log);
    else child.stderr!.resume();
  }

  /**
   * Spawns `role`'s entry point with `args`.
   *
   * @param logFile where the child's stderr goes (appended); dropped when undefined.
   */
  static spawn<S extends CacheServerStats | LoadGeneratorStats | never = never>(
    name: string,
    role: keyof typeof ENTRY_POINTS,
    args: readonly string[],
    logFile?: string,
  ): DemoProcess<S> {
    return DemoProcess.spawnScript<S>(name, ENTRY_POINTS[role], args, logFile);
  }

  /**
   * Spawns any TypeScript entry point the same way (the Assigner's own CLI, for `--etcd`); its
   * stdout lines that are not demo messages are ignored.
   */
  static spawnScript<S extends CacheServerStats | LoadGeneratorStats | never = never>(
    name: string,
    script: string,
    args: readonly string[],
    logFile?: string,
  ): DemoProcess<S> {
    const child = spawn(process.execPath, ['--conditions=@dicer-ts/source', '--import', 'tsx', script, ...args], {
      cwd: PACKAGE_DIR,
      stdio: ['pipe', 'pipe', 'pipe'],
      env: process.env,
    });
    const log = logFile === undefined ? undefined : createWriteStream(logFile, { flags: 'a' });
    return new DemoProcess<S>(name, child, log);
  }

  /** The child's pid. */
  get pid(): number | undefined {
    return this.child.pid;
  }

  /** Whether the child is still running. */
  get isRunning(): boolean {
    return this.exitInfo === undefined;
  }

  /** Calls `listener` with every later `stats` message; returns a function that stops it. */
  onStats(listener: (stats: Stats) => void): () => void {
    this.statsListeners.add(listener);
    return () => this.statsListeners.delete(listener);
  }

  /** Sends `signal` (SIGTERM: graceful; SIGKILL: a crash) and waits for the exit. */
  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<ExitInfo> {
    if (this.exitInfo !== undefined) return this.exitInfo;
    this.child.kill(signal);
    return this.exited;
  }

  /** Writes a workload command on the child's stdin (the load generator reads them). */
  send(command: WorkloadCommand): void {
    this.child.stdin!.write(`${JSON.stringify(command)}\n`);
  }
}
