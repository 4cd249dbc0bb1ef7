/** Conformance: `generation_test_data.json` (Dicer `GenerationSuite`). */
import assert from 'node:assert/strict';
import { describe } from 'mocha';
import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import { GenerationPSchema } from '../../src/gen/dicer/common/proto/common_pb.js';
import {
  Generation,
  isLooseIncarnation,
  isNonLooseIncarnation,
  nextLooseIncarnation,
  nextNonLooseIncarnation,
} from '../../src/model/generation.js';
import { VectorTally, i64, type GenerationJson } from './vector-cases.js';

interface GenerationData {
  readonly invalid_generation_test_cases: readonly { description: string; generation: GenerationJson; expected_error: string }[];
  readonly canonical_generation_test_cases: readonly {
    description: string;
    generation: GenerationJson;
    expected_canonical_generation: GenerationJson;
  }[];
  readonly loose_incarnation_numbers: readonly string[];
  readonly strict_incarnation_numbers: readonly string[];
  readonly ordered_generations: readonly GenerationJson[];
  readonly expected_next_loose_incarnations: Record<string, string>;
  readonly expected_next_strict_incarnations: Record<string, string>;
  readonly to_string_test_cases: readonly { generation: GenerationJson; expected_string: string }[];
}

/** A GenerationP that sets exactly the fields present in the JSON (presence matters here). */
function protoOf(json: GenerationJson) {
  const p = create(GenerationPSchema);
  if (json.incarnation !== undefined) p.incarnation = i64(json.incarnation);
  if (json.number !== undefined) p.number = i64(json.number);
  return p;
}

describe('conformance: generation_test_data.json', () => {
  const tally = new VectorTally('generation_test_data.json');
  const data = tally.load<GenerationData>();

  for (const c of data.invalid_generation_test_cases) {
    tally.case(`rejects ${c.description}`, () => {
      assert.throws(() => Generation.fromProto(protoOf(c.generation)), (e: Error) => e.message.includes(c.expected_error));
    });
  }

  for (const c of data.canonical_generation_test_cases) {
    tally.case(`canonical re-encoding: ${c.description}`, () => {
      const got = Generation.fromProto(protoOf(c.generation)).toProto();
      const expected = protoOf(c.expected_canonical_generation);
      // Both fields are written even when 0: the bytes equal those of the explicit canonical proto.
      assert.deepEqual(toBinary(GenerationPSchema, got), toBinary(GenerationPSchema, expected));
    });
  }

  for (const v of data.loose_incarnation_numbers) {
    tally.case(`incarnation ${v} is loose`, () => {
      assert.equal(isLooseIncarnation(i64(v)), true);
      assert.equal(isNonLooseIncarnation(i64(v)), false);
    });
  }
  for (const v of data.strict_incarnation_numbers) {
    tally.case(`incarnation ${v} is non-loose`, () => {
      assert.equal(isNonLooseIncarnation(i64(v)), true);
      assert.equal(isLooseIncarnation(i64(v)), false);
    });
  }

  const ordered = data.ordered_generations.map((g) => Generation.fromProto(protoOf(g)));
  ordered.forEach((g, i) => {
    tally.case(`ordered generation ${i} (${g}) compares correctly with every other and round-trips`, () => {
      ordered.forEach((h, j) => {
        const expected = i < j ? -1 : i > j ? 1 : 0;
        const got = g.compare(h);
        assert.equal(got < 0 ? -1 : got > 0 ? 1 : 0, expected, `${g} vs ${h}`);
        assert.equal(g.equals(h), i === j);
      });
      const bytes = toBinary(GenerationPSchema, g.toProto());
      assert.ok(Generation.fromProto(fromBinary(GenerationPSchema, bytes)).equals(g));
    });
  });

  for (const [from, to] of Object.entries(data.expected_next_loose_incarnations)) {
    tally.case(`next loose incarnation after ${from} is ${to}`, () => assert.equal(nextLooseIncarnation(i64(from)), i64(to)));
  }
  for (const [from, to] of Object.entries(data.expected_next_strict_incarnations)) {
    tally.case(`next non-loose incarnation after ${from} is ${to}`, () =>
      assert.equal(nextNonLooseIncarnation(i64(from)), i64(to)),
    );
  }

  for (const c of data.to_string_test_cases) {
    tally.case(`toString ${c.expected_string}`, () => {
      assert.equal(Generation.fromProto(protoOf(c.generation)).toString(), c.expected_string);
    });
  }
});
