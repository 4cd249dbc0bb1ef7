import { InvalidArgumentError } from '@dicer-ts/common';
import type { PolicyRunResult, PolicySummary } from './engine/metrics.js';
import { runSimulation } from './engine/simulation.js';
import { createPolicy } from './policies/create-policy.js';
import { resolveScenario, type DicerPolicySpec, type ResolvedScenario, type Scenario } from './scenarios/scenario.js';
import { WorkloadFactory } from './workloads/create-workload.js';

/** Options of {@link runScenario} and {@link runSweep}. */
export interface RunOptions {
  /** Leave wall-clock timings out so equal inputs give identical JSON. @default false */
  readonly deterministic?: boolean;
  /** Where relative trace files are read from. @default process.cwd() */
  readonly baseDir?: string;
  /** Progress in [0, 1] over the whole run, with the policy being simulated. */
  readonly onProgress?: (fraction: number, policy: string) => void;
}

/** The scenario facts a report shows. */
export interface ScenarioInfo {
  readonly name: string;
  readonly description: string;
  readonly seed: number;
  readonly durationMs: number;
  readonly warmupMs: number;
  readonly sampleIntervalMs: number;
  readonly pods: number;
  readonly keys: number;
  readonly meanLoadPerSecond: number;
  readonly events: readonly string[];
}

/** The result of {@link runScenario}: every policy on the same workload and seed. */
export interface SimulationResult {
  readonly scenario: ScenarioInfo;
  readonly policies: readonly PolicyRunResult[];
  readonly sweep?: SweepResult;
}

/**
 * Runs every policy of a scenario on the same workload and seed, one after the other.
 *
 * @throws {InvalidArgumentError} for an invalid scenario.
 * @example
 * const result = runScenario(builtInScenario('zipf-hotkey'), { deterministic: true });
 * console.log(result.policies.map((p) => [p.policy, p.summary.meanMaxOverMean]));
 */
export function runScenario(scenario: Scenario, options: RunOptions = {}): SimulationResult {
  const resolved = resolveScenario(scenario);
  const factory = new WorkloadFactory(resolved.workload, resolved.seed, options.baseDir);
  const policies: PolicyRunResult[] = [];
  let info: ScenarioInfo | undefined;
  resolved.policies.forEach((spec, i) => {
    const workload = factory.create();
    info ??= scenarioInfo(resolved, workload.keySpace.size, workload.meanLoadPerSecond);
    const policy = createPolicy(spec, resolved, workload, options.baseDir);
    policies.push(
      runSimulation(resolved, workload, policy, {
        deterministic: options.deterministic ?? false,
        onProgress: (t) => options.onProgress?.((i + t / resolved.durationMs) / resolved.policies.length, policy.name),
      }),
    );
  });
  return { scenario: info as ScenarioInfo, policies };
}

function scenarioInfo(s: ResolvedScenario, keys: number, meanLoadPerSecond: number): ScenarioInfo {
  return {
    name: s.name,
    description: s.description,
    seed: s.seed,
    durationMs: s.durationMs,
    warmupMs: s.warmupMs,
    sampleIntervalMs: s.sampleIntervalMs,
    pods: s.pods.count,
    keys,
    meanLoadPerSecond,
    events: s.events.map((e) => `${e.kind}@${e.atMs / 1000}s`),
  };
}

/** The Dicer knobs a sweep can vary. */
export type SweepKnob = 'tolerance' | 'reservation' | 'replicas' | 'churn-penalty' | 'max-load-hint';

/** The knobs and the config field each sets. */
export const SWEEP_KNOBS: Readonly<Record<SweepKnob, string>> = Object.freeze({
  tolerance: 'imbalanceToleranceRatio',
  reservation: 'uniformLoadReservationRatio',
  replicas: 'maxReplicas',
  'churn-penalty': 'churnPenaltyRatio',
  'max-load-hint': 'maxLoadHint',
});

/** One point of a sweep: the Dicer policy with the knob at `value`. */
export interface SweepPoint {
  readonly value: number;
  readonly summary: PolicySummary;
}

/** A sweep of one knob of the Dicer policy. */
export interface SweepResult {
  readonly knob: SweepKnob;
  readonly points: readonly SweepPoint[];
}

/**
 * Runs the scenario's baselines once, and its (first) Dicer policy once per value of `knob`, on
 * the same workload and seed: the data of an imbalance-against-churn trade-off curve.
 *
 * @throws {InvalidArgumentError} for an unknown knob, no values, or an invalid scenario.
 */
export function runSweep(scenario: Scenario, knob: SweepKnob, values: readonly number[], options: RunOptions = {}): SimulationResult {
  if (!(knob in SWEEP_KNOBS)) throw new InvalidArgumentError(`unknown sweep knob ${String(knob)}; use one of ${Object.keys(SWEEP_KNOBS).join(', ')}`);
  if (values.length === 0) throw new InvalidArgumentError('a sweep needs at least one value');
  const resolved = resolveScenario(scenario);
  const dicer = (resolved.policies.find((p) => p.kind === 'dicer') as DicerPolicySpec | undefined) ?? { kind: 'dicer' };
  const field = SWEEP_KNOBS[knob];
  const variants: DicerPolicySpec[] = values.map((value) => {
    const config: Record<string, number> = { ...(dicer.config as Record<string, number> | undefined), [field]: value };
    if (knob === 'replicas') config['minReplicas'] = Math.min(config['minReplicas'] ?? 1, value);
    return { ...dicer, name: `dicer ${knob}=${value}`, config };
  });
  const baselines = resolved.policies.filter((p) => p.kind !== 'dicer');
  const all = runScenario({ ...scenario, policies: [...baselines, ...variants] }, options);
  const points = all.policies.slice(baselines.length).map((p, i) => ({ value: values[i] as number, summary: p.summary }));
  return { ...all, sweep: { knob, points } };
}
