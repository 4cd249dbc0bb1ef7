import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { eventually, freePort } from '@dicer-ts/test-harness';

const repoRoot = fileURLToPath(new URL('../../../../', import.meta.url));
const MAIN = 'packages/assigner/src/cli/main.ts';

interface Run {
  readonly child: ChildProcess;
  stdout: string;
  stderr: string;
  readonly exit: Promise<number | null>;
}

function runCli(args: readonly string[], env: Record<string, string> = {}): Run {
  const child = spawn(process.execPath, ['--conditions=@dicer-ts/source', '--import', 'tsx', MAIN, ...args], {
    cwd: repoRoot,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const run: Run = {
    child,
    stdout: '',
    stderr: '',
    exit: new Promise((resolve) => child.once('exit', (code) => resolve(code))),
  };
  child.stdout!.on('data', (d: Buffer) => (run.stdout += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (run.stderr += d.toString()));
  return run;
}

describe('dicer-assigner (spawned)', function () {
  this.timeout(60_000);
  const running: Run[] = [];

  afterEach(() => {
    for (const r of running.splice(0)) if (r.child.exitCode === null) r.child.kill('SIGKILL');
  });

  it('prints the help and exits 0', async () => {
    const run = runCli(['--help']);
    assert.equal(await run.exit, 0);
    assert.match(run.stdout, /^Usage: dicer-assigner \[options\]/);
    assert.ok(run.stdout.includes('--config-dir'));
  });

  it('rejects an unknown flag with exit code 2 and a hint', async () => {
    const run = runCli(['--bogus']);
    assert.equal(await run.exit, 2);
    assert.match(run.stderr, /dicer-assigner: .*bogus/);
    assert.ok(run.stderr.includes("Try 'dicer-assigner --help'"));
  });

  it('rejects a bad value with exit code 2', async () => {
    const run = runCli(['--port', 'seventy']);
    assert.equal(await run.exit, 2);
    assert.match(run.stderr, /--port must be an integer/);
  });

  it('rejects a too short suggested watch timeout with exit code 2', async () => {
    const run = runCli(['--suggested-watch-timeout-ms', '10']);
    assert.equal(await run.exit, 2);
    assert.match(run.stderr, /--suggested-watch-timeout-ms must be from 1000/);
  });

  it('exits 1 when a target config is bad', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'dicer-cli-'));
    try {
      await writeFile(join(dir, 'demo-cache.textproto'), 'not a config');
      const run = runCli(['--config-dir', dir, '--port', '0', '--debug-port', 'disabled']);
      assert.equal(await run.exit, 1);
      assert.ok(run.stderr.includes('demo-cache.textproto'));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('starts, logs JSON at info, and stops cleanly on SIGTERM', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'dicer-cli-'));
    try {
      await writeFile(join(dir, 'demo-cache.textproto'), 'default_config { primary_rate_metric_config { max_load_hint: 50000 } }');
      const port = await freePort();
      const run = runCli(['--config-dir', dir, '--port', String(port), '--host', '127.0.0.1', '--debug-port', 'disabled']);
      running.push(run);
      await eventually(() => run.stdout.includes('"assigner started"'), { timeoutMs: 30_000, description: 'start log line' });
      const line = JSON.parse(run.stdout.split('\n').find((l) => l.includes('"assigner started"'))!) as Record<string, unknown>;
      assert.equal(line['level'], 30);
      assert.equal(line['port'], port);
      assert.deepEqual(line['targets'], ['demo-cache']);
      run.child.kill('SIGTERM');
      assert.equal(await run.exit, 0);
      assert.ok(run.stdout.includes('"assigner stopped"'));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
