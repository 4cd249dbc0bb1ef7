/** Conformance: `slice_key_test_data.json` (Dicer `SliceKeySuite`, `SliceSuite`) and `farmhash_slice_keys.json`. */
import assert from 'node:assert/strict';
import { describe } from 'mocha';
import { SliceKey } from '../../src/model/slice-key.js';
import { Slice } from '../../src/model/slice.js';
import { VectorTally, bytes } from './vector-cases.js';

interface KeyJson {
  readonly application_key?: readonly number[];
  readonly slice_key_function?: 'IDENTITY' | 'FARM_HASH_FINGERPRINT_64';
}
interface SliceKeyData {
  readonly ordered_high_slice_keys: readonly { slice_key?: KeyJson; infinity_slice_key?: object }[];
  readonly to_string_test_cases: readonly { slice_key: KeyJson; is_successor?: boolean; expected_string: string }[];
}
interface FarmhashData {
  readonly cases: readonly {
    application_key_utf8: string;
    fingerprint64_unsigned: string;
    slice_key_bytes_base64: string;
    slice_key_to_string: string;
  }[];
}

/** A high bound: a key, or `undefined` for the infinity key. */
type HighKey = SliceKey | undefined;

function compareHighKeys(a: HighKey, b: HighKey): number {
  if (a === undefined) return b === undefined ? 0 : 1;
  return b === undefined ? -1 : a.compare(b);
}

/** -1, 0 or 1 (never -0, which `assert.equal` tells apart from 0). */
function sign(n: number): number {
  return n < 0 ? -1 : n > 0 ? 1 : 0;
}

function appBytes(k: KeyJson): Uint8Array {
  return Uint8Array.from((k.application_key ?? []).map((v) => ((v % 256) + 256) % 256));
}

describe('conformance: slice_key_test_data.json', () => {
  const tally = new VectorTally('slice_key_test_data.json');
  const data = tally.load<SliceKeyData>();
  // The ordering cases build every key with the identity function, whatever the vector names (README §3).
  const keys: HighKey[] = data.ordered_high_slice_keys.map((e) =>
    e.infinity_slice_key !== undefined ? undefined : SliceKey.fromBytes(appBytes(e.slice_key ?? {})),
  );

  keys.forEach((k, i) => {
    tally.case(`ordered key ${i} (${k ?? '∞'}) sorts strictly between its neighbours and equals its copy`, () => {
      for (let j = 0; j < keys.length; j++) {
        const expected = sign(i - j);
        assert.equal(sign(compareHighKeys(k, keys[j])), expected, `key ${i} vs key ${j}`);
        assert.equal(sign(compareHighKeys(keys[j], k)), sign(j - i), `key ${j} vs key ${i}`);
      }
      if (k !== undefined) {
        const copy = SliceKey.fromBytes(Uint8Array.from(k.bytes));
        assert.ok(k.equals(copy));
        assert.equal(k.compare(copy), 0);
      }
    });
  });

  tally.case('slices over every ordered pair are strictly increasing and intersect as ranges (SliceSuite)', () => {
    const finite = keys.filter((k): k is SliceKey => k !== undefined);
    const slices: Slice[] = [];
    for (let i = 0; i < keys.length; i++) {
      for (let j = i + 1; j < keys.length; j++) slices.push(Slice.create(keys[i] as SliceKey, keys[j]));
    }
    for (let i = 1; i < slices.length; i++) {
      assert.ok((slices[i - 1] as Slice).compare(slices[i] as Slice) < 0, `${slices[i - 1]} < ${slices[i]}`);
    }
    for (const a of slices) {
      for (const b of slices) {
        const got = a.intersection(b);
        // Range intersection decided point-wise over the finite keys plus the bounds themselves.
        const low = a.lowInclusive.compare(b.lowInclusive) >= 0 ? a.lowInclusive : b.lowInclusive;
        const high = compareHighKeys(a.highExclusive, b.highExclusive) <= 0 ? a.highExclusive : b.highExclusive;
        const nonEmpty = compareHighKeys(low, high) < 0;
        assert.equal(got !== undefined, nonEmpty, `${a} ∩ ${b}`);
        if (got !== undefined) {
          assert.ok(got.lowInclusive.equals(low));
          assert.equal(compareHighKeys(got.highExclusive, high), 0);
          for (const k of finite) assert.equal(got.contains(k), a.contains(k) && b.contains(k));
        }
      }
    }
  });

  data.to_string_test_cases.forEach((c, i) => {
    tally.case(`to_string case ${i}: ${c.expected_string}`, () => {
      const raw = appBytes(c.slice_key);
      let key = c.slice_key.slice_key_function === 'FARM_HASH_FINGERPRINT_64' ? SliceKey.fromApplicationKey(raw) : SliceKey.fromBytes(raw);
      if (c.is_successor === true) key = key.successor();
      assert.equal(key.toString(), c.expected_string);
    });
  });

  tally.notRun('JVM hashCode / toDetailedDebugString checks', 'Scala-only (print JVM class names), not in the JSON');
});

describe('conformance: farmhash_slice_keys.json', () => {
  const tally = new VectorTally('farmhash_slice_keys.json');
  const data = tally.load<FarmhashData>();
  data.cases.forEach((c) => {
    tally.case(`FarmHash key of ${JSON.stringify(c.application_key_utf8.slice(0, 20))} (${c.application_key_utf8.length} chars)`, () => {
      const key = SliceKey.fromApplicationKey(c.application_key_utf8);
      assert.deepEqual(key.bytes, bytes(c.slice_key_bytes_base64));
      assert.equal(key.toString(), c.slice_key_to_string);
      assert.ok(key.equals(SliceKey.fromFingerprint(BigInt(c.fingerprint64_unsigned))));
    });
  });
});
