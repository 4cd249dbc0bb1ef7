/**
 * A source of randomness. Pure logic and drivers take one through their options, so tests and the
 * simulator can use a {@link SeededRandom}.
 */
export interface Random {
  /** A float in [0, 1). */
  next(): number;
}

/** `Math.random()`, for production. */
export const SYSTEM_RANDOM: Random = { next: () => Math.random() };

/** A small, fast, seeded generator (mulberry32): the same seed gives the same sequence everywhere. */
export class SeededRandom implements Random {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** An integer in [0, bound). */
  nextInt(bound: number): number {
    return Math.floor(this.next() * bound);
  }
}
