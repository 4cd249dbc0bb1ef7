/**
 * @packageDocumentation
 * The Clerk SDK of dicer-ts: the library each caller embeds to send every request to the pod that
 * owns its key, following the assignment published by the Assigner (through the Slicelets).
 *
 * @example
 * ```ts
 * import { Clerk, grpcClientStubs } from '@dicer-ts/clerk-sdk';
 * import { SliceKey } from '@dicer-ts/common';
 *
 * const clerk = await Clerk.create({
 *   target: 'demo-cache',
 *   watchAddresses: ['demo-cache:24510'],            // Slicelets (default) or an Assigner
 *   ...grpcClientStubs(CacheClient, credentials.createInsecure()),
 * });
 * await clerk.ready({ timeoutMs: 5_000 });
 * clerk.getStubForKey(SliceKey.fromApplicationKey('user-42'))?.get({ key: 'user-42' }, callback);
 * await clerk.close();
 * ```
 */

// Entry class
export { Clerk } from './clerk.js';
export type { ClerkReadyOptions, ClerkRoute, ClerkStatus, ClerkAssignmentEvent, ClerkEvents } from './clerk.js';

// Options
export {
  resolveClerkOptions,
  DEFAULT_MAX_STUBS,
  DEFAULT_STUB_IDLE_MS,
  DEFAULT_FAILOVER_AFTER_FAILURES,
  DEFAULT_MONITOR_INTERVAL_MS,
} from './clerk-options.js';
export type { ClerkOptions, ResolvedClerkOptions, ReplicaSelection } from './clerk-options.js';
export type { RequestCounter } from './routing-table.js';
export type { StubCacheStats } from './stub-cache.js';
export type { WatchRotationStats } from './watch-rotation.js';

// Replica choice (pure)
export { pickRandomIndex, pickLeastOutstandingIndex, pickReplicaIndex, ReplicaRandom } from './replica-picker.js';
export type { OutstandingCount, RandomInts } from './replica-picker.js';

// grpc-js integration: per-resource clients or channels, and per-call routing on metadata
export { grpcClientStubs, grpcChannelStubs, grpcTargetForResource } from './grpc-stubs.js';
export type { GrpcStubs } from './grpc-stubs.js';
export { RoutingChannel } from './routing-channel.js';
export {
  ROUTING_KEY_METADATA,
  SLICE_KEY_METADATA,
  routingMetadata,
  routingKeyFromMetadata,
  routingKeyInterceptor,
  routingCallOptions,
  requestCountingInterceptor,
} from './routing-interceptor.js';
