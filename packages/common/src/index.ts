/**
 * @packageDocumentation
 * The shared wire schema and model of dicer-ts: Dicer's protobuf messages, the data model
 * (SliceKey, Slice, Generation, Assignment, …), the allocation-free lookup table and the watch
 * client shared by the Slicelet and the Clerk.
 */

// Errors
export {
  DicerError,
  isDicerError,
  InvalidArgumentError,
  NotFoundError,
  FailedPreconditionError,
  IllegalStateError,
  UnavailableError,
  ClosedError,
  DataLossError,
  InternalError,
  toStatus,
} from './errors.js';
export type { StatusDetails } from './errors.js';

// Time, randomness, logging
export { SYSTEM_CLOCK, MAX_TIMER_DELAY_MS, ManualClock } from './clock.js';
export type { Clock } from './clock.js';
export { SYSTEM_RANDOM, SeededRandom } from './random.js';
export type { Random } from './random.js';
export { componentLogger, createDefaultLogger } from './logging.js';
export type { Component, Logger } from './logging.js';

// Model
export { SliceKey, compareBytes } from './model/slice-key.js';
export { Slice, compareHigh } from './model/slice.js';

// Wire schema (area: wire schema / request-side model): generated Dicer messages, enums and
// services plus the protobuf-es runtime helpers, under one namespace, e.g.
// `proto.toBinary(proto.ClientRequestPSchema, msg)`.
export * as proto from './proto.js';

// Request-side model (area: wire schema / request-side model): addresses and SQUIDs.
export { ResourceAddress } from './model/resource-address.js';
export { JavaUri } from './model/java-uri.js';
export { Squid, createTestSquid, TEST_SQUID_CREATION_TIME_MS } from './model/squid.js';
export {
  Target,
  KubernetesTarget,
  AppTarget,
  KUBERNETES_CLUSTER_SCHEME,
  APP_TARGET_PREFIX,
  MAX_APP_TARGET_NAME_LENGTH,
} from './model/target.js';
export { isRfc1123Label, RFC1123_LABEL_PATTERN } from './model/rfc1123.js';
export {
  checkDuration,
  isSupportedDuration,
  maxDuration,
  formatMillisDuration,
  DURATION_OVERFLOW_MESSAGE,
} from './model/protocol-duration.js';
export type { DurationUnit } from './model/protocol-duration.js';
export { SliceLoad, KeyLoad, checkLoad } from './model/slice-load.js';
export type { SliceLoadInit } from './model/slice-load.js';
export { SliceletData } from './model/slicelet-data.js';
export type { SliceletDataInit, SliceletState } from './model/slicelet-data.js';
export { SyncAssignmentState } from './model/sync-assignment-state.js';
export type { AssignmentEncoding } from './model/sync-assignment-state.js';
export { ClientRequest, DICER_CLIENT_VERSION } from './model/client-request.js';
export type { ClientRequestInit, ClientRequestParseOptions, Subscriber } from './model/client-request.js';
export { ClientResponse, MIN_SUGGESTED_RPC_TIMEOUT_MS } from './model/client-response.js';
export type { ClientResponseInit } from './model/client-response.js';
export { parseBuildInfo, UNKNOWN_BUILD_LABEL } from './build-info.js';
export type { BuildInfo } from './build-info.js';

