import { InvalidArgumentError } from '@dicer-ts/common';
import type { RoutingTable } from '../engine/routing-table.js';
import type { SimPod } from '../engine/sim-pod.js';
import type { ConsistentHashPolicySpec } from '../scenarios/scenario.js';
import { buildRingTable } from './hash-ring.js';
import { MembershipPolicy } from './membership-policy.js';

/** Default virtual nodes per pod of the ring baselines. */
export const DEFAULT_VIRTUAL_NODES = 128;

/** Consistent hashing with virtual nodes (Karger et al.): moves ~1/n of the keys per membership change. */
export class ConsistentHashPolicy extends MembershipPolicy {
  readonly name: string;
  readonly kind = 'consistent-hash';
  readonly virtualNodes: number;

  constructor(spec: ConsistentHashPolicySpec = { kind: 'consistent-hash' }) {
    super();
    this.name = spec.name ?? 'consistent-hash';
    this.virtualNodes = spec.virtualNodes ?? DEFAULT_VIRTUAL_NODES;
    if (!Number.isSafeInteger(this.virtualNodes) || this.virtualNodes < 1) {
      throw new InvalidArgumentError(`virtualNodes must be a positive integer, got ${this.virtualNodes}`);
    }
  }

  protected buildTable(members: readonly SimPod[]): RoutingTable {
    return buildRingTable(this.host.keySpace, members, this.virtualNodes);
  }
}
