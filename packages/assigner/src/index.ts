/**
 * @packageDocumentation
 * The dicer-ts Assigner: the Watch gRPC server Slicelets and Clerks (ours or Dicer's) talk to, the
 * per-target assignment generator, the in-memory and etcd stores, preferred-assigner HA, the debug
 * page with Prometheus metrics, and — in a labelled section — the pure core (algorithm, load map,
 * load and health watchers, regeneration decision) that the simulator drives in virtual time.
 *
 * @example
 * ```ts
 * import { Assigner } from '@dicer-ts/assigner';
 *
 * const assigner = await Assigner.start({
 *   port: 24500,
 *   targetConfigDirectory: './configs', // <target>.textproto or .json, reloaded on change
 *   debugPort: 7777,                    // http://127.0.0.1:7777/ and /metrics
 * });
 * process.once('SIGTERM', () => void assigner.close());
 * ```
 */

// ---------------------------------------------------------------------------------------------
// Pure core (used by the simulator): the assignment algorithm and the LoadMap (algorithm.md §2–§6).
export { LoadMap, LoadMapBuilder, UNIFORM_LOAD_MAP, MIN_SYNTHESIZED_KEY_BYTES, keySpaceFraction } from './core/load-map.js';
export type { LoadMapEntry, KeyLoad, LoadSplit } from './core/load-map.js';
export {
  createAlgorithmConfig,
  validateAlgorithmConfig,
  IMBALANCE_TOLERANCE_RATIOS,
  UNIFORM_LOAD_RESERVATION_RATIOS,
  DEFAULT_CHURN_PENALTY_RATIO,
  DEFAULT_PLACEMENT_TIMEOUT_MS,
  DEFAULT_PLACEMENT_ITERATION_BUDGET,
} from './core/algorithm/algorithm-config.js';
export type {
  AlgorithmConfig,
  AlgorithmConfigOptions,
  ImbalanceToleranceHint,
  UniformLoadReservationHint,
} from './core/algorithm/algorithm-config.js';
export { calculateDesiredLoadRange } from './core/algorithm/desired-load-range.js';
export type { DesiredLoadRange } from './core/algorithm/desired-load-range.js';
export {
  generateInitialAssignment,
  initialSliceCount,
  uniformPartitioning,
  MIN_AVG_SLICE_REPLICAS,
  MAX_AVG_SLICE_REPLICAS,
} from './core/algorithm/initial-assignment.js';
export { runAlgorithm } from './core/algorithm/run-algorithm.js';
export { compareResourceIds } from './core/algorithm/algorithm-types.js';
export type {
  AlgorithmInput,
  AlgorithmResult,
  AlgorithmStats,
  AlgorithmSliceAssignment,
  ProposedSliceAssignment,
  ReplicaBudgetStatus,
  ResourceComparator,
  ResourceId,
} from './core/algorithm/algorithm-types.js';
export {
  resourcePenalty,
  EMPTY_RESOURCE_PENALTY_MULTIPLIER,
  UNDERSHOOT_PENALTY_COEFFICIENT,
  OVERSHOOT_PENALTY_COEFFICIENT,
  PLACEMENT_IMPROVEMENT_EPSILON,
} from './core/algorithm/placement-penalty.js';
export {
  availableResourcesOf,
  runAlgorithmForSquids,
  generateInitialSquidAssignment,
} from './core/algorithm/squid-algorithm.js';
export type {
  SquidAlgorithmInput,
  SquidSliceAssignment,
  ProposedSquidSliceAssignment,
} from './core/algorithm/squid-algorithm.js';
// --- end of pure core: assignment algorithm ---

// --- pure core: watchers and the regeneration decision (algorithm.md §7, §8, §10) ---
// Added by the simulator area (issue #9, packages/sim), which drives these in virtual time;
// the modules themselves belong to the assigner/core area.
export {
  LoadWatcher,
  resolveLoadWatcherOptions,
  LOAD_WEIGHT_DECAYING_HALF_LIFE_MS,
  TOP_KEY_RESCALE_ALERT_RELATIVE_EXCESS,
} from './core/load-watcher.js';
export type {
  LoadWatcherOptions,
  ResolvedLoadWatcherOptions,
  SliceLoadReport,
  AssignedSliceLoad,
  LoadMeasurement,
  LoadWatcherStats,
} from './core/load-watcher.js';
export {
  HealthWatcher,
  resolveHealthWatcherOptions,
  nextHealthStatus,
  availableResources,
  DEFAULT_UNHEALTHY_TIMEOUT_MS,
  DEFAULT_TERMINATING_TIMEOUT_MS,
  DEFAULT_HEALTH_STARTUP_DELAY_MS,
} from './core/health-watcher.js';
export type {
  HealthStatus,
  SliceletState,
  GenerationLike,
  HealthWatcherOptions,
  ResolvedHealthWatcherOptions,
  HealthWatcherEvent,
  ResourceHealth,
  HealthReport,
  HealthWatcherAction,
  HealthWatcherOutput,
  HealthWatcherState,
} from './core/health-watcher.js';
export {
  RegenerationScheduler,
  decideRegeneration,
  resolveRegenerationTimingOptions,
  sameSquidSet,
  DEFAULT_LOAD_BALANCING_INTERVAL_MS,
  DEFAULT_MIN_GENERATION_INTERVAL_MS,
} from './core/regeneration-decision.js';
export type {
  GenerationReason,
  SkipReason,
  RegenerationDecision,
  KnownAssignmentSummary,
  RegenerationInputs,
  RegenerationTimingOptions,
  ResolvedRegenerationTimingOptions,
  WriteOutcome,
} from './core/regeneration-decision.js';
// --- end of pure core: watchers and the regeneration decision ---

