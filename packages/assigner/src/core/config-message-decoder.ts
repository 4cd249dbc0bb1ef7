/**
 * Strict, schema-driven decoding of configuration messages from protobuf text format (the tree of
 * `textproto.ts`) or from proto JSON, into protobuf-es messages of @dicer-ts/common's `proto`
 * namespace, with proto2 presence kept (an absent field stays unset, so `proto.isFieldSet` and
 * protobuf merge semantics work on the result).
 *
 * Both decoders reject unknown fields, a singular field given twice, values of the wrong type,
 * integers out of range and unknown enum values. Every error names the source, the position when
 * known (text format only; `JSON.parse` gives none) and the path of the field in proto names
 * (`default_config.primary_rate_metric_config.max_load_hint`). The decoder also records the
 * position of every field it read, so that semantic validation (`target-config.ts`) can point at
 * the offending line.
 */
import { InvalidArgumentError, InternalError, proto } from '@dicer-ts/common';
import type { TextprotoMessage, TextprotoPosition, TextprotoValue } from './textproto.js';

/** A protobuf-es message descriptor (what `proto.XxxPSchema` constants are). */
export type MessageDescriptor = Parameters<typeof proto.create>[0];
type FieldDescriptor = MessageDescriptor['fields'][number];
type EnumDescriptor = NonNullable<Extract<FieldDescriptor, { fieldKind: 'enum' }>['enum']>;

/** Numbers of protobuf-es `ScalarType` (not re-exported by common, and stable by definition). */
const SCALAR = {
  DOUBLE: 1,
  FLOAT: 2,
  INT64: 3,
  UINT64: 4,
  INT32: 5,
  FIXED64: 6,
  FIXED32: 7,
  BOOL: 8,
  STRING: 9,
  BYTES: 12,
  UINT32: 13,
  SFIXED32: 15,
  SFIXED64: 16,
  SINT32: 17,
  SINT64: 18,
} as const;

const INT_RANGES: ReadonlyMap<number, readonly [bigint, bigint, string]> = new Map([
  [SCALAR.INT32, [-(2n ** 31n), 2n ** 31n - 1n, 'a 32-bit integer']],
  [SCALAR.SINT32, [-(2n ** 31n), 2n ** 31n - 1n, 'a 32-bit integer']],
  [SCALAR.SFIXED32, [-(2n ** 31n), 2n ** 31n - 1n, 'a 32-bit integer']],
  [SCALAR.UINT32, [0n, 2n ** 32n - 1n, 'an unsigned 32-bit integer']],
  [SCALAR.FIXED32, [0n, 2n ** 32n - 1n, 'an unsigned 32-bit integer']],
  [SCALAR.INT64, [-(2n ** 63n), 2n ** 63n - 1n, 'a 64-bit integer']],
  [SCALAR.SINT64, [-(2n ** 63n), 2n ** 63n - 1n, 'a 64-bit integer']],
  [SCALAR.SFIXED64, [-(2n ** 63n), 2n ** 63n - 1n, 'a 64-bit integer']],
  [SCALAR.UINT64, [0n, 2n ** 64n - 1n, 'an unsigned 64-bit integer']],
  [SCALAR.FIXED64, [0n, 2n ** 64n - 1n, 'an unsigned 64-bit integer']],
]);

const IS_64_BIT = new Set<number>([SCALAR.INT64, SCALAR.SINT64, SCALAR.SFIXED64, SCALAR.UINT64, SCALAR.FIXED64]);

/** The result of decoding: the message and where each field path was written (text format only). */
export interface DecodedConfigMessage<M> {
  readonly message: M;
  /** Position of each decoded field by proto path (`overrides[0].override_config`); empty for JSON. */
  readonly positions: ReadonlyMap<string, TextprotoPosition>;
}

/** The source name and position map shared by one decode. */
class DecodeContext {
  readonly positions = new Map<string, TextprotoPosition>();
  constructor(readonly sourceName: string) {}

  fail(path: string, position: TextprotoPosition | undefined, rule: string): never {
    throw new InvalidArgumentError(formatConfigError(this.sourceName, path, position, rule));
  }
}

/**
 * Formats a configuration error: `<source>:<line>:<column>: <path> <rule>` (e.g.
 * `demo.textproto:4:5: default_config.primary_rate_metric_config.max_load_hint must be positive
 * and finite, got -1`), without the position when it is unknown and without the path at the top.
 */
