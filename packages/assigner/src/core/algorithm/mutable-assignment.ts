import { InternalError, Slice, SliceKey } from '@dicer-ts/common';
import type { LoadMap } from '../load-map.js';
import { EligibleResourceSet } from './eligible-resource-set.js';
import type { ResourceId } from './algorithm-types.js';

/** One replica of a slice on a resource, with Dicer's `isNewlyAssigned` flag. */
export interface Holder {
  readonly resource: ResourceState;
  /** False for allocations taken over from the base assignment; true for those made in this run. */
  readonly isNewlyAssigned: boolean;
}

/**
 * A resource during one run. `load` is the sum of the per-replica loads of the slices it holds,
 * clamped at 0, and exactly 0 when it holds nothing (a merge regression in Dicer depends on it).
 */
export class ResourceState {
  /** The adjusted load this resource carries. */
  load = 0;
  /** The slices it holds. Iteration order is insertion order; sort before deciding anything. */
  readonly slices = new Set<SliceNode>();
  /** True while the resource is in the eligible set. */
  eligible = false;

  constructor(
    readonly id: ResourceId,
    /** The position in the run's resource order; decides every tie between resources. */
    readonly rank: number,
    /** True when the resource is available (healthy). */
    readonly healthy: boolean,
    /** True when the resource appears nowhere in the base assignment. */
    readonly isNew: boolean,
  ) {}
}

/** A slice during one run: a node of the key-ordered list of slices. */
export class SliceNode {
  /** Previous slice in key order. */
  prev: SliceNode | undefined;
  /** Next slice in key order. */
  next: SliceNode | undefined;
  /** False once split or merged away. */
  alive = true;

  constructor(
    readonly slice: Slice,
    /** The adjusted load of the whole slice, fixed at creation. */
    readonly rawLoad: number,
    /** The replicas, sorted by resource rank. */
    public holders: readonly Holder[],
  ) {}

  /** The number of replicas. */
  get replicas(): number {
    return this.holders.length;
  }

  /** `rawLoad / replicas`: the load is split evenly across replicas. 0 replicas give 0 (guarded). */
  get perReplicaLoad(): number {
    return this.holders.length === 0 ? 0 : this.rawLoad / this.holders.length;
  }

  /** The holder on `r`, if `r` holds this slice. */
  holderOn(r: ResourceState): Holder | undefined {
    for (const h of this.holders) if (h.resource === r) return h;
    return undefined;
  }
}

/** Orders slice nodes by slice (low, then high). */
export function compareSliceNodes(a: SliceNode, b: SliceNode): number {
  return a.slice.compare(b.slice);
}

/**
 * Dicer's `MutableAssignment`: slices in key order with their replicas, resources with their
 * loads, and the eligible set, kept consistent by every operation.
 *
 * @see algorithm.md §5.0
 */
export class MutableAssignment {
  /** Every resource of the run (available ones and unhealthy base holders), in resource order. */
  readonly resources: readonly ResourceState[];
  /** The available resources, in resource order. */
  readonly available: readonly ResourceState[];
  /** The eligible resources, coldest first. */
  readonly eligible = new EligibleResourceSet();
  /** The first slice in key order. */
  first: SliceNode;
  /** The sum of the replica counts of all slices. */
  totalReplicas = 0;
  /** The number of slices. */
  sliceCount = 0;

  /**
   * @param resources every resource, in resource order (`rank` = index).
   * @param base the base slices in key order, each with holder ranks.
   * @param adjusted the reservation-adjusted load map; gives each base slice its `rawLoad`.
   */
  constructor(
    resources: readonly ResourceState[],
    base: readonly { readonly slice: Slice; readonly holders: readonly number[] }[],
    adjusted: LoadMap,
  ) {
    this.resources = resources;
    this.available = resources.filter((r) => r.healthy);
    let prev: SliceNode | undefined;
    let first: SliceNode | undefined;
    for (const b of base) {
      const holders = [...b.holders]
        .sort((x, y) => x - y)
        .map((rank): Holder => ({ resource: resources[rank] as ResourceState, isNewlyAssigned: false }));
      const node = new SliceNode(b.slice, adjusted.getLoad(b.slice), holders);
      node.prev = prev;
      if (prev) prev.next = node;
      else first = node;
      prev = node;
      this.sliceCount++;
      this.totalReplicas += holders.length;
      const p = node.perReplicaLoad;
      for (const h of holders) {
        h.resource.slices.add(node);
        h.resource.load += p;
      }
    }
    if (!first) throw new InternalError('an assignment needs at least one slice');
    this.first = first;
    for (const r of this.available) {
      r.eligible = true;
      this.eligible.insert(r);
    }
  }

  /** The slices in key order. */
  *nodes(): IterableIterator<SliceNode> {
    for (let n: SliceNode | undefined = this.first; n; n = n.next) yield n;
  }

