/**
 * A throwaway single-member etcd for `npm start -- --etcd`: the `etcd` binary from PATH on free
 * loopback ports with a temporary data directory, removed on stop.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FailedPreconditionError, UnavailableError } from '@dicer-ts/common';

/** A running etcd. */
export interface EtcdProcess {
  /** Client URL, e.g. `http://127.0.0.1:23791`. */
  readonly endpoint: string;
  /** Stops it and removes its data directory. */
  stop(): Promise<void>;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/**
 * Starts etcd and waits until its `/health` answers.
 *
 * @throws {FailedPreconditionError} when `etcd` is not on PATH.
 * @throws {UnavailableError} when it does not become healthy within `readyTimeoutMs`.
 */
export async function startEtcdProcess(readyTimeoutMs = 20_000): Promise<EtcdProcess> {
  const found = spawnSync('sh', ['-c', 'command -v etcd'], { encoding: 'utf8' });
  const binary = found.stdout.trim();
  if (found.status !== 0 || binary === '') {
    throw new FailedPreconditionError('--etcd needs an etcd binary on PATH (e.g. apt-get install -y etcd-server)');
  }
  const dataDir = await mkdtemp(join(tmpdir(), 'dicer-ts-demo-etcd-'));
  const endpoint = `http://127.0.0.1:${await freePort()}`;
  const peer = `http://127.0.0.1:${await freePort()}`;
  const child: ChildProcess = spawn(
    binary,
    [
      '--name', 'demo', '--data-dir', dataDir,
      '--listen-client-urls', endpoint, '--advertise-client-urls', endpoint,
      '--listen-peer-urls', peer, '--initial-advertise-peer-urls', peer,
      '--initial-cluster', `demo=${peer}`, '--log-level', 'error',
    ],
    { stdio: 'ignore' },
  );
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      await exited;
    }
    await rm(dataDir, { recursive: true, force: true });
  };
  const deadline = Date.now() + readyTimeoutMs;
  for (;;) {
    try {
      const response = await fetch(`${endpoint}/health`, { signal: AbortSignal.timeout(1_000) });
      if (response.ok) return { endpoint, stop };
    } catch {
      // not up yet
    }
    if (Date.now() > deadline || child.exitCode !== null) {
      await stop();
      throw new UnavailableError(`etcd at ${endpoint} did not become healthy within ${readyTimeoutMs} ms`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
