import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { type Server as NetServer, type Socket, connect, createServer } from 'node:net';
import { Server, ServerCredentials } from '@grpc/grpc-js';
import { Etcd3 } from 'etcd3';
import { PREFERRED_ASSIGNER_SERVICE_DEFINITION, createDefaultLogger } from '@dicer-ts/common';
import { type EtcdHandle, eventually, startEtcd } from '@dicer-ts/test-harness';
import { createAssignerInfo } from '../../src/core/preferred-assigner-value.js';
import type { PreferredAssignerTimings } from '../../src/core/preferred-assigner-state-machine.js';
import { EtcdPreferredAssignerStore } from '../../src/store/etcd-preferred-assigner-store.js';
import { EtcdVersionedKv } from '../../src/store/etcd-versioned-kv.js';
import { namespacesFor } from '../../src/store/etcd-key-layout.js';
import { PreferredAssignerDriver } from '../../src/service/preferred-assigner-driver.js';

/** A TCP proxy in front of etcd that can cut the link of one replica (a partition from etcd). */
class EtcdLink {
  private readonly sockets = new Set<Socket>();
  private cut = false;
  private server: NetServer | undefined;
  url = '';

  static async open(target: string): Promise<EtcdLink> {
    const link = new EtcdLink();
    const { hostname, port } = new URL(target);
    const server = createServer((down) => {
      if (link.cut) {
        down.destroy();
        return;
      }
      const up = connect(Number(port), hostname);
      for (const sock of [down, up]) {
        link.sockets.add(sock);
        sock.on('close', () => link.sockets.delete(sock));
        sock.on('error', () => undefined);
      }
      down.pipe(up).pipe(down);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    link.server = server;
    link.url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    return link;
  }

  /** Drops every connection and refuses new ones. */
  sever(): void {
    this.cut = true;
    for (const sock of this.sockets) sock.destroy();
  }

  heal(): void {
    this.cut = false;
  }

  close(): void {
    this.sever();
    this.server?.close();
  }
}

interface Replica {
  readonly driver: PreferredAssignerDriver;
  readonly server: Server;
  readonly client: Etcd3;
  readonly store: EtcdPreferredAssignerStore;
  alive: boolean;
}

let counter = 0;
const FAST: PreferredAssignerTimings = {
  heartbeatIntervalMs: 200,
  heartbeatFailureThreshold: 3,
  writeRetryIntervalMs: 400,
  initialPreferredAssignerTimeoutMs: 300,
};

describe('PreferredAssignerDriver (real etcd, real gRPC heartbeats)', function () {
  this.timeout(60_000);
  let etcd: EtcdHandle;
  let prefix: string;
  let replicas: Replica[] = [];

  before(async () => {
    etcd = await startEtcd();
  });

  after(async () => {
    await etcd.stop();
  });

  beforeEach(async () => {
    prefix = `pa${++counter}`;
    const client = new Etcd3({ hosts: etcd.endpoint });
    await new EtcdVersionedKv(client, namespacesFor(prefix).preferredAssigner).bootstrap(2n);
    client.close();
  });

  afterEach(async () => {
    for (const r of replicas) crash(r);
    replicas = [];
  });

  async function spawn(timings: PreferredAssignerTimings = FAST, link?: EtcdLink): Promise<Replica> {
    const server = new Server();
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
    );
    const client = new Etcd3({ hosts: link?.url ?? etcd.endpoint, dialTimeout: 500 });
    const logger = createDefaultLogger('silent');
    const interval = timings.heartbeatIntervalMs ?? 1000;
    const store = new EtcdPreferredAssignerStore({
      client,
      incarnation: 2n,
      storeNamespacePrefix: prefix,
      retryMinDelayMs: 100,
      retryMaxDelayMs: 400,
      backupPollIntervalMs: interval,
      opTimeoutMs: 1000,
      logger,
    });
    const driver = PreferredAssignerDriver.start({
      self: createAssignerInfo(randomUUID(), `https://127.0.0.1:${port}`),
      store,
      logger,
      etcdContactTimeoutMs: 3 * interval,
      ...timings,
    });
    server.addService(PREFERRED_ASSIGNER_SERVICE_DEFINITION, driver.heartbeatService());
    const r: Replica = { driver, server, client, store, alive: true };
    replicas.push(r);
    return r;
  }

  /** Like kill -9 for this replica: no abdication, no more heartbeat answers. */
  function crash(r: Replica): void {
    if (!r.alive) return;
    r.alive = false;
    r.driver.close();
    r.store.close();
    r.server.forceShutdown();
    r.client.close();
  }

  function alive(): Replica[] {
    return replicas.filter((r) => r.alive);
  }

  /** Exactly one live replica is preferred and every live replica redirects to it. */
  function agreedPreferred(): Replica | undefined {
    const live = alive();
    const pas = live.filter((r) => r.driver.role.role === 'preferred');
    if (pas.length !== 1) return undefined;
    const pa = pas[0]!;
    return live.every((r) => r.driver.role.redirectUri === pa.driver.self.uri) ? pa : undefined;
  }

  it('elects exactly one preferred assigner that the standbys redirect to (scenario 1)', async () => {
    for (let i = 0; i < 3; i++) await spawn();
    const pa = await eventually(agreedPreferred, { description: 'one agreed preferred assigner' });
    // Standbys heartbeat it; it sends none.
    await eventually(() => alive().filter((r) => r !== pa).every((r) => r.driver.stats.heartbeatsSucceeded > 2));
    assert.equal(pa.driver.stats.heartbeatsSucceeded + pa.driver.stats.heartbeatsFailed, 0);
  });

  it('hands over at once when the preferred assigner abdicates on SIGTERM (scenario 2)', async () => {
    for (let i = 0; i < 3; i++) await spawn();
    const pa = await eventually(agreedPreferred);
    await pa.driver.terminate();
    assert.equal(pa.driver.role.role, 'standby');
    const next = await eventually(() => {
      const p = agreedPreferred();
      return p !== undefined && p !== pa ? p : undefined;
    });
    assert.notEqual(next, pa);
    // The terminating one never nominates itself again.
    assert.equal(pa.driver.stateKind === 'preferred', false);
  });

  it('replaces a killed preferred assigner within 5 s with the default timings, twice in a row (scenario 3)', async function () {
    this.timeout(60_000);
    for (let i = 0; i < 3; i++) await spawn({});
    let pa = await eventually(agreedPreferred, { timeoutMs: 15_000 });
    for (let kill = 0; kill < 2; kill++) {
      const killedAt = Date.now();
      crash(pa);
      const next = await eventually(
        () => {
          const p = alive().find((r) => r.driver.role.role === 'preferred');
          return p;
        },
        { timeoutMs: 10_000, intervalMs: 10 },
      );
      const tookMs = Date.now() - killedAt;
      assert.ok(tookMs <= 5_000, `takeover took ${tookMs} ms`);
      pa = next;
    }
  });

  it('lets a standby take over from a preferred assigner that stops answering heartbeats, which then follows (scenario 4)', async () => {
    for (let i = 0; i < 3; i++) await spawn();
    const pa = await eventually(agreedPreferred);
    // A partition of the heartbeat port: the old PA still reaches etcd.
    pa.server.forceShutdown();
    const next = await eventually(() => {
      const p = alive().find((r) => r !== pa && r.driver.role.role === 'preferred');
      return p;
    });
    await eventually(() => pa.driver.role.role === 'standby' && pa.driver.role.redirectUri === next.driver.self.uri);
  });

  it('lets the others take over from a preferred assigner cut off from etcd, which follows once healed', async () => {
    const links = await Promise.all([0, 1, 2].map(() => EtcdLink.open(etcd.endpoint)));
    try {
      for (const link of links) await spawn(FAST, link);
      const pa = await eventually(agreedPreferred);
      const paLink = links[replicas.indexOf(pa)]!;
      paLink.sever();
      const next = await eventually(() => alive().find((r) => r !== pa && r.driver.role.role === 'preferred'), {
        timeoutMs: 15_000,
        description: 'a standby taking over from the partitioned preferred assigner',
      });
      paLink.heal();
      await eventually(() => pa.driver.role.role === 'standby' && pa.driver.role.redirectUri === next.driver.self.uri, { timeoutMs: 15_000 });
    } finally {
      for (const r of replicas) crash(r);
      replicas = [];
      for (const link of links) link.close();
    }
  });

  it('never lets two live replicas be preferred in the same PA generation while killing and restarting', async () => {
    for (let i = 0; i < 3; i++) await spawn();
    for (let round = 0; round < 3; round++) {
      const pa = await eventually(agreedPreferred);
      crash(pa);
      await spawn();
      const gens = alive()
        .filter((r) => r.driver.role.role === 'preferred')
        .map((r) => r.driver.role.value.generation.toString());
      assert.equal(new Set(gens).size, gens.length);
    }
    await eventually(agreedPreferred);
  });
});
