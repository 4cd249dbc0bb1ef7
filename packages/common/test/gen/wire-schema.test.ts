/**
 * Checks the generated descriptors against `../shared/spec/wire-schema.md`, the field table read
 * mechanically from Dicer's `.proto` files: every message, field (number, name, label/presence,
 * type, oneof), reserved number, enum value and service method must match, in both directions.
 * Also checks the two properties wire compatibility depends on: int64 is bigint, and proto2
 * presence survives encode/decode.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'mocha';
import { createRegistry, ScalarType } from '@bufbuild/protobuf';
import type { DescField, DescOneof } from '@bufbuild/protobuf';
import { Edition, FeatureSet_FieldPresence } from '@bufbuild/protobuf/wkt';
import { vectorsDir } from '@dicer-ts/test-harness';
import { proto } from '@dicer-ts/common';

/** One row of a message table. */
interface FieldRow {
  readonly number: number;
  readonly name: string;
  readonly label: 'optional' | 'repeated' | 'oneof member';
  readonly type: string;
  readonly oneof: string;
}

/** Everything the spec file states. */
interface WireSchema {
  readonly messages: Map<string, { fields: FieldRow[]; reserved: number[] }>;
  readonly enums: Map<string, Array<{ name: string; number: number }>>;
  readonly services: Map<string, Array<{ path: string; input: string; output: string }>>;
}

function specPath(): string {
  const path = join(vectorsDir(), '..', 'spec', 'wire-schema.md');
  if (!existsSync(path)) throw new Error(`wire schema spec missing: ${path}`);
  return path;
}

/** Parses the markdown tables of wire-schema.md (fails loudly on any line it does not expect). */
function parseWireSchema(text: string): WireSchema {
  const messages: WireSchema['messages'] = new Map();
  const enums: WireSchema['enums'] = new Map();
  const services: WireSchema['services'] = new Map();
  let current: { kind: 'message' | 'enum' | 'service'; name: string } | undefined;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    const heading = /^### (?:(enum|service) )?`([\w.]+)`$/.exec(line);
    if (heading !== null) {
      const kind = (heading[1] ?? 'message') as 'message' | 'enum' | 'service';
      const name = heading[2]!;
      current = { kind, name };
      if (kind === 'message') messages.set(name, { fields: [], reserved: [] });
      if (kind === 'enum') enums.set(name, []);
      if (kind === 'service') services.set(name, []);
      continue;
    }
    if (current === undefined || line === '') continue;
    if (current.kind === 'message') {
      const msg = messages.get(current.name)!;
      const reserved = /^reserved: ([\d, ]+)$/.exec(line);
      if (reserved !== null) {
        msg.reserved = reserved[1]!.split(',').map((s) => Number(s.trim()));
        continue;
      }
      if (line.startsWith('| #') || line.startsWith('|---')) continue;
      const row = /^\| (\d+) \| (\w+) \| (optional|repeated|oneof member) \| ([\w.]+) \| (\w*) ?\|$/.exec(line);
      if (row === null) throw new Error(`unexpected line in message ${current.name}: ${line}`);
      msg.fields.push({
        number: Number(row[1]),
        name: row[2]!,
        label: row[3] as FieldRow['label'],
        type: row[4]!,
        oneof: row[5]!,
      });
    } else if (current.kind === 'enum') {
      for (const part of line.split(';')) {
        const value = /^\s*(\w+) = (\d+)\s*$/.exec(part);
        if (value === null) throw new Error(`unexpected enum value in ${current.name}: ${part}`);
        enums.get(current.name)!.push({ name: value[1]!, number: Number(value[2]) });
      }
    } else {
      const method = /^- `([\w./]+)`: (\w+) → (\w+) \(unary\)$/.exec(line);
      if (method === null) throw new Error(`unexpected line in service ${current.name}: ${line}`);
      services.get(current.name)!.push({ path: method[1]!, input: method[2]!, output: method[3]! });
    }
  }
  return { messages, enums, services };
}

const SCALAR_NAMES: ReadonlyMap<ScalarType, string> = new Map([
  [ScalarType.DOUBLE, 'double'],
  [ScalarType.FLOAT, 'float'],
  [ScalarType.INT64, 'int64'],
  [ScalarType.UINT64, 'uint64'],
  [ScalarType.INT32, 'int32'],
  [ScalarType.FIXED64, 'fixed64'],
  [ScalarType.FIXED32, 'fixed32'],
  [ScalarType.BOOL, 'bool'],
  [ScalarType.STRING, 'string'],
  [ScalarType.BYTES, 'bytes'],
  [ScalarType.UINT32, 'uint32'],
  [ScalarType.SFIXED32, 'sfixed32'],
  [ScalarType.SFIXED64, 'sfixed64'],
  [ScalarType.SINT32, 'sint32'],
  [ScalarType.SINT64, 'sint64'],
]);

