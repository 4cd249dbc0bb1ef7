import assert from 'node:assert/strict';
import { describe, it } from 'mocha';
import fc from 'fast-check';
import { proto } from '@dicer-ts/common';
import { ResourceAddress } from '../../src/model/resource-address.js';
import { Squid, createTestSquid } from '../../src/model/squid.js';
import { murmur3x64128 } from '../../src/model/murmur3-128.js';

const int64 = fc.bigInt({ min: -(1n << 63n), max: (1n << 63n) - 1n });
const address = fc.constantFrom('https://10.1.2.3:8080', 'Pod0', 'http://FOO.bar:90/x?q', 'ssh://h');

describe('Squid', () => {
  it('keeps the UUID halves and prints the canonical lower-case UUID', () => {
    const s = Squid.create(ResourceAddress.create('https://pod1'), 1n, 'D1EAF1F9-7B39-3651-BB77-1D10433DACFD');
    assert.equal(s.uuid, 'd1eaf1f9-7b39-3651-bb77-1d10433dacfd');
    assert.equal(s.uuidHigh, BigInt.asIntN(64, 0xd1eaf1f97b393651n));
    assert.equal(s.uuidLow, BigInt.asIntN(64, 0xbb771d10433dacfdn));
    assert.equal(s.toString(), '[https://pod1 1970-01-01T00:00:00.001Z d1eaf1f9-7b39-3651-bb77-1d10433dacfd]');
  });

  it('rejects a malformed UUID and an empty address', () => {
    assert.throws(() => Squid.create(ResourceAddress.create('a'), 0n, 'not-a-uuid'), { message: 'Invalid UUID string: not-a-uuid' });
    assert.throws(() => Squid.fromProto(proto.create(proto.SquidPSchema)), { message: /URI must not be empty/ });
  });

  it('round-trips model → proto → bytes → proto → model for any int64 fields (property)', () => {
    fc.assert(
      fc.property(address, int64, int64, int64, (addr, ms, hi, lo) => {
        const s = Squid.fromUuidHalves(ResourceAddress.create(addr), ms, hi, lo);
        const bytes = proto.toBinary(proto.SquidPSchema, s.toProto());
        const back = Squid.fromProto(proto.fromBinary(proto.SquidPSchema, bytes));
        assert.ok(back.equals(s));
        assert.equal(back.compare(s), 0);
        assert.equal(back.uuid, s.uuid);
        assert.ok(Squid.create(back.resourceAddress, back.creationTimeMs, back.uuid).equals(s));
      }),
      { seed: 42, numRuns: 300 },
    );
  });

  it('gives a salted test SQUID the same address and a different UUID', () => {
    const plain = createTestSquid('Pod0');
    const salted = createTestSquid('Pod0', 'salt');
    assert.ok(plain.resourceAddress.equals(salted.resourceAddress));
    assert.notEqual(plain.uuid, salted.uuid);
    assert.ok(!plain.equals(salted));
  });

  it('matches the published MurmurHash3_x64_128 values, h1 then h2 little-endian as Guava writes them', () => {
    const halves = (text: string) => {
      const out = Buffer.from(murmur3x64128(new TextEncoder().encode(text)));
      return [out.readBigUInt64LE(0), out.readBigUInt64LE(8)];
    };
    assert.deepEqual(halves(''), [0n, 0n]);
    assert.deepEqual(halves('hello'), [0xcbd8a7b341bd9b02n, 0x5b1e906a48ae1d19n]);
    // Guava's HashCode.toString (the bytes in order) of its documented test string.
    const fox = Buffer.from(murmur3x64128(new TextEncoder().encode('The quick brown fox jumps over the lazy dog')));
    assert.equal(fox.toString('hex'), '6c1b07bc7bbc4be347939ac4a93c437a');
  });
});
