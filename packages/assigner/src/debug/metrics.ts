/**
 * Every Prometheus metric of the Assigner, in one place (prom-client). Names are Dicer's where
 * store-ha.md §8 gives them (so dashboards built for Dicer keep working); the few we add are
 * marked "dicer-ts" below. Per-target metrics carry Dicer's common labels `targetCluster`,
 * `targetName`, `targetInstanceId` (see {@link targetLabels}).
 *
 * Each Assigner owns its own `Registry`, so several Assigners in one process (tests, the demo) do
 * not collide.
 *
 * @see store-ha.md §8
 */
import type { Target } from '@dicer-ts/common';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** The common per-target labels. */
export const TARGET_LABELS = ['targetCluster', 'targetName', 'targetInstanceId'] as const;

/** Values of {@link TARGET_LABELS} for a target (Dicer: cluster URI or "", name, instance id or ""). */
export function targetLabels(target: Target): Record<(typeof TARGET_LABELS)[number], string> {
  return target.kind === 'kubernetes'
    ? { targetCluster: target.clusterUri ?? '', targetName: target.name, targetInstanceId: '' }
    : { targetCluster: '', targetName: target.name, targetInstanceId: target.instanceId };
}

/**
 * The Assigner's metrics and their registry.
 *
 * @example
 * ```ts
 * const metrics = new AssignerMetrics();
 * metrics.watchRequests.inc({ ...targetLabels(target), subscriberType: 'slicelet' });
 * const text = await metrics.registry.metrics();
 * ```
 */
export class AssignerMetrics {
  /** The registry `/metrics` serves. */
  readonly registry = new Registry();

  /** Generator decisions by outcome (`decision` = generate|skip) and reason. */
  readonly generationDecisions = new Counter({
    name: 'dicer_assigner_assignment_generation_decisions_total',
    help: 'Assignment generation decisions by decision and reason',
    labelNames: [...TARGET_LABELS, 'decision', 'reason'],
    registers: [this.registry],
  });

  /** Assignments distributed to subscribers, by where they came from (Store, Slicelet, Clerk). */
  readonly distributedAssignments = new Counter({
    name: 'dicer_assigner_num_distributed_assignments',
    help: 'Assignments distributed to watchers, by source',
    labelNames: [...TARGET_LABELS, 'source'],
    registers: [this.registry],
  });

  /** Store writes by gRPC canonical code (OK, FAILED_PRECONDITION for an OCC failure, …). */
  readonly assignmentWrites = new Counter({
    name: 'dicer_assigner_num_assignment_writes',
    help: 'Assignment writes by canonical code and whether the slice map changed',
    labelNames: [...TARGET_LABELS, 'canonicalCode', 'isMeaningfulAssignmentChange'],
    registers: [this.registry],
  });

  /** Slices in the latest known assignment. */
  readonly assignmentSlices = new Gauge({
    name: 'dicer_assigner_num_assignment_slices',
    help: 'Slices in the latest known assignment',
    labelNames: [...TARGET_LABELS],
    registers: [this.registry],
  });

  /** Assignments seen from another store incarnation (`mismatchType` = ASSIGNMENT_LOWER|ASSIGNMENT_HIGHER). */
  readonly storeIncarnationMismatch = new Counter({
    name: 'dicer_assigner_num_store_incarnation_mismatch',
    help: 'Assignments received from a different store incarnation',
    labelNames: [...TARGET_LABELS, 'mismatchType'],
    registers: [this.registry],
  });

  /** Diffs from clients that could not be applied, by reason. */
  readonly unusedAssignmentDiffs = new Counter({
    name: 'dicer_assigner_num_unused_assignment_diffs',
    help: 'Assignment diffs from clients that were not applied, by reason',
    labelNames: [...TARGET_LABELS, 'reason'],
    registers: [this.registry],
  });

  /** Pods by computed health status. */
  readonly podsetSize = new Gauge({
    name: 'dicer_assigner_podset_size',
    help: 'Tracked Slicelets by computed health status',
    labelNames: [...TARGET_LABELS, 'healthStatus'],
    registers: [this.registry],
  });

