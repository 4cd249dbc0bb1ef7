/**
 * When the Assigner generates a new assignment for a target: the decision Dicer's
 * `AssignmentGenerator` takes on every event and timer advance, as a pure function
 * ({@link decideRegeneration}) and a small bookkeeping class around it
 * ({@link RegenerationScheduler}) that remembers attempts, completed writes and the write in
 * flight.
 *
 * Decision order (first match wins):
 * 1. skip `frozen-assignment` if the latest known assignment is frozen (no timer);
 * 2. skip `incomplete-resources` if no resource is available;
 * 3. skip `in-flight-write` while a write is outstanding (its completion re-triggers);
 * 4. generate `first-assignment` if no assignment is known;
 * 5. skip `known-higher-incarnation-assignment` (for good) if the known assignment's incarnation
 *    is above the store's;
 * 6. generate `health-change` if the available Squid set differs from the assigned one;
 * 7. generate `load-balancing` if `now ≥ lastWriteCompleted + loadBalancingIntervalMs` (or nothing
 *    was written yet), else skip `too-soon-to-load-balance` with a timer for that time;
 * 8. any generate is downgraded to skip `rate-limited` (timer set) when less than
 *    `minGenerationIntervalMs` has passed since the last *attempt*.
 *
 * Invariants: G1 never two writes in flight; G2 attempts at least `minGenerationIntervalMs` apart;
 * G3 a frozen assignment is never regenerated; G4 a write is due every load-balancing interval
 * even when nothing changed.
 *
 * @see algorithm.md §10, store-ha.md §1.3
 */
import { IllegalStateError, InvalidArgumentError, type Squid } from '@dicer-ts/common';

/** Why a generation is due. */
export type GenerationReason = 'first-assignment' | 'health-change' | 'load-balancing';

/** Why no generation happens now. */
export type SkipReason =
  | 'frozen-assignment'
  | 'incomplete-resources'
  | 'in-flight-write'
  | 'known-higher-incarnation-assignment'
  | 'too-soon-to-load-balance'
  | 'rate-limited';

/** The outcome of {@link decideRegeneration}. */
export type RegenerationDecision =
  | { readonly kind: 'generate'; readonly reason: GenerationReason }
  | {
      readonly kind: 'skip';
      readonly reason: SkipReason;
      /** For `rate-limited`: the generation that was held back. */
      readonly heldBack?: GenerationReason;
      /** When the decision may change without a new event; `undefined` for none. */
      readonly wakeAtMs: number | undefined;
    };

/** What the latest known assignment contributes to the decision. */
export interface KnownAssignmentSummary {
  readonly isFrozen: boolean;
  /** The incarnation of the assignment's generation. */
  readonly incarnation: bigint;
  /** Every Squid the assignment assigns a slice to (duplicates allowed). */
  readonly resources: readonly Squid[];
}

/** The state the decision reads. */
export interface RegenerationInputs {
  /** The latest known assignment, from any source; `undefined` when none is known. */
  readonly latestAssignment: KnownAssignmentSummary | undefined;
  /** This Assigner's store incarnation. */
  readonly storeIncarnation: bigint;
  /** The available (healthy, deduplicated) resources. */
  readonly availableResources: readonly Squid[];
  /** Whether a write is outstanding. */
  readonly writeInFlight: boolean;
  /** When the last write returned a result (committed or OCC conflict; not a thrown error). */
  readonly lastWriteCompletedAtMs: number | undefined;
  /** When the last generation was attempted. */
  readonly lastGenerationAttemptAtMs: number | undefined;
}

/** The intervals of the decision. */
export interface RegenerationTimingOptions {
  /** Periodic load balancing (Dicer's hard-coded 1 minute). @default 60_000 */
  readonly loadBalancingIntervalMs?: number;
  /**
   * The least time between generation attempts (Dicer's `MIN_ASSIGNMENT_GENERATION_INTERVAL`:
   * 10 s in production; tests use 0). @default 10_000
   */
  readonly minGenerationIntervalMs?: number;
}

/** {@link RegenerationTimingOptions} with defaults applied. */
export interface ResolvedRegenerationTimingOptions {
  readonly loadBalancingIntervalMs: number;
  readonly minGenerationIntervalMs: number;
}

/** Default of {@link RegenerationTimingOptions.loadBalancingIntervalMs}. */
export const DEFAULT_LOAD_BALANCING_INTERVAL_MS = 60_000;
/** Default of {@link RegenerationTimingOptions.minGenerationIntervalMs}. */
export const DEFAULT_MIN_GENERATION_INTERVAL_MS = 10_000;

/**
 * Applies the defaults of {@link RegenerationTimingOptions} and validates them.
 *
 * @throws {InvalidArgumentError} for a negative or non-finite interval.
 */
export function resolveRegenerationTimingOptions(options: RegenerationTimingOptions = {}): ResolvedRegenerationTimingOptions {
  const resolved = {
    loadBalancingIntervalMs: options.loadBalancingIntervalMs ?? DEFAULT_LOAD_BALANCING_INTERVAL_MS,
    minGenerationIntervalMs: options.minGenerationIntervalMs ?? DEFAULT_MIN_GENERATION_INTERVAL_MS,
  };
  for (const name of ['loadBalancingIntervalMs', 'minGenerationIntervalMs'] as const) {
    const v = resolved[name];
    if (!(Number.isFinite(v) && v >= 0)) throw new InvalidArgumentError(`${name} must be finite and non-negative, got ${v}`);
  }
  return Object.freeze(resolved);
}

