/**
 * The messages of the Slicelet-to-Slicelet state-transfer service, with hand-written protobuf
 * serializers (the service is dicer-ts's own, not part of Dicer's wire, so it lives here rather
 * than in the generated Dicer packages). Equivalent schema:
 *
 * ```proto
 * syntax = "proto3";
 * package dicer_ts;
 * service StateTransferService {
 *   // Streams the entries of [low_inclusive, high_exclusive) from the previous owner.
 *   rpc Fetch(FetchRequest) returns (stream FetchResponse);
 * }
 * message FetchRequest {
 *   bytes low_inclusive = 1;            // SliceKey bytes
 *   optional bytes high_exclusive = 2;  // absent = ∞
 *   int32 transfer_id = 3;              // TransferP.id of the annotation
 *   string requester = 4;               // the new owner's SQUID (logs)
 *   int64 max_bytes = 5;                // the requester's cap; 0 = none
 *   string target = 6;                  // the target name (a guard against misrouting)
 * }
 * message Entry { bytes key = 1; bytes value = 2; }
 * message FetchResponse { repeated Entry entries = 1; }
 * ```
 */
import { DataLossError, Slice, SliceKey } from '@dicer-ts/common';

/** The full method path of `Fetch`. */
export const FETCH_METHOD_PATH = '/dicer_ts.StateTransferService/Fetch';

/** One key/value pair of application state. */
export interface StateEntry {
  /** The application's key bytes (not necessarily a SliceKey). */
  readonly key: Uint8Array;
  /** The value bytes. */
  readonly value: Uint8Array;
}

/** A decoded `FetchRequest`. */
export interface FetchRequest {
  /** The key range asked for. */
  readonly range: Slice;
  /** The transfer's id (`TransferP.id`). */
  readonly transferId: number;
  /** The requester's SQUID, for logs. */
  readonly requester: string;
  /** The requester's byte cap (0 = none). */
  readonly maxBytes: number;
  /** The target name. */
  readonly target: string;
}

/** Protobuf wire types used here. */
const VARINT = 0;
const FIXED64 = 1;
const LENGTH_DELIMITED = 2;
const FIXED32 = 5;

const utf8Encoder = new TextEncoder();
const utf8Decoder = new TextDecoder('utf-8', { fatal: true });

/** Appends protobuf fields to a growing buffer. */
class Writer {
  private buf = new Uint8Array(64);
  private pos = 0;

  private ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.pos + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.pos));
    this.buf = next;
  }

  varint(value: number): this {
    // Non-negative safe integers only (lengths, ids, byte counts).
    this.ensure(10);
    let v = value;
    while (v >= 0x80) {
      this.buf[this.pos++] = (v % 0x80) | 0x80;
      v = Math.floor(v / 0x80);
    }
    this.buf[this.pos++] = v;
    return this;
  }

  tag(field: number, wireType: number): this {
    return this.varint(field * 8 + wireType);
  }

  bytes(field: number, value: Uint8Array): this {
    this.tag(field, LENGTH_DELIMITED).varint(value.length);
    this.ensure(value.length);
    this.buf.set(value, this.pos);
    this.pos += value.length;
    return this;
  }

  finish(): Buffer {
    return Buffer.from(this.buf.buffer, this.buf.byteOffset, this.pos);
  }
}

/** Reads protobuf fields; every malformed input throws {@link DataLossError}. */
class Reader {
  pos = 0;
  constructor(private readonly buf: Uint8Array, private readonly end = buf.length) {}

  get done(): boolean {
    return this.pos >= this.end;
  }

  varint(): number {
    let result = 0;
    let scale = 1;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.end) throw new DataLossError('truncated varint');
      const b = this.buf[this.pos++] as number;
      result += (b & 0x7f) * scale;
      if (b < 0x80) return result;
      scale *= 0x80;
    }
    throw new DataLossError('varint too long');
  }

  bytes(): Uint8Array {
    const n = this.varint();
    if (this.pos + n > this.end) throw new DataLossError('truncated length-delimited field');
    const out = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  skip(wireType: number): void {
    if (wireType === VARINT) this.varint();
    else if (wireType === LENGTH_DELIMITED) this.bytes();
    else if (wireType === FIXED64) this.advance(8);
    else if (wireType === FIXED32) this.advance(4);
    else throw new DataLossError(`unsupported wire type ${wireType}`);
  }

  private advance(n: number): void {
    if (this.pos + n > this.end) throw new DataLossError('truncated fixed field');
    this.pos += n;
  }
}