// --- pure core: target configuration and the key-of-death detector (algorithm.md §2, §9;
// store-ha.md §4.3). Added by the assigner/core config-and-watchers area. ---
export {
  parseTargetConfig,
  parseAdvancedTargetConfig,
  resolveTargetConfig,
  toAlgorithmConfig,
  mergeConfigMessages,
  configFileFormat,
  targetNameOfConfigFile,
  DEFAULT_LOAD_WATCHER_MIN_DURATION_MS,
  DEFAULT_LOAD_WATCHER_MAX_AGE_MS,
  DEFAULT_LOAD_WATCHER_USE_TOP_KEYS,
  DEFAULT_OBSERVE_SLICELET_READINESS,
  DEFAULT_MIN_REPLICAS,
  DEFAULT_MAX_REPLICAS,
} from './core/target-config.js';
export type { TargetConfig, ResolveTargetConfigOptions, ConfigFileFormat } from './core/target-config.js';
export { parseTextproto } from './core/textproto.js';
export type {
  TextprotoMessage,
  TextprotoField,
  TextprotoValue,
  TextprotoPosition,
  TextprotoIdentifier,
  TextprotoNumber,
  TextprotoString,
  TextprotoMessageValue,
} from './core/textproto.js';
export {
  KeyOfDeathDetector,
  resolveKeyOfDeathDetectorOptions,
  DEFAULT_CRASH_RECORD_RETENTION_MS,
  DEFAULT_KEY_OF_DEATH_HEURISTIC_THRESHOLD,
} from './core/key-of-death-detector.js';
export type {
  KeyOfDeathDetectorOptions,
  ResolvedKeyOfDeathDetectorOptions,
  KeyOfDeathState,
  KeyOfDeathAction,
  KeyOfDeathOutput,
  KeyOfDeathStats,
} from './core/key-of-death-detector.js';
// --- end of pure core: target configuration and the key-of-death detector ---

// ---------------------------------------------------------------------------------------------
// Service (issue #4, the Assigner service area): the embeddable Assigner, its options, the Store
// contract with the in-memory store, and the metrics and debug-page types.
export { Assigner } from './assigner.js';
export {
  resolveAssignerOptions,
  resolveInlineTargetConfig,
  DEFAULT_ASSIGNER_PORT,
  DEFAULT_ASSIGNER_HOST,
  DEFAULT_DEBUG_PORT,
  DEFAULT_DEBUG_HOST,
  DEFAULT_GENERATOR_INACTIVITY_DEADLINE_MS,
  DEFAULT_GENERATOR_INACTIVITY_SCAN_INTERVAL_MS,
  DEFAULT_SLICELET_SUGGESTED_RPC_TIMEOUT_MS,
  DEFAULT_CLERK_SUGGESTED_RPC_TIMEOUT_MS,
  DEFAULT_MAX_PARKED_CALLS_PER_TARGET,
} from './assigner-options.js';
export type { AssignerOptions, ResolvedAssignerOptions, AssignerTlsOptions, InlineTargetConfig } from './assigner-options.js';
export { InMemoryStore } from './store/in-memory-store.js';
export type { InMemoryStoreOptions } from './store/in-memory-store.js';
export { commitProposal } from './store/commit-proposal.js';
export type { Store, ProposedAssignment, ProposedAssignmentSlice, WriteAssignmentResult, CancelWatch } from './store/store.js';
export { AssignerMetrics, TARGET_LABELS, targetLabels } from './debug/metrics.js';
export type {
  DebugSnapshot,
  DebugTarget,
  DebugSlice,
  DebugPod,
  DebugGeneration,
} from './debug/debug-snapshot.js';
// Debug page: preferred assigner and state transfers in flight.
export type { DebugPreferredAssigner, DebugStateTransfer } from './debug/debug-snapshot.js';
export type { GeneratorSnapshot, GenerationRecord, ChurnRatios, AssignmentSource } from './service/generator-driver.js';
export { DEFAULT_CONFIG_RELOAD_DEBOUNCE_MS } from './service/target-config-provider.js';
export type { LoadedTargetConfig, TargetConfigChange } from './service/target-config-provider.js';
// --- end of service ---

