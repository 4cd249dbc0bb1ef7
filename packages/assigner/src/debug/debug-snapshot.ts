/**
 * The debug page's data: a plain, JSON-ready copy of what every generator holds (strings and
 * numbers only; bigints as strings), built by the pure {@link toDebugSnapshot}. The HTML
 * renderers and `/debug/json` both read this one shape.
 *
 * @see store-ha.md §8
 */
import type { Slice, SliceKey } from '@dicer-ts/common';
import type { GeneratorSnapshot } from '../service/generator-driver.js';

/** One slice of the key-space picture. */
export interface DebugSlice {
  /** Dicer's printed form of the slice. */
  readonly slice: string;
  /** Position of the low bound in the key space, in [0, 1]. */
  readonly start: number;
  /** Position of the high bound, in [0, 1] (1 for ∞). */
  readonly end: number;
  /** Addresses of the resources holding it. */
  readonly resources: readonly string[];
  /** Recorded whole-slice load, if any. */
  readonly load: number | undefined;
  /** The slice generation. */
  readonly generation: string;
}

/** One pod (Slicelet) of a target. */
export interface DebugPod {
  readonly address: string;
  readonly uuid: string;
  /** Computed health status, or `'assigned'` for a resource only the assignment names. */
  readonly state: string;
  /** The state the Slicelet last reported. */
  readonly reported: string;
  /** Milliseconds until the pod is forgotten without a heartbeat. */
  readonly expiresInMs: number | undefined;
  /** Load after the last generation. */
  readonly load: number;
  /** Slices held in the latest assignment. */
  readonly sliceCount: number;
}

/** One recent generation attempt. */
export interface DebugGeneration {
  readonly atMs: number;
  readonly reason: string;
  readonly outcome: string;
  readonly generation: string | undefined;
  readonly churn: { readonly removal: number; readonly addition: number; readonly loadBalancing: number };
  readonly slices: number;
  readonly algorithmMs: number;
}

/** One target. */
export interface DebugTarget {
  /** The normalized target (`name`, `<cluster>:<name>` or `appTarget:<name>:<instance>`). */
  readonly target: string;
  /** The target name its config is keyed by. */
  readonly name: string;
  readonly generation: string | undefined;
  readonly isFrozen: boolean;
  readonly slices: readonly DebugSlice[];
  readonly pods: readonly DebugPod[];
  /** Most recent first. */
  readonly generations: readonly DebugGeneration[];
  readonly lastWatchAgoMs: number;
  /** The effective config, as plain fields. */
  readonly config: Readonly<Record<string, string | number | boolean | undefined>>;
}

/** Everything the debug page shows. */
export interface DebugSnapshot {
  readonly assigner: {
    readonly grpcAddress: string;
    readonly storeIncarnation: string;
    readonly startedAtMs: number;
    readonly nowMs: number;
  };
  /** Every target with a config, sorted. */
  readonly configuredTargets: readonly string[];
  /** Targets with a running generator. */
  readonly targets: readonly DebugTarget[];
}

/** A key's position in the key space, in [0, 1): its bytes read as a base-256 fraction. */
export function keyPosition(key: SliceKey): number {
  let position = 0;
  let scale = 1 / 256;
  for (const b of key.bytes.subarray(0, 7)) {
    position += b * scale;
    scale /= 256;
  }
  return position;
}

function slicePositions(slice: Slice): { start: number; end: number } {
  return { start: keyPosition(slice.lowInclusive), end: slice.highExclusive === undefined ? 1 : keyPosition(slice.highExclusive) };
}

/** Builds the snapshot of one generator. Pure. */
export function toDebugTarget(g: GeneratorSnapshot, nowMs: number): DebugTarget {
  const assignment = g.latestAssignment;
  const slices: DebugSlice[] = (assignment?.sliceAssignments ?? []).map((s) => ({
    slice: s.slice.toString(),
    ...slicePositions(s.slice),
    resources: s.resources.map((r) => r.resourceAddress.toString()),
    load: s.primaryRateLoad,
    generation: s.generation.toString(),
  }));
  const sliceCounts = new Map<string, number>();
  for (const s of assignment?.sliceAssignments ?? []) for (const r of s.resources) sliceCounts.set(r.toString(), (sliceCounts.get(r.toString()) ?? 0) + 1);
  const pods: DebugPod[] = [];
  const seen = new Set<string>();
  for (const r of g.health?.resources ?? []) {
    seen.add(r.squid.toString());
    pods.push({
      address: r.squid.resourceAddress.toString(),
      uuid: r.squid.uuid,
      state: r.computed,
      reported: r.reported,
      expiresInMs: r.expiresAtMs - nowMs,
      load: g.loadByResource.get(r.squid.toString()) ?? 0,
      sliceCount: sliceCounts.get(r.squid.toString()) ?? 0,
    });
  }
  for (const squid of assignment?.assignedResources() ?? []) {
    if (seen.has(squid.toString())) continue;
    seen.add(squid.toString());
    pods.push({
      address: squid.resourceAddress.toString(),
      uuid: squid.uuid,
      state: 'assigned',
      reported: 'unknown',
      expiresInMs: undefined,
      load: g.loadByResource.get(squid.toString()) ?? 0,
      sliceCount: sliceCounts.get(squid.toString()) ?? 0,
    });
  }
  const generations: DebugGeneration[] = [...g.history].reverse().map((h) => ({
    atMs: h.atMs,
    reason: h.reason,
    outcome: h.outcome.kind,
    generation: h.outcome.kind === 'committed' ? h.outcome.generation : undefined,
    churn: h.churn,
    slices: h.slices,
    algorithmMs: h.algorithmMs,
  }));
  return {
    target: g.target.toString(),
    name: g.target.name,
    generation: assignment?.generation.toString(),
    isFrozen: assignment?.isFrozen ?? false,
    slices,
    pods,
    generations,
    lastWatchAgoMs: nowMs - g.lastWatchAtMs,
    config: { ...g.config },
  };
}
