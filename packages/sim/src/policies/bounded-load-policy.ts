import { InvalidArgumentError } from '@dicer-ts/common';
import type { Random } from '@dicer-ts/common';
import type { RoutingTable } from '../engine/routing-table.js';
import type { SimPod } from '../engine/sim-pod.js';
import type { BoundedLoadPolicySpec } from '../scenarios/scenario.js';
import { DEFAULT_VIRTUAL_NODES } from './consistent-hash-policy.js';
import { buildRingTable } from './hash-ring.js';
import { MembershipPolicy } from './membership-policy.js';
import type { RouteChoice } from './policy.js';

/** Default slack of bounded loads: no pod takes more than 1.25 × the mean. */
export const DEFAULT_BOUNDED_LOAD_EPSILON = 0.25;

/**
 * Consistent hashing with bounded loads (Mirrokni, Thorup, Zadimoghaddam): a request goes to its
 * key's ring owner unless that pod's load in the current second would pass
 * `⌈(1 + ε) × (load so far + cost) / n⌉`; then it walks clockwise to the first pod under the bound.
 * The router sees every pod's load, as a central load balancer would.
 */
export class BoundedLoadPolicy extends MembershipPolicy {
  readonly name: string;
  readonly kind = 'bounded-load';
  readonly virtualNodes: number;
  readonly epsilon: number;
  private second = -1;
  private secondTotal = 0;
  private readonly secondLoad = new Map<number, number>();

  constructor(spec: BoundedLoadPolicySpec = { kind: 'bounded-load' }) {
    super();
    this.name = spec.name ?? 'bounded-load';
    this.virtualNodes = spec.virtualNodes ?? DEFAULT_VIRTUAL_NODES;
    this.epsilon = spec.epsilon ?? DEFAULT_BOUNDED_LOAD_EPSILON;
    if (!Number.isSafeInteger(this.virtualNodes) || this.virtualNodes < 1) {
      throw new InvalidArgumentError(`virtualNodes must be a positive integer, got ${this.virtualNodes}`);
    }
    if (!(this.epsilon > 0 && Number.isFinite(this.epsilon))) throw new InvalidArgumentError(`epsilon must be positive, got ${this.epsilon}`);
  }

  protected buildTable(members: readonly SimPod[]): RoutingTable {
    return buildRingTable(this.host.keySpace, members, this.virtualNodes);
  }

  route(table: RoutingTable, keyId: number, cost: number, _random: Random): RouteChoice {
    const second = Math.floor(this.host.queue.nowMs / 1000);
    if (second !== this.second) {
      this.second = second;
      this.secondTotal = 0;
      this.secondLoad.clear();
    }
    const points = table.groups.length;
    const members = Math.max(1, Math.round(table.sliceCount / this.virtualNodes));
    const bound = Math.ceil(((1 + this.epsilon) * (this.secondTotal + cost)) / members / cost) * cost;
    const start = table.keyGroup[keyId] as number;
    let chosen = (table.groups[start] as Int32Array)[0] as number;
    let overflowed = false;
    for (let step = 0; step < points; step++) {
      const instance = (table.groups[(start + step) % points] as Int32Array)[0] as number;
      if ((this.secondLoad.get(instance) ?? 0) + cost <= bound) {
        chosen = instance;
        overflowed = step > 0 && instance !== (table.groups[start] as Int32Array)[0];
        break;
      }
    }
    this.secondLoad.set(chosen, (this.secondLoad.get(chosen) ?? 0) + cost);
    this.secondTotal += cost;
    return { instance: chosen, overflowed };
  }
}
