import assert from 'node:assert/strict';
import { Etcd3 } from 'etcd3';
import { type EtcdHandle, freePort, startEtcd } from '@dicer-ts/test-harness';
import { createDefaultLogger, Target, Slice, createTestSquid } from '@dicer-ts/common';
import {
  BOOTSTRAP_EXIT_ETCD_FAILURE,
  BOOTSTRAP_EXIT_OK,
  BOOTSTRAP_EXIT_USAGE,
  parseBootstrapArgs,
  runBootstrapCommand,
} from '../../src/cli/bootstrap-command.js';
import { EtcdStore } from '../../src/store/etcd-store.js';

async function run(argv: string[], env: Record<string, string> = {}): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await runBootstrapCommand(argv, env, (t) => (out += t), (t) => (err += t));
  return { code, out, err };
}

describe('dicer-assigner bootstrap', function () {
  this.timeout(30_000);
  let etcd: EtcdHandle;
  let client: Etcd3;

  before(async () => {
    etcd = await startEtcd();
    client = new Etcd3({ hosts: etcd.endpoint });
  });

  after(async () => {
    client.close();
    await etcd.stop();
  });

  it('initialises both namespaces, exits 0, and is idempotent (scenario 24)', async () => {
    const first = await run(['--etcd-endpoints', etcd.endpoint, '--store-incarnation', '2', '--store-namespace-prefix', 'b1']);
    assert.equal(first.code, BOOTSTRAP_EXIT_OK, first.err);
    assert.match(first.out, /namespace 'b1-assignments': bootstrapped, high-watermark 0000000000000002\/0000000000000000/);
    assert.match(first.out, /namespace 'b1-preferred-assigner': bootstrapped/);
    assert.equal(await client.get('b1-assignments/__version_high_watermark').string(), '0000000000000002/0000000000000000');
    const again = await run(['--etcd-endpoints', etcd.endpoint, '--store-incarnation', '4', '--store-namespace-prefix', 'b1']);
    assert.equal(again.code, BOOTSTRAP_EXIT_OK);
    assert.match(again.out, /already bootstrapped.*the first write at incarnation 4 raises it/);
    // The watermark is not raised by bootstrap.
    assert.equal(await client.get('b1-assignments/__version_high_watermark').string(), '0000000000000002/0000000000000000');
  });

  it('reads its settings from the environment', async () => {
    const r = await run([], { DICER_ETCD_ENDPOINTS: etcd.endpoint, DICER_STORE_INCARNATION: '2', DICER_STORE_NAMESPACE_PREFIX: 'b2' });
    assert.equal(r.code, BOOTSTRAP_EXIT_OK, r.err);
    assert.notEqual(await client.get('b2-preferred-assigner/__version_high_watermark').string(), null);
  });

  it('lets an etcd store write after bootstrap', async () => {
    assert.equal((await run(['--etcd-endpoints', etcd.endpoint, '--store-incarnation', '2', '--store-namespace-prefix', 'b3'])).code, 0);
    const store = EtcdStore.create({ etcd: client, storeIncarnation: 2n, storeNamespacePrefix: 'b3', logger: createDefaultLogger('silent') });
    try {
      const r = await store.writeAssignment(Target.kubernetes('t'), false, {
        predecessor: undefined,
        slices: [{ slice: Slice.FULL, resources: [createTestSquid('https://p')] }],
      });
      assert.equal(r.kind, 'committed');
    } finally {
      await store.close();
    }
  });

  it('exits 255 on a corrupt watermark (scenario 24)', async () => {
    await client.put('b4-assignments/__version_high_watermark').value('garbage');
    const r = await run(['--etcd-endpoints', etcd.endpoint, '--store-incarnation', '2', '--store-namespace-prefix', 'b4']);
    assert.equal(r.code, BOOTSTRAP_EXIT_ETCD_FAILURE);
    assert.match(r.err, /namespace 'b4-assignments': FAILED: malformed version string: 'garbage'/);
  });

  it('exits 255 when etcd cannot be reached', async () => {
    const port = await freePort();
    const r = await run(['--etcd-endpoints', `http://127.0.0.1:${port}`, '--store-incarnation', '2']);
    assert.equal(r.code, BOOTSTRAP_EXIT_ETCD_FAILURE);
    assert.match(r.err, /FAILED: etcd bootstrap/);
  });

  it('exits 2 with a clear message on usage errors', async () => {
    const cases: [string[], RegExp][] = [
      [['--store-incarnation', '2'], /--etcd-endpoints is required/],
      [['--etcd-endpoints', etcd.endpoint], /--store-incarnation is required/],
      [['--etcd-endpoints', etcd.endpoint, '--store-incarnation', '3'], /must be even, positive/],
      [['--etcd-endpoints', 'etcd:2379', '--store-incarnation', '2'], /not an http\(s\):\/\/host:port URL/],
      [['--etcd-endpoints', 'https://etcd:2379', '--store-incarnation', '2'], /needs --etcd-ca/],
      [['--bogus'], /Unknown option '--bogus'/],
    ];
    for (const [argv, message] of cases) {
      const r = await run(argv);
      assert.equal(r.code, BOOTSTRAP_EXIT_USAGE, argv.join(' '));
      assert.match(r.err, message);
    }
  });

  it('prints help', async () => {
    const r = await run(['--help']);
    assert.equal(r.code, 0);
    assert.match(r.out, /Usage: dicer-assigner bootstrap/);
    assert.equal(parseBootstrapArgs(['--help'], {}), undefined);
  });
});
