import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Etcd3 } from 'etcd3';
import { eventually } from './eventually.js';
import { freePort } from './free-port.js';

/** A throwaway etcd member started by {@link startEtcd}. */
export interface EtcdHandle {
  /** Client URL, e.g. `http://127.0.0.1:23791`. */
  readonly endpoint: string;
  /** The temporary data directory (removed by {@link EtcdHandle.stop}). */
  readonly dataDir: string;
  /** The etcd process id, for tests that kill it. */
  readonly pid: number;
  /** Stops the process (SIGKILL after a grace period) and removes the data directory. */
  stop(): Promise<void>;
}

/** Options of {@link startEtcd}. */
export interface StartEtcdOptions {
  /** How long to wait for etcd to answer. @default 20000 */
  readyTimeoutMs?: number;
}

const INSTALL_HINT =
  'etcd was not found on PATH. Install it with `apt-get install -y etcd-server` ' +
  '(Debian/Ubuntu), or put an etcd 3.4+ binary on PATH; .ci/run does this on CI.';

/**
 * Finds the etcd binary on PATH.
 *
 * @throws Error with installation instructions when etcd is missing: tests that need a store must
 *   fail loudly, never skip.
 */
export function findEtcdBinary(): string {
  const found = spawnSync('sh', ['-c', 'command -v etcd'], { encoding: 'utf8' });
  const path = found.stdout.trim();
  if (found.status !== 0 || path === '') throw new Error(INSTALL_HINT);
  return path;
}

/**
 * Starts a single-member etcd on free loopback ports with a temporary data directory and waits
 * until a client can write to it.
 */
export async function startEtcd(options: StartEtcdOptions = {}): Promise<EtcdHandle> {
  const binary = findEtcdBinary();
  const readyTimeoutMs = options.readyTimeoutMs ?? 20_000;
  // A free port can be taken between our probe and etcd's bind; a few attempts make that harmless.
  let lastError: unknown;
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      return await startOnce(binary, readyTimeoutMs);
    } catch (err) {
      lastError = err;
    }
  }
  throw lastError;
}

async function startOnce(binary: string, readyTimeoutMs: number): Promise<EtcdHandle> {
  const dataDir = await mkdtemp(join(tmpdir(), 'dicer-ts-etcd-'));
  const clientPort = await freePort();
  const peerPort = await freePort();
  const endpoint = `http://127.0.0.1:${clientPort}`;
  const peerUrl = `http://127.0.0.1:${peerPort}`;
  const child = spawn(
    binary,
    [
      '--name', 'default',
      '--data-dir', dataDir,
      '--listen-client-urls', endpoint,
      '--advertise-client-urls', endpoint,
      '--listen-peer-urls', peerUrl,
      '--initial-advertise-peer-urls', peerUrl,
      '--initial-cluster', `default=${peerUrl}`,
      '--initial-cluster-state', 'new',
      '--log-level', 'error',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  let exited = false;
  child.once('exit', () => {
    exited = true;
  });
  const stop = async (): Promise<void> => {
    await killProcess(child);
    await rm(dataDir, { recursive: true, force: true });
  };
  const client = new Etcd3({ hosts: endpoint, dialTimeout: 1000 });
  try {
    await eventually(
      async () => {
        if (exited) throw new Error(`etcd exited early: ${stderr.trim()}`);
        await client.put('dicer-ts/harness/ready').value('1');
        return true;
      },
      { timeoutMs: readyTimeoutMs, intervalMs: 50, description: `etcd at ${endpoint}` },
    );
  } catch (err) {
    await stop();
    throw err;
  } finally {
    client.close();
  }
  if (child.pid === undefined) throw new Error('etcd has no pid');
  return { endpoint, dataDir, pid: child.pid, stop };
}

async function killProcess(child: ChildProcess, graceMs = 2000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}
