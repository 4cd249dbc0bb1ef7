import { InvalidArgumentError } from '@dicer-ts/common';

/**
 * Dicer's `imbalance_tolerance_hint`, as a string union (the proto enum's values, kebab-case).
 *
 * @see algorithm.md §2
 */
export type ImbalanceToleranceHint = 'default' | 'tight' | 'loose';

/** Dicer's `uniform_load_reservation_hint`, as a string union. @see algorithm.md §2 */
export type UniformLoadReservationHint = 'no-reservation' | 'small' | 'medium' | 'large';

/** The tolerance ratio of each {@link ImbalanceToleranceHint}: DEFAULT 0.1, TIGHT 0.025, LOOSE 0.4. */
export const IMBALANCE_TOLERANCE_RATIOS: Readonly<Record<ImbalanceToleranceHint, number>> = Object.freeze({
  default: 0.1,
  tight: 0.025,
  loose: 0.4,
});

/**
 * The reservation ratio of each {@link UniformLoadReservationHint}. NO_RESERVATION still reserves
 * 1%: it keeps zero-load slices splittable and spreads slices when no load is reported.
 */
export const UNIFORM_LOAD_RESERVATION_RATIOS: Readonly<Record<UniformLoadReservationHint, number>> = Object.freeze({
  'no-reservation': 0.01,
  small: 0.1,
  medium: 0.2,
  large: 0.4,
});

/** Dicer's `ChurnConfig.DEFAULT.maxPenaltyRatio`. */
export const DEFAULT_CHURN_PENALTY_RATIO = 0.25;
/** Dicer's `PLACEMENT_TIMEOUT` (30 s of wall-clock time, read from the injected time source). */
export const DEFAULT_PLACEMENT_TIMEOUT_MS = 30_000;
/**
 * The default cap on placement iterations (each applies one move or excludes one resource). Not
 * in Dicer: it makes placement terminate deterministically even without a time source.
 */
export const DEFAULT_PLACEMENT_ITERATION_BUDGET = 1_000_000;

/**
 * The numeric configuration one algorithm run reads (§2's internal numbers). Build it with
 * {@link createAlgorithmConfig}; the target-config parser maps `TargetConfigP` onto it.
 *
 * @see algorithm.md §2
 */
export interface AlgorithmConfig {
  /** Per-resource capacity in load units (`max_load_hint`); > 0 and finite. */
  readonly maxLoadHint: number;
  /** The imbalance tolerance as a ratio of `max(maxLoadHint, average load)`. */
  readonly imbalanceToleranceRatio: number;
  /** The share of `maxLoadHint × N` spread uniformly over the key space before deciding. */
  readonly uniformLoadReservationRatio: number;
  /** The minimum replicas per slice (`key_replication_config.min_replicas`), ≥ 1. */
  readonly minReplicas: number;
  /** The maximum replicas per slice, ≥ `minReplicas`. */
  readonly maxReplicas: number;
  /** The churn penalty per unit of moved load (`ChurnConfig.maxPenaltyRatio`); 0 disables it. */
  readonly churnPenaltyRatio: number;
  /** The wall-clock cap on placement, measured with the run's `nowMs` (if any). */
  readonly placementTimeoutMs: number;
  /** The cap on placement iterations, a deterministic guard against a placement that never ends. */
  readonly placementIterationBudget: number;
}

/** The fields of an {@link AlgorithmConfig}, every one but `maxLoadHint` optional. */
export interface AlgorithmConfigOptions {
  /** Per-resource capacity in load units. */
  readonly maxLoadHint: number;
  /** @default 'default' (ratio 0.1) */
  readonly imbalanceToleranceHint?: ImbalanceToleranceHint;
  /** @default 'no-reservation' (ratio 0.01) */
  readonly uniformLoadReservationHint?: UniformLoadReservationHint;
  /** @default 1 */
  readonly minReplicas?: number;
  /** @default 1 */
  readonly maxReplicas?: number;
  /** @default {@link DEFAULT_CHURN_PENALTY_RATIO} */
  readonly churnPenaltyRatio?: number;
  /** @default {@link DEFAULT_PLACEMENT_TIMEOUT_MS} */
  readonly placementTimeoutMs?: number;
  /** @default {@link DEFAULT_PLACEMENT_ITERATION_BUDGET} */
  readonly placementIterationBudget?: number;
}

