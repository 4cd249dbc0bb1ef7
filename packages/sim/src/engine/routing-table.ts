import { InvalidArgumentError } from '@dicer-ts/common';
import type { KeyBoundary, KeySpace } from './key-space.js';

/**
 * Who serves each key under one policy decision: key → group, group → the pod instances holding
 * it (replicas). For Dicer a group is a slice; for the baselines it is a pod. Instances are the
 * simulator's pod incarnation ids, so a restarted pod is a different instance.
 *
 * Invariant: `keyGroup` has one entry per key id of the key space and every entry indexes `groups`.
 */
export interface RoutingTable {
  /** Key id → group index. */
  readonly keyGroup: Int32Array;
  /** Group index → pod instance ids (empty only while no pod is available). */
  readonly groups: readonly Int32Array[];
  /** The number of slices (Dicer), virtual nodes (ring) or ranges (static) behind the table. */
  readonly sliceCount: number;
}

/**
 * A routing table from key-space segments: segment `j` starts at `starts[j]` and is served by
 * `holders[j]`.
 *
 * @param wrapSegment the segment of keys below `starts[0]` (see {@link KeySpace.assignSegments}).
 */
export function createRoutingTable(
  keySpace: KeySpace,
  starts: readonly KeyBoundary[],
  holders: readonly Int32Array[],
  sliceCount: number,
  wrapSegment?: number,
): RoutingTable {
  if (starts.length !== holders.length || starts.length === 0) {
    throw new InvalidArgumentError(`a routing table needs one holder set per segment, got ${starts.length} and ${holders.length}`);
  }
  const keyGroup = new Int32Array(keySpace.size);
  keySpace.assignSegments(starts, keyGroup, wrapSegment);
  return { keyGroup, groups: holders, sliceCount };
}

/** Whether `instance` holds key `keyId` under `table`. */
export function holdsKey(table: RoutingTable, keyId: number, instance: number): boolean {
  const group = table.groups[table.keyGroup[keyId] as number] as Int32Array;
  for (let i = 0; i < group.length; i++) if (group[i] === instance) return true;
  return false;
}

/**
 * The share of a key's replicas under `next` that did not hold it under `prev` (0 when every new
 * holder held it before, 1 when all are new): the key's share of moved state.
 */
export function movedShare(prev: RoutingTable, next: RoutingTable, keyId: number): number {
  const before = prev.groups[prev.keyGroup[keyId] as number] as Int32Array;
  const after = next.groups[next.keyGroup[keyId] as number] as Int32Array;
  if (after.length === 0) return 0;
  let fresh = 0;
  outer: for (let i = 0; i < after.length; i++) {
    const a = after[i];
    for (let j = 0; j < before.length; j++) if (before[j] === a) continue outer;
    fresh++;
  }
  return fresh / after.length;
}
