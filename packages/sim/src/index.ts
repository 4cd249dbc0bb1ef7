/**
 * @packageDocumentation
 * The dicer-ts simulator: runs the Assigner's real assignment algorithm, load watcher, health
 * watcher and regeneration rules in virtual time against simulated pods and workloads, side by
 * side with consistent hashing, consistent hashing with bounded loads and static ranges, and
 * reports balance, churn, misrouting and cache hit rate.
 *
 * @example
 * ```ts
 * import { builtInScenario, runScenario, renderTable } from '@dicer-ts/sim';
 * const result = runScenario(builtInScenario('zipf-hotkey'), { deterministic: true });
 * console.log(renderTable(result));
 * ```
 */

// Entry points
export { runScenario, runSweep, SWEEP_KNOBS } from './run-scenario.js';
export type { RunOptions, ScenarioInfo, SimulationResult, SweepKnob, SweepPoint, SweepResult } from './run-scenario.js';
export { runSimulation, TICK_MS } from './engine/simulation.js';
export type { SimulationOptions } from './engine/simulation.js';

// Scenarios
export { resolveScenario, DEFAULT_POLICIES } from './scenarios/scenario.js';
export type {
  Scenario,
  ResolvedScenario,
  ScenarioEvent,
  PolicySpec,
  DicerPolicySpec,
  ConsistentHashPolicySpec,
  BoundedLoadPolicySpec,
  StaticRangePolicySpec,
} from './scenarios/scenario.js';
export { BUILT_IN_SCENARIOS, builtInScenario } from './scenarios/built-in-scenarios.js';

// Workloads
export type { Workload, WorkloadSpec, SyntheticWorkloadSpec, TraceWorkloadSpec } from './workloads/workload.js';
export { SyntheticWorkload } from './workloads/synthetic-workload.js';
export { TraceWorkload, parseTrace } from './workloads/trace-workload.js';
export type { TraceRequest } from './workloads/trace-workload.js';
export { ZipfSampler } from './workloads/zipf-sampler.js';

// Policies
export type { Policy, PolicyHost, PublishInfo, RouteChoice } from './policies/policy.js';
export { createPolicy } from './policies/create-policy.js';
export { DicerPolicy } from './policies/dicer-policy.js';
export { ConsistentHashPolicy, DEFAULT_VIRTUAL_NODES } from './policies/consistent-hash-policy.js';
export { BoundedLoadPolicy, DEFAULT_BOUNDED_LOAD_EPSILON } from './policies/bounded-load-policy.js';
export { StaticRangePolicy } from './policies/static-range-policy.js';

// Reports
export { renderTable, SUMMARY_COLUMNS } from './report/terminal-table.js';
export { renderHtmlReport } from './report/html-report.js';
export { ProgressBar } from './report/progress-bar.js';
export type { ProgressStream } from './report/progress-bar.js';
export { lineChart, barChart, niceTicks, escapeXml, PALETTE } from './report/svg-chart.js';
export type { ChartSeries, LineChartOptions, BarChartOptions } from './report/svg-chart.js';
export { parseScenarioJson, loadScenarioFile } from './scenarios/scenario-file.js';
export { WorkloadFactory } from './workloads/create-workload.js';

// Engine
export { EventQueue } from './engine/event-queue.js';
export { VirtualClock } from './engine/virtual-clock.js';
export { KeySpace, boundaryOf } from './engine/key-space.js';
export type { KeyBoundary } from './engine/key-space.js';
export { createRoutingTable, holdsKey, movedShare } from './engine/routing-table.js';
export type { RoutingTable } from './engine/routing-table.js';
export { SimPod, SIM_EPOCH_MS } from './engine/sim-pod.js';
export type { PodState } from './engine/sim-pod.js';
export { CacheModel } from './engine/cache-model.js';
export { imbalance } from './engine/metrics.js';
export type { ChangeRecord, DecisionTiming, PolicyRunResult, PolicySample, PolicySummary } from './engine/metrics.js';