/**
 * A validated, frozen {@link AlgorithmConfig} from hints and defaults.
 *
 * @throws {InvalidArgumentError} naming the field and the value when a rule is broken.
 * @example
 * const config = createAlgorithmConfig({ maxLoadHint: 1000, imbalanceToleranceHint: 'tight', maxReplicas: 3 });
 */
export function createAlgorithmConfig(options: AlgorithmConfigOptions): AlgorithmConfig {
  const tolerance = options.imbalanceToleranceHint ?? 'default';
  const reservation = options.uniformLoadReservationHint ?? 'no-reservation';
  if (!(tolerance in IMBALANCE_TOLERANCE_RATIOS)) {
    throw new InvalidArgumentError(`imbalanceToleranceHint must be one of default, tight, loose, got ${String(tolerance)}`);
  }
  if (!(reservation in UNIFORM_LOAD_RESERVATION_RATIOS)) {
    throw new InvalidArgumentError(
      `uniformLoadReservationHint must be one of no-reservation, small, medium, large, got ${String(reservation)}`,
    );
  }
  return validateAlgorithmConfig({
    maxLoadHint: options.maxLoadHint,
    imbalanceToleranceRatio: IMBALANCE_TOLERANCE_RATIOS[tolerance],
    uniformLoadReservationRatio: UNIFORM_LOAD_RESERVATION_RATIOS[reservation],
    minReplicas: options.minReplicas ?? 1,
    maxReplicas: options.maxReplicas ?? 1,
    churnPenaltyRatio: options.churnPenaltyRatio ?? DEFAULT_CHURN_PENALTY_RATIO,
    placementTimeoutMs: options.placementTimeoutMs ?? DEFAULT_PLACEMENT_TIMEOUT_MS,
    placementIterationBudget: options.placementIterationBudget ?? DEFAULT_PLACEMENT_ITERATION_BUDGET,
  });
}

/**
 * Checks every rule of an {@link AlgorithmConfig} built by hand (for example with ratios that no
 * hint names) and returns a frozen copy.
 *
 * @throws {InvalidArgumentError} naming the field and the value when a rule is broken.
 */
export function validateAlgorithmConfig(config: AlgorithmConfig): AlgorithmConfig {
  const c = config;
  if (!Number.isFinite(c.maxLoadHint) || c.maxLoadHint <= 0) {
    throw new InvalidArgumentError(`maxLoadHint must be positive and finite, got ${c.maxLoadHint}`);
  }
  if (!Number.isFinite(c.imbalanceToleranceRatio) || c.imbalanceToleranceRatio <= 0) {
    throw new InvalidArgumentError(`imbalanceToleranceRatio must be positive and finite, got ${c.imbalanceToleranceRatio}`);
  }
  if (!Number.isFinite(c.uniformLoadReservationRatio) || c.uniformLoadReservationRatio < 0) {
    throw new InvalidArgumentError(
      `uniformLoadReservationRatio must be non-negative and finite, got ${c.uniformLoadReservationRatio}`,
    );
  }
  if (!Number.isSafeInteger(c.minReplicas) || c.minReplicas < 1) {
    throw new InvalidArgumentError(`minReplicas must be an integer of at least 1, got ${c.minReplicas}`);
  }
  if (!Number.isSafeInteger(c.maxReplicas) || c.maxReplicas < c.minReplicas) {
    throw new InvalidArgumentError(`maxReplicas must be an integer of at least minReplicas (${c.minReplicas}), got ${c.maxReplicas}`);
  }
  if (!Number.isFinite(c.churnPenaltyRatio) || c.churnPenaltyRatio < 0) {
    throw new InvalidArgumentError(`churnPenaltyRatio must be non-negative and finite, got ${c.churnPenaltyRatio}`);
  }
  if (!(c.placementTimeoutMs > 0)) {
    throw new InvalidArgumentError(`placementTimeoutMs must be positive, got ${c.placementTimeoutMs}`);
  }
  if (!Number.isSafeInteger(c.placementIterationBudget) || c.placementIterationBudget < 1) {
    throw new InvalidArgumentError(`placementIterationBudget must be a positive integer, got ${c.placementIterationBudget}`);
  }
  return Object.freeze({
    maxLoadHint: c.maxLoadHint,
    imbalanceToleranceRatio: c.imbalanceToleranceRatio,
    uniformLoadReservationRatio: c.uniformLoadReservationRatio,
    minReplicas: c.minReplicas,
    maxReplicas: c.maxReplicas,
    churnPenaltyRatio: c.churnPenaltyRatio,
    placementTimeoutMs: c.placementTimeoutMs,
    placementIterationBudget: c.placementIterationBudget,
  });
}