  /** Generators running. */
  readonly activeGenerators = new Gauge({
    name: 'dicer_assigner_num_active_generators',
    help: 'Generators running in this Assigner',
    registers: [this.registry],
  });

  /** Generators shut down, by reason (GENERATOR_INACTIVITY, TARGET_CONFIG_CHANGE, SHUTDOWN). */
  readonly generatorsRemoved = new Counter({
    name: 'dicer_assigner_generators_removed_total',
    help: 'Generators removed, by reason',
    labelNames: ['reason'],
    registers: [this.registry],
  });

  /** Time spent in the generator's operations (generateInitialAssignment, generateAssignment, getPrimaryRateLoadMap, reportLoad). */
  readonly generatorLatency = new Histogram({
    name: 'dicer_assigner_generator_latency_secs',
    help: 'Generator operation latency in seconds',
    labelNames: [...TARGET_LABELS, 'operation'],
    buckets: [0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 30],
    registers: [this.registry],
  });

  /** The generation number of the latest assignment this Assigner wrote. */
  readonly latestWrittenGeneration = new Gauge({
    name: 'dicer_assigner_latest_written_assignment_generation_gauge',
    help: 'Generation number of the latest written assignment',
    labelNames: [...TARGET_LABELS],
    registers: [this.registry],
  });

  /** The generation number of the latest known assignment. */
  readonly latestKnownGeneration = new Gauge({
    name: 'dicer_assigner_latest_known_assignment_generation_gauge',
    help: 'Generation number of the latest known assignment',
    labelNames: [...TARGET_LABELS],
    registers: [this.registry],
  });

  /** Share of the key space whose owners changed in the last generation, by kind. */
  readonly churnGauge = {
    removal: this.churnGaugeFor('removal'),
    addition: this.churnGaugeFor('addition'),
    load_balancing: this.churnGaugeFor('load_balancing'),
  };

  /** Cumulative share of the key space whose owners changed, by kind. */
  readonly churnCounter = {
    removal: this.churnCounterFor('removal'),
    addition: this.churnCounterFor('addition'),
    load_balancing: this.churnCounterFor('load_balancing'),
  };

  /** Load per resource after the last generation (the algorithm's measured load, split by replica). */
  readonly perResourceLoad = new Gauge({
    name: 'dicer_assigner_per_resource_load_after_generation',
    help: 'Load per resource after the last generation',
    labelNames: [...TARGET_LABELS, 'resource'],
    registers: [this.registry],
  });

  /** dicer-ts: max resource load over mean resource load after the last generation (1 = perfectly even). */
  readonly loadImbalance = new Gauge({
    name: 'dicer_assigner_load_imbalance_ratio',
    help: 'dicer-ts: max over mean per-resource load after the last generation',
    labelNames: [...TARGET_LABELS],
    registers: [this.registry],
  });

  /** Key-of-death heuristic of a target (crashes over workload; ≥ 0.25 means poisoned). Detection only. */
  readonly keyOfDeathHeuristic = new Gauge({
    name: 'dicer_assigner_key_of_death_heuristic',
    help: 'Key-of-death heuristic: recent crashes over the workload size',
    labelNames: [...TARGET_LABELS],
    registers: [this.registry],
  });

  /** Transitions into the key-of-death "poisoned" state. */
  readonly keyOfDeathPoisoned = new Counter({
    name: 'dicer_assigner_key_of_death_poisoned_total',
    help: 'Transitions into the key-of-death poisoned state',
    labelNames: [...TARGET_LABELS],
    registers: [this.registry],
  });

  /**
   * Placement phases cut short (dicer-ts addition): `reason` is `timeout` (placementTimeoutMs) or
   * `budget` (the iteration budget). The assignment is still valid, only less balanced.
   */
  readonly placementCutoffs = new Counter({
    name: 'dicer_assigner_placement_cutoffs_total',
    help: 'Placement phases stopped early by the time limit or the iteration budget',
    labelNames: [...TARGET_LABELS, 'reason'],
    registers: [this.registry],
  });

