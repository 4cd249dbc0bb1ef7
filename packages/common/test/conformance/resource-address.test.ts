/** Conformance: `resource_address_test_data.json` (Dicer `ResourceAddressSuite`). */
import assert from 'node:assert/strict';
import { describe } from 'mocha';
import { loadVector } from '@dicer-ts/test-harness';
import { ResourceAddress } from '../../src/model/resource-address.js';
import { VectorTally, throwsContaining } from './vector-tally.js';

interface ResourceAddressTestData {
  unsupported_uri_cases?: Array<{ uri?: string; expected_error_message: string }>;
  ordered_uris?: string[];
  equality_groups?: Array<{ uris?: string[] }>;
}

const FILE = 'resource_address_test_data.json';
const data = loadVector<ResourceAddressTestData>(FILE);

describe(`vectors: ${FILE}`, () => {
  const tally = new VectorTally(FILE, [
    { name: 'equality_groups hashCode spread', reason: 'JVM hashCode check, Scala-only (README §5)' },
  ]);
  for (const c of data.unsupported_uri_cases ?? []) {
    tally.case(`rejects ${JSON.stringify(c.uri ?? '')}`, () => {
      throwsContaining(() => ResourceAddress.create(c.uri ?? ''), c.expected_error_message);
    });
  }
  tally.case('orders ordered_uris strictly', () => {
    const uris = (data.ordered_uris ?? []).map((u) => ResourceAddress.create(u));
    assert.ok(uris.length >= 3);
    for (let i = 0; i < uris.length; i++) {
      for (let j = 0; j < uris.length; j++) {
        const c = uris[i]!.compare(uris[j]!);
        assert.equal(Math.sign(c), Math.sign(i - j), `${uris[i]} vs ${uris[j]}`);
        assert.equal(uris[i]!.equals(uris[j]!), i === j);
      }
    }
  });
  tally.case('equality_groups: equal within a group, unequal across groups', () => {
    const groups = (data.equality_groups ?? []).map((g) => (g.uris ?? []).map((u) => ResourceAddress.create(u)));
    assert.ok(groups.length >= 2);
    groups.forEach((g, gi) =>
      groups.forEach((h, hi) => {
        for (const a of g) {
          for (const b of h) {
            assert.equal(a.equals(b), gi === hi, `${a} vs ${b}`);
            assert.equal(a.compare(b) === 0, gi === hi, `${a} compare ${b}`);
          }
        }
      }),
    );
  });
});