/** The type column as wire-schema.md writes it: a scalar keyword or a fully qualified name. */
function typeName(field: DescField): string {
  switch (field.fieldKind) {
    case 'scalar':
      return SCALAR_NAMES.get(field.scalar)!;
    case 'enum':
      return field.enum.typeName;
    case 'message':
      return field.message.typeName;
    case 'list':
      if (field.listKind === 'scalar') return SCALAR_NAMES.get(field.scalar)!;
      if (field.listKind === 'enum') return field.enum.typeName;
      return field.message.typeName;
    case 'map':
      return 'map';
  }
}

function labelOf(field: DescField): FieldRow['label'] | 'other' {
  if (field.fieldKind === 'list') return 'repeated';
  if (field.oneof !== undefined) return 'oneof member';
  return field.presence === FeatureSet_FieldPresence.EXPLICIT ? 'optional' : 'other';
}

const registry = createRegistry(
  proto.file_dicer_friend_proto_friend,
  proto.file_dicer_common_proto_common,
  proto.file_dicer_assigner_proto_preferred_assigner,
  proto.file_caching_external_proto_config_scope_specification,
  proto.file_dicer_external_proto_target,
  proto.file_dicer_common_proto_advanced_target_config,
);

const schema = parseWireSchema(readFileSync(specPath(), 'utf8'));

describe('wire schema (generated descriptors vs wire-schema.md)', () => {
  it('parses a plausible number of tables from the spec', () => {
    // Guards the parser itself: a silently empty parse would make every check below vacuous.
    assert.ok(schema.messages.size >= 40, `only ${schema.messages.size} messages parsed`);
    assert.equal(schema.enums.size, 4);
    assert.equal(schema.services.size, 3);
  });

  for (const [name, spec] of schema.messages) {
    it(`matches ${name}`, () => {
      const desc = registry.getMessage(name);
      assert.ok(desc !== undefined, `message ${name} not generated`);
      assert.equal(desc.file.edition, Edition.EDITION_PROTO2, `${name} is not proto2`);
      const actual = desc.fields
        .map((f) => ({
          number: f.number,
          name: f.name,
          label: labelOf(f),
          type: typeName(f),
          oneof: f.oneof?.name ?? '',
        }))
        .sort((a, b) => a.number - b.number);
      const expected = [...spec.fields].sort((a, b) => a.number - b.number);
      assert.deepEqual(actual, expected);
      const reserved: number[] = [];
      for (const range of desc.proto.reservedRange) {
        for (let n = range.start; n < range.end; n++) reserved.push(n);
      }
      assert.deepEqual(reserved.sort((a, b) => a - b), [...spec.reserved].sort((a, b) => a - b));
      // The spec lists no explicit `[default = …]`, so none may exist (it would change absent reads).
      for (const f of desc.fields) {
        assert.equal(f.proto.defaultValue, '', `${name}.${f.name} has an explicit default`);
      }
      // Proto2 repeated scalars are written unpacked, as Dicer writes them.
      for (const f of desc.fields) {
        if (f.fieldKind === 'list' && f.listKind !== 'message') {
          assert.equal(f.packed, false, `${name}.${f.name} would be written packed`);
        }
      }
      // Oneofs are real (not synthetic proto3-optional) and named as in the spec.
      const oneofs = new Set(desc.oneofs.map((o: DescOneof) => o.name));
      assert.deepEqual(oneofs, new Set(spec.fields.map((f) => f.oneof).filter((o) => o !== '')));
    });
  }

  it('generates no message the spec does not list', () => {
    const generated: string[] = [];
    for (const type of registry) if (type.kind === 'message') generated.push(type.typeName);
    assert.deepEqual(generated.sort(), [...schema.messages.keys()].sort());
  });

  for (const [name, values] of schema.enums) {
    it(`matches enum ${name}`, () => {
      const desc = registry.getEnum(name);
      assert.ok(desc !== undefined, `enum ${name} not generated`);
      assert.deepEqual(
        desc.values.map((v) => ({ name: v.name, number: v.number })),
        values,
      );
    });
  }

  it('generates no enum the spec does not list', () => {
    const generated: string[] = [];
    for (const type of registry) if (type.kind === 'enum') generated.push(type.typeName);
    assert.deepEqual(generated.sort(), [...schema.enums.keys()].sort());
  });

  for (const [name, methods] of schema.services) {
    it(`matches service ${name}`, () => {
      const desc = registry.getService(name);
      assert.ok(desc !== undefined, `service ${name} not generated`);
      assert.deepEqual(
        desc.methods.map((m) => ({
          path: `/${desc.typeName}/${m.name}`,
          input: m.input.name,
          output: m.output.name,
          kind: m.methodKind,
        })),
        methods.map((m) => ({ ...m, kind: 'unary' })),
      );
    });
  }

  it('uses the packages and file names of Dicer', () => {
    const files = new Map<string, string>();
    for (const type of registry) {
      if (type.kind === 'message') files.set(type.typeName, `${type.file.name}.proto:${type.file.proto.package}`);
    }
    assert.equal(files.get('dicer.friend.SliceP'), 'dicer/friend/proto/friend.proto:dicer.friend');
    assert.equal(files.get('dicer.ClientRequestP'), 'dicer/common/proto/common.proto:dicer');
    assert.equal(files.get('dicer.HeartbeatRequestP'), 'dicer/assigner/proto/preferred_assigner.proto:dicer');
    assert.equal(files.get('dicer.TargetConfigP'), 'dicer/external/proto/target.proto:dicer');
    assert.equal(
      files.get('dicer.AdvancedTargetConfigP'),
      'dicer/common/proto/advanced_target_config.proto:dicer',
    );
    assert.equal(
      files.get('databricks.caching.ConfigScopeP'),
      'caching/external/proto/config_scope_specification.proto:databricks.caching',
    );
  });
});

