import assert from 'node:assert/strict';
import { describe, it } from 'mocha';
import fc from 'fast-check';
import { JavaUri } from '../../src/model/java-uri.js';

describe('JavaUri', () => {
  it('splits a server-based URI into its components', () => {
    const u = JavaUri.parse('https://user@10.1.2.3:8080/a/b?x=1#frag');
    assert.equal(u.scheme, 'https');
    assert.equal(u.userInfo, 'user');
    assert.equal(u.host, '10.1.2.3');
    assert.equal(u.port, 8080);
    assert.equal(u.path, '/a/b');
    assert.equal(u.query, 'x=1');
    assert.equal(u.fragment, 'frag');
    assert.equal(u.isOpaque(), false);
    assert.equal(u.toString(), 'https://user@10.1.2.3:8080/a/b?x=1#frag');
  });

  it('parses a relative reference as a path', () => {
    const u = JavaUri.parse('Pod0');
    assert.equal(u.scheme, undefined);
    assert.equal(u.path, 'Pod0');
    assert.equal(u.authority, undefined);
  });

  it('parses an opaque URI', () => {
    const u = JavaUri.parse('kubernetes-cluster:test-env/cloud1/public/region8/clustertype2/01');
    assert.equal(u.isOpaque(), true);
    assert.equal(u.scheme, 'kubernetes-cluster');
    assert.equal(u.schemeSpecificPart, 'test-env/cloud1/public/region8/clustertype2/01');
  });

  it('falls back to a registry-based authority when host:port does not parse', () => {
    const u = JavaUri.parse('http://kubernetes-cluster:prod/cloud1');
    assert.equal(u.host, undefined);
    assert.equal(u.authority, 'kubernetes-cluster:prod');
    assert.equal(u.path, '/cloud1');
  });

  it('gives Java URISyntaxException texts', () => {
    assert.throws(() => JavaUri.parse('malformed URI violating RFC 2396'), {
      message: 'Illegal character in path at index 9: malformed URI violating RFC 2396',
    });
    assert.throws(() => JavaUri.parse('!@#malformed_uri$%^'), {
      message: 'Malformed escape pair at index 17: !@#malformed_uri$%^',
    });
    assert.throws(() => JavaUri.parse(':x'), { message: 'Expected scheme name at index 0: :x' });
    assert.throws(() => JavaUri.parse('http://'), { message: 'Expected authority at index 7: http://' });
    assert.throws(() => JavaUri.parse('1http://a'), { message: 'Illegal character in scheme name at index 0: 1http://a' });
  });

  it('orders ports numerically with no port first, and paths case-sensitively', () => {
    const order = ['http://foo.bar/PATH2', 'http://foo.bar/path1', 'http://foo.bar:80', 'http://foo.bar:90', 'http://foo.bar:8080'];
    const uris = order.map((s) => JavaUri.parse(s));
    for (let i = 0; i + 1 < uris.length; i++) assert.ok(uris[i]!.compare(uris[i + 1]!) < 0, order[i]);
  });

  it('compares scheme and host ignoring case, and escapes ignoring hex case', () => {
    assert.ok(JavaUri.parse('HTTP://FOO.bar/p').equals(JavaUri.parse('http://foo.BAR/p')));
    assert.ok(!JavaUri.parse('http://foo.bar/P').equals(JavaUri.parse('http://foo.bar/p')));
    assert.ok(JavaUri.parse('a%2fb').equals(JavaUri.parse('a%2Fb')));
    assert.equal(JavaUri.parse('HTTP://FOO.bar').compare(JavaUri.parse('http://foo.BAR')), 0);
  });

  it('keeps compare antisymmetric and consistent with equals (property)', () => {
    const part = fc.constantFrom('a', 'B', 'http://foo.bar', 'HTTP://Foo.Bar', 'http://foo.bar:80', 'ssh://x/y?q', 'mailto:x', 'x/y');
    fc.assert(
      fc.property(part, part, (s, t) => {
        const a = JavaUri.parse(s);
        const b = JavaUri.parse(t);
        assert.equal(Math.sign(a.compare(b)) + Math.sign(b.compare(a)), 0);
        assert.equal(a.compare(b) === 0, a.equals(b));
      }),
      { seed: 42, numRuns: 200 },
    );
  });
});
