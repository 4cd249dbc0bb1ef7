import { InvalidArgumentError, Slice, SliceKey } from '@dicer-ts/common';
import { compareResourceIds, type AlgorithmSliceAssignment, type ResourceComparator, type ResourceId } from './algorithm-types.js';

/** Dicer's `MIN_AVG_SLICE_REPLICAS`: the slice-replica total aims at no fewer than 32 per resource. */
export const MIN_AVG_SLICE_REPLICAS = 32;
/** Dicer's `MAX_AVG_SLICE_REPLICAS`: and at no more than 64 per resource. */
export const MAX_AVG_SLICE_REPLICAS = 64;

const KEY_SPACE_8_BYTES = 1n << 64n;

/**
 * `sliceCount` slices of equal key-space width (Dicer's `getUniformPartitioning`): the boundaries
 * are the 8-byte big-endian keys `i × 2^64 / sliceCount` for i = 1..sliceCount−1.
 *
 * @throws {InvalidArgumentError} unless `sliceCount` is a power of two between 1 and 2^30.
 */
export function uniformPartitioning(sliceCount: number): Slice[] {
  if (!Number.isSafeInteger(sliceCount) || sliceCount < 1 || sliceCount > 2 ** 30 || (sliceCount & (sliceCount - 1)) !== 0) {
    throw new InvalidArgumentError(`slice count must be a power of two between 1 and 2^30, got ${sliceCount}`);
  }
  const step = KEY_SPACE_8_BYTES / BigInt(sliceCount);
  const slices: Slice[] = [];
  let low = SliceKey.MIN;
  for (let i = 1; i < sliceCount; i++) {
    const high = key8(step * BigInt(i));
    slices.push(Slice.create(low, high));
    low = high;
  }
  slices.push(Slice.atLeast(low));
  return slices;
}

/**
 * The number of slices of an initial assignment: the smallest power of two ≥ ⌈32N / minR'⌉, so the
 * replica total `sliceCount × minR'` lands in `[32N, 64N]`.
 */
export function initialSliceCount(resourceCount: number, minReplicas: number): number {
  const minR = Math.min(minReplicas, resourceCount);
  const minSliceCount = Math.ceil((MIN_AVG_SLICE_REPLICAS * resourceCount) / minR);
  let count = 1;
  while (count < minSliceCount) count *= 2;
  return count;
}

/**
 * The assignment Dicer makes when there is no predecessor (`generateInitialAssignment`): a
 * uniform partitioning into {@link initialSliceCount} slices, then the resources, sorted, are
 * dealt round-robin with one iterator that continues across slices, each slice taking the next
 * `min(minReplicas, N)` distinct resources. No load is recorded.
 *
 * @throws {InvalidArgumentError} with no resources, duplicate resources, or `minReplicas < 1`.
 * @see algorithm.md §4
 */
export function generateInitialAssignment(
  availableResources: readonly ResourceId[],
  minReplicas: number,
  compareResources: ResourceComparator = compareResourceIds,
): AlgorithmSliceAssignment[] {
  const n = availableResources.length;
  if (n === 0) throw new InvalidArgumentError('an initial assignment needs at least one available resource');
  if (!Number.isSafeInteger(minReplicas) || minReplicas < 1) {
    throw new InvalidArgumentError(`minReplicas must be an integer of at least 1, got ${minReplicas}`);
  }
  const sorted = [...availableResources].sort(compareResources);
  for (let i = 1; i < n; i++) {
    if (compareResources(sorted[i - 1] as ResourceId, sorted[i] as ResourceId) === 0) {
      throw new InvalidArgumentError(`duplicate resource ${sorted[i]}`);
    }
  }
  const minR = Math.min(minReplicas, n);
  let next = 0;
  return uniformPartitioning(initialSliceCount(n, minR)).map((slice) => {
    const resources: ResourceId[] = [];
    for (let j = 0; j < minR; j++) {
      resources.push(sorted[next] as ResourceId);
      next = (next + 1) % n;
    }
    return { slice, resources };
  });
}

function key8(value: bigint): SliceKey {
  const bytes = new Uint8Array(8);
  let v = value;
  for (let i = 7; i >= 0; i--) {
    bytes[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return SliceKey.fromBytes(bytes);
}
