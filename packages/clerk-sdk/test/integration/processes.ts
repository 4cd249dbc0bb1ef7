/**
 * Real processes for the Clerk's multi-process tests: a `dicer-assigner` process (the CLI, run from
 * source) and Slicelet processes (`../fixtures/slicelet-process.ts`), spoken to over stdin/stdout.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { eventually } from '@dicer-ts/test-harness';

const repoRoot = fileURLToPath(new URL('../../../../', import.meta.url));
const ASSIGNER_MAIN = 'packages/assigner/src/cli/main.ts';
const SLICELET_MAIN = 'packages/clerk-sdk/test/fixtures/slicelet-process.ts';

/** A spawned process with its output so far. */
export class Proc {
  stdout = '';
  stderr = '';
  readonly exit: Promise<number | null>;
  private readonly waiting: ((line: Record<string, unknown>) => boolean)[] = [];
  private consumed = 0;

  constructor(readonly child: ChildProcess) {
    this.exit = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
    child.stdout!.on('data', (d: Buffer) => {
      this.stdout += d.toString();
      this.drainLines();
    });
    child.stderr!.on('data', (d: Buffer) => (this.stderr += d.toString()));
  }

  /** Resolves with the next JSON line on stdout that `match` accepts (lines are read once). */
  nextLine(match: (line: Record<string, unknown>) => boolean, timeoutMs = 30_000): Promise<Record<string, unknown>> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no matching line within ${timeoutMs} ms; stderr: ${this.stderr.slice(-2000)}`)), timeoutMs);
      this.waiting.push((line) => {
        if (!match(line)) return false;
        clearTimeout(timer);
        resolve(line);
        return true;
      });
      this.drainLines();
    });
  }

  /** Sends one JSON command and waits for the reply of `kind`. */
  async ask(command: Record<string, unknown>, kind: string): Promise<Record<string, unknown>> {
    const reply = this.nextLine((l) => l['kind'] === kind);
    this.child.stdin!.write(`${JSON.stringify(command)}\n`);
    return reply;
  }

  /** Kills the process (SIGKILL unless told otherwise) and waits for it to exit. */
  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill(signal);
    await this.exit;
  }

  private drainLines(): void {
    const lines = this.stdout.split('\n');
    while (this.consumed < lines.length - 1) {
      const text = lines[this.consumed++]!;
      let line: Record<string, unknown>;
      try {
        line = JSON.parse(text) as Record<string, unknown>;
      } catch {
        continue;
      }
      const i = this.waiting.findIndex((w) => w(line));
      if (i >= 0) this.waiting.splice(i, 1);
    }
  }
}

function run(main: string, args: readonly string[]): Proc {
  return new Proc(
    spawn(process.execPath, ['--conditions=@dicer-ts/source', '--import', 'tsx', main, ...args], {
      cwd: repoRoot,
      stdio: ['pipe', 'pipe', 'pipe'],
    }),
  );
}

/** A running Assigner process and its gRPC port. */
export interface AssignerProcess {
  readonly proc: Proc;
  readonly port: number;
  stop(): Promise<void>;
}

/** Starts `dicer-assigner` on a free port with a config for `target` and short health timings. */
export async function startAssignerProcess(target: string): Promise<AssignerProcess> {
  const dir = await mkdtemp(join(tmpdir(), 'clerk-mp-'));
  await writeFile(join(dir, `${target}.textproto`), 'default_config { primary_rate_metric_config { max_load_hint: 1000000 } }');
  const proc = run(ASSIGNER_MAIN, [
    '--config-dir', dir,
    '--port', '0',
    '--host', '127.0.0.1',
    '--debug-port', 'disabled',
    '--unhealthy-timeout-ms', '1500',
    '--min-generation-interval-ms', '0',
    '--log-level', 'info',
  ]);
  const started = await proc.nextLine((l) => l['msg'] === 'assigner started');
  return {
    proc,
    port: started['port'] as number,
    stop: async () => {
      await proc.kill('SIGTERM');
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** A running Slicelet process. */
export interface SliceletProcess {
  readonly proc: Proc;
  readonly watchPort: number;
  readonly uri: string;
}

/** Starts a Slicelet process whose resource address is `http://127.0.0.1:<9200 + index>`. */
export async function startSliceletProcess(assignerPort: number, target: string, index: number, watchPort?: number): Promise<SliceletProcess> {
  const args = [`127.0.0.1:${assignerPort}`, target, String(index)];
  if (watchPort !== undefined) args.push(String(watchPort));
  const proc = run(SLICELET_MAIN, args);
  const started = await proc.nextLine((l) => l['kind'] === 'started');
  return { proc, watchPort: started['watchPort'] as number, uri: started['uri'] as string };
}

/** Waits until every Slicelet process reports the same generation and owns something. */
export function settledProcesses(group: readonly SliceletProcess[], timeoutMs = 30_000): Promise<string> {
  return eventually(
    async () => {
      const states = await Promise.all(group.map((s) => s.proc.ask({ cmd: 'state' }, 'state')));
      const g = states[0]!['generation'] as string;
      return states.every((st) => st['generation'] === g && (st['owned'] as number) > 0) && !g.startsWith('0#0') ? g : undefined;
    },
    { description: 'Slicelet processes settled on one generation', timeoutMs, intervalMs: 100 },
  );
}
