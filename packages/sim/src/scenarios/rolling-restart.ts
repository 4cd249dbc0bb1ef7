import type { Scenario } from './scenario.js';

/** A Deployment-style rolling restart of all 8 pods under Zipf(0.8) load. */
export const ROLLING_RESTART: Scenario = {
  name: 'rolling-restart',
  description: 'Zipf(0.8) over 50,000 keys on 8 pods; at 8 min a Deployment-style rolling restart (new pod up, then old pod drained).',
  durationMs: 20 * 60_000,
  warmupMs: 5 * 60_000,
  pods: { count: 8 },
  workload: { kind: 'synthetic', keys: 50_000, ratePerSecond: 1_000, zipfExponent: 0.8 },
  events: [{ kind: 'rolling-restart', atMs: 8 * 60_000, style: 'deployment', pauseMs: 10_000 }],
};
