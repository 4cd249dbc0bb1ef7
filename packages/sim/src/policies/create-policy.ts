import type { PolicySpec, ResolvedScenario } from '../scenarios/scenario.js';
import type { Workload } from '../workloads/workload.js';
import { BoundedLoadPolicy } from './bounded-load-policy.js';
import { ConsistentHashPolicy } from './consistent-hash-policy.js';
import { DicerPolicy } from './dicer-policy.js';
import type { Policy } from './policy.js';
import { StaticRangePolicy } from './static-range-policy.js';

/**
 * A fresh policy for one run. Dicer's `maxLoadHint` defaults to the workload's mean load per
 * initial pod: the service runs at the capacity it declares.
 */
export function createPolicy(spec: PolicySpec, scenario: ResolvedScenario, workload: Workload): Policy {
  switch (spec.kind) {
    case 'dicer':
      return new DicerPolicy(spec, Math.max(Number.MIN_VALUE, workload.meanLoadPerSecond / scenario.pods.count));
    case 'consistent-hash':
      return new ConsistentHashPolicy(spec);
    case 'bounded-load':
      return new BoundedLoadPolicy(spec);
    case 'static':
      return new StaticRangePolicy(spec);
  }
}
