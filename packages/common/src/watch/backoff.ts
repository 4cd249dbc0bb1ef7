import { InvalidArgumentError } from '../errors.js';
import type { Random } from '../random.js';

/** First retry delay before jitter (Dicer's `minRetryDelay`). */
export const DEFAULT_MIN_RETRY_DELAY_MS = 1_000;
/** Largest retry delay before jitter (Dicer's `maxRetryDelay`). */
export const DEFAULT_MAX_RETRY_DELAY_MS = 10_000;
/** Jitter half-width as a fraction of the delay: ±20 %. */
export const DEFAULT_RETRY_JITTER_FRACTION = 0.2;

/** Options of {@link Backoff}. */
export interface BackoffOptions {
  /** Pre-jitter delay of the first retry. @default 1000 */
  readonly minDelayMs?: number;
  /** Pre-jitter delay cap. @default 10000 */
  readonly maxDelayMs?: number;
  /** Jitter half-width as a fraction of the delay. @default 0.2 */
  readonly jitterFraction?: number;
}

/**
 * Exponential retry backoff: the pre-jitter delay starts at `minDelayMs` and doubles on every
 * {@link Backoff.next} up to `maxDelayMs` (1, 2, 4, 8, 10, 10… s by default); each returned delay is
 * the pre-jitter delay times `1 + (U[0,1) − 0.5) × 2 × jitterFraction` (±20 %). {@link Backoff.reset}
 * goes back to `minDelayMs`.
 *
 * Pure apart from the injected {@link Random}, so a seeded random makes it deterministic.
 *
 * @see protocol.md §3.3 step 5
 */
export class Backoff {
  private readonly random: Random;
  private readonly minDelayMs: number;
  private readonly maxDelayMs: number;
  private readonly jitterFraction: number;
  /** The pre-jitter delay the next call to `next()` uses; always within [min, max]. */
  private currentMs: number;

  /**
   * @throws {InvalidArgumentError} when a delay is not positive, `maxDelayMs < minDelayMs`, or the
   *   jitter fraction is outside [0, 1).
   */
  constructor(random: Random, options: BackoffOptions = {}) {
    const minDelayMs = options.minDelayMs ?? DEFAULT_MIN_RETRY_DELAY_MS;
    const maxDelayMs = options.maxDelayMs ?? DEFAULT_MAX_RETRY_DELAY_MS;
    const jitterFraction = options.jitterFraction ?? DEFAULT_RETRY_JITTER_FRACTION;
    if (!(minDelayMs > 0)) throw new InvalidArgumentError(`minDelayMs must be positive, got ${minDelayMs}`);
    if (!(maxDelayMs >= minDelayMs)) {
      throw new InvalidArgumentError(`maxDelayMs must be at least minDelayMs (${minDelayMs}), got ${maxDelayMs}`);
    }
    if (!(jitterFraction >= 0 && jitterFraction < 1)) {
      throw new InvalidArgumentError(`jitterFraction must be in [0, 1), got ${jitterFraction}`);
    }
    this.random = random;
    this.minDelayMs = minDelayMs;
    this.maxDelayMs = maxDelayMs;
    this.jitterFraction = jitterFraction;
    this.currentMs = minDelayMs;
  }

  /** The pre-jitter delay the next {@link Backoff.next} will use. */
  get nextBaseDelayMs(): number {
    return this.currentMs;
  }

  /** The delay before the next retry (jittered), then doubles the pre-jitter delay up to the cap. */
  next(): number {
    const base = this.currentMs;
    this.currentMs = Math.min(this.maxDelayMs, base * 2);
    return base * (1 + (this.random.next() - 0.5) * 2 * this.jitterFraction);
  }

  /** Back to the first delay, after a success. */
  reset(): void {
    this.currentMs = this.minDelayMs;
  }
}