export function formatConfigError(
  sourceName: string,
  path: string,
  position: TextprotoPosition | undefined,
  rule: string,
): string {
  const where = position === undefined ? sourceName : `${sourceName}:${position.line}:${position.column}`;
  return path === '' ? `${where}: ${rule}` : `${where}: ${path} ${rule}`;
}

function join(path: string, name: string): string {
  return path === '' ? name : `${path}.${name}`;
}

function setField(message: object, field: FieldDescriptor, value: unknown): void {
  (message as Record<string, unknown>)[field.localName] = value;
}

function listOf(message: object, field: FieldDescriptor): unknown[] {
  return (message as Record<string, unknown[]>)[field.localName]!;
}

/**
 * Decodes a parsed text-format message against a schema.
 *
 * @throws {InvalidArgumentError} naming the source, position, field path and rule broken.
 */
export function decodeTextprotoMessage<Desc extends MessageDescriptor>(
  schema: Desc,
  tree: TextprotoMessage,
  sourceName: string,
): DecodedConfigMessage<proto.MessageShape<Desc>> {
  const ctx = new DecodeContext(sourceName);
  const message = decodeTextMessage(schema, tree, '', ctx);
  return { message: message as proto.MessageShape<Desc>, positions: ctx.positions };
}

function decodeTextMessage(schema: MessageDescriptor, tree: TextprotoMessage, path: string, ctx: DecodeContext): object {
  const message = proto.create(schema);
  const seen = new Set<string>();
  for (const occurrence of tree.fields) {
    const field = schema.fields.find((f) => f.name === occurrence.name);
    if (field === undefined) {
      ctx.fail(join(path, occurrence.name), occurrence.position, `is not a field of ${schema.typeName}`);
    }
    const isList = field.fieldKind === 'list';
    const elementPath = isList
      ? `${join(path, field.name)}[${listOf(message, field).length}]`
      : join(path, field.name);
    if (!isList) {
      if (seen.has(field.name)) {
        ctx.fail(join(path, field.name), occurrence.position, 'is specified more than once (it is not repeated)');
      }
      if (occurrence.fromList) ctx.fail(join(path, field.name), occurrence.position, 'cannot take a list (it is not repeated)');
      seen.add(field.name);
    }
    ctx.positions.set(elementPath, occurrence.position);
    const value = decodeTextValue(field, occurrence.value, elementPath, ctx);
    if (isList) listOf(message, field).push(value);
    else setField(message, field, value);
  }
  return message;
}

function decodeTextValue(field: FieldDescriptor, value: TextprotoValue, path: string, ctx: DecodeContext): unknown {
  const kind = field.fieldKind === 'list' ? field.listKind : field.fieldKind;
  if (kind === 'map') ctx.fail(path, value.position, 'map fields are not supported');
  if (kind === 'message') {
    const schema = (field as { message: MessageDescriptor }).message;
    if (value.kind !== 'message') ctx.fail(path, value.position, `must be a message ${schema.typeName} ({ … }), got ${describeText(value)}`);
    return decodeTextMessage(schema, value.message, path, ctx);
  }
  if (value.kind === 'message') ctx.fail(path, value.position, 'must be a scalar value, got a message');
  if (kind === 'enum') return decodeTextEnum((field as { enum: EnumDescriptor }).enum, value, path, ctx);
  const scalar = (field as { scalar: number }).scalar;
  switch (scalar) {
    case SCALAR.DOUBLE:
    case SCALAR.FLOAT:
      return decodeTextFloat(value, path, ctx);
    case SCALAR.BOOL:
      return decodeTextBool(value, path, ctx);
    case SCALAR.STRING:
      if (value.kind !== 'string') ctx.fail(path, value.position, `must be a quoted string, got ${describeText(value)}`);
      try {
        return new TextDecoder('utf-8', { fatal: true }).decode(value.bytes);
      } catch {
        return ctx.fail(path, value.position, 'must be valid UTF-8');
      }
    case SCALAR.BYTES:
      if (value.kind !== 'string') ctx.fail(path, value.position, `must be a quoted string, got ${describeText(value)}`);
      return value.bytes;
    default: {
      const range = INT_RANGES.get(scalar);
      if (range === undefined) throw new InternalError(`unsupported scalar type ${scalar} at ${path}`);
      const parsed = value.kind === 'number' && value.form !== 'float' ? textInteger(value.text, value.form) : undefined;
      if (parsed === undefined) ctx.fail(path, value.position, `must be ${range[2]}, got ${describeText(value)}`);
      const signed = value.kind === 'number' && value.negative ? -parsed : parsed;
      if (signed < range[0] || signed > range[1]) {
        ctx.fail(path, value.position, `must be ${range[2]}, got ${describeText(value)} (out of range)`);
      }
      return IS_64_BIT.has(scalar) ? signed : Number(signed);
    }
  }
}

