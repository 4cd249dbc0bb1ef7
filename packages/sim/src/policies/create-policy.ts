import { readFileSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import { InvalidArgumentError } from '@dicer-ts/common';
import { parseTargetConfig, resolveTargetConfig, type TargetConfig } from '@dicer-ts/assigner';
import type { DicerPolicySpec, PolicySpec, ResolvedScenario } from '../scenarios/scenario.js';
import type { Workload } from '../workloads/workload.js';
import { BoundedLoadPolicy } from './bounded-load-policy.js';
import { ConsistentHashPolicy } from './consistent-hash-policy.js';
import { DicerPolicy } from './dicer-policy.js';
import type { Policy } from './policy.js';
import { StaticRangePolicy } from './static-range-policy.js';

/**
 * A fresh policy for one run. Dicer's `maxLoadHint` defaults to the scenario's pod capacity, else
 * to the workload's mean load per initial pod (the service runs at the capacity it declares).
 */
export function createPolicy(spec: PolicySpec, scenario: ResolvedScenario, workload: Workload, baseDir: string = process.cwd()): Policy {
  switch (spec.kind) {
    case 'dicer':
      return new DicerPolicy(
        spec,
        scenario.pods.capacity ?? Math.max(Number.MIN_VALUE, workload.meanLoadPerSecond / scenario.pods.count),
        dicerTargetConfig(spec, baseDir),
      );
    case 'consistent-hash':
      return new ConsistentHashPolicy(spec);
    case 'bounded-load':
      return new BoundedLoadPolicy(spec);
    case 'static':
      return new StaticRangePolicy(spec);
  }
}

/**
 * The target config a Dicer spec names, parsed and resolved by the Assigner's own config code.
 *
 * @throws {InvalidArgumentError} when both a file and inline text are given, or the config is invalid.
 */
function dicerTargetConfig(spec: DicerPolicySpec, baseDir: string): TargetConfig | undefined {
  if (spec.targetConfigFile !== undefined && spec.targetConfigText !== undefined) {
    throw new InvalidArgumentError('a dicer policy takes targetConfigFile or targetConfigText, not both');
  }
  if (spec.targetConfigFile !== undefined) {
    const path = resolve(baseDir, spec.targetConfigFile);
    return resolveTargetConfig({ targetConfig: parseTargetConfig(basename(path), readFileSync(path, 'utf8')), sourceName: path });
  }
  if (spec.targetConfigText !== undefined) {
    return resolveTargetConfig({ targetConfig: parseTargetConfig('sim.textproto', spec.targetConfigText, 'textproto'), sourceName: 'targetConfigText' });
  }
  return undefined;
}
