import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Etcd3 } from 'etcd3';
import { type Assignment, Slice, SliceKey, Target, createDefaultLogger, createTestSquid } from '@dicer-ts/common';
import { eventually, findEtcdBinary, freePort } from '@dicer-ts/test-harness';
import { EtcdStore } from '../../src/store/etcd-store.js';
import { EtcdVersionedKv } from '../../src/store/etcd-versioned-kv.js';
import { namespacesFor } from '../../src/store/etcd-key-layout.js';

interface Member {
  readonly name: string;
  readonly clientUrl: string;
  readonly process: ChildProcess;
}

/** Starts a 3-member etcd cluster on loopback (the harness starts single members only). */
async function startCluster(dataDir: string): Promise<Member[]> {
  const binary = findEtcdBinary();
  const ports = await Promise.all([0, 1, 2, 3, 4, 5].map(() => freePort()));
  const names = ['m0', 'm1', 'm2'];
  const peerUrls = names.map((_, i) => `http://127.0.0.1:${ports[3 + i]}`);
  const initialCluster = names.map((n, i) => `${n}=${peerUrls[i]}`).join(',');
  const members = names.map((name, i) => {
    const clientUrl = `http://127.0.0.1:${ports[i]}`;
    const child = spawn(
      binary,
      [
        '--name', name, '--data-dir', join(dataDir, name),
        '--listen-client-urls', clientUrl, '--advertise-client-urls', clientUrl,
        '--listen-peer-urls', peerUrls[i]!, '--initial-advertise-peer-urls', peerUrls[i]!,
        '--initial-cluster', initialCluster, '--initial-cluster-state', 'new', '--initial-cluster-token', 'h5',
        '--heartbeat-interval', '50', '--election-timeout', '500', '--log-level', 'error',
      ],
      { stdio: 'ignore' },
    );
    return { name, clientUrl, process: child };
  });
  const probe = new Etcd3({ hosts: members.map((m) => m.clientUrl), dialTimeout: 1000 });
  try {
    await eventually(async () => (await probe.put('ready').value('1'), true), { timeoutMs: 20_000, intervalMs: 100, description: '3-member etcd' });
  } finally {
    probe.close();
  }
  return members;
}

const target = Target.kubernetes('demo-cache-app');
const slices = (pod: string) => [
  { slice: Slice.create(SliceKey.MIN, SliceKey.fromBytes(new Uint8Array([0x80]))), resources: [createTestSquid(pod)] },
  { slice: Slice.atLeast(SliceKey.fromBytes(new Uint8Array([0x80]))), resources: [createTestSquid(`${pod}-b`)] },
];

describe('EtcdStore on a 3-member etcd cluster', function () {
  this.timeout(60_000);
  let dataDir: string;
  let members: Member[] = [];

  before(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'dicer-ts-etcd3-'));
    members = await startCluster(dataDir);
  });

  after(async () => {
    for (const m of members) if (m.process.exitCode === null && m.process.signalCode === null) m.process.kill('SIGKILL');
    await rm(dataDir, { recursive: true, force: true });
  });

  it('keeps committing and serving when one member is killed with SIGKILL', async () => {
    const client = new Etcd3({ hosts: members.map((m) => m.clientUrl), dialTimeout: 1000 });
    await new EtcdVersionedKv(client, namespacesFor('').assignments).bootstrap(2n);
    const options = { etcd: { endpoints: members.map((m) => m.clientUrl), dialTimeoutMs: 1000 }, storeIncarnation: 2n, opTimeoutMs: 2000, retryMinDelayMs: 50, retryMaxDelayMs: 200, logger: createDefaultLogger('silent') };
    const writer = EtcdStore.create(options);
    const reader = EtcdStore.create(options);
    try {
      reader.watchAssignments(target, () => undefined);
      const first = await writer.writeAssignment(target, false, { predecessor: undefined, slices: slices('https://p0') });
      assert.equal(first.kind, 'committed');
      members[0]!.process.kill('SIGKILL');
      // Writes go on through the remaining quorum (the client may first try the dead endpoint).
      const next = await eventually(
        async () => {
          const predecessor = writer.getLatestKnownAssignment(target);
          const r = await writer.writeAssignment(target, false, { predecessor, slices: slices(`https://p${Date.now()}`) });
          return r.kind === 'committed' ? r.assignment : undefined;
        },
        { timeoutMs: 20_000, intervalMs: 100, description: 'a write after losing one member' },
      );
      await eventually(() => reader.getLatestKnownAssignment(target)?.generation.equals(next.generation), { timeoutMs: 20_000 });
      const fresh = EtcdStore.create(options);
      try {
        const seen = await new Promise<Assignment>((resolve) => fresh.watchAssignments(target, resolve));
        assert.ok(seen.generation.compare(next.generation) >= 0);
      } finally {
        await fresh.close();
      }
    } finally {
      await writer.close();
      await reader.close();
      client.close();
    }
  });
});
