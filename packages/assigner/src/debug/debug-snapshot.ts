/**
 * The debug page's data: a plain, JSON-ready copy of what every generator holds (strings and
 * numbers only; bigints as strings), built by the pure {@link toDebugSnapshot}. The HTML
 * renderers and `/debug/json` both read this one shape.
 *
 * @see store-ha.md §8
 */
import type { Slice, SliceKey } from '@dicer-ts/common';
import type { PreferredAssignerRole } from '../core/preferred-assigner-state-machine.js';
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

/** One state transfer in flight in the latest assignment (docs/state-transfer.md). */
export interface DebugStateTransfer {
  /** The transfer id, unique within the generation. */
  readonly id: number;
  /** Dicer's printed form of the transferred part of the slice. */
  readonly slice: string;
  /** Address of the resource holding the state. */
  readonly from: string;
  /** Address of the new owner. */
  readonly to: string;
  /**
   * Milliseconds since the transfer was first issued; `undefined` when this Assigner's planner does
   * not track it (an annotation written by another Assigner before a takeover).
   */
  readonly ageMs: number | undefined;
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
  /** State transfers annotated in the latest assignment, in slice order. */
  readonly stateTransfers: readonly DebugStateTransfer[];
  /** The effective config, as plain fields. */
  readonly config: Readonly<Record<string, string | number | boolean | undefined>>;
}

/** The preferred-assigner side of the page (issue #5). */
export interface DebugPreferredAssigner {
  /** The `dicer_assigner_preferred_assigner_role` label: what this Assigner does now. */
  readonly role: 'PREFERRED' | 'STANDBY' | 'PREFERRED_BECAUSE_PA_DISABLED';
  /** The URI of the preferred Assigner the record names, if it names one. */
  readonly preferredUri: string | undefined;
  /** The preferred-assigner record's generation, if preferred-assigner mode is on. */
  readonly generation: string | undefined;
}

/** Everything the debug page shows. */
export interface DebugSnapshot {
  readonly assigner: {
    readonly grpcAddress: string;
    readonly storeIncarnation: string;
    readonly startedAtMs: number;
    readonly nowMs: number;
  };
  readonly preferredAssigner: DebugPreferredAssigner;
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

/**
 * The preferred-assigner part of the snapshot from the driver's current role, or `undefined` when
 * the Assigner runs without preferred-assigner mode. Pure.
 */
export function toDebugPreferredAssigner(role: PreferredAssignerRole | undefined): DebugPreferredAssigner {
  if (role === undefined) return { role: 'PREFERRED_BECAUSE_PA_DISABLED', preferredUri: undefined, generation: undefined };
  // Same mapping as the role metric: a preferred role without a redirect comes from a ModeDisabled record.
  const label = role.role === 'standby' ? 'STANDBY' : role.redirectUri === undefined ? 'PREFERRED_BECAUSE_PA_DISABLED' : 'PREFERRED';
  return {
    role: label,
    preferredUri: role.value.kind === 'some-assigner' ? role.value.info.uri : undefined,
    generation: role.value.generation.toString(),
  };
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
  const stateTransfers: DebugStateTransfer[] = [];
  for (const s of assignment?.sliceAssignments ?? []) {
    for (const { resource, annotations } of s.subsliceAnnotationsByResource) {
      for (const a of annotations) {
        if (a.stateTransfer === undefined) continue;
        const issuedAtMs = g.stateTransferIssuedAtMs.get(a.stateTransfer.id);
        stateTransfers.push({
          id: a.stateTransfer.id,
          slice: a.subslice.toString(),
          from: a.stateTransfer.fromResource.resourceAddress.toString(),
          to: resource.resourceAddress.toString(),
          ageMs: issuedAtMs === undefined ? undefined : nowMs - issuedAtMs,
        });
      }
    }
  }
  return {
    target: g.target.toString(),
    name: g.target.name,
    generation: assignment?.generation.toString(),
    isFrozen: assignment?.isFrozen ?? false,
    slices,
    pods,
    generations,
    lastWatchAgoMs: nowMs - g.lastWatchAtMs,
    stateTransfers,
    config: { ...g.config },
  };
}
