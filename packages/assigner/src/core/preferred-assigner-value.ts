/**
 * The preferred-assigner record and its wire forms (Dicer's `PreferredAssignerValue`,
 * `preferred_assigner.proto`): `SomeAssigner(info, gen)` | `NoAssigner(gen)` | `ModeDisabled(gen)`.
 * In etcd the generation is the key's version and the value is a `PreferredAssignerSpecP`; on the
 * wire (heartbeats) it is a `PreferredAssignerValueP` carrying both. Pure.
 *
 * @see store-ha.md §3.1–3.2
 */
import { Generation, InvalidArgumentError, proto } from '@dicer-ts/common';

/** An Assigner's identity: its UUID (canonical lower-case text) and the URI peers reach it at. */
export interface AssignerInfo {
  /** e.g. `123e4567-e89b-12d3-a456-426614174000`; never all zeros. */
  readonly uuid: string;
  /** e.g. `https://10.0.0.7:24500`; peers use only host and port. */
  readonly uri: string;
}

/** What the record says. */
export type PreferredAssignerValue =
  | { readonly kind: 'some-assigner'; readonly info: AssignerInfo; readonly generation: Generation }
  | { readonly kind: 'no-assigner'; readonly generation: Generation }
  | { readonly kind: 'mode-disabled'; readonly generation: Generation };

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const INT64_MIN = -(1n << 63n);

/**
 * A validated {@link AssignerInfo}.
 *
 * @throws {InvalidArgumentError} when the UUID is malformed or all zeros, or the URI is empty or
 *   not parseable.
 */
export function createAssignerInfo(uuid: string, uri: string): AssignerInfo {
  const u = uuid.toLowerCase();
  if (!UUID.test(u)) throw new InvalidArgumentError(`assigner UUID is malformed: '${uuid}'`);
  if (/^[0-]+$/.test(u)) throw new InvalidArgumentError('assigner UUID must not be all zeros');
  if (uri === '' || !URL.canParse(uri)) throw new InvalidArgumentError(`assigner URI is not parseable: '${uri}'`);
  return { uuid: u, uri };
}

/** True when both name the same Assigner (UUID **and** URI, as Dicer compares). */
export function isSameAssigner(a: AssignerInfo, b: AssignerInfo): boolean {
  return a.uuid === b.uuid && a.uri === b.uri;
}

/** `uuid_high`/`uuid_low`: the UUID's most/least significant 64 bits as signed int64s. */
function uuidToHalves(uuid: string): { high: bigint; low: bigint } {
  const hex = uuid.replace(/-/g, '');
  return { high: BigInt.asIntN(64, BigInt(`0x${hex.slice(0, 16)}`)), low: BigInt.asIntN(64, BigInt(`0x${hex.slice(16)}`)) };
}

function halvesToUuid(high: bigint, low: bigint): string {
  if (high < INT64_MIN || low < INT64_MIN) throw new InvalidArgumentError('uuid halves out of int64 range');
  const hex = BigInt.asUintN(64, high).toString(16).padStart(16, '0') + BigInt.asUintN(64, low).toString(16).padStart(16, '0');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** The `PreferredAssignerSpecP` stored in etcd (no generation: that is the etcd version). */
export function toSpecProto(value: PreferredAssignerValue): proto.PreferredAssignerSpecP {
  switch (value.kind) {
    case 'some-assigner': {
      const { high, low } = uuidToHalves(value.info.uuid);
      return proto.create(proto.PreferredAssignerSpecPSchema, {
        value: { case: 'assignerInfo', value: { uuidHigh: high, uuidLow: low, uri: value.info.uri } },
      });
    }
    case 'no-assigner':
      return proto.create(proto.PreferredAssignerSpecPSchema, { value: { case: 'noPreferredAssigner', value: {} } });
    case 'mode-disabled':
      return proto.create(proto.PreferredAssignerSpecPSchema, {});
  }
}

/**
 * The value of a `PreferredAssignerSpecP` at `generation`; an empty oneof means "mode disabled".
 *
 * @throws {InvalidArgumentError} when the assigner info is invalid.
 */
export function fromSpecProto(spec: proto.PreferredAssignerSpecP, generation: Generation): PreferredAssignerValue {
  switch (spec.value.case) {
    case 'assignerInfo': {
      const p = spec.value.value;
      return { kind: 'some-assigner', info: createAssignerInfo(halvesToUuid(p.uuidHigh, p.uuidLow), p.uri), generation };
    }
    case 'noPreferredAssigner':
      return { kind: 'no-assigner', generation };
    default:
      return { kind: 'mode-disabled', generation };
  }
}

/** The heartbeat wire form `PreferredAssignerValueP`. */
export function toValueProto(value: PreferredAssignerValue): proto.PreferredAssignerValueP {
  return proto.create(proto.PreferredAssignerValuePSchema, {
    preferredAssigner: toSpecProto(value),
    generation: value.generation.toProto(),
  });
}

/**
 * Parses a heartbeat `PreferredAssignerValueP`.
 *
 * @throws {InvalidArgumentError} when a field is missing or invalid.
 */
export function fromValueProto(p: proto.PreferredAssignerValueP | undefined): PreferredAssignerValue {
  if (p === undefined || p.preferredAssigner === undefined) {
    throw new InvalidArgumentError('preferred_assigner_value.preferred_assigner is required');
  }
  return fromSpecProto(p.preferredAssigner, Generation.fromProto(p.generation));
}

/** Short text for logs: `SomeAssigner(uuid@uri, gen)` etc. */
export function describeValue(value: PreferredAssignerValue | undefined): string {
  if (value === undefined) return 'unknown';
  const g = `${value.generation.incarnation}#${value.generation.number}`;
  switch (value.kind) {
    case 'some-assigner':
      return `SomeAssigner(${value.info.uuid}@${value.info.uri}, ${g})`;
    case 'no-assigner':
      return `NoAssigner(${g})`;
    case 'mode-disabled':
      return `ModeDisabled(${g})`;
  }
}