describe('wire schema runtime behaviour', () => {
  it('represents int64 fields as bigint, across the full signed range', () => {
    const squid = proto.create(proto.SquidPSchema, {
      resourceAddress: 'https://10.1.2.3:8080',
      creationTimeMillis: 1_700_000_000_123n,
      resourceUuidHigh: -0x8000_0000_0000_0000n,
      resourceUuidLow: 0x7fff_ffff_ffff_ffffn,
    });
    const back = proto.fromBinary(proto.SquidPSchema, proto.toBinary(proto.SquidPSchema, squid));
    assert.equal(typeof back.creationTimeMillis, 'bigint');
    assert.equal(back.creationTimeMillis, 1_700_000_000_123n);
    assert.equal(back.resourceUuidHigh, -0x8000_0000_0000_0000n);
    assert.equal(back.resourceUuidLow, 0x7fff_ffff_ffff_ffffn);
  });

  it('keeps an explicitly set default value present through encode/decode', () => {
    const gen = proto.create(proto.GenerationPSchema, { incarnation: 0n, number: 0n });
    const bytes = proto.toBinary(proto.GenerationPSchema, gen);
    // Both fields are written (tag + zero varint each), as Scala writes them.
    assert.deepEqual([...bytes], [0x08, 0x00, 0x10, 0x00]);
    const back = proto.fromBinary(proto.GenerationPSchema, bytes);
    assert.equal(proto.isFieldSet(back, proto.GenerationPSchema.field.incarnation), true);
    assert.equal(proto.isFieldSet(back, proto.GenerationPSchema.field.number), true);

    const slice = proto.create(proto.SlicePSchema, { lowInclusive: new Uint8Array(), highExclusive: new Uint8Array() });
    const sliceBack = proto.fromBinary(proto.SlicePSchema, proto.toBinary(proto.SlicePSchema, slice));
    // Present-but-empty high_exclusive means the empty key, not +infinity (protocol.md §1.2).
    assert.equal(proto.isFieldSet(sliceBack, proto.SlicePSchema.field.highExclusive), true);
  });

  it('keeps an absent field absent through encode/decode', () => {
    const gen = proto.create(proto.GenerationPSchema, { number: 5n });
    const bytes = proto.toBinary(proto.GenerationPSchema, gen);
    assert.deepEqual([...bytes], [0x10, 0x05]);
    const back = proto.fromBinary(proto.GenerationPSchema, bytes);
    assert.equal(proto.isFieldSet(back, proto.GenerationPSchema.field.incarnation), false);
    assert.equal(back.incarnation, 0n);

    const slice = proto.fromBinary(
      proto.SlicePSchema,
      proto.toBinary(proto.SlicePSchema, proto.create(proto.SlicePSchema, { lowInclusive: new Uint8Array([1]) })),
    );
    assert.equal(proto.isFieldSet(slice, proto.SlicePSchema.field.highExclusive), false);
  });

  it('writes repeated int32 unpacked and reads both packed and unpacked', () => {
    const sa = proto.create(proto.DiffAssignmentP_SliceAssignmentPSchema, { resourceIndices: [1, 2] });
    const bytes = proto.toBinary(proto.DiffAssignmentP_SliceAssignmentPSchema, sa);
    assert.deepEqual([...bytes], [0x18, 0x01, 0x18, 0x02]);
    const packed = new Uint8Array([0x1a, 0x02, 0x01, 0x02]);
    assert.deepEqual(proto.fromBinary(proto.DiffAssignmentP_SliceAssignmentPSchema, packed).resourceIndices, [1, 2]);
  });

  it('keeps an empty message in a oneof present (ClerkDataP)', () => {
    const req = proto.create(proto.ClientRequestPSchema, {
      SubscriberDataP: { case: 'clerkFields', value: {} },
    });
    const bytes = proto.toBinary(proto.ClientRequestPSchema, req);
    assert.deepEqual([...bytes], [0x2a, 0x00]);
    assert.equal(proto.fromBinary(proto.ClientRequestPSchema, bytes).SubscriberDataP.case, 'clerkFields');
  });
});
