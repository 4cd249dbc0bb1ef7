import assert from 'node:assert/strict';
import { Etcd3 } from 'etcd3';
import { Generation, InvalidArgumentError, createDefaultLogger } from '@dicer-ts/common';
import { type EtcdHandle, eventually, startEtcd } from '@dicer-ts/test-harness';
import { createAssignerInfo, type PreferredAssignerValue } from '../../src/core/preferred-assigner-value.js';
import { EtcdPreferredAssignerStore } from '../../src/store/etcd-preferred-assigner-store.js';
import { StoreNotBootstrappedError } from '../../src/store/etcd-errors.js';
import { EtcdVersionedKv } from '../../src/store/etcd-versioned-kv.js';
import { namespacesFor } from '../../src/store/etcd-key-layout.js';

const A = createAssignerInfo('11111111-2222-4333-8444-555555555555', 'https://10.0.0.1:24500');
const B = createAssignerInfo('f1111111-2222-4333-8444-555555555555', 'https://10.0.0.2:24500');
let counter = 0;

describe('EtcdPreferredAssignerStore', function () {
  this.timeout(30_000);
  let etcd: EtcdHandle;
  let client: Etcd3;
  let prefix: string;
  const stores: EtcdPreferredAssignerStore[] = [];

  before(async () => {
    etcd = await startEtcd();
    client = new Etcd3({ hosts: etcd.endpoint });
  });
  after(async () => {
    client.close();
    await etcd.stop();
  });
  beforeEach(() => {
    prefix = `ps${++counter}`;
  });
  afterEach(() => {
    for (const s of stores.splice(0)) s.close();
  });

  function open(incarnation = 2n): EtcdPreferredAssignerStore {
    const s = new EtcdPreferredAssignerStore({
      client,
      incarnation,
      storeNamespacePrefix: prefix,
      retryMinDelayMs: 50,
      retryMaxDelayMs: 200,
      logger: createDefaultLogger('silent'),
    });
    stores.push(s);
    s.start();
    return s;
  }

  const bootstrap = (inc = 2n) => new EtcdVersionedKv(client, namespacesFor(prefix).preferredAssigner).bootstrap(inc);

  it('rejects a loose incarnation', () => {
    assert.throws(() => open(1n), InvalidArgumentError);
  });

  it('fails writes before bootstrap with StoreNotBootstrappedError', async () => {
    await assert.rejects(open().write(undefined, A), StoreNotBootstrappedError);
  });

  it('admits exactly one of two concurrent first nominations (cold start, store-ha §3.7)', async () => {
    await bootstrap();
    const s1 = open();
    const s2 = open();
    const [r1, r2] = await Promise.all([s1.write(undefined, A), s2.write(undefined, B)]);
    assert.deepEqual([r1.kind, r2.kind].sort(), ['committed', 'occ-failure']);
    const winner = r1.kind === 'committed' ? r1.value : (r2 as { value: PreferredAssignerValue }).value;
    await eventually(() => s1.latest?.generation.equals(winner.generation) && s2.latest?.generation.equals(winner.generation));
  });

  it('fences writes on the predecessor generation and round-trips NoAssigner (abdication)', async () => {
    await bootstrap();
    const s = open();
    const a = await s.write(undefined, A);
    assert.equal(a.kind, 'committed');
    const gen = (a as { value: PreferredAssignerValue }).value.generation;
    const stale = await s.write(Generation.create(2n, 1n), B);
    assert.deepEqual(stale.kind, 'occ-failure');
    const abdicate = await s.write(gen, undefined);
    assert.equal(abdicate.kind, 'committed');
    const reader = open();
    await eventually(() => reader.latest?.kind === 'no-assigner');
    assert.ok(reader.latest!.generation.compare(gen) > 0);
  });

  it('supersedes a record of an older PA incarnation with a write without predecessor (scenario 9)', async () => {
    await bootstrap();
    const old = open(2n);
    assert.equal((await old.write(undefined, A)).kind, 'committed');
    const next = open(4n);
    const r = await next.write(undefined, B);
    assert.equal(r.kind, 'committed');
    assert.equal((r as { value: PreferredAssignerValue }).value.generation.incarnation, 4n);
    await eventually(() => old.latest?.generation.incarnation === 4n);
  });

  it('keeps only strictly newer values from heartbeats', async () => {
    const s = open();
    s.inform({ kind: 'some-assigner', info: A, generation: Generation.create(2n, 10n) });
    s.inform({ kind: 'some-assigner', info: B, generation: Generation.create(2n, 10n) });
    assert.equal(s.latest?.kind === 'some-assigner' && s.latest.info.uri, A.uri);
  });
});