  /** Failed watch calls by reason (NO_CONFIG, INVALID_REQUEST, INTERNAL). */
  readonly watchErrors = new Counter({
    name: 'dicer_assigner_num_watch_errors_total',
    help: 'Watch calls answered with an error, by reason',
    labelNames: ['reason'],
    registers: [this.registry],
  });

  /** Watch calls received, by subscriber type (clerk, slicelet). */
  readonly watchRequests = new Counter({
    name: 'dicer_watch_requests_total',
    help: 'Watch requests received',
    labelNames: [...TARGET_LABELS, 'subscriberType'],
    registers: [this.registry],
  });

  /** Watch calls parked (long-polling) right now. */
  readonly subscribers = new Gauge({
    name: 'dicer_subscriber_num_subscribers',
    help: 'Watch calls currently parked',
    labelNames: [...TARGET_LABELS],
    registers: [this.registry],
  });

  /** dicer-ts: target config reloads that failed (the target keeps its last good config). */
  readonly configReloadErrors = new Counter({
    name: 'dicer_assigner_target_config_reload_errors_total',
    help: 'dicer-ts: target config reloads that failed',
    registers: [this.registry],
  });

  // Preferred assigner and etcd store (issue #5), names from store-ha.md §3.4 and §8.

  /** 1 for the current preferred-assigner role, 0 for the others. */
  readonly preferredAssignerRole = new Gauge({
    name: 'dicer_assigner_preferred_assigner_role_gauge',
    help: 'Current preferred-assigner role (1) of this Assigner',
    labelNames: ['role'],
    registers: [this.registry],
  });

  /** Heartbeats a standby sent to the preferred Assigner, by outcome (SUCCESS|FAILURE). */
  readonly standbyHeartbeats = new Counter({
    name: 'dicer_assigner_preferred_assigner_standby_heartbeat_total',
    help: 'Heartbeats sent by a standby to the preferred Assigner',
    labelNames: ['outcome'],
    registers: [this.registry],
  });

  /** Latency of preferred-assigner record writes by outcome (committed|occ_failure|exception). */
  readonly preferredAssignerWriteLatency = new Histogram({
    name: 'dicer_assigner_preferred_assigner_write_latency',
    help: 'Preferred-assigner record write latency in seconds',
    labelNames: ['outcome'],
    buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10],
    registers: [this.registry],
  });

  /** Generation of the preferred-assigner record this Assigner knows. */
  readonly preferredAssignerKnownGeneration = new Gauge({
    name: 'dicer_assigner_preferred_assigner_latest_known_generation_gauge',
    help: 'Generation number of the latest known preferred-assigner record',
    registers: [this.registry],
  });

  /** Unusable etcd assignment rows, by Dicer's error code. */
  readonly etcdStoreCorruptions = new Counter({
    name: 'dicer_assigner_num_etcd_store_corruptions',
    help: 'Unusable assignment rows read from etcd',
    labelNames: [...TARGET_LABELS, 'errorCode'],
    registers: [this.registry],
  });

  /** @param options.collectDefault also export Node process metrics (RSS, event loop lag, …). @default true */
  constructor(options: { readonly collectDefault?: boolean } = {}) {
    if (options.collectDefault ?? true) collectDefaultMetrics({ register: this.registry });
  }

  private churnGaugeFor(kind: string): Gauge {
    return new Gauge({
      name: `dicer_assigner_churn_${kind}_gauge`,
      help: `Share of the key space moved by ${kind} in the last generation`,
      labelNames: [...TARGET_LABELS],
      registers: [this.registry],
    });
  }

  private churnCounterFor(kind: string): Counter {
    return new Counter({
      name: `dicer_assigner_churn_${kind}_counter`,
      help: `Cumulative share of the key space moved by ${kind}`,
      labelNames: [...TARGET_LABELS],
      registers: [this.registry],
    });
  }
}
