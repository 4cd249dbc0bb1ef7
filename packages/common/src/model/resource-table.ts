import { requireThat } from './requirement.js';
import type { Squid } from './squid.js';

/**
 * Numbers SQUIDs for the `resources` table of a `DiffAssignmentP`, in the order it first sees them
 * (the wire refers to resources by index). Dicer's order is not canonical either; decoders accept
 * any order and duplicates.
 *
 * @see protocol.md §8 item 4
 */
export class ResourceTableBuilder {
  private readonly squids: Squid[] = [];
  private readonly byIdentity = new Map<Squid, number>();
  private readonly byValue = new Map<string, number>();

  /** The index of `squid`, adding it to the table on first sight. */
  indexOf(squid: Squid): number {
    const known = this.byIdentity.get(squid);
    if (known !== undefined) return known;
    const key = `${squid.resourceAddress.uri}\u0000${squid.creationTimeMs}\u0000${squid.uuidHigh}\u0000${squid.uuidLow}`;
    let index = this.byValue.get(key);
    if (index === undefined) {
      index = this.squids.length;
      this.squids.push(squid);
      this.byValue.set(key, index);
    }
    this.byIdentity.set(squid, index);
    return index;
  }

  /** The SQUIDs numbered so far, by index. */
  resources(): readonly Squid[] {
    return this.squids;
  }
}

/**
 * The SQUID at wire index `index` of `resources`.
 *
 * @throws {InvalidArgumentError} "Resource index N out of range. Proto contains M resources."
 */
export function resourceAt(resources: readonly Squid[], index: number): Squid {
  requireThat(
    Number.isInteger(index) && index >= 0 && index < resources.length,
    () => `Resource index ${index} out of range. Proto contains ${resources.length} resources.`,
  );
  return resources[index] as Squid;
}
