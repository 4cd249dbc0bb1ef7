import type { Scenario } from './scenario.js';

/**
 * Zipf(0.99) popularity over 100k keys; at 8 minutes one key starts taking 10 % of all requests
 * (more than one pod's share), and it moves to another key every 5 minutes. Dicer runs twice:
 * with one replica per slice (the hot key's pod is bound to carry it alone) and with up to four.
 */
export const ZIPF_HOTKEY: Scenario = {
  name: 'zipf-hotkey',
  description: 'Zipf(0.99) over 100,000 keys on 16 pods; from 8 min a hot key takes 10% of requests and moves every 5 min.',
  durationMs: 25 * 60_000,
  warmupMs: 5 * 60_000,
  pods: { count: 16 },
  workload: {
    kind: 'synthetic',
    keys: 100_000,
    ratePerSecond: 2_000,
    zipfExponent: 0.99,
    hotKey: { atMs: 8 * 60_000, share: 0.1, moveEveryMs: 5 * 60_000 },
  },
  policies: [
    { kind: 'dicer' },
    { kind: 'dicer', name: 'dicer-replicated', config: { maxReplicas: 4 } },
    { kind: 'consistent-hash' },
    { kind: 'bounded-load' },
    { kind: 'static' },
  ],
};