// ---------------------------------------------------------------------------------------------
// Durable etcd store and highly available Assigners (issue #5, the store/HA area): the etcd Store,
// its connection options and errors, the bootstrap, the preferred-assigner driver that
// `AssignerOptions.preferredAssigner` takes, and (pure core) the preferred-assigner state machine.
export { EtcdStore, FULL_WRITE_SLICE_RATIO, FULL_WRITE_MAX_ENTRIES } from './store/etcd-store.js';
export type { EtcdStoreOptions, EtcdCorruptionCode } from './store/etcd-store.js';
export { createEtcdClient, DEFAULT_ETCD_DIAL_TIMEOUT_MS } from './store/etcd-connection.js';
export type { EtcdConnectionOptions, EtcdTlsOptions } from './store/etcd-connection.js';
export { StoreNotBootstrappedError, EtcdValueTooLargeError } from './store/etcd-errors.js';
export { namespacesFor } from './store/etcd-key-layout.js';
export type { EtcdNamespaces } from './store/etcd-key-layout.js';
export { EtcdPreferredAssignerStore } from './store/etcd-preferred-assigner-store.js';
export type { EtcdPreferredAssignerStoreOptions, PreferredAssignerWriteResult } from './store/etcd-preferred-assigner-store.js';
export { PreferredAssignerDriver } from './service/preferred-assigner-driver.js';
export type { PreferredAssignerDriverOptions, PreferredAssignerDriverEvent, PreferredAssignerDriverStats } from './service/preferred-assigner-driver.js';
export { bootstrapNamespaces } from './cli/bootstrap-command.js';
export type { NamespaceBootstrapReport } from './cli/bootstrap-command.js';
export { startEtcdBackends } from './cli/high-availability-options.js';
export type { EtcdBackends, EtcdRunConfig } from './cli/high-availability-options.js';
export {
  PreferredAssignerStateMachine,
  roleFor,
  DEFAULT_HEARTBEAT_INTERVAL_MS,
  DEFAULT_HEARTBEAT_FAILURE_THRESHOLD,
  DEFAULT_WRITE_RETRY_INTERVAL_MS,
  DEFAULT_INITIAL_PREFERRED_ASSIGNER_TIMEOUT_MS,
} from './core/preferred-assigner-state-machine.js';
export type {
  PreferredAssignerTimings,
  PreferredAssignerRole,
  PreferredAssignerEvent,
  PreferredAssignerAction,
  PreferredAssignerResult,
  PreferredAssignerState,
} from './core/preferred-assigner-state-machine.js';
export { createAssignerInfo, isSameAssigner } from './core/preferred-assigner-value.js';
export type { AssignerInfo, PreferredAssignerValue } from './core/preferred-assigner-value.js';
// --- end of etcd store and highly available Assigners ---

// State transfer on handoff (area: state transfer, issue #10): TransferP annotations for planned
// moves and their lifetime (docs/state-transfer.md).
export {
  planStateTransfers,
  reachabilityFromHealth,
  DEFAULT_STATE_TRANSFER_TIMEOUT_MS,
  INITIAL_STATE_TRANSFER_STATE,
} from './core/state-transfer.js';
export type {
  SourceReachability,
  StateTransferState,
  StateTransferInput,
  StateTransferResult,
  StateTransferCounts,
} from './core/state-transfer.js';
export { StateTransferPlanner } from './core/state-transfer-planner.js';
export type { StateTransferPlannerOptions } from './core/state-transfer-planner.js';

// ---------------------------------------------------------------------------------------------
// Testing (the public test kit, api-sketch.md; Dicer's DicerTestEnvironment): an in-process
// Assigner with short timings and helpers to set, freeze and wait for assignments.
export {
  createTestEnvironment,
  TestEnvironment,
  TEST_ENVIRONMENT_TIMINGS,
  TEST_CLIENT_TIMINGS,
} from './testing/test-environment.js';
export type {
  TestEnvironmentOptions,
  TestAssignmentSpec,
  TestSliceAssignment,
  SetAssignmentOptions,
  WaitForAssignmentOptions,
} from './testing/test-environment.js';
// --- end of testing ---
