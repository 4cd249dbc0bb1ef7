/**
 * The Clerk's lookup structure for one assignment: built once when the assignment arrives, read
 * allocation-free on every call. Pure (no I/O).
 */
import { type Assignment, type ResourceAddress, SliceTable, type SliceAssignment } from '@dicer-ts/common';
import type { OutstandingCount } from './replica-picker.js';

/**
 * Counts requests in flight to one resource, for least-outstanding replica selection. Handed to
 * `stubFactory` so that a stub (or an interceptor on it) can count its own calls.
 */
export interface RequestCounter {
  /** One more request in flight. */
  begin(): void;
  /** One request finished (success or failure); never goes below zero. */
  end(): void;
}

/**
 * One resource (a Slicelet's application address) as the Clerk routes to it. The same object is
 * reused from one assignment to the next while the address stays assigned, so its request counter
 * survives reassignments.
 */
export class RoutedResource implements OutstandingCount, RequestCounter {
  /** Requests in flight through this Clerk (least-outstanding selection); never negative. */
  outstanding = 0;

  /**
   * @param address - the resource address (the first SQUID seen with it; Affinity routing compares
   *   addresses only, protocol.md §2.5).
   * @param key - the address text, the key of stubs and counters.
   */
  constructor(
    readonly address: ResourceAddress,
    readonly key: string,
  ) {}

  begin(): void {
    this.outstanding++;
  }

  end(): void {
    if (this.outstanding > 0) this.outstanding--;
  }
}

/** The replicas of one slice, by distinct address, in the assignment's SQUID order. */
export interface RoutedSlice {
  readonly sliceAssignment: SliceAssignment;
  /** Never empty: an assigned slice has at least one resource. */
  readonly replicas: readonly RoutedResource[];
}

/** The lookup table of one assignment plus the resources it routes to. */
export class RoutingTable {
  private constructor(
    /** The assignment this table was built from. */
    readonly assignment: Assignment,
    /** Slice lookup (allocation-free) over the routed slices. */
    readonly slices: SliceTable<RoutedSlice>,
    /** Every assigned resource by address text. */
    readonly resources: ReadonlyMap<string, RoutedResource>,
  ) {}

  /**
   * Builds the table for `assignment`, reusing the {@link RoutedResource}s of `previous` for
   * addresses still assigned (their counters carry over).
   */
  static build(assignment: Assignment, previous?: RoutingTable): RoutingTable {
    const resources = new Map<string, RoutedResource>();
    const routed = assignment.sliceAssignments.map((sliceAssignment): RoutedSlice => {
      const replicas: RoutedResource[] = [];
      for (const squid of sliceAssignment.resources) {
        const key = squid.resourceAddress.uri;
        let resource = resources.get(key);
        if (resource === undefined) {
          resource = previous?.resources.get(key) ?? new RoutedResource(squid.resourceAddress, key);
          resources.set(key, resource);
        }
        // Two SQUIDs of one address (a restarted pod, Affinity mode) are one replica.
        if (!replicas.includes(resource)) replicas.push(resource);
      }
      return { sliceAssignment, replicas };
    });
    return new RoutingTable(assignment, SliceTable.create(routed, (r) => r.sliceAssignment.slice), resources);
  }
}
