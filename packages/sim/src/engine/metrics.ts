/** One metrics sample of one policy: the window `(tMs − sampleIntervalMs, tMs]`. */
export interface PolicySample {
  /** End of the window (virtual ms). */
  readonly tMs: number;
  /** Load per second of each pod slot that was running at the end of the window; `null` for the others. */
  readonly podLoads: readonly (number | null)[];
  /** Highest pod load over the mean pod load (1 is perfect balance). */
  readonly maxOverMean: number;
  /** 99th-percentile pod load over the mean. */
  readonly p99OverMean: number;
  readonly requests: number;
  readonly failed: number;
  readonly misrouted: number;
  /** Cache hits over served requests. */
  readonly cacheHitRate: number;
  /** Slices (Dicer), virtual nodes (ring) or ranges (static) of the authoritative table. */
  readonly sliceCount: number;
  /** Running pods whose load exceeded the scenario's pod capacity (0 without one). */
  readonly overloadedPods: number;
}

/** One published change of a policy's decision. */
export interface ChangeRecord {
  readonly tMs: number;
  readonly reason: string;
  /** Share of the keys whose state moved to a new pod instance. */
  readonly keysMoved: number;
  /** The same, weighted by each key's share of the load. */
  readonly loadMoved: number;
}

/** The totals of one policy over the recorded part of a run (after warm-up). */
export interface PolicySummary {
  readonly meanMaxOverMean: number;
  readonly worstMaxOverMean: number;
  readonly meanP99OverMean: number;
  readonly requests: number;
  readonly served: number;
  readonly failed: number;
  readonly misrouted: number;
  readonly cacheHitRate: number;
  /** Published decisions that moved at least one key. */
  readonly changes: number;
  /** Σ of the key shares moved over all changes (1.0 = every key moved once). */
  readonly keysMoved: number;
  /** Σ of the load shares moved over all changes. */
  readonly loadMoved: number;
  readonly meanSliceCount: number;
  /** Share of (running pod, sample) pairs over the pod capacity; 0 without one. */
  readonly overloadedShare: number;
}

/** Wall-clock cost of the policy's decisions (not deterministic; left out with `deterministic`). */
export interface DecisionTiming {
  readonly decisions: number;
  readonly meanMs: number;
  readonly maxMs: number;
}

/** Everything one policy's run produced. */
export interface PolicyRunResult {
  readonly policy: string;
  readonly kind: string;
  readonly summary: PolicySummary;
  readonly samples: readonly PolicySample[];
  readonly changes: readonly ChangeRecord[];
  readonly timing?: DecisionTiming;
}

/** `max / mean` and `p99 / mean` of a list of pod loads (both 1 when there is no load). */
export function imbalance(loads: readonly number[]): { maxOverMean: number; p99OverMean: number } {
  if (loads.length === 0) return { maxOverMean: 1, p99OverMean: 1 };
  const sorted = [...loads].sort((a, b) => a - b);
  const mean = sorted.reduce((a, b) => a + b, 0) / sorted.length;
  if (!(mean > 0)) return { maxOverMean: 1, p99OverMean: 1 };
  const p99 = sorted[Math.floor((sorted.length - 1) * 0.99)] as number;
  return { maxOverMean: (sorted[sorted.length - 1] as number) / mean, p99OverMean: p99 / mean };
}

/** Rounds to 6 significant digits so JSON output stays readable and stable. */
export function round6(x: number): number {
  return Number.isFinite(x) ? Number(x.toPrecision(6)) : x;
}
