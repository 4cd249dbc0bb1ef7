/** Builders shared by the Slicelet SDK tests: small assignments over one-byte boundaries. */
import { Assignment, Generation, ResourceAddress, Slice, SliceAssignment, SliceKey, Squid } from '@dicer-ts/common';
import type { SubsliceAnnotation } from '@dicer-ts/common';

/** A one-byte key. */
export function key(byte: number): SliceKey {
  return SliceKey.fromBytes(Uint8Array.of(byte));
}

/** A SQUID at `https://<host>:8080` with a UUID made from `n`. */
export function squidOf(host: string, n = 1, creationTimeMs = 1_700_000_000_000n): Squid {
  const hex = n.toString(16).padStart(12, '0');
  return Squid.create(ResourceAddress.create(`https://${host}:8080`), creationTimeMs, `00000000-0000-4000-8000-${hex}`);
}

/** One slice of {@link assignmentOf}: `[low, next low)` owned by `owners`. */
export interface SliceSpec {
  /** One-byte low bound; the first spec must start at undefined (the minimum key). */
  readonly low: number | undefined;
  readonly owners: readonly Squid[];
  /** Slice generation number. @default the assignment's */
  readonly number?: bigint;
  readonly annotations?: readonly { readonly owner: Squid; readonly low: number | undefined; readonly high: number | undefined; readonly number: bigint }[];
  readonly load?: number;
}

/** An assignment of incarnation `incarnation` and number `number` over the given slices. */
export function assignmentOf(incarnation: bigint, number: bigint, specs: readonly SliceSpec[]): Assignment {
  const sliceAssignments = specs.map((spec, i) => {
    const low = spec.low === undefined ? SliceKey.MIN : key(spec.low);
    const nextLow = specs[i + 1]?.low;
    const slice = Slice.create(low, nextLow === undefined ? undefined : key(nextLow));
    return SliceAssignment.create({
      slice,
      generation: Generation.create(incarnation, spec.number ?? number),
      resources: spec.owners,
      subsliceAnnotations: (spec.annotations ?? []).map((a) => ({
        resource: a.owner,
        annotation: {
          subslice: Slice.create(a.low === undefined ? SliceKey.MIN : key(a.low), a.high === undefined ? undefined : key(a.high)),
          generationNumber: a.number,
        } satisfies SubsliceAnnotation,
      })),
      primaryRateLoad: spec.load,
    });
  });
  return Assignment.create({ generation: Generation.create(incarnation, number), sliceAssignments });
}
