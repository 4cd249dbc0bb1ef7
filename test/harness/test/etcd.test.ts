import { strict as assert } from 'node:assert';
import { existsSync } from 'node:fs';
import { Etcd3 } from 'etcd3';
import { startEtcd, type EtcdHandle } from '../src/index.js';

describe('startEtcd', () => {
  let etcd: EtcdHandle | undefined;

  afterEach(async () => {
    await etcd?.stop();
    etcd = undefined;
  });

  it('starts a throwaway etcd that the etcd3 client can write to and read from', async () => {
    etcd = await startEtcd();
    assert.match(etcd.endpoint, /^http:\/\/127\.0\.0\.1:\d+$/);
    const client = new Etcd3({ hosts: etcd.endpoint });
    try {
      await client.put('dicer-ts/test/key').value('hello');
      assert.equal(await client.get('dicer-ts/test/key').string(), 'hello');
      const rows = await client.getAll().prefix('dicer-ts/test/').strings();
      assert.deepEqual(rows, { 'dicer-ts/test/key': 'hello' });
    } finally {
      client.close();
    }
  });

  it('removes its data directory when stopped', async () => {
    etcd = await startEtcd();
    const { dataDir } = etcd;
    assert.ok(existsSync(dataDir));
    await etcd.stop();
    etcd = undefined;
    assert.ok(!existsSync(dataDir));
  });
});
