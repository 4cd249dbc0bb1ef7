import type { KeyBoundary } from '../engine/key-space.js';
import { createRoutingTable, type RoutingTable } from '../engine/routing-table.js';
import type { SimPod } from '../engine/sim-pod.js';
import type { StaticRangePolicySpec } from '../scenarios/scenario.js';
import { MembershipPolicy } from './membership-policy.js';

/**
 * Static equal ranges: the 64-bit key space cut into one equal range per member, in address
 * order. It ignores load entirely and recuts everything when membership changes.
 */
export class StaticRangePolicy extends MembershipPolicy {
  readonly name: string;
  readonly kind = 'static';

  constructor(spec: StaticRangePolicySpec = { kind: 'static' }) {
    super();
    this.name = spec.name ?? 'static';
  }

  protected buildTable(members: readonly SimPod[]): RoutingTable {
    const n = members.length;
    const starts: KeyBoundary[] = [];
    for (let i = 0; i < n; i++) {
      const start = ((1n << 64n) * BigInt(i)) / BigInt(n);
      starts.push({ high: Number(start >> 32n), low: Number(start & 0xffff_ffffn), longer: false });
    }
    return createRoutingTable(
      this.host.keySpace,
      starts,
      members.map((p) => Int32Array.of(p.instance)),
      n,
    );
  }
}