/** Serializes a `FetchRequest`. */
export function encodeFetchRequest(request: FetchRequest): Buffer {
  const w = new Writer();
  w.bytes(1, request.range.lowInclusive.bytes);
  if (request.range.highExclusive !== undefined) w.bytes(2, request.range.highExclusive.bytes);
  if (request.transferId !== 0) w.tag(3, VARINT).varint(request.transferId);
  if (request.requester !== '') w.bytes(4, utf8Encoder.encode(request.requester));
  if (request.maxBytes !== 0) w.tag(5, VARINT).varint(request.maxBytes);
  if (request.target !== '') w.bytes(6, utf8Encoder.encode(request.target));
  return w.finish();
}

/**
 * Parses a `FetchRequest`.
 *
 * @throws {DataLossError} for malformed bytes or an empty range (high ≤ low).
 */
export function decodeFetchRequest(bytes: Uint8Array): FetchRequest {
  const r = new Reader(bytes);
  let low: Uint8Array = new Uint8Array(0);
  let high: Uint8Array | undefined;
  let transferId = 0;
  let requester = '';
  let maxBytes = 0;
  let target = '';
  while (!r.done) {
    const tag = r.varint();
    const field = Math.floor(tag / 8);
    const wireType = tag % 8;
    if (field === 1 && wireType === LENGTH_DELIMITED) low = r.bytes();
    else if (field === 2 && wireType === LENGTH_DELIMITED) high = r.bytes();
    else if (field === 3 && wireType === VARINT) transferId = r.varint() | 0;
    else if (field === 4 && wireType === LENGTH_DELIMITED) requester = decodeUtf8(r.bytes());
    else if (field === 5 && wireType === VARINT) maxBytes = r.varint();
    else if (field === 6 && wireType === LENGTH_DELIMITED) target = decodeUtf8(r.bytes());
    else r.skip(wireType);
  }
  let range: Slice;
  try {
    range = Slice.create(SliceKey.fromBytes(Uint8Array.from(low)), high === undefined ? undefined : SliceKey.fromBytes(Uint8Array.from(high)));
  } catch (err) {
    throw new DataLossError(`invalid range in FetchRequest: ${(err as Error).message}`, { cause: err });
  }
  return { range, transferId, requester, maxBytes, target };
}

/** Serializes a `FetchResponse` carrying `entries`. */
export function encodeFetchResponse(entries: readonly StateEntry[]): Buffer {
  const w = new Writer();
  for (const e of entries) {
    const inner = new Writer().bytes(1, e.key).bytes(2, e.value).finish();
    w.bytes(1, inner);
  }
  return w.finish();
}

/**
 * Parses a `FetchResponse` into its entries (copies, independent of `bytes`).
 *
 * @throws {DataLossError} for malformed bytes.
 */
export function decodeFetchResponse(bytes: Uint8Array): StateEntry[] {
  const r = new Reader(bytes);
  const out: StateEntry[] = [];
  while (!r.done) {
    const tag = r.varint();
    if (tag === 1 * 8 + LENGTH_DELIMITED) {
      const inner = r.bytes();
      const e = new Reader(inner);
      let key: Uint8Array = new Uint8Array(0);
      let value: Uint8Array = new Uint8Array(0);
      while (!e.done) {
        const t = e.varint();
        if (t === 1 * 8 + LENGTH_DELIMITED) key = Uint8Array.from(e.bytes());
        else if (t === 2 * 8 + LENGTH_DELIMITED) value = Uint8Array.from(e.bytes());
        else e.skip(t % 8);
      }
      out.push({ key, value });
    } else {
      r.skip(tag % 8);
    }
  }
  return out;
}

/** The bytes an entry counts against caps and counters: key plus value. */
export function entrySize(entry: StateEntry): number {
  return entry.key.length + entry.value.length;
}

function decodeUtf8(bytes: Uint8Array): string {
  try {
    return utf8Decoder.decode(bytes);
  } catch (err) {
    throw new DataLossError('invalid UTF-8 in FetchRequest', { cause: err });
  }
}
