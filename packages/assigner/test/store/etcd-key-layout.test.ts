import assert from 'node:assert/strict';
import fc from 'fast-check';
import { DataLossError, Generation, InvalidArgumentError, Target } from '@dicer-ts/common';
import {
  EtcdKeyLayout,
  PREFERRED_ASSIGNER_APP_KEY,
  decodeKeyComponent,
  encodeKeyComponent,
  formatHex16,
  formatVersion,
  namespacesFor,
  parseHex16,
  parseVersion,
} from '../../src/store/etcd-key-layout.js';

describe('etcd key layout', () => {
  describe('namespacesFor', () => {
    it('uses the bare names without a prefix and <prefix>- with one', () => {
      assert.deepEqual(namespacesFor(''), { assignments: 'assignments', preferredAssigner: 'preferred-assigner' });
      assert.deepEqual(namespacesFor('untrusted'), {
        assignments: 'untrusted-assignments',
        preferredAssigner: 'untrusted-preferred-assigner',
      });
    });
  });

  describe('keys', () => {
    const layout = new EtcdKeyLayout('assignments');
    const gen = Generation.create(2n, 1_735_689_600_000n);

    it("matches store-ha §2.3's example for demo-cache-app", () => {
      assert.equal(layout.rowKey('demo-cache-app', gen), 'assignments/demo-cache-app/0000000000000002/000001941F297C00');
      assert.equal(layout.versionKey('demo-cache-app'), 'assignments/demo-cache-app/version');
      assert.equal(layout.watermarkKey, 'assignments/__version_high_watermark');
      assert.equal(formatVersion(Generation.create(2n, 1_735_689_600_000n + 3_600_000n)), '0000000000000002/000001941F606A80');
    });

    it('percent-encodes the colons and slashes of a cluster target description', () => {
      const target = Target.kubernetes('name', 'kubernetes-cluster:prod/cloud1/public/region1/clustertype2/01');
      assert.equal(
        layout.versionKey(target.toString()),
        'assignments/kubernetes-cluster%3Aprod%2Fcloud1%2Fpublic%2Fregion1%2Fclustertype2%2F01%3Aname/version',
      );
      assert.equal(layout.versionKey(Target.app('a', 'b').toString()), 'assignments/appTarget%3Aa%3Ab/version');
    });

    it('keeps the version key outside the row range', () => {
      assert.ok(layout.versionKey('t') > layout.rowRangeEnd('t'));
      assert.ok(layout.rowKey('t', gen) < layout.rowRangeEnd('t'));
      assert.ok(layout.rowKey('t', gen) >= layout.rowRangeStartAfter('t', undefined));
    });

    it('starts the range strictly after a known version', () => {
      assert.ok(layout.rowRangeStartAfter('t', gen) > layout.rowKey('t', gen));
      assert.equal(layout.rowRangeStartAfter('t', gen), layout.rowKey('t', Generation.create(2n, gen.number + 1n)));
    });

    it('parses its own row keys and rejects others with DataLossError', () => {
      assert.ok(layout.parseRowKey('t', layout.rowKey('t', gen)).equals(gen));
      assert.throws(() => layout.parseRowKey('t', 'assignments/t/0000000000000002/000001941f297c00'), DataLossError);
      assert.throws(() => layout.parseRowKey('t', 'assignments/t/2/000001941F297C00'), DataLossError);
      assert.throws(() => layout.parseRowKey('t', 'assignments/u/0000000000000002/000001941F297C00'), DataLossError);
    });

    it('rejects namespaces and app keys that are empty or start with __', () => {
      assert.throws(() => new EtcdKeyLayout(''), InvalidArgumentError);
      assert.throws(() => new EtcdKeyLayout('__x'), InvalidArgumentError);
      assert.throws(() => layout.versionKey('__x'), InvalidArgumentError);
      assert.equal(new EtcdKeyLayout('preferred-assigner').versionKey(PREFERRED_ASSIGNER_APP_KEY), 'preferred-assigner/_preferred_assigner_/version');
    });
  });

  describe('hex16 and versions', () => {
    it('formats upper-case zero-padded and rejects other widths or case', () => {
      assert.equal(formatHex16(255n), '00000000000000FF');
      assert.equal(parseHex16('00000000000000FF'), 255n);
      assert.throws(() => parseHex16('00000000000000ff'), DataLossError);
      assert.throws(() => parseHex16('FF'), DataLossError);
      assert.throws(() => parseVersion('0000000000000002'), DataLossError);
      assert.throws(() => parseVersion('FFFFFFFFFFFFFFFF/0000000000000000'), DataLossError);
    });
  });
});

describe('etcd key layout invariants', () => {
  it('orders version strings as it orders generations', () => {
    const arbGen = fc
      .tuple(fc.bigInt({ min: 0n, max: (5n << 48n) - 1n }), fc.bigInt({ min: 0n, max: (1n << 63n) - 1n }))
      .map(([i, n]) => Generation.create(i, n));
    fc.assert(
      fc.property(arbGen, arbGen, (a, b) => {
        const sa = formatVersion(a);
        const sb = formatVersion(b);
        assert.equal(Math.sign(a.compare(b)), sa < sb ? -1 : sa > sb ? 1 : 0);
        assert.ok(parseVersion(sa).equals(a));
      }),
      { seed: 42, numRuns: 300 },
    );
  });

  it('decodes what it encodes, and encoded components contain no slash', () => {
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom('a', '/', ':', '%', '2', 'F', 'A') }), (s) => {
        const e = encodeKeyComponent(s);
        assert.ok(!e.includes('/') && !e.includes(':'));
        assert.equal(decodeKeyComponent(e), s);
      }),
      { seed: 42, numRuns: 300 },
    );
  });
});
