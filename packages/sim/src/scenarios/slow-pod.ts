import type { Scenario } from './scenario.js';

/** One pod goes 3× slower for 8 minutes, under a diurnal rate with drifting popularity. */
export const SLOW_POD: Scenario = {
  name: 'slow-pod',
  description: 'Zipf(0.8) over 50,000 keys on 8 pods with a diurnal rate and popularity drift; pod 2 is 3x slower from 8 to 16 min.',
  durationMs: 20 * 60_000,
  warmupMs: 5 * 60_000,
  pods: { count: 8 },
  workload: {
    kind: 'synthetic',
    keys: 50_000,
    ratePerSecond: 1_000,
    zipfExponent: 0.8,
    diurnal: { periodMs: 20 * 60_000, amplitude: 0.3 },
    drift: { everyMs: 60_000, swaps: 20 },
  },
  events: [{ kind: 'slow-pod', atMs: 8 * 60_000, pod: 2, factor: 3, durationMs: 8 * 60_000 }],
};
