import type { Scenario } from './scenario.js';

/** One of 8 pods crashes and comes back at the same address 2 minutes later. */
export const CRASH: Scenario = {
  name: 'crash',
  description: 'Zipf(0.8) over 50,000 keys on 8 pods; pod 3 crashes at 8 min and restarts at the same address 2 min later.',
  durationMs: 20 * 60_000,
  warmupMs: 5 * 60_000,
  pods: { count: 8 },
  workload: { kind: 'synthetic', keys: 50_000, ratePerSecond: 1_000, zipfExponent: 0.8 },
  events: [{ kind: 'crash', atMs: 8 * 60_000, pod: 3, restartAfterMs: 2 * 60_000 }],
};
