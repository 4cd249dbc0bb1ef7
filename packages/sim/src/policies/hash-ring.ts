import { SliceKey } from '@dicer-ts/common';
import type { KeyBoundary, KeySpace } from '../engine/key-space.js';
import { createRoutingTable, type RoutingTable } from '../engine/routing-table.js';
import type { SimPod } from '../engine/sim-pod.js';

/**
 * A consistent-hash ring: each pod owns `virtualNodes` points, placed by hashing `<address>#<i>`
 * with the same 64-bit function as the keys, so a pod restarted at the same address returns to
 * the same points. A key belongs to the nearest point at or below it (wrapping around).
 *
 * The table has one group per point, in ring order, so that a walk along the ring is a walk
 * along the groups (bounded loads needs that).
 */
export function buildRingTable(keySpace: KeySpace, members: readonly SimPod[], virtualNodes: number): RoutingTable {
  const points: { boundary: KeyBoundary; instance: number }[] = [];
  for (const pod of members) {
    for (let v = 0; v < virtualNodes; v++) {
      const key = SliceKey.fromApplicationKey(`${pod.address}#${v}`);
      points.push({ boundary: { high: key.prefixHigh, low: key.prefixLow, longer: false }, instance: pod.instance });
    }
  }
  points.sort((a, b) => a.boundary.high - b.boundary.high || a.boundary.low - b.boundary.low || a.instance - b.instance);
  return createRoutingTable(
    keySpace,
    points.map((p) => p.boundary),
    points.map((p) => Int32Array.of(p.instance)),
    points.length,
  );
}
