/**
 * The grpc-js binding of `demo.CacheService` (proto/demo/cache.proto): a service definition whose
 * serializers are the protobuf-es generated codecs, and a typed client constructor. The cache
 * server implements it; the load generator calls it through stubs the Clerk hands out.
 */
import { type MessageInitShape, create, fromBinary, toBinary } from '@bufbuild/protobuf';
import type { GenMessage } from '@bufbuild/protobuf/codegenv2';
import type { Message } from '@bufbuild/protobuf';
import {
  type CallOptions,
  type ChannelCredentials,
  type Client,
  type ClientOptions,
  type ServiceDefinition,
  type ServiceError,
  type handleUnaryCall,
  type MethodDefinition,
  makeGenericClientConstructor,
} from '@grpc/grpc-js';
import {
  type GetRequest,
  GetRequestSchema,
  type GetResponse,
  GetResponseSchema,
  type PutRequest,
  PutRequestSchema,
  type PutResponse,
  PutResponseSchema,
} from './gen/demo/cache_pb.js';

function unaryMethod<Req extends Message, Res extends Message>(
  name: string,
  requestSchema: GenMessage<Req>,
  responseSchema: GenMessage<Res>,
): MethodDefinition<Req, Res> {
  return {
    path: `/demo.CacheService/${name}`,
    requestStream: false,
    responseStream: false,
    requestSerialize: (message: Req) => Buffer.from(toBinary(requestSchema, message)),
    requestDeserialize: (bytes: Buffer) => fromBinary(requestSchema, bytes),
    responseSerialize: (message: Res) => Buffer.from(toBinary(responseSchema, message)),
    responseDeserialize: (bytes: Buffer) => fromBinary(responseSchema, bytes),
  };
}

/** The grpc-js definition of `demo.CacheService`. */
export const CACHE_SERVICE_DEFINITION = {
  get: unaryMethod('Get', GetRequestSchema, GetResponseSchema),
  put: unaryMethod('Put', PutRequestSchema, PutResponseSchema),
} satisfies ServiceDefinition;

/** What a cache server implements. */
export interface CacheServiceHandlers {
  readonly get: handleUnaryCall<GetRequest, GetResponse>;
  readonly put: handleUnaryCall<PutRequest, PutResponse>;
  [name: string]: handleUnaryCall<GetRequest, GetResponse> | handleUnaryCall<PutRequest, PutResponse>;
}

/** A `demo.CacheService` client (one channel to one cache server). */
export interface CacheClient extends Client {
  get(request: GetRequest, options: CallOptions, callback: (err: ServiceError | null, response?: GetResponse) => void): void;
  put(request: PutRequest, options: CallOptions, callback: (err: ServiceError | null, response?: PutResponse) => void): void;
}

const CacheClientConstructor = makeGenericClientConstructor(CACHE_SERVICE_DEFINITION, 'demo.CacheService') as unknown as new (
  address: string,
  credentials: ChannelCredentials,
  options?: Partial<ClientOptions>,
) => CacheClient;

/**
 * Makes a client for the cache server at `address` (`host:port`).
 *
 * @example
 * ```ts
 * const client = createCacheClient('127.0.0.1:50051', credentials.createInsecure());
 * client.get(getRequest('user-42'), {}, (err, res) => console.log(res?.found));
 * ```
 */
export function createCacheClient(address: string, credentials: ChannelCredentials, options: Partial<ClientOptions> = {}): CacheClient {
  return new CacheClientConstructor(address, credentials, options);
}

/** A `GetRequest` for `key`. */
export function getRequest(key: string): GetRequest {
  return create(GetRequestSchema, { key });
}

/** A `PutRequest`. */
export function putRequest(init: MessageInitShape<typeof PutRequestSchema>): PutRequest {
  return create(PutRequestSchema, init);
}

/** A `GetResponse`. */
export function getResponse(init: MessageInitShape<typeof GetResponseSchema>): GetResponse {
  return create(GetResponseSchema, init);
}

/** A `PutResponse`. */
export function putResponse(init: MessageInitShape<typeof PutResponseSchema>): PutResponse {
  return create(PutResponseSchema, init);
}
