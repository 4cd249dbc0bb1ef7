/**
 * The part of the Assigner's `/debug/json` document the demo reads (the Assigner's
 * `DebugSnapshot`), typed here because it crosses a process boundary as JSON, and a fetch helper.
 */

/** One slice of a target's latest assignment. */
export interface DebugJsonSlice {
  /** Dicer's printed form, `[low .. high)`. */
  readonly slice: string;
  /** Position of the low bound in the key space, in [0, 1]. */
  readonly start: number;
  /** Position of the high bound, in [0, 1]. */
  readonly end: number;
  /** Addresses of the pods holding it. */
  readonly resources: readonly string[];
  /** Recorded whole-slice load. */
  readonly load?: number | undefined;
}

/** One pod as the Assigner sees it. */
export interface DebugJsonPod {
  readonly address: string;
  readonly uuid: string;
  /** Computed health: `running`, `terminating`, … or `assigned`. */
  readonly state: string;
  /** Load after the last generation. */
  readonly load: number;
  readonly sliceCount: number;
}

/** One generation attempt, most recent first. */
export interface DebugJsonGeneration {
  readonly atMs: number;
  readonly reason: string;
  readonly outcome: string;
  readonly generation?: string | undefined;
  readonly churn: { readonly removal: number; readonly addition: number; readonly loadBalancing: number };
  readonly slices: number;
}

/** One target. */
export interface DebugJsonTarget {
  readonly target: string;
  readonly generation?: string | undefined;
  readonly slices: readonly DebugJsonSlice[];
  readonly pods: readonly DebugJsonPod[];
  readonly generations: readonly DebugJsonGeneration[];
}

/** The document. */
export interface DebugJson {
  readonly targets: readonly DebugJsonTarget[];
}

/** Fetches `/debug/json` from the Assigner's debug port and returns `target`'s entry (undefined before its generator runs). */
export async function fetchDebugTarget(debugPort: number, target: string): Promise<DebugJsonTarget | undefined> {
  const response = await fetch(`http://127.0.0.1:${debugPort}/debug/json`, { signal: AbortSignal.timeout(2_000) });
  if (!response.ok) throw new Error(`debug json: HTTP ${response.status}`);
  const json = (await response.json()) as DebugJson;
  return json.targets.find((t) => t.target === target);
}