function textInteger(text: string, form: 'decimal' | 'hex' | 'octal'): bigint {
  if (form === 'octal') return BigInt(`0o${text.slice(1)}`);
  return BigInt(text);
}

function decodeTextFloat(value: Exclude<TextprotoValue, { kind: 'message' }>, path: string, ctx: DecodeContext): number {
  if (value.kind === 'number') {
    let magnitude: number;
    if (value.form === 'float') magnitude = Number(value.text.replace(/[fF]$/, ''));
    else magnitude = Number(textInteger(value.text, value.form));
    return value.negative ? -magnitude : magnitude;
  }
  if (value.kind === 'identifier') {
    const lower = value.text.toLowerCase();
    if (lower === 'inf' || lower === 'infinity') return value.negative ? -Infinity : Infinity;
    if (lower === 'nan') return NaN;
  }
  return ctx.fail(path, value.position, `must be a number, got ${describeText(value)}`);
}

function decodeTextBool(value: Exclude<TextprotoValue, { kind: 'message' }>, path: string, ctx: DecodeContext): boolean {
  if (value.kind === 'identifier' && !value.negative) {
    if (value.text === 'true' || value.text === 'True' || value.text === 't') return true;
    if (value.text === 'false' || value.text === 'False' || value.text === 'f') return false;
  }
  if (value.kind === 'number' && !value.negative && value.form === 'decimal' && (value.text === '0' || value.text === '1')) {
    return value.text === '1';
  }
  return ctx.fail(path, value.position, `must be true or false, got ${describeText(value)}`);
}

function decodeTextEnum(
  enumDesc: EnumDescriptor,
  value: Exclude<TextprotoValue, { kind: 'message' }>,
  path: string,
  ctx: DecodeContext,
): number {
  if (value.kind === 'identifier' && !value.negative) {
    const found = enumDesc.values.find((v) => v.name === value.text);
    if (found !== undefined) return found.number;
  }
  if (value.kind === 'number' && value.form !== 'float') {
    const n = Number(textInteger(value.text, value.form)) * (value.negative ? -1 : 1);
    const found = enumDesc.values.find((v) => v.number === n);
    if (found !== undefined) return found.number;
  }
  return ctx.fail(path, value.position, `must be ${enumNames(enumDesc)}, got ${describeText(value)}`);
}

function enumNames(enumDesc: EnumDescriptor): string {
  return `one of ${enumDesc.values.map((v) => v.name).join(', ')}`;
}

function describeText(value: TextprotoValue): string {
  switch (value.kind) {
    case 'identifier':
    case 'number':
      return `${value.negative ? '-' : ''}${value.text}`;
    case 'string':
      return JSON.stringify(new TextDecoder().decode(value.bytes));
    case 'message':
      return 'a message';
  }
}

/**
 * Decodes a proto JSON value (already `JSON.parse`d) against a schema. Field names may be the
 * JSON names (`maxLoadHint`) or the proto names (`max_load_hint`), as protobuf's JSON parsers
 * accept; enums may be names or numbers; 64-bit integers and floats may be strings; `null` means
 * absent.
 *
 * @throws {InvalidArgumentError} naming the source, field path and rule broken.
 */
export function decodeJsonMessage<Desc extends MessageDescriptor>(
  schema: Desc,
  json: unknown,
  sourceName: string,
): DecodedConfigMessage<proto.MessageShape<Desc>> {
  const ctx = new DecodeContext(sourceName);
  const message = decodeJsonObject(schema, json, '', ctx);
  return { message: message as proto.MessageShape<Desc>, positions: ctx.positions };
}