  /** Removes `r` from the eligible set for good (placement's exclusion). */
  exclude(r: ResourceState): void {
    if (!r.eligible) return;
    this.eligible.remove(r);
    r.eligible = false;
  }

  /**
   * Replaces the replicas of `node`, updating every affected resource's load once by its net
   * change (a holder that stays changes only by the difference of per-replica loads).
   */
  setHolders(node: SliceNode, holders: readonly Holder[]): void {
    const sorted = [...holders].sort((a, b) => a.resource.rank - b.resource.rank);
    const oldP = node.perReplicaLoad;
    const newP = sorted.length === 0 ? 0 : node.rawLoad / sorted.length;
    const deltas = new DeltaList();
    for (const h of node.holders) {
      h.resource.slices.delete(node);
      deltas.add(h.resource, -oldP);
    }
    for (const h of sorted) {
      h.resource.slices.add(node);
      deltas.add(h.resource, newP);
    }
    this.totalReplicas += sorted.length - node.holders.length;
    node.holders = sorted;
    deltas.apply(this);
  }

  /**
   * Splits `node` at `key` (strictly inside it) into two slices holding exactly its replicas and
   * flags; the prefix gets `prefixLoad` and the suffix the rest of `load`.
   */
  split(node: SliceNode, key: SliceKey, prefixLoad: number, load: number): [SliceNode, SliceNode] {
    const a = new SliceNode(Slice.create(node.slice.lowInclusive, key), prefixLoad, node.holders);
    const b = new SliceNode(Slice.create(key, node.slice.highExclusive), load - prefixLoad, node.holders);
    this.replace(node, a, b);
    a.next = b;
    b.prev = a;
    this.sliceCount++;
    this.totalReplicas += node.replicas;
    const deltas = new DeltaList();
    const delta = a.perReplicaLoad + b.perReplicaLoad - node.perReplicaLoad;
    for (const h of node.holders) {
      h.resource.slices.delete(node);
      h.resource.slices.add(a);
      h.resource.slices.add(b);
      deltas.add(h.resource, delta);
    }
    deltas.apply(this);
    return [a, b];
  }

  /** Merges two adjacent slices into one with load `left + right` held by `holders`. */
  merge(left: SliceNode, right: SliceNode, holders: readonly Holder[]): SliceNode {
    if (left.next !== right) throw new InternalError(`merging slices that are not adjacent: ${left.slice} and ${right.slice}`);
    const high = right.slice.highExclusive;
    const sorted = [...holders].sort((a, b) => a.resource.rank - b.resource.rank);
    const merged = new SliceNode(Slice.create(left.slice.lowInclusive, high), left.rawLoad + right.rawLoad, sorted);
    merged.prev = left.prev;
    merged.next = right.next;
    if (left.prev) left.prev.next = merged;
    else this.first = merged;
    if (right.next) right.next.prev = merged;
    left.alive = false;
    right.alive = false;
    this.sliceCount--;
    this.totalReplicas += sorted.length - left.replicas - right.replicas;
    const deltas = new DeltaList();
    for (const part of [left, right]) {
      const p = part.perReplicaLoad;
      for (const h of part.holders) {
        h.resource.slices.delete(part);
        deltas.add(h.resource, -p);
      }
    }
    const p = merged.perReplicaLoad;
    for (const h of sorted) {
      h.resource.slices.add(merged);
      deltas.add(h.resource, p);
    }
    deltas.apply(this);
    return merged;
  }

  /** Sets `r`'s load to `load + delta` (clamped, 0 when it holds nothing), keeping the eligible set sorted. */
  adjustLoad(r: ResourceState, delta: number): void {
    if (r.eligible) this.eligible.remove(r);
    r.load = r.slices.size === 0 ? 0 : Math.max(0, r.load + delta);
    if (r.eligible) this.eligible.insert(r);
  }

  private replace(node: SliceNode, a: SliceNode, b: SliceNode): void {
    a.prev = node.prev;
    b.next = node.next;
    if (node.prev) node.prev.next = a;
    else this.first = a;
    if (node.next) node.next.prev = b;
    node.alive = false;
  }
}

/**
 * Net load changes per resource, applied once per resource (each resource's load is independent of
 * the others, so the order of application does not change any result).
 */
class DeltaList {
  private readonly resources: ResourceState[] = [];
  private readonly deltas: number[] = [];

  add(r: ResourceState, delta: number): void {
    const i = this.resources.indexOf(r);
    if (i >= 0) this.deltas[i] = (this.deltas[i] as number) + delta;
    else {
      this.resources.push(r);
      this.deltas.push(delta);
    }
  }

  apply(model: MutableAssignment): void {
    for (let i = 0; i < this.resources.length; i++) {
      model.adjustLoad(this.resources[i] as ResourceState, this.deltas[i] as number);
    }
  }
}
