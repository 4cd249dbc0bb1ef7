/**
 * grpc-js service definitions of Dicer's two served RPCs with protobuf-es serializers, shared by
 * every server (Assigner, Slicelet) and client (watch client, preferred-assigner heartbeats) so
 * the method paths and encodings exist in exactly one place.
 *
 * @see protocol.md §1.12
 */
import { fromBinary, toBinary } from '@bufbuild/protobuf';
import type {
  MethodDefinition,
  ServiceDefinition,
  UntypedServiceImplementation,
  handleUnaryCall,
} from '@grpc/grpc-js';
import {
  type HeartbeatRequestP,
  HeartbeatRequestPSchema,
  type HeartbeatResponseP,
  HeartbeatResponsePSchema,
} from '../gen/dicer/assigner/proto/preferred_assigner_pb.js';
import {
  type ClientRequestP,
  ClientRequestPSchema,
  type ClientResponseP,
  ClientResponsePSchema,
} from '../gen/dicer/common/proto/common_pb.js';

/** HTTP/2 path of the Watch RPC (Assigner port 24500, Slicelet port 24510). */
export const WATCH_METHOD_PATH = '/dicer.AssignmentService/Watch';
/** HTTP/2 path of the preferred-assigner Heartbeat RPC (Assigner to Assigner). */
export const HEARTBEAT_METHOD_PATH = '/dicer.PreferredAssignerService/Heartbeat';
/** Largest message accepted in either direction on Dicer's channels: 4 MiB. */
export const MAX_MESSAGE_BYTES = 4 * 1024 * 1024;

/**
 * A `ClientResponseP` already encoded, so a server can encode one reply once and send the same
 * bytes to every watcher (see {@link SubscriberHub}). Build it with {@link encodedClientResponse}.
 */
export interface EncodedClientResponse {
  /** Discriminant against the plain message. */
  readonly kind: 'encoded-client-response';
  /** The wire bytes of a valid `ClientResponseP`. */
  readonly bytes: Uint8Array;
}

/** What a Watch handler answers with: a message, or its pre-encoded bytes. */
export type WatchReply = ClientResponseP | EncodedClientResponse;

/** Encodes `response` once, for sending to many watchers. */
export function encodedClientResponse(response: ClientResponseP): EncodedClientResponse {
  return { kind: 'encoded-client-response', bytes: toBinary(ClientResponsePSchema, response) };
}

/** A Buffer over the same memory (grpc-js wants a Buffer; copying 4 MiB per watcher would defeat the cache). */
function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** Encodes a Watch reply for the wire; pre-encoded bytes go out as they are. */
export function serializeWatchReply(reply: WatchReply): Buffer {
  return asBuffer('kind' in reply && reply.kind === 'encoded-client-response' ? reply.bytes : toBinary(ClientResponsePSchema, reply as ClientResponseP));
}

/** The Watch method: `ClientRequestP → ClientResponseP`, unary. The server may answer pre-encoded bytes. */
export const WATCH_METHOD: MethodDefinition<ClientRequestP, WatchReply> & { responseDeserialize: (b: Buffer) => ClientResponseP } = {
  path: WATCH_METHOD_PATH,
  originalName: 'Watch',
  requestStream: false,
  responseStream: false,
  requestSerialize: (m: ClientRequestP) => asBuffer(toBinary(ClientRequestPSchema, m)),
  requestDeserialize: (b: Buffer) => fromBinary(ClientRequestPSchema, b),
  responseSerialize: serializeWatchReply,
  responseDeserialize: (b: Buffer) => fromBinary(ClientResponsePSchema, b),
};

/** The Heartbeat method: `HeartbeatRequestP → HeartbeatResponseP`, unary. */
export const HEARTBEAT_METHOD: MethodDefinition<HeartbeatRequestP, HeartbeatResponseP> = {
  path: HEARTBEAT_METHOD_PATH,
  originalName: 'Heartbeat',
  requestStream: false,
  responseStream: false,
  requestSerialize: (m: HeartbeatRequestP) => asBuffer(toBinary(HeartbeatRequestPSchema, m)),
  requestDeserialize: (b: Buffer) => fromBinary(HeartbeatRequestPSchema, b),
  responseSerialize: (m: HeartbeatResponseP) => asBuffer(toBinary(HeartbeatResponsePSchema, m)),
  responseDeserialize: (b: Buffer) => fromBinary(HeartbeatResponsePSchema, b),
};

/** Handlers of `dicer.AssignmentService`, for `server.addService(ASSIGNMENT_SERVICE_DEFINITION, impl)`. */
export interface AssignmentServiceImplementation extends UntypedServiceImplementation {
  /** The Watch long poll. */
  watch: handleUnaryCall<ClientRequestP, WatchReply>;
}

/** Handlers of `dicer.PreferredAssignerService`. */
export interface PreferredAssignerServiceImplementation extends UntypedServiceImplementation {
  /** The preferred-assigner heartbeat. */
  heartbeat: handleUnaryCall<HeartbeatRequestP, HeartbeatResponseP>;
}

/** `dicer.AssignmentService` for grpc-js servers. */
export const ASSIGNMENT_SERVICE_DEFINITION: ServiceDefinition<AssignmentServiceImplementation> = {
  watch: WATCH_METHOD,
};

/** `dicer.PreferredAssignerService` for grpc-js servers and clients. */
export const PREFERRED_ASSIGNER_SERVICE_DEFINITION: ServiceDefinition<PreferredAssignerServiceImplementation> = {
  heartbeat: HEARTBEAT_METHOD,
};
