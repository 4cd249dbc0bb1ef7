/**
 * SQUID: the identity of one Slicelet incarnation (address, creation time, UUID).
 *
 * @see protocol.md §1.4, §2.3; Dicer `Squid.scala`
 */
import { createHash } from 'node:crypto';
import { create } from '@bufbuild/protobuf';
import { InvalidArgumentError } from '../errors.js';
import { SquidPSchema } from '../gen/dicer/common/proto/common_pb.js';
import type { SquidP } from '../gen/dicer/common/proto/common_pb.js';
import { formatJavaInstant } from './java-format.js';
import { murmur3x64128 } from './murmur3-128.js';
import { ResourceAddress } from './resource-address.js';

const UUID_PATTERN = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;
const MASK64 = (1n << 64n) - 1n;

/** Creation time of every test SQUID: 2023-03-31T16:12:12Z (Dicer's `createTestSquid`). */
export const TEST_SQUID_CREATION_TIME_MS = 1_680_279_132_000n;

/**
 * A Slicelet incarnation. Ordered by address (Java URI order), then creation time, then UUID (Java
 * `UUID.compareTo`: signed high half, then signed low half); equal when all three are equal.
 */
export class Squid {
  /** The Slicelet's application endpoint, e.g. `https://10.1.2.3:8080`. */
  readonly resourceAddress: ResourceAddress;
  /** Incarnation creation time, epoch milliseconds (full int64 range on the wire). */
  readonly creationTimeMs: bigint;
  /** The incarnation UUID in canonical lower-case form. */
  readonly uuid: string;
  /** Most significant 64 bits of the UUID, signed as on the wire. */
  readonly uuidHigh: bigint;
  /** Least significant 64 bits of the UUID, signed as on the wire. */
  readonly uuidLow: bigint;

  private constructor(address: ResourceAddress, creationTimeMs: bigint, uuidHigh: bigint, uuidLow: bigint) {
    this.resourceAddress = address;
    this.creationTimeMs = creationTimeMs;
    this.uuidHigh = uuidHigh;
    this.uuidLow = uuidLow;
    this.uuid = formatUuid(uuidHigh, uuidLow);
  }

  /**
   * Creates a SQUID.
   *
   * @param uuid any-case `xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx`.
   * @throws {InvalidArgumentError} `Invalid UUID string: <uuid>`, or a creation time outside int64.
   */
  static create(address: ResourceAddress, creationTimeMs: bigint, uuid: string): Squid {
    if (!UUID_PATTERN.test(uuid)) throw new InvalidArgumentError(`Invalid UUID string: ${uuid}`);
    checkInt64(creationTimeMs, 'creationTimeMs');
    const hex = uuid.replaceAll('-', '');
    return new Squid(address, creationTimeMs, BigInt.asIntN(64, BigInt(`0x${hex.slice(0, 16)}`)), BigInt.asIntN(64, BigInt(`0x${hex.slice(16)}`)));
  }

  /** Creates a SQUID from the two signed UUID halves, as carried by `SquidP`. */
  static fromUuidHalves(address: ResourceAddress, creationTimeMs: bigint, uuidHigh: bigint, uuidLow: bigint): Squid {
    checkInt64(creationTimeMs, 'creationTimeMs');
    checkInt64(uuidHigh, 'uuidHigh');
    checkInt64(uuidLow, 'uuidLow');
    return new Squid(address, creationTimeMs, uuidHigh, uuidLow);
  }

  /**
   * Parses a `SquidP`; absent fields read as their defaults, so a missing address fails like an
   * empty one.
   *
   * @throws {InvalidArgumentError} `URI must not be empty`, or the URI syntax error for the address.
   */
  static fromProto(proto: SquidP): Squid {
    const address = ResourceAddress.create(proto.resourceAddress);
    return new Squid(address, proto.creationTimeMillis, proto.resourceUuidHigh, proto.resourceUuidLow);
  }

  /** The wire form, every field written. */
  toProto(): SquidP {
    return create(SquidPSchema, {
      resourceAddress: this.resourceAddress.uri,
      creationTimeMillis: this.creationTimeMs,
      resourceUuidHigh: this.uuidHigh,
      resourceUuidLow: this.uuidLow,
    });
  }

  /** Address, then creation time, then UUID (signed halves). */
  compare(other: Squid): number {
    const c = this.resourceAddress.compare(other.resourceAddress);
    if (c !== 0) return c;
    if (this.creationTimeMs !== other.creationTimeMs) return this.creationTimeMs < other.creationTimeMs ? -1 : 1;
    if (this.uuidHigh !== other.uuidHigh) return this.uuidHigh < other.uuidHigh ? -1 : 1;
    if (this.uuidLow !== other.uuidLow) return this.uuidLow < other.uuidLow ? -1 : 1;
    return 0;
  }

  /** Equal address (Java URI equality), creation time and UUID. */
  equals(other: Squid): boolean {
    return (
      this === other ||
      (this.creationTimeMs === other.creationTimeMs &&
        this.uuidHigh === other.uuidHigh &&
        this.uuidLow === other.uuidLow &&
        this.resourceAddress.equals(other.resourceAddress))
    );
  }

  /** Dicer's debug form `[<address> <creation Instant> <uuid>]`. */
  toString(): string {
    return `[${this.resourceAddress.uri} ${formatJavaInstant(this.creationTimeMs)} ${this.uuid}]`;
  }
}

/**
 * The SQUID Dicer's Scala test helper `createTestSquid(uri, salt)` builds: address `uri`, creation
 * time {@link TEST_SQUID_CREATION_TIME_MS}, UUID = Java `UUID.nameUUIDFromBytes` (MD5, version 3)
 * of the Guava `murmur3_128` bytes of UTF-8(`uri + salt`). Needed to rebuild the SQUIDs that the
 * vectors name by URI only; `https://pod1` gives `d1eaf1f9-7b39-3651-bb77-1d10433dacfd`.
 *
 * @see protocol.md §2.3; vectors README §2.5
 */
export function createTestSquid(uri: string, salt = ''): Squid {
  const md5 = createHash('md5').update(murmur3x64128(new TextEncoder().encode(uri + salt))).digest();
  md5[6] = (md5[6]! & 0x0f) | 0x30;
  md5[8] = (md5[8]! & 0x3f) | 0x80;
  const high = md5.readBigInt64BE(0);
  const low = md5.readBigInt64BE(8);
  return Squid.fromUuidHalves(ResourceAddress.create(uri), TEST_SQUID_CREATION_TIME_MS, high, low);
}

function formatUuid(high: bigint, low: bigint): string {
  const hex = ((high & MASK64).toString(16).padStart(16, '0') + (low & MASK64).toString(16).padStart(16, '0'));
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

function checkInt64(value: bigint, name: string): void {
  if (BigInt.asIntN(64, value) !== value) throw new InvalidArgumentError(`${name} must fit in int64, got ${value}`);
}
