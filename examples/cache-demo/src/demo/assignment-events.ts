/**
 * What changed between two assignments as the Assigner's debug JSON shows them, in the words the
 * live view prints: splits and merges (boundaries added and removed), replication changes (slices
 * that gained or lost pods) and moves (the share of the key space whose pods changed completely).
 * Pure.
 */
import type { DebugJsonSlice } from './debug-json.js';

/** The changes from one assignment to the next. */
export interface AssignmentChanges {
  /** Boundaries present now and not before. */
  readonly splits: number;
  /** Boundaries present before and not now. */
  readonly merges: number;
  /** Slices now on more pods than the part of the key space they cover was before. */
  readonly replicated: readonly DebugJsonSlice[];
  /** Slices now on fewer pods. */
  readonly dereplicated: number;
  /** Share of the key space, in [0, 1], now on none of the pods that held it before. */
  readonly movedFraction: number;
  /**
   * Share of the previous assignment's recorded load, in [0, 1], now on none of the pods that held
   * it (a slice's load apportioned by key-space width; a single-key slice's load counts whole).
   */
  readonly movedLoadFraction: number;
}

/**
 * Compares two slice lists (each covering [0, 1] in key order).
 */
export function diffAssignments(previous: readonly DebugJsonSlice[], next: readonly DebugJsonSlice[]): AssignmentChanges {
  const before = new Set(previous.map((s) => s.slice.split(' .. ')[1]));
  const after = new Set(next.map((s) => s.slice.split(' .. ')[1]));
  let splits = 0;
  let merges = 0;
  for (const b of after) if (!before.has(b)) splits += 1;
  for (const b of before) if (!after.has(b)) merges += 1;
  const replicated: DebugJsonSlice[] = [];
  let dereplicated = 0;
  let movedFraction = 0;
  let movedLoad = 0;
  const totalLoad = previous.reduce((sum, p) => sum + (p.load ?? 0), 0);
  // Sweep both lists over their overlapping pieces.
  let i = 0;
  let j = 0;
  const seenReplicated = new Set<string>();
  while (i < previous.length && j < next.length) {
    const p = previous[i]!;
    const n = next[j]!;
    const low = Math.max(p.start, n.start);
    const high = Math.min(p.end, n.end);
    if (overlaps(p, n)) {
      const owners = new Set(p.resources);
      if (!n.resources.some((r) => owners.has(r))) {
        movedFraction += high - low;
        const width = p.end - p.start;
        movedLoad += (p.load ?? 0) * (width > 0 ? (high - low) / width : 1);
      }
      if (n.resources.length > p.resources.length && !seenReplicated.has(n.slice)) {
        seenReplicated.add(n.slice);
        replicated.push(n);
      }
      if (n.resources.length < p.resources.length && p.end <= n.end) dereplicated += 1;
    }
    if (p.end < n.end) i += 1;
    else if (n.end < p.end) j += 1;
    else {
      i += 1;
      j += 1;
    }
  }
  return { splits, merges, replicated, dereplicated, movedFraction, movedLoadFraction: totalLoad > 0 ? movedLoad / totalLoad : 0 };
}

/**
 * Whether two slices share keys, judged by their positions; a single-key slice has no width, so it
 * overlaps the slice whose half-open range holds its position (or the same single-key slice).
 */
function overlaps(a: DebugJsonSlice, b: DebugJsonSlice): boolean {
  const aPoint = a.start === a.end;
  const bPoint = b.start === b.end;
  if (aPoint && bPoint) return a.start === b.start;
  if (aPoint) return b.start <= a.start && a.start < b.end;
  if (bPoint) return a.start <= b.start && b.start < a.end;
  return Math.min(a.end, b.end) > Math.max(a.start, b.start);
}

/** The view's one-line summary of {@link diffAssignments}, or undefined when nothing changed. */
export function describeChanges(changes: AssignmentChanges): string | undefined {
  const parts: string[] = [];
  if (changes.splits > 0) parts.push(`split ×${changes.splits}`);
  if (changes.merges > 0) parts.push(`merge ×${changes.merges}`);
  for (const s of changes.replicated.slice(0, 2)) parts.push(`replicate ${shortSlice(s.slice)} on ${s.resources.length} pods`);
  if (changes.replicated.length > 2) parts.push(`replicate ×${changes.replicated.length - 2} more`);
  if (changes.dereplicated > 0) parts.push(`dereplicate ×${changes.dereplicated}`);
  if (changes.movedFraction > 0) parts.push(`move ${(changes.movedFraction * 100).toFixed(1)}% of keys`);
  return parts.length === 0 ? undefined : parts.join(', ');
}

/** A slice's printed form cut to fit a terminal line. */
export function shortSlice(slice: string): string {
  return slice.length <= 40 ? slice : `${slice.slice(0, 37)}...`;
}
