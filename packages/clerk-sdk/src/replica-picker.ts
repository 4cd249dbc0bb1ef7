/**
 * Replica choice for a replicated slice: pure, allocation-free, randomness injected.
 *
 * Dicer's Clerk picks uniformly at random among a slice's resources on every call
 * (`ResourceRouter.scala`, protocol.md §5); least-outstanding-requests is a dicer-ts addition for
 * callers whose replicas see uneven request costs (see docs/compatibility.md).
 */
import type { Random } from '@dicer-ts/common';
import type { ReplicaSelection } from './clerk-options.js';

/** A source of uniformly random integers (`SeededRandom` from common is one). */
export interface RandomInts {
  /** An integer in `[0, bound)`. */
  nextInt(bound: number): number;
}

/**
 * The Clerk's allocation-free source of replica choices: xorshift32 on int32 state, seeded once
 * from the injected `Random` (so a seeded Random still gives a reproducible sequence). Calling a
 * `Random` per lookup returns a double through a call, which V8 boxes: about 20 bytes per lookup.
 */
export class ReplicaRandom implements RandomInts {
  private state: number;

  constructor(seed: Random) {
    // xorshift32 must not start at 0.
    this.state = Math.floor(seed.next() * 4294967296) | 0 || 0x2545f491;
  }

  nextInt(bound: number): number {
    let x = this.state;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.state = x;
    // The high bits scaled, not `% bound`: xorshift's low bits are its weakest.
    return Math.floor(((x >>> 0) / 4294967296) * bound);
  }
}

/** What the least-outstanding choice reads of a replica. */
export interface OutstandingCount {
  /** Requests in flight to this replica through this Clerk; never negative. */
  readonly outstanding: number;
}

/**
 * A uniformly random index in `[0, count)`. A single replica consumes no randomness, so a seeded
 * sequence is not shifted by unreplicated slices.
 */
export function pickRandomIndex(count: number, random: RandomInts): number {
  if (count <= 1) return 0;
  const i = random.nextInt(count);
  // Guard a source that returns `bound` itself.
  return i < count ? i : count - 1;
}

/**
 * The index of a replica with the fewest outstanding requests; ties are broken uniformly at random
 * (reservoir sampling over the tied replicas, so no array is built). Without the random tie-break,
 * every idle Clerk would send its next request to the first replica and the replicas would see
 * bursts in turn.
 */
export function pickLeastOutstandingIndex(replicas: readonly OutstandingCount[], random: RandomInts): number {
  const n = replicas.length;
  if (n <= 1) return 0;
  let best = 0;
  let bestCount = (replicas[0] as OutstandingCount).outstanding;
  let ties = 1;
  for (let i = 1; i < n; i++) {
    const c = (replicas[i] as OutstandingCount).outstanding;
    if (c < bestCount) {
      best = i;
      bestCount = c;
      ties = 1;
    } else if (c === bestCount) {
      ties++;
      // Keep the i-th tied replica with probability 1/ties: each tied replica ends up chosen with 1/k.
      if (random.nextInt(ties) === 0) best = i;
    }
  }
  return best;
}

/** The replica index `selection` chooses among `replicas`. */
export function pickReplicaIndex(selection: ReplicaSelection, replicas: readonly OutstandingCount[], random: RandomInts): number {
  return selection === 'random' ? pickRandomIndex(replicas.length, random) : pickLeastOutstandingIndex(replicas, random);
}