/** True when both lists hold the same Squids (as sets; order and duplicates ignored). */
export function sameSquidSet(a: readonly Squid[], b: readonly Squid[]): boolean {
  const sa = [...a].sort((x, y) => x.compare(y)).filter((s, i, all) => i === 0 || !s.equals(all[i - 1]!));
  const sb = [...b].sort((x, y) => x.compare(y)).filter((s, i, all) => i === 0 || !s.equals(all[i - 1]!));
  return sa.length === sb.length && sa.every((s, i) => s.equals(sb[i]!));
}

/**
 * Dicer's generation decision (see the file comment for the order).
 */
export function decideRegeneration(
  inputs: RegenerationInputs,
  nowMs: number,
  timing: ResolvedRegenerationTimingOptions = resolveRegenerationTimingOptions(),
): RegenerationDecision {
  const latest = inputs.latestAssignment;
  if (latest?.isFrozen === true) return { kind: 'skip', reason: 'frozen-assignment', wakeAtMs: undefined };
  if (inputs.availableResources.length === 0) return { kind: 'skip', reason: 'incomplete-resources', wakeAtMs: undefined };
  if (inputs.writeInFlight) return { kind: 'skip', reason: 'in-flight-write', wakeAtMs: undefined };

  let reason: GenerationReason;
  if (latest === undefined) {
    reason = 'first-assignment';
  } else if (latest.incarnation > inputs.storeIncarnation) {
    return { kind: 'skip', reason: 'known-higher-incarnation-assignment', wakeAtMs: undefined };
  } else if (!sameSquidSet(inputs.availableResources, latest.resources)) {
    reason = 'health-change';
  } else if (
    inputs.lastWriteCompletedAtMs === undefined ||
    nowMs >= inputs.lastWriteCompletedAtMs + timing.loadBalancingIntervalMs
  ) {
    reason = 'load-balancing';
  } else {
    return {
      kind: 'skip',
      reason: 'too-soon-to-load-balance',
      wakeAtMs: inputs.lastWriteCompletedAtMs + timing.loadBalancingIntervalMs,
    };
  }

  if (inputs.lastGenerationAttemptAtMs !== undefined) {
    const allowedAtMs = inputs.lastGenerationAttemptAtMs + timing.minGenerationIntervalMs;
    if (nowMs < allowedAtMs) return { kind: 'skip', reason: 'rate-limited', heldBack: reason, wakeAtMs: allowedAtMs };
  }
  return { kind: 'generate', reason };
}

/** How a write ended. A thrown error does not count as a completed write (no backoff either). */
export type WriteOutcome = 'committed' | 'occ-failure' | 'error';

/**
 * The generator's bookkeeping around {@link decideRegeneration}: it records an attempt whenever it
 * decides to generate (and marks the write in flight), and the completion time of writes that
 * returned a result.
 *
 * @example
 * ```ts
 * const scheduler = new RegenerationScheduler({ minGenerationIntervalMs: 10_000 });
 * const decision = scheduler.decide(nowMs, { latestAssignment, storeIncarnation, availableResources });
 * if (decision.kind === 'generate') { … write …; scheduler.onWriteCompleted('committed', laterMs); }
 * ```
 */
export class RegenerationScheduler {
  /** The intervals in force, defaults applied. */
  readonly timing: ResolvedRegenerationTimingOptions;
  private inFlight = false;
  private lastWriteCompletedAtMs: number | undefined;
  private lastGenerationAttemptAtMs: number | undefined;

  constructor(timing: RegenerationTimingOptions = {}) {
    this.timing = resolveRegenerationTimingOptions(timing);
  }

  /** Whether a write is outstanding. */
  get writeInFlight(): boolean {
    return this.inFlight;
  }

  /** When the last write completed with a result, if ever. */
  get lastWriteCompletedMs(): number | undefined {
    return this.lastWriteCompletedAtMs;
  }

  /** When the last generation was attempted, if ever. */
  get lastAttemptMs(): number | undefined {
    return this.lastGenerationAttemptAtMs;
  }

  /**
   * Decides; on `generate` records the attempt at `nowMs` and marks a write in flight, so the
   * caller must then write and report the outcome with {@link onWriteCompleted}.
   */
  decide(
    nowMs: number,
    state: Pick<RegenerationInputs, 'latestAssignment' | 'storeIncarnation' | 'availableResources'>,
  ): RegenerationDecision {
    const decision = decideRegeneration(
      {
        ...state,
        writeInFlight: this.inFlight,
        lastWriteCompletedAtMs: this.lastWriteCompletedAtMs,
        lastGenerationAttemptAtMs: this.lastGenerationAttemptAtMs,
      },
      nowMs,
      this.timing,
    );
    if (decision.kind === 'generate') {
      this.lastGenerationAttemptAtMs = nowMs;
      this.inFlight = true;
    }
    return decision;
  }

  /**
   * Records the end of the write in flight. A committed write and an OCC conflict set the
   * load-balancing clock; a thrown error does not (Dicer has no backoff there: the same trigger
   * is retried once the attempt rate limit allows).
   *
   * @throws {IllegalStateError} when no write is in flight.
   */
  onWriteCompleted(outcome: WriteOutcome, nowMs: number): void {
    if (!this.inFlight) throw new IllegalStateError('onWriteCompleted called with no write in flight');
    this.inFlight = false;
    if (outcome !== 'error') this.lastWriteCompletedAtMs = nowMs;
  }
}
