import type { Scenario } from './scenario.js';

/**
 * Zipf(0.99) over 100k keys on 32 pods and nothing else: the most popular key alone carries ~8 %
 * of the load, 2.6 times a pod's share, so only replication can balance it. The issue's
 * known answer: a 128-vnode ring stays near 3× max/mean, dicer-ts with replication gets close to 1×.
 */
export const ZIPF_SKEW: Scenario = {
  name: 'zipf-skew',
  description: 'Zipf(0.99) over 100,000 keys on 32 pods, steady: the top key alone is 2.6x a pod\'s share.',
  durationMs: 15 * 60_000,
  warmupMs: 7 * 60_000,
  pods: { count: 32 },
  workload: { kind: 'synthetic', keys: 100_000, ratePerSecond: 4_000, zipfExponent: 0.99 },
  policies: [
    { kind: 'dicer' },
    { kind: 'dicer', name: 'dicer-replicated', config: { maxReplicas: 4 } },
    { kind: 'consistent-hash' },
    { kind: 'bounded-load' },
    { kind: 'static' },
  ],
};
