/**
 * Prometheus metrics of Slicelets (opt-in through the `metricsRegistry` option), all named
 * `dicer_slicelet_*` and labelled with the target and this Slicelet's resource address. Values are
 * sampled from the Slicelet when the registry is scraped, so nothing on the request path changes.
 * Several Slicelets may share one registry: the metrics are registered once per registry and each
 * Slicelet adds its own series until it closes.
 *
 * A dicer-ts addition: Dicer's Slicelet exports its own metric set, not reproduced here.
 */
import { Counter, Gauge, type Registry } from 'prom-client';
import type { StateTransferStats } from './state-transfer/state-transfer-manager.js';

/** One Slicelet's values at scrape time. */
export interface SliceletMetricsSample {
  /** The target, as printed. */
  readonly target: string;
  /** The Slicelet's resource address. */
  readonly resource: string;
  /** Slices of the latest assignment this Slicelet holds. */
  readonly assignedSlices: number;
  /** Sum of the attributed primary-rate loads in the last heartbeat (load units per second). */
  readonly attributedLoadRate: number;
  /** The unattributed primary-rate load in the last heartbeat. */
  readonly unattributedLoadRate: number;
  /** Every accepted load increment for keys in assigned slices. */
  readonly attributedLoadTotal: number;
  /** Every accepted load increment for keys outside them. */
  readonly unattributedLoadTotal: number;
  readonly heartbeatsSent: number;
  readonly heartbeatsFailed: number;
  readonly watchConnected: boolean;
  readonly watchConsecutiveFailures: number;
  /** Calls of `createHandle` (handles are shared, so this counts requests for one). */
  readonly handlesCreated: number;
  /** Undefined without state transfer. */
  readonly stateTransfers: StateTransferStats | undefined;
}

type Sampler = () => SliceletMetricsSample;

const LABELS = ['target', 'resource'] as const;
const TRANSFER_OUTCOMES = ['started', 'completed', 'failed', 'timedOut', 'truncated'] as const;

/** The samplers of every Slicelet registered on a registry. */
const samplersByRegistry = new WeakMap<Registry, Set<Sampler>>();

function samples(samplers: ReadonlySet<Sampler>): SliceletMetricsSample[] {
  return [...samplers].map((s) => s());
}

function labelsOf(s: SliceletMetricsSample): { target: string; resource: string } {
  return { target: s.target, resource: s.resource };
}

/** A gauge set from each sample at scrape time. */
function sampledGauge(registry: Registry, samplers: ReadonlySet<Sampler>, name: string, help: string, value: (s: SliceletMetricsSample) => number): void {
  new Gauge({
    name,
    help,
    labelNames: LABELS,
    registers: [registry],
    collect() {
      this.reset();
      for (const s of samples(samplers)) this.set(labelsOf(s), value(s));
    },
  });
}

/** A counter copied from each sample's running total at scrape time. */
function sampledCounter(registry: Registry, samplers: ReadonlySet<Sampler>, name: string, help: string, value: (s: SliceletMetricsSample) => number): void {
  new Counter({
    name,
    help,
    labelNames: LABELS,
    registers: [registry],
    collect() {
      this.reset();
      for (const s of samples(samplers)) this.inc(labelsOf(s), value(s));
    },
  });
}

function registerMetrics(registry: Registry, samplers: ReadonlySet<Sampler>): void {
  sampledGauge(registry, samplers, 'dicer_slicelet_assigned_slices', 'Slices of the latest assignment this Slicelet holds', (s) => s.assignedSlices);
  sampledGauge(registry, samplers, 'dicer_slicelet_attributed_load_rate', 'Attributed primary-rate load in the last heartbeat', (s) => s.attributedLoadRate);
  sampledGauge(registry, samplers, 'dicer_slicelet_unattributed_load_rate', 'Unattributed primary-rate load in the last heartbeat', (s) => s.unattributedLoadRate);
  sampledCounter(registry, samplers, 'dicer_slicelet_attributed_load_total', 'Load recorded for keys in assigned slices', (s) => s.attributedLoadTotal);
  sampledCounter(registry, samplers, 'dicer_slicelet_unattributed_load_total', 'Load recorded for keys outside assigned slices', (s) => s.unattributedLoadTotal);
  sampledCounter(registry, samplers, 'dicer_slicelet_heartbeats_sent_total', 'Heartbeats (watch requests) sent to the Assigner', (s) => s.heartbeatsSent);
  sampledCounter(registry, samplers, 'dicer_slicelet_heartbeats_failed_total', 'Heartbeats (watch requests) that failed', (s) => s.heartbeatsFailed);
  sampledGauge(registry, samplers, 'dicer_slicelet_watch_connected', '1 when the last watch request succeeded', (s) => (s.watchConnected ? 1 : 0));
  sampledGauge(registry, samplers, 'dicer_slicelet_watch_consecutive_failures', 'Watch failures since the last success', (s) => s.watchConsecutiveFailures);
  sampledCounter(registry, samplers, 'dicer_slicelet_handles_created_total', 'createHandle calls', (s) => s.handlesCreated);
  new Counter({
    name: 'dicer_slicelet_state_transfers_total',
    help: 'State transfers by direction (incoming pulls, outgoing streams) and outcome',
    labelNames: [...LABELS, 'direction', 'outcome'],
    registers: [registry],
    collect() {
      this.reset();
      for (const s of samples(samplers)) {
        const t = s.stateTransfers;
        if (t === undefined) continue;
        for (const outcome of TRANSFER_OUTCOMES) {
          this.inc({ ...labelsOf(s), direction: 'incoming', outcome }, t.incoming[outcome]);
          this.inc({ ...labelsOf(s), direction: 'outgoing', outcome }, t.outgoing[outcome]);
        }
        this.inc({ ...labelsOf(s), direction: 'outgoing', outcome: 'rejected' }, t.outgoing.rejected);
      }
    },
  });
  new Gauge({
    name: 'dicer_slicelet_state_transfers_queued',
    help: 'Incoming state transfers waiting to start',
    labelNames: LABELS,
    registers: [registry],
    collect() {
      this.reset();
      for (const s of samples(samplers)) if (s.stateTransfers !== undefined) this.set(labelsOf(s), s.stateTransfers.incoming.queued);
    },
  });
}

/**
 * Adds one Slicelet's series to `registry` (registering the metrics on first use); returns the
 * function that removes them again.
 */
export function registerSliceletMetrics(registry: Registry, sampler: Sampler): () => void {
  let samplers = samplersByRegistry.get(registry);
  if (samplers === undefined) {
    samplers = new Set();
    samplersByRegistry.set(registry, samplers);
    registerMetrics(registry, samplers);
  }
  samplers.add(sampler);
  const own = samplers;
  return () => {
    own.delete(sampler);
  };
}
