import type { Scenario } from '../src/scenarios/scenario.js';

/** A small scenario (8 pods, 5,000 keys, 300 requests/s, 6 minutes) that runs in well under a second per policy. */
export function tinyScenario(overrides: Partial<Scenario> = {}): Scenario {
  return {
    name: 'tiny',
    seed: 11,
    durationMs: 6 * 60_000,
    warmupMs: 4 * 60_000,
    sampleIntervalMs: 30_000,
    pods: { count: 8, cacheKeys: 200 },
    workload: { kind: 'synthetic', keys: 5_000, ratePerSecond: 300, zipfExponent: 0.8 },
    ...overrides,
  };
}
