import assert from 'node:assert/strict';
import { InvalidArgumentError, Slice, SliceKey } from '@dicer-ts/common';
import fc from 'fast-check';
import { LoadMap, UNIFORM_LOAD_MAP, keySpaceFraction } from '../../src/core/load-map.js';
import { key8, keyOf, slice8 } from './algorithm/test-helpers.js';

const TOP = 1n << 64n;

describe('LoadMap', () => {
  describe('builder', () => {
    it('fills gaps with load-0 entries and sorts entries', () => {
      const map = LoadMap.builder().putLoad(slice8(0x80, 0xc0), 5).putLoad(slice8(0x40, 0x80), 3).build();
      assert.deepEqual(
        map.entries.map((e) => [e.slice.toString(), e.load]),
        [
          [slice8(0, 0x40).toString(), 0],
          [slice8(0x40, 0x80).toString(), 3],
          [slice8(0x80, 0xc0).toString(), 5],
          [slice8(0xc0).toString(), 0],
        ],
      );
      assert.equal(map.totalLoad, 8);
    });

    it('rejects overlapping entries', () => {
      const b = LoadMap.builder().putLoad(slice8(0x40, 0x80), 1).putLoad(slice8(0x50, 0x90), 1);
      assert.throws(() => b.build(), InvalidArgumentError);
    });

    it('rejects negative and non-finite loads', () => {
      assert.throws(() => LoadMap.builder().putLoad(Slice.FULL, -1), InvalidArgumentError);
      assert.throws(() => LoadMap.builder().putLoad(Slice.FULL, Number.NaN), InvalidArgumentError);
    });

    it('puts hot keys in single-key entries and apportions the rest (§6.1 example)', () => {
      const k = keyOf('\x50');
      const map = LoadMap.builder()
        .putLoad(Slice.create(keyOf('\x40'), keyOf('\x80')), 40, [{ key: k, load: 10 }])
        .build();
      const inside = map.entries.filter((e) => e.load > 0).map((e) => [e.slice.toString(), e.load]);
      assert.deepEqual(inside, [
        [Slice.create(keyOf('\x40'), k).toString(), 10],
        [Slice.singleKey(k).toString(), 10],
        [Slice.create(k.successor(), keyOf('\x80')).toString(), 30],
      ]);
      assert.equal(map.totalLoad, 50);
    });

    it('drops the non-key remainder when the last key ends the entry (L5)', () => {
      const k = keyOf('k');
      const map = LoadMap.builder().putLoad(Slice.singleKey(k), 30, [{ key: k, load: 10 }]).build();
      assert.equal(map.totalLoad, 10);
    });

    it('rejects a key outside the entry', () => {
      assert.throws(
        () => LoadMap.builder().putLoad(slice8(0x40, 0x80), 1, [{ key: key8(0x90), load: 1 }]),
        InvalidArgumentError,
      );
    });
  });

  describe('getLoad', () => {
    it('apportions a partially covered entry by key-space fraction', () => {
      const map = LoadMap.builder().putLoad(slice8(0, 0x100), 256).build();
      assert.equal(map.getLoad(slice8(0x10, 0x20)), 16);
      assert.equal(map.getLoad(slice8(0x80)), 128);
    });

    it('counts a single-key entry only when fully covered', () => {
      const k = keyOf('b');
      const map = LoadMap.builder().putLoad(Slice.singleKey(k), 7).build();
      assert.equal(map.getLoad(Slice.create(keyOf('a'), keyOf('c'))), 7);
      const wide = LoadMap.builder().putLoad(Slice.create(k, k.successor().successor()), 7).build();
      assert.equal(wide.getLoad(Slice.create(k.successor(), keyOf('c'))), 0);
    });
  });

  describe('withAddedUniformLoad', () => {
    it('gives an empty map one FULL entry', () => {
      const map = LoadMap.builder().build().withAddedUniformLoad(5);
      assert.deepEqual(map.entries.map((e) => [e.slice.toString(), e.load]), [[Slice.FULL.toString(), 5]]);
    });

    it('adds exactly X to 16 equal slices and to a 25/25/50 split (L2)', () => {
      const b = LoadMap.builder();
      for (let i = 0; i < 16; i++) b.putLoad(slice8((TOP / 16n) * BigInt(i), i === 15 ? undefined : (TOP / 16n) * BigInt(i + 1)), 1);
      assert.equal(b.build().withAddedUniformLoad(32).totalLoad, 48);
      const q = LoadMap.builder()
        .putLoad(slice8(0, TOP / 4n), 1)
        .putLoad(slice8(TOP / 4n, TOP / 2n), 1)
        .putLoad(slice8(TOP / 2n), 2)
        .build()
        .withAddedUniformLoad(100);
      assert.deepEqual(q.entries.map((e) => e.load), [26, 26, 52]);
    });

    it('gives single-key entries no reservation', () => {
      const k = key8(0x1234);
      const map = LoadMap.builder().putLoad(Slice.singleKey(k), 3).build().withAddedUniformLoad(10);
      const single = map.entries.find((e) => e.slice.equals(Slice.singleKey(k)));
      assert.equal(single?.load, 3);
    });
  });

  describe('getSplit', () => {
    const narrow = LoadMap.builder().putLoad(slice8(0, 4), 1).build();
    const s = slice8(0, 4);
    const cases: [number, bigint | undefined, number][] = [
      [0.1, 0n, 0],
      [0.2, 1n, 0.25],
      [0.3, 1n, 0.25],
      [0.4, 2n, 0.5],
      [0.5, 2n, 0.5],
      [0.6, 2n, 0.5],
      [0.7, 3n, 0.75],
      [0.8, 3n, 0.75],
      [0.9, 4n, 1],
      [1.0, 4n, 1],
    ];
    for (const [desired, at, load] of cases) {
      it(`cuts [0, 4) with load 1 for ${desired} at ${at} with prefix ${load} (§6.3 precision example)`, () => {
        const split = narrow.getSplit(s, desired);
        assert.equal(split.prefixLoad, load);
        if (at === 0n) assert.ok(split.splitKey?.equals(SliceKey.MIN) || split.splitKey?.equals(key8(0)));
        else assert.ok(split.splitKey?.equals(key8(at as bigint)), `got ${split.splitKey}`);
      });
    }

    it('puts a lone hot key in the suffix, then in the prefix (§6.3 tie-break)', () => {
      const b = keyOf('b');
      const map = LoadMap.builder().putLoad(Slice.singleKey(b), 8).build();
      const first = map.getSplit(Slice.create(keyOf('a'), keyOf('c')), 4);
      assert.ok(first.splitKey?.equals(b));
      assert.equal(first.prefixLoad, 0);
      const second = map.getSplit(Slice.create(b, keyOf('c')), 4);
      assert.ok(second.splitKey?.equals(b.successor()));
      assert.equal(second.prefixLoad, 8);
    });

    it('takes an unsplittable entry whole when that is closer (L4 example)', () => {
      const b = keyOf('b');
      const map = LoadMap.builder()
        .putLoad(Slice.create(keyOf('a'), b), 10)
        .putLoad(Slice.singleKey(b), 30)
        .putLoad(Slice.create(b.successor(), keyOf('z')), 10)
        .build();
      const split = map.getSplit(Slice.create(keyOf('a'), keyOf('z')), 30);
      assert.ok(split.splitKey?.equals(b.successor()));
      assert.equal(split.prefixLoad, 40);
    });

    it('returns the high bound when the slice carries no more than desired', () => {
      const split = UNIFORM_LOAD_MAP.getSplit(slice8(0x10, 0x20), 1);
      assert.ok(split.splitKey?.equals(key8(0x20)));
    });

    it('rejects a negative desired load', () => {
      assert.throws(() => UNIFORM_LOAD_MAP.getSplit(Slice.FULL, -1), InvalidArgumentError);
    });

    it('reproduces the 2^b hash-space partition on the uniform map (L3)', () => {
      for (let b = 0; b < 12; b++) {
        let rest: Slice = Slice.FULL;
        const width = TOP >> BigInt(b);
        for (let i = 1n; i < 1n << BigInt(b); i++) {
          const split = UNIFORM_LOAD_MAP.getSplit(rest, 1 / 2 ** b);
          assert.ok(split.splitKey?.equals(key8(width * i)), `b=${b} i=${i}: ${split.splitKey}`);
          assert.ok(Math.abs(split.prefixLoad - 1 / 2 ** b) <= 1e-15);
          rest = Slice.atLeast(split.splitKey as SliceKey);
        }
      }
    });
  });

  describe('LoadMap invariants', () => {
    const arbCuts = fc.uniqueArray(fc.bigInt({ min: 1n, max: TOP - 1n }), { minLength: 1, maxLength: 20 });
    const arbMap = fc
      .tuple(arbCuts, fc.array(fc.double({ min: 0, max: 1000, noNaN: true }), { minLength: 21, maxLength: 21 }))
      .map(([cuts, loads]) => {
        const sorted = [...cuts].sort((a, b) => (a < b ? -1 : 1));
        const b = LoadMap.builder();
        let low = 0n;
        sorted.forEach((c, i) => {
          b.putLoad(slice8(low, c), loads[i] as number);
          low = c;
        });
        b.putLoad(slice8(low), loads[sorted.length] as number);
        return b.build();
      });

    it('getLoad is additive over a partition of a slice (L1)', () => {
      fc.assert(
        fc.property(arbMap, fc.uniqueArray(fc.bigInt({ min: 1n, max: TOP - 1n }), { maxLength: 10 }), (map, cuts) => {
          const sorted = [...cuts].sort((a, b) => (a < b ? -1 : 1));
          let low = 0n;
          let sum = 0;
          for (const c of sorted) {
            sum += map.getLoad(slice8(low, c));
            low = c;
          }
          sum += map.getLoad(slice8(low));
          const total = map.totalLoad;
          assert.ok(Math.abs(sum - total) <= 1e-9 * Math.max(1, total));
          assert.ok(Math.abs(total - map.entries.reduce((a, e) => a + e.load, 0)) <= 1e-9 * Math.max(1, total));
        }),
        { seed: 42, numRuns: 100 },
      );
    });

    it('withAddedUniformLoad raises the total by X and each entry by its key-space share (L2)', () => {
      fc.assert(
        fc.property(arbMap, fc.double({ min: 0, max: 1e6, noNaN: true }), (map, x) => {
          const added = map.withAddedUniformLoad(x);
          assert.ok(Math.abs(added.totalLoad - map.totalLoad - x) <= 1e-9 * Math.max(1, x + map.totalLoad));
          added.entries.forEach((e, i) => {
            const expected = (map.entries[i]?.load ?? 0) + x * keySpaceFraction(e.slice);
            assert.ok(Math.abs(e.load - expected) <= 1e-9 * Math.max(1, expected));
          });
        }),
        { seed: 42, numRuns: 100 },
      );
    });

    it('getSplit stays inside the slice and its prefix load is the load before the key (L4)', () => {
      fc.assert(
        fc.property(arbMap, fc.double({ min: 0, max: 1, noNaN: true }), (map, fraction) => {
          const total = map.totalLoad;
          const desired = total * fraction;
          const split = map.getSplit(Slice.FULL, desired);
          if (split.splitKey === undefined) {
            assert.ok(Math.abs(split.prefixLoad - total) <= 1e-9 * Math.max(1, total));
            return;
          }
          const prefix = split.splitKey.isMin() ? 0 : map.getLoad(Slice.create(SliceKey.MIN, split.splitKey));
          assert.ok(Math.abs(split.prefixLoad - prefix) <= 1e-9 * Math.max(1, total), `${split.prefixLoad} vs ${prefix}`);
          // Entries are conventional (wide), so the cut misses the desired load by rounding only.
          assert.ok(Math.abs(split.prefixLoad - desired) <= 1e-6 * Math.max(1, total), `${split.prefixLoad} vs ${desired}`);
        }),
        { seed: 42, numRuns: 200 },
      );
    });

    it('putLoad with keys never produces a negative load and preserves the total (L5)', () => {
      fc.assert(
        fc.property(
          fc.double({ min: 0, max: 1000, noNaN: true }),
          fc.uniqueArray(fc.bigInt({ min: 0x1000n, max: 0x1fffn }), { maxLength: 8 }),
          fc.array(fc.double({ min: 0, max: 100, noNaN: true }), { minLength: 8, maxLength: 8 }),
          (load, keys, keyLoads) => {
            const map = LoadMap.builder()
              .putLoad(slice8(0x1000, 0x2000), load, keys.map((k, i) => ({ key: key8(k), load: keyLoads[i] as number })))
              .build();
            for (const e of map.entries) assert.ok(e.load >= 0);
            const expected = load + keys.reduce((a, _, i) => a + (keyLoads[i] as number), 0);
            assert.ok(Math.abs(map.totalLoad - expected) <= 1e-9 * Math.max(1, expected));
          },
        ),
        { seed: 42, numRuns: 100 },
      );
    });

    it('spreads 100k hashed keys over 1024 buckets within a factor of 2 (L6)', () => {
      const b = LoadMap.builder();
      for (let i = 0; i < 100_000; i++) {
        const k = SliceKey.fromApplicationKey(`key-${i}`);
        const v = BigInt('0x' + Buffer.from(k.bytes).toString('hex'));
        if (v === TOP - 1n) continue;
        b.putLoad(slice8(v, v + 1n), 10);
      }
      let map: LoadMap;
      try {
        map = b.build();
      } catch {
        return assert.fail('duplicate hashed key');
      }
      const width = TOP / 1024n;
      let min = Infinity;
      let max = 0;
      for (let i = 0n; i < 1024n; i++) {
        const load = map.getLoad(slice8(i * width, i === 1023n ? undefined : (i + 1n) * width));
        min = Math.min(min, load);
        max = Math.max(max, load);
      }
      assert.ok(max / min < 2, `max ${max} / min ${min}`);
    });
  });
});
