import { strict as assert } from 'node:assert';
import { InvalidArgumentError, SeededRandom } from '@dicer-ts/common';
import { Workload } from '../src/workload.js';

describe('Workload', () => {
  describe('nextKey', () => {
    it('never picks the hot key while it is off', () => {
      const workload = new Workload({ keyCount: 50 });
      const random = new SeededRandom(1);
      for (let i = 0; i < 10_000; i++) assert.notEqual(workload.nextKey(random), workload.hotKey);
    });

    it('gives the hot key its share of requests while it is on', () => {
      const workload = new Workload({ keyCount: 50, hotKeyFraction: 0.4, hotKeyOn: true });
      const random = new SeededRandom(2);
      let hot = 0;
      for (let i = 0; i < 20_000; i++) if (workload.nextKey(random) === 'hot-key') hot += 1;
      assert.ok(Math.abs(hot / 20_000 - 0.4) < 0.02, `hot share ${hot / 20_000}`);
    });

    it('draws the other keys from key-0 … key-(n-1), key-0 the most often', () => {
      const workload = new Workload({ keyCount: 20, zipfExponent: 1 });
      const random = new SeededRandom(3);
      const counts = new Map<string, number>();
      for (let i = 0; i < 20_000; i++) {
        const key = workload.nextKey(random);
        counts.set(key, (counts.get(key) ?? 0) + 1);
      }
      assert.deepEqual([...counts.keys()].sort(), Array.from({ length: 20 }, (_, i) => `key-${i}`).sort());
      assert.equal(Math.max(...counts.values()), counts.get('key-0'));
    });
  });

  it('switches the hot key on and off', () => {
    const workload = new Workload({ keyCount: 10, hotKeyFraction: 1 });
    const random = new SeededRandom(4);
    workload.hotKeyOn = true;
    assert.equal(workload.nextKey(random), 'hot-key');
    workload.hotKeyOn = false;
    assert.notEqual(workload.nextKey(random), 'hot-key');
  });

  it('rejects a hot-key share outside [0, 1]', () => {
    assert.throws(() => new Workload({ hotKeyFraction: 1.5 }), InvalidArgumentError);
  });
});
