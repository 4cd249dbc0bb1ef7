import { SeededRandom, Slice, SliceKey } from '@dicer-ts/common';
import { LoadMap } from '../../../src/core/load-map.js';
import { key8 } from './test-helpers.js';

/** The shapes of load the algorithm tests draw from. */
export type LoadKind = 'uniform' | 'zipf' | 'hot-key';

/** A generated load: the map, and for `hot-key` the hot key. */
export interface Workload {
  readonly map: LoadMap;
  readonly hotKey?: SliceKey;
}

/**
 * A load map of `total` over `slices` random 8-byte-bounded slices: load densities (load per unit
 * of key space) drawn from `[1, density]`; or Zipf(0.99) slice loads in random order; or the
 * first kind carrying `1 − hotFraction` plus one key (the low bound of a random slice, as an entry
 * `[k, k\0)`) carrying `hotFraction`.
 */
export function generateWorkload(
  rand: SeededRandom,
  kind: LoadKind,
  total: number,
  slices = 128,
  hotFraction = 0.5,
  density = 4,
): Workload {
  const cuts = new Set<bigint>();
  while (cuts.size < slices - 1) cuts.add(BigInt(1 + rand.nextInt(2 ** 30)) * (1n << 34n) + BigInt(rand.nextInt(2 ** 30)));
  const bounds = [...cuts].sort((a, b) => (a < b ? -1 : 1));
  const edges = [0n, ...bounds, 1n << 64n];
  let weights: number[];
  if (kind === 'zipf') {
    weights = Array.from({ length: slices }, (_, i) => 1 / (i + 1) ** 0.99);
    for (let i = weights.length - 1; i > 0; i--) {
      const j = rand.nextInt(i + 1);
      [weights[i], weights[j]] = [weights[j] as number, weights[i] as number];
    }
  } else {
    weights = Array.from(
      { length: slices },
      (_, i) => Number((edges[i + 1] as bigint) - (edges[i] as bigint)) * (1 + rand.next() * (density - 1)),
    );
  }
  const sum = weights.reduce((a, b) => a + b, 0);
  const background = kind === 'hot-key' ? total * (1 - hotFraction) : total;
  const hotIndex = kind === 'hot-key' ? 1 + rand.nextInt(slices - 1) : -1;
  const b = LoadMap.builder();
  let hotKey: SliceKey | undefined;
  for (let i = 0; i < slices; i++) {
    const low = i === 0 ? SliceKey.MIN : key8(bounds[i - 1] as bigint);
    const high = i === slices - 1 ? undefined : key8(bounds[i] as bigint);
    const load = (background * (weights[i] as number)) / sum;
    if (i === hotIndex) {
      hotKey = low;
      b.putLoad(Slice.create(low, high), load, [{ key: low, load: total * hotFraction }]);
    } else {
      b.putLoad(Slice.create(low, high), load);
    }
  }
  return hotKey === undefined ? { map: b.build() } : { map: b.build(), hotKey };
}
