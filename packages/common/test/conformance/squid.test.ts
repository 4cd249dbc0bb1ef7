/** Conformance: `squid_test_data.json` (Dicer `SquidSuite`) and `test_squids.json` (derived). */
import assert from 'node:assert/strict';
import { describe } from 'mocha';
import { create } from '@bufbuild/protobuf';
import { loadVector } from '@dicer-ts/test-harness';
import { proto } from '@dicer-ts/common';
import { Squid, createTestSquid } from '../../src/model/squid.js';
import { VectorTally, throwsContaining } from './vector-tally.js';

interface SquidJson {
  resource_address?: string;
  creation_time_millis?: string;
  resource_uuid_high?: string;
  resource_uuid_low?: string;
}

interface SquidTestData {
  invalid_squid_test_cases?: Array<{ squid: SquidJson; expected_error: string }>;
  ordered_squids?: SquidJson[];
  squid_equality_groups?: Array<{ squids?: SquidJson[] }>;
}

interface TestSquids {
  squids: Array<SquidJson & { name: string; salt: string; uuid: string }>;
}

/** Builds a `SquidP` keeping presence: only the fields the vector sets. */
function squidP(json: SquidJson): proto.SquidP {
  const p = create(proto.SquidPSchema);
  if (json.resource_address !== undefined) p.resourceAddress = json.resource_address;
  if (json.creation_time_millis !== undefined) p.creationTimeMillis = BigInt(json.creation_time_millis);
  if (json.resource_uuid_high !== undefined) p.resourceUuidHigh = BigInt(json.resource_uuid_high);
  if (json.resource_uuid_low !== undefined) p.resourceUuidLow = BigInt(json.resource_uuid_low);
  return p;
}

const FILE = 'squid_test_data.json';
const data = loadVector<SquidTestData>(FILE);

describe(`vectors: ${FILE}`, () => {
  const tally = new VectorTally(FILE, [
    { name: 'squid_equality_groups hashCode spread', reason: 'JVM hashCode check, Scala-only (README §5)' },
  ]);
  (data.invalid_squid_test_cases ?? []).forEach((c, i) => {
    tally.case(`invalid_squid_test_cases[${i}] fails with ${JSON.stringify(c.expected_error)}`, () => {
      const err = throwsContaining(() => Squid.fromProto(squidP(c.squid)), c.expected_error);
      // Java's URISyntaxException echoes the input; ours must too.
      if (c.squid.resource_address) assert.ok(err.message.includes(c.squid.resource_address));
    });
  });
  const ordered = data.ordered_squids ?? [];
  tally.case(`orders ordered_squids strictly (${ordered.length} SQUIDs, pairwise)`, () => {
    assert.equal(ordered.length, 18);
    const squids = ordered.map((s) => Squid.fromProto(squidP(s)));
    for (let i = 0; i < squids.length; i++) {
      for (let j = 0; j < squids.length; j++) {
        assert.equal(Math.sign(squids[i]!.compare(squids[j]!)), Math.sign(i - j), `${squids[i]} vs ${squids[j]}`);
        assert.equal(squids[i]!.equals(squids[j]!), i === j);
      }
    }
  });
  ordered.forEach((s, i) => {
    tally.case(`ordered_squids[${i}] round-trips through SquidP and bytes exactly`, () => {
      const squid = Squid.fromProto(squidP(s));
      const bytes = proto.toBinary(proto.SquidPSchema, squid.toProto());
      const back = Squid.fromProto(proto.fromBinary(proto.SquidPSchema, bytes));
      assert.ok(back.equals(squid));
      assert.equal(back.creationTimeMs, BigInt(s.creation_time_millis ?? '0'));
      assert.equal(back.uuidHigh, BigInt(s.resource_uuid_high ?? '0'));
      assert.equal(back.uuidLow, BigInt(s.resource_uuid_low ?? '0'));
      assert.ok(proto.equals(proto.SquidPSchema, back.toProto(), squid.toProto()));
    });
  });
  tally.case('squid_equality_groups: equal within a group, unequal across groups', () => {
    const groups = (data.squid_equality_groups ?? []).map((g) => (g.squids ?? []).map((s) => Squid.fromProto(squidP(s))));
    assert.equal(groups.length, 3);
    groups.forEach((g, gi) =>
      groups.forEach((h, hi) => {
        for (const a of g) for (const b of h) assert.equal(a.equals(b), gi === hi, `${a} vs ${b}`);
      }),
    );
  });
});

const SQUIDS_FILE = 'test_squids.json';
const testSquids = loadVector<TestSquids>(SQUIDS_FILE);

describe(`vectors: ${SQUIDS_FILE}`, () => {
  const tally = new VectorTally(SQUIDS_FILE);
  for (const s of testSquids.squids) {
    tally.case(`createTestSquid(${JSON.stringify(s.name)}, ${JSON.stringify(s.salt)})`, () => {
      const squid = createTestSquid(s.name, s.salt);
      assert.equal(squid.uuid, s.uuid);
      assert.equal(squid.resourceAddress.uri, s.resource_address);
      assert.equal(squid.creationTimeMs, BigInt(s.creation_time_millis!));
      assert.equal(squid.uuidHigh, BigInt(s.resource_uuid_high!));
      assert.equal(squid.uuidLow, BigInt(s.resource_uuid_low!));
    });
  }
  tally.case('createTestSquid("https://pod1") is the UUID printed in Dicer golden files', () => {
    assert.equal(createTestSquid('https://pod1').uuid, 'd1eaf1f9-7b39-3651-bb77-1d10433dacfd');
  });
});
