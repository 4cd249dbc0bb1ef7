/**
 * Ready-made `stubFactory`/`closeStub` pairs for grpc-js: one client (or one channel) per resource,
 * so that each request goes to the pod that owns its key over that pod's own HTTP/2 connection.
 */
import { Channel, type ChannelCredentials, type ChannelInterface, type Client, type ClientOptions } from '@grpc/grpc-js';
import { type ResourceAddress, watchAddressToGrpcTarget } from '@dicer-ts/common';
import { requestCountingInterceptor } from './routing-interceptor.js';
import type { RequestCounter } from './routing-table.js';

/** The `stubFactory`/`closeStub` pair to spread into `ClerkOptions`. */
export interface GrpcStubs<Stub> {
  readonly stubFactory: (resource: ResourceAddress, counter: RequestCounter) => Stub;
  readonly closeStub: (stub: Stub) => void;
}

/**
 * The grpc-js target (`host:port`) of a resource address such as `https://10.0.0.5:8080`: only
 * host and port are used (TLS comes from the credentials); a missing port is the scheme's default.
 *
 * @throws {InvalidArgumentError} when the address has no host.
 */
export function grpcTargetForResource(resource: ResourceAddress): string {
  return watchAddressToGrpcTarget(resource.uri);
}

/**
 * A grpc-js client per resource, e.g. of a generated service client class
 * (`makeClientConstructor` or `@grpc/proto-loader` output). Each client counts its calls in flight
 * for least-outstanding selection; closing the Clerk or dropping a resource closes its client.
 *
 * @example
 * ```ts
 * const clerk = await Clerk.create({ target: 'demo-cache', watchAddresses: ['demo-cache:24510'],
 *   ...grpcClientStubs(CacheClient, credentials.createInsecure()) });
 * clerk.getStubForKey(SliceKey.fromApplicationKey('user-42'))?.get({ key: 'user-42' }, callback);
 * ```
 */
export function grpcClientStubs<C extends Client>(
  ClientClass: new (address: string, credentials: ChannelCredentials, options?: ClientOptions) => C,
  credentials: ChannelCredentials,
  options: ClientOptions = {},
): GrpcStubs<C> {
  return {
    stubFactory: (resource, counter) =>
      new ClientClass(grpcTargetForResource(resource), credentials, {
        ...options,
        interceptors: [...(options.interceptors ?? []), requestCountingInterceptor(counter)],
      }),
    closeStub: (client) => client.close(),
  };
}

/**
 * A grpc-js channel per resource, the stub kind a {@link RoutingChannel} routes calls over.
 */
export function grpcChannelStubs(credentials: ChannelCredentials, options: ClientOptions = {}): GrpcStubs<ChannelInterface> {
  return {
    stubFactory: (resource) => new Channel(grpcTargetForResource(resource), credentials, options),
    closeStub: (channel) => channel.close(),
  };
}