function decodeJsonObject(schema: MessageDescriptor, json: unknown, path: string, ctx: DecodeContext): object {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    ctx.fail(path, undefined, `must be a JSON object (${schema.typeName}), got ${describeJson(json)}`);
  }
  const message = proto.create(schema);
  const seen = new Map<string, string>();
  for (const [key, value] of Object.entries(json)) {
    const field = schema.fields.find((f) => f.jsonName === key || f.name === key);
    if (field === undefined) ctx.fail(join(path, key), undefined, `is not a field of ${schema.typeName}`);
    const earlier = seen.get(field.name);
    if (earlier !== undefined) {
      ctx.fail(join(path, field.name), undefined, `is given twice (as "${earlier}" and "${key}")`);
    }
    seen.set(field.name, key);
    if (value === null) continue;
    const fieldPath = join(path, field.name);
    if (field.fieldKind === 'list') {
      if (!Array.isArray(value)) ctx.fail(fieldPath, undefined, `must be a JSON array, got ${describeJson(value)}`);
      const list = listOf(message, field);
      value.forEach((element: unknown, i) => list.push(decodeJsonValue(field, element, `${fieldPath}[${i}]`, ctx)));
    } else {
      setField(message, field, decodeJsonValue(field, value, fieldPath, ctx));
    }
  }
  return message;
}

function decodeJsonValue(field: FieldDescriptor, value: unknown, path: string, ctx: DecodeContext): unknown {
  const kind = field.fieldKind === 'list' ? field.listKind : field.fieldKind;
  if (kind === 'map') ctx.fail(path, undefined, 'map fields are not supported');
  if (kind === 'message') return decodeJsonObject((field as { message: MessageDescriptor }).message, value, path, ctx);
  if (kind === 'enum') {
    const enumDesc = (field as { enum: EnumDescriptor }).enum;
    const found =
      typeof value === 'string'
        ? enumDesc.values.find((v) => v.name === value)
        : typeof value === 'number'
          ? enumDesc.values.find((v) => v.number === value)
          : undefined;
    if (found === undefined) {
      ctx.fail(path, undefined, `must be ${enumNames(enumDesc)}, got ${describeJson(value)}`);
    }
    return found.number;
  }
  const scalar = (field as { scalar: number }).scalar;
  switch (scalar) {
    case SCALAR.DOUBLE:
    case SCALAR.FLOAT: {
      if (typeof value === 'number') return value;
      if (typeof value === 'string') {
        if (value === 'NaN') return NaN;
        if (value === 'Infinity') return Infinity;
        if (value === '-Infinity') return -Infinity;
        if (value.trim() !== '' && value.trim() === value && Number.isFinite(Number(value))) return Number(value);
      }
      return ctx.fail(path, undefined, `must be a number, got ${describeJson(value)}`);
    }
    case SCALAR.BOOL:
      if (typeof value !== 'boolean') ctx.fail(path, undefined, `must be true or false, got ${describeJson(value)}`);
      return value;
    case SCALAR.STRING:
      if (typeof value !== 'string') ctx.fail(path, undefined, `must be a string, got ${describeJson(value)}`);
      return value;
    case SCALAR.BYTES:
      if (typeof value !== 'string' || !/^[A-Za-z0-9+/_-]*={0,2}$/.test(value)) {
        ctx.fail(path, undefined, `must be base64 bytes, got ${describeJson(value)}`);
      }
      try {
        return Uint8Array.from(atob(value.replace(/-/g, '+').replace(/_/g, '/')), (c) => c.charCodeAt(0));
      } catch {
        return ctx.fail(path, undefined, `must be base64 bytes, got ${describeJson(value)}`);
      }
    default: {
      const range = INT_RANGES.get(scalar);
      if (range === undefined) throw new InternalError(`unsupported scalar type ${scalar} at ${path}`);
      let parsed: bigint | undefined;
      if (typeof value === 'number' && Number.isInteger(value)) parsed = BigInt(value);
      else if (typeof value === 'string' && /^-?[0-9]+$/.test(value)) parsed = BigInt(value);
      if (parsed === undefined) ctx.fail(path, undefined, `must be ${range[2]}, got ${describeJson(value)}`);
      if (parsed < range[0] || parsed > range[1]) {
        ctx.fail(path, undefined, `must be ${range[2]}, got ${describeJson(value)} (out of range)`);
      }
      return IS_64_BIT.has(scalar) ? parsed : Number(parsed);
    }
  }
}

function describeJson(value: unknown): string {
  if (Array.isArray(value)) return 'an array';
  if (value === null) return 'null';
  if (typeof value === 'object') return 'an object';
  return JSON.stringify(value) ?? String(value);
}
