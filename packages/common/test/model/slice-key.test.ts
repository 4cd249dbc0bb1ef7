import assert from 'node:assert/strict';
import { describe, it } from 'mocha';
import fc from 'fast-check';
import { fingerprint64 } from '../../src/model/fingerprint64.js';
import { SliceKey, compareBytes } from '../../src/model/slice-key.js';
import { FC_PARAMS, arbSliceKey } from './arbitraries.js';
import { referenceFingerprint64 } from './fingerprint64-reference.js';

describe('SliceKey invariants', () => {
  it('orders keys unsigned-lexicographically with a proper prefix first', () => {
    fc.assert(
      fc.property(arbSliceKey, arbSliceKey, (a, b) => {
        const expected = Buffer.compare(Buffer.from(a.bytes), Buffer.from(b.bytes));
        assert.equal(Math.sign(a.compare(b)) || 0, expected);
        assert.equal(Math.sign(b.compare(a)) || 0, -expected || 0);
        assert.equal(a.equals(b), expected === 0);
      }),
      FC_PARAMS,
    );
  });

  it('places the successor just above the key', () => {
    fc.assert(
      fc.property(arbSliceKey, arbSliceKey, (a, b) => {
        const s = a.successor();
        assert.ok(a.compare(s) < 0);
        // Nothing lies strictly between a key and its successor.
        assert.ok(!(a.compare(b) < 0 && b.compare(s) < 0));
      }),
      FC_PARAMS,
    );
  });
});

describe('fingerprint64', () => {
  it('equals the 64-bit reference for every length class (0–300 bytes)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        assert.equal(fingerprint64(bytes), referenceFingerprint64(bytes));
      }),
      { seed: 42, numRuns: 600 },
    );
  });

  it('hashes a string as its UTF-8 bytes, including non-ASCII and long strings', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 120 }), (s) => {
        assert.equal(fingerprint64(s), referenceFingerprint64(new TextEncoder().encode(s)));
      }),
      FC_PARAMS,
    );
    const long = 'x'.repeat(1000);
    assert.equal(fingerprint64(long), referenceFingerprint64(new TextEncoder().encode(long)));
  });
});

describe('SliceKey.fromApplicationKey', () => {
  it('writes the fingerprint as 8 little-endian bytes', () => {
    const key = SliceKey.fromApplicationKey('Hello');
    assert.equal(key.toString(), '0x87206b321e7cc8d5');
    assert.equal(compareBytes(key.bytes, SliceKey.fromFingerprint(0xd5c87c1e326b2087n).bytes), 0);
  });
});
