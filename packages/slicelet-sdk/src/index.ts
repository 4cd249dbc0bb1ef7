/**
 * @packageDocumentation
 * The Slicelet SDK of dicer-ts: embedded in each server of a sharded service, it learns which keys
 * this pod owns from the Assigner, answers per-request ownership checks, reports load and hot keys,
 * serves the assignment to Clerks and drains gracefully (guide: docs/slicelet.md).
 *
 * @example
 * ```ts
 * const slicelet = await Slicelet.start({ target: 'demo-cache', assigner: 'dicer-assigner:24500', port: 8080 });
 * slicelet.on('assignment', ({ added, removed }) => { warm(added); drop(removed); });
 * const handle = slicelet.createHandle(SliceKey.fromApplicationKey('user-42'));
 * if (handle.isAssignedContinuously()) handle.incrementLoadBy(1);
 * process.once('SIGTERM', () => void slicelet.drain({ timeoutMs: 25_000 }));
 * ```
 */

// Load accounting (area: Slicelet load accounting, issue #6): per-slice EWMA rates, the top-keys
// sketch and the load accumulator whose report fills the heartbeat's SliceLoadP fields.
export { EwmaAccumulator, EwmaCounter, ewmaAlphaForHalfLife, DEFAULT_LOAD_HALF_LIFE_SECONDS } from './load/ewma.js';
export type { EwmaValue } from './load/ewma.js';
export { TopKeysSketch, DEFAULT_TOP_KEYS_SUPPORT, DEFAULT_TOP_KEYS_ERROR } from './load/top-keys.js';
export type { TopKeysSketchOptions, TopKey, TopKeysEntry } from './load/top-keys.js';
export { LoadAccumulator, DEFAULT_TOP_KEYS_MINIMUM_LOAD_FRACTION } from './load/load-accumulator.js';
export type { LoadAccumulatorOptions, AssignedSliceLoad, LoadGeneration } from './load/load-accumulator.js';
export { SliceLoadCounter } from './load/slice-load-counter.js';
export type { SliceLoadCounterConfig, SliceLoadReading } from './load/slice-load-counter.js';
export { KeyLoadRecorder } from './load/key-load-recorder.js';
export { LoadTotals, LOAD_DISTRIBUTION_BUCKETS } from './load/load-totals.js';
export { sliceLoadToProto, keyLoadToProto, toSliceLoad } from './load/load-report.js';
export type { KeyLoadReport, SliceLoadReport, SliceletLoadReport } from './load/load-report.js';

// Slicelet (area: Slicelet SDK, issue #6): the entry class, its options, handles, ownership and
// heartbeat helpers, readiness and the Watch server's error text.
export { Slicelet, DEFAULT_DRAIN_TIMEOUT_MS } from './slicelet.js';
export type { AssignmentEvent, AssignmentListener, DrainOptions, DrainResult, SliceletLifecycle } from './slicelet.js';
export { resolveSliceletOptions, DEFAULT_SLICELET_WATCH_PORT, DEFAULT_SLICELET_WATCH_HOST } from './slicelet-options.js';
export type { SliceletOptions, ResolvedSliceletOptions } from './slicelet-options.js';
export { SliceKeyHandle, ownershipCounters, COARSE_TIME_INTERVAL_MS } from './slice-key-handle.js';
export type { HandleContext } from './slice-key-handle.js';
// Handle cache (area: Slicelet handle hot path): shares handles per key and assignment.
export { SliceKeyHandleCache, DEFAULT_HANDLE_CACHE_SETS, DEFAULT_APPLICATION_KEY_CACHE_SIZE } from './handle-cache.js';
export {
  OwnershipSnapshot,
  ownedSliceAssignments,
  ownedSliceSet,
  ownedSliceLoads,
  diffOwnership,
  continuityPieces,
} from './ownership.js';
export type { OwnershipDiff, ContinuityPiece } from './ownership.js';
export { buildSliceletData, heartbeatState, sanitizeSliceLoadReport } from './heartbeat.js';
export type { HeartbeatInputs, LifecycleView } from './heartbeat.js';
export { formatSliceletDebugName, debugNameResource } from './debug-name.js';
export { ReadinessProbe, DEFAULT_READINESS_REFRESH_INTERVAL_MS } from './readiness.js';
export type { ReadinessCheck } from './readiness.js';
export { misroutedTargetMessage } from './watch-server.js';

// State transfer on handoff (area: state transfer, issue #10): opt-in Slicelet-to-Slicelet pulls of
// a moved range's entries from its previous owner (docs/state-transfer.md).
export { StateTransferManager } from './state-transfer/state-transfer-manager.js';
export type { StateTransferStats, TransferCounters, TransferRecord, StateTransferContext } from './state-transfer/state-transfer-manager.js';
export {
  resolveStateTransferOptions,
  defaultTransferAddress,
  DEFAULT_FETCH_DEADLINE_MS,
  DEFAULT_MAX_BYTES_PER_TRANSFER,
  DEFAULT_MAX_CONCURRENT_FETCHES,
} from './state-transfer/state-transfer-options.js';
export type {
  StateTransferOptions,
  ResolvedStateTransferOptions,
  StateProvider,
  StateReceiver,
  IncomingTransfer,
  OutgoingTransferContext,
} from './state-transfer/state-transfer-options.js';
export { STATE_TRANSFER_SERVICE_DEFINITION, createStateTransferImplementation, startTransferServer } from './state-transfer/transfer-service.js';
export type { OutgoingOutcome, OutgoingTransferSink, FetchHandlerDeps, TransferServerHandle } from './state-transfer/transfer-service.js';
export { StateFetch, fetchState } from './state-transfer/transfer-client.js';
export type { FetchOutcome, FetchStateOptions } from './state-transfer/transfer-client.js';
export {
  FETCH_METHOD_PATH,
  encodeFetchRequest,
  decodeFetchRequest,
  encodeFetchResponse,
  decodeFetchResponse,
  entrySize,
} from './state-transfer/transfer-wire.js';
export type { StateEntry, FetchRequest } from './state-transfer/transfer-wire.js';
