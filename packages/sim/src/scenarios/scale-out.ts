import type { Scenario } from './scenario.js';

/** 8 pods grow to 12 under Zipf(0.8) load. */
export const SCALE_OUT: Scenario = {
  name: 'scale-out',
  description: 'Zipf(0.8) over 50,000 keys; 8 pods scale out to 12 at 8 min.',
  durationMs: 20 * 60_000,
  warmupMs: 5 * 60_000,
  pods: { count: 8 },
  workload: { kind: 'synthetic', keys: 50_000, ratePerSecond: 1_000, zipfExponent: 0.8 },
  events: [{ kind: 'scale-out', atMs: 8 * 60_000, count: 4 }],
};
