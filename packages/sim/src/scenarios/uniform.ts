import type { Scenario } from './scenario.js';

/** Uniform popularity over 100k keys, no events: every policy should balance. */
export const UNIFORM: Scenario = {
  name: 'uniform',
  description: 'Uniform load over 100,000 keys on 16 pods, no events: every policy should balance.',
  durationMs: 20 * 60_000,
  warmupMs: 5 * 60_000,
  pods: { count: 16 },
  workload: { kind: 'synthetic', keys: 100_000, ratePerSecond: 2_000 },
};
