import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client, credentials } from '@grpc/grpc-js';
import { ClientRequest, DiffAssignment, Generation, SyncAssignmentState, Target, WATCH_METHOD, createTestSquid, proto } from '@dicer-ts/common';
import { RawWatchClient, sliceletRequest } from './watch-client-helpers.js';
import { type EtcdHandle, eventually, freePort, startEtcd } from '@dicer-ts/test-harness';

const repoRoot = fileURLToPath(new URL('../../../../', import.meta.url));
const MAIN = 'packages/assigner/src/cli/main.ts';

interface Proc {
  readonly child: ChildProcess;
  readonly port: number;
  readonly uri: string;
  role: 'preferred' | 'standby' | undefined;
  becamePreferredAtMs: number | undefined;
  output: string;
  readonly exit: Promise<number | null>;
}

function cli(args: readonly string[], env: Record<string, string>): { child: ChildProcess; exit: Promise<number | null>; out: () => string } {
  const child = spawn(process.execPath, ['--conditions=@dicer-ts/source', '--import', 'tsx', MAIN, ...args], {
    cwd: repoRoot,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  return { child, exit: new Promise((resolve) => child.once('exit', (code) => resolve(code))), out: () => out };
}

/** One Watch call; returns the redirect address of the reply. */
async function watchRedirect(port: number): Promise<string> {
  const client = new Client(`127.0.0.1:${port}`, credentials.createInsecure());
  try {
    const request = ClientRequest.create({
      target: Target.kubernetes('demo-cache-app'),
      syncAssignmentState: SyncAssignmentState.knownGeneration(Generation.EMPTY),
      subscriberDebugName: 'C1-ha-test',
      subscriber: { kind: 'clerk' },
      timeoutMs: 5_000,
    }).toProto();
    const reply = await new Promise<proto.ClientResponseP>((resolve, reject) =>
      client.makeUnaryRequest(WATCH_METHOD.path, WATCH_METHOD.requestSerialize, WATCH_METHOD.responseDeserialize, request, { deadline: Date.now() + 3_000 }, (err, r) =>
        err || r === undefined ? reject(err) : resolve(r),
      ),
    );
    return reply.redirect?.address ?? '';
  } finally {
    client.close();
  }
}

describe('dicer-assigner processes with --store etcd --preferred-assigner enabled', function () {
  this.timeout(180_000);
  let etcd: EtcdHandle;
  const procs: Proc[] = [];
  const env = (): Record<string, string> => ({ DICER_ETCD_ENDPOINTS: etcd.endpoint, DICER_STORE_NAMESPACE_PREFIX: 'ha', POD_IP: '127.0.0.1' });

  before(async () => {
    etcd = await startEtcd();
  });

  after(async () => {
    for (const p of procs) if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
    await etcd.stop();
  });

  async function startAssigner(extraArgs: readonly string[] = [], extraEnv: Record<string, string> = {}): Promise<Proc> {
    const port = await freePort();
    const run = cli(['--store', 'etcd', '--store-incarnation', '2', '--preferred-assigner', 'enabled', '--port', String(port), '--debug-port', 'disabled', ...extraArgs], {
      ...env(),
      POD_UID: randomUUID(),
      ...extraEnv,
    });
    const p: Proc = { child: run.child, port, uri: `https://127.0.0.1:${port}`, role: undefined, becamePreferredAtMs: undefined, output: '', exit: run.exit };
    let buffered = '';
    run.child.stdout!.on('data', (d: Buffer) => {
      buffered += d.toString();
      let nl: number;
      while ((nl = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        p.output = (p.output + line + '\n').slice(-20_000);
        try {
          const entry = JSON.parse(line) as { msg?: string; role?: string; time?: number };
          if (entry.msg === 'role changed' && (entry.role === 'preferred' || entry.role === 'standby')) {
            p.role = entry.role;
            if (entry.role === 'preferred') p.becamePreferredAtMs = entry.time;
          }
        } catch {
          // not a log line
        }
      }
    });
    procs.push(p);
    return p;
  }

  const live = () => procs.filter((p) => p.child.exitCode === null && p.child.signalCode === null);
  const preferred = () => live().filter((p) => p.role === 'preferred');

  it('refuses to start on an un-bootstrapped namespace with a clear message and exit code 1', async () => {
    const run = cli(['--store', 'etcd', '--store-incarnation', '2', '--port', '0', '--debug-port', 'disabled'], { ...env(), DICER_STORE_NAMESPACE_PREFIX: 'nobootstrap' });
    assert.equal(await run.exit, 1);
    assert.match(run.out(), /not bootstrapped.*dicer-assigner bootstrap/);
  });

  it('bootstraps, elects one preferred Assigner, redirects watchers to it, and replaces it within 5 s after each of several kill -9s', async () => {
    const boot = cli(['bootstrap', '--store-incarnation', '2'], env());
    assert.equal(await boot.exit, 0, boot.out());
    for (let i = 0; i < 3; i++) await startAssigner();
    await eventually(() => preferred().length === 1 && live().every((p) => p.role !== undefined), {
      timeoutMs: 30_000,
      intervalMs: 100,
      description: 'one preferred assigner',
    });
    const failoverMs: number[] = [];
    const kills = Number(process.env['DICER_HA_KILLS'] ?? 5);
    for (let kill = 0; kill < kills; kill++) {
      const pa = (await eventually(() => (preferred().length === 1 ? preferred()[0] : undefined), { timeoutMs: 20_000, intervalMs: 50 }))!;
      // Standbys answer at once with a redirect to the preferred Assigner.
      for (const s of live().filter((p) => p !== pa)) {
        await eventually(async () => (await watchRedirect(s.port)) === pa.uri, { timeoutMs: 10_000, intervalMs: 100 });
      }
      const killedAt = Date.now();
      pa.child.kill('SIGKILL');
      await pa.exit;
      const next = (await eventually(
        () => live().find((p) => p.role === 'preferred' && p.becamePreferredAtMs !== undefined && p.becamePreferredAtMs >= killedAt),
        { timeoutMs: 20_000, intervalMs: 20, description: `a new preferred assigner after kill ${kill + 1}` },
      ))!;
      failoverMs.push(next.becamePreferredAtMs! - killedAt);
      await startAssigner(); // keep three replicas
    }
    process.stdout.write(`      failover after kill -9 (ms): ${failoverMs.join(', ')}\n`);
    for (const ms of failoverMs) assert.ok(ms <= 5_000, `failover took ${ms} ms`);
  });

  it('keeps serving a Slicelet that follows redirects, with generations that only increase, across kill -9s', async () => {
    for (const p of live()) p.child.kill('SIGKILL');
    const configDir = await mkdtemp(join(tmpdir(), 'dicer-ha-configs-'));
    const prefix = { DICER_STORE_NAMESPACE_PREFIX: 'ha2' };
    try {
      await writeFile(join(configDir, 'demo-cache-app.textproto'), 'default_config { primary_rate_metric_config { max_load_hint: 1000 } }');
      const boot = cli(['bootstrap', '--store-incarnation', '2'], { ...env(), ...prefix });
      assert.equal(await boot.exit, 0, boot.out());
      const args = ['--config-dir', configDir, '--unhealthy-timeout-ms', '3000', '--min-generation-interval-ms', '500'];
      for (let i = 0; i < 3; i++) await startAssigner(args, prefix);
      // A fake Slicelet: long-polls the Assigner it was last redirected to, else any live one.
      const squid = createTestSquid('https://slicelet-0:24510');
      const seen: { generation: Generation; atMs: number }[] = [];
      const received: Generation[] = [];
      let known = Generation.EMPTY;
      let address: string | undefined;
      let stop = false;
      const loop = (async () => {
        while (!stop) {
          const target = address ?? `127.0.0.1:${live()[Math.floor(Math.random() * live().length)]!.port}`;
          const client = new RawWatchClient(target);
          const r = await client.call(sliceletRequest('demo-cache-app', squid, { known, timeoutMs: 2000n }));
          client.close();
          if (!r.ok) {
            address = undefined;
            continue;
          }
          const redirect = r.response.redirect?.address ?? '';
          address = redirect === '' ? undefined : new URL(redirect).host;
          const state = r.response.syncAssignmentState?.state;
          let generation = Generation.EMPTY;
          if (state?.case === 'knownGeneration') generation = Generation.fromProto(state.value);
          if (state?.case === 'knownAssignment') generation = DiffAssignment.fromProto(state.value).generation;
          if (state?.case === 'knownSerializedAssignment') generation = Generation.fromProto(proto.fromBinary(proto.DiffAssignmentPSchema, state.value).generation);
          // Every non-empty generation received, in order (standbys answer EMPTY with a redirect).
          if (!generation.isEmpty()) received.push(generation);
          if (generation.compare(known) > 0) {
            known = generation;
            seen.push({ generation, atMs: Date.now() });
          }
        }
      })();
      try {
        await eventually(() => seen.length > 0, { timeoutMs: 30_000, intervalMs: 100, description: 'a first assignment' });
        for (let kill = 0; kill < 3; kill++) {
          const pa = (await eventually(() => (preferred().length === 1 ? preferred()[0] : undefined), { timeoutMs: 20_000, intervalMs: 50 }))!;
          const killedAt = Date.now();
          pa.child.kill('SIGKILL');
          await pa.exit;
          await eventually(() => seen.some((x) => x.atMs > killedAt), {
            timeoutMs: 20_000,
            intervalMs: 50,
            description: `a new generation served after kill ${kill + 1}`,
          });
          await startAssigner(args, prefix);
        }
      } finally {
        stop = true;
        await loop;
      }
      // No Assigner ever served a generation older than one the Slicelet had already been given.
      for (let i = 1; i < received.length; i++) {
        assert.ok(received[i]!.compare(received[i - 1]!) >= 0, `generation went back from ${received[i - 1]} to ${received[i]}`);
      }
      assert.ok(seen.length >= 4, 'a first generation and one after each kill');
      assert.ok(received.every((g) => g.incarnation === 2n));
    } finally {
      await rm(configDir, { recursive: true, force: true });
    }
  });

  it('hands over on SIGTERM without waiting for missed heartbeats', async () => {
    const pa = (await eventually(() => (preferred().length === 1 ? preferred()[0] : undefined), { timeoutMs: 20_000, intervalMs: 50 }))!;
    await eventually(() => live().length === 3 && live().every((p) => p.role !== undefined), { timeoutMs: 30_000, intervalMs: 100 });
    const t0 = Date.now();
    pa.child.kill('SIGTERM');
    const next = (await eventually(() => live().find((p) => p !== pa && p.role === 'preferred' && (p.becamePreferredAtMs ?? 0) >= t0), {
      timeoutMs: 10_000,
      intervalMs: 20,
    }))!;
    assert.ok(next.becamePreferredAtMs! - t0 < 2_000, `handover took ${next.becamePreferredAtMs! - t0} ms`);
    assert.equal(await pa.exit, 0);
    assert.match(pa.output, /abdicated/);
  });
});