// Watch protocol (area: watch protocol): the client sync state machine and its grpc-js driver
// shared by Slicelets and Clerks, the server-side hub shared by the Assigner and Slicelets, and the
// grpc-js service definitions (protocol.md §3).
export {
  Backoff,
  DEFAULT_MIN_RETRY_DELAY_MS,
  DEFAULT_MAX_RETRY_DELAY_MS,
  DEFAULT_RETRY_JITTER_FRACTION,
} from './watch/backoff.js';
export type { BackoffOptions } from './watch/backoff.js';
export {
  AssignmentSyncStateMachine,
  DEFAULT_WATCH_TIMEOUT_MS,
  MIN_WATCH_TIMEOUT_MS,
} from './watch/assignment-sync-state-machine.js';
export type {
  Versioned,
  ApplyDiffOutcome,
  ReceivedSyncState,
  OutgoingSyncState,
  WatchResponse,
  AssignmentSyncEvent,
  AssignmentSyncAction,
  AssignmentSyncResult,
  AssignmentSyncStatus,
  AssignmentSyncPhase,
  AssignmentSyncStateMachineOptions,
} from './watch/assignment-sync-state-machine.js';
export { WatchClient, applyAssignmentDiff, toReceivedSyncState } from './watch/watch-client.js';
export type { WatchClientStatus } from './watch/watch-client.js';
export {
  resolveWatchClientOptions,
  WATCH_DEADLINE_BUFFER_MS,
  DEFAULT_REDIRECT_CHANNEL_IDLE_MS,
} from './watch/watch-client-options.js';
export type { WatchClientOptions, ResolvedWatchClientOptions } from './watch/watch-client-options.js';
export { watchAddressToGrpcTarget } from './watch/watch-address.js';
export {
  SubscriberHub,
  processingTimeoutMs,
  DEFAULT_SUGGESTED_RPC_TIMEOUT_MS,
  EARLY_REPLY_MARGIN_MS,
  DEFAULT_MAX_PARKED_CALLS,
} from './watch/subscriber-hub.js';
export type {
  SubscriberHubOptions,
  SubscriberHubStats,
  SubscriberKind,
  WatchRequest,
  WatchRegistration,
} from './watch/subscriber-hub.js';
// Watch protocol, decode once per process (area: clerk propagation, issue #7).
export {
  DecodedAssignmentCache,
  PROCESS_DECODED_ASSIGNMENTS,
  DEFAULT_DECODED_PER_TARGET,
  DEFAULT_DECODED_TARGETS,
  prebuiltAssignmentOf,
  serializedFullAssignmentOf,
  rememberSerializedFullAssignment,
} from './watch/decoded-assignment-cache.js';
export type { DecodedAssignmentCacheOptions, DecodedAssignmentCacheStats } from './watch/decoded-assignment-cache.js';
export {
  ASSIGNMENT_SERVICE_DEFINITION,
  PREFERRED_ASSIGNER_SERVICE_DEFINITION,
  WATCH_METHOD,
  HEARTBEAT_METHOD,
  WATCH_METHOD_PATH,
  HEARTBEAT_METHOD_PATH,
  MAX_MESSAGE_BYTES,
  encodedClientResponse,
  serializeWatchReply,
} from './watch/grpc-services.js';
export type {
  AssignmentServiceImplementation,
  PreferredAssignerServiceImplementation,
  EncodedClientResponse,
  WatchReply,
} from './watch/grpc-services.js';

// Assignment-side model and lookup (area: assignment model / lookup table): generations, slice
// sets and maps, slice assignments, diffs, assignments and the allocation-free SliceTable
// (protocol.md §2).
export {
  Generation,
  MAX_INCARNATION_EXCLUSIVE,
  isLooseIncarnation,
  isNonLooseIncarnation,
  nextLooseIncarnation,
  nextNonLooseIncarnation,
} from './model/generation.js';
export { formatJavaInstant, formatJavaDouble } from './model/java-format.js';
export { REQUIREMENT_FAILED_PREFIX } from './model/requirement.js';
export { fingerprint64, writeFingerprint64 } from './model/fingerprint64.js';
export { SliceSet } from './model/slice-set.js';
export { SliceMap } from './model/slice-map.js';
export type { GapEntry, IntersectionEntry } from './model/slice-map.js';
export { ResourceTableBuilder } from './model/resource-table.js';
export type { Transfer, SubsliceAnnotation, ResourceAnnotations } from './model/subslice-annotation.js';
export { SliceAssignment } from './model/slice-assignment.js';
export type { SliceAssignmentInit } from './model/slice-assignment.js';
export { DiffAssignment } from './model/diff-assignment.js';
export type { ConsistencyMode, DiffSliceMap, DiffAssignmentInit } from './model/diff-assignment.js';
export { Assignment, STRONG_MODE_NOT_IMPLEMENTED_MESSAGE } from './model/assignment.js';
export type { AssignmentInit, FromDiffResult } from './model/assignment.js';
export { SliceTable } from './lookup/slice-table.js';
