import { InternalError } from '@dicer-ts/common';
import type { ResourceState } from './mutable-assignment.js';

/**
 * The eligible resources sorted by `(load, resource order)`: the first is the coldest, the last the
 * hottest, so equal loads go to the later resource as hottest (Dicer's sorted set of
 * `(load, squid)`). A resource's load must not change while it is in the set: remove it, change
 * the load, insert it again ({@link MutableAssignment} does this).
 */
export class EligibleResourceSet {
  private readonly items: ResourceState[] = [];

  /** The number of eligible resources. */
  get size(): number {
    return this.items.length;
  }

  /** The resources from coldest to hottest. Do not mutate; it changes with every load update. */
  get coldestFirst(): readonly ResourceState[] {
    return this.items;
  }

  /** The coldest resource, if any. */
  coldest(): ResourceState | undefined {
    return this.items[0];
  }

  /** The hottest resource, if any. */
  hottest(): ResourceState | undefined {
    return this.items[this.items.length - 1];
  }

  /** Adds a resource at its place. */
  insert(r: ResourceState): void {
    const i = this.lowerBound(r);
    this.items.splice(i, 0, r);
  }

  /** Removes a resource (which must be present with its current load). */
  remove(r: ResourceState): void {
    const i = this.lowerBound(r);
    if (this.items[i] !== r) throw new InternalError(`resource ${r.id} is not in the eligible set at its load`);
    this.items.splice(i, 1);
  }

  private lowerBound(r: ResourceState): number {
    const items = this.items;
    let lo = 0;
    let hi = items.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (compareLoadThenRank(items[mid] as ResourceState, r) < 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}

/** `(load, rank)` ascending. */
export function compareLoadThenRank(a: ResourceState, b: ResourceState): number {
  if (a.load !== b.load) return a.load < b.load ? -1 : 1;
  return a.rank - b.rank;
}
