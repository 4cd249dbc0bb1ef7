/**
 * State-transfer planning: which new owners of a slice may fetch its state from which previous
 * owner, expressed with the wire fields Dicer reserves for it (`SubsliceAnnotationP.state_transfer`,
 * `TransferP`) but does not fill. Pure: no I/O, no clock (the time comes in as `nowMs`).
 *
 * Runs on a committed assignment (after `commitProposal` picked the generation and wrote the
 * continuity annotations) and returns the same assignment with transfers added or removed:
 *
 * - **New transfer**: a part of a committed slice held by owner `O` that `O` (exact SQUID) did not
 *   hold in the predecessor, where some predecessor holder `S` of that part is still reachable
 *   (health `running` or `terminating`: a planned move, load balancing or a drain), `S ≠ O` and
 *   `S`'s address ≠ `O`'s (a restarted pod on the same address has nothing to give itself).
 *   Preference: a `running` source before a `terminating` one, then SQUID order. One annotation per
 *   (committed slice, owner, predecessor slice) part; `generation_number` = `O`'s continuity
 *   number there, which for a new holder is the committed slice's generation.
 * - **Lifetime**: a transfer stays on its owner's annotation (clipped when its slice is split,
 *   each piece keeping the source and the issue time) until `timeoutMs` after it was first issued,
 *   or until its source stops being reachable, or its owner stops holding the part. Completion is
 *   not reported to the Assigner (the Watch request has no field for it): the Slicelet pulls each
 *   transfer once, when it first sees it on a newly acquired part, and stops pulling at its own
 *   deadline, which must be below `timeoutMs`.
 * - **Ids**: every annotation's transfer id is unique within the assignment (`TransferP.id`,
 *   "unique within the transfer generation"); new ids come from a counter carried in
 *   {@link StateTransferState} and never reuse an id still tracked; a kept transfer keeps its id,
 *   and a kept transfer split into several pieces keeps it on the first piece only.
 * - **Continuity** (protocol.md §4) is never changed: every resource's "owned since" number at
 *   every key is the same before and after. Adding or removing a transfer on a slice the commit
 *   kept unchanged gives that slice the assignment's generation (so partial diffs carry the new
 *   annotations) and writes each resource's continuity number as an explicit annotation.
 *
 * Every result satisfies protocol.md §2.5 (owner ∈ resources; ordered, disjoint, inside the slice;
 * `generation_number` ≤ slice generation; source ≠ owner): `SliceAssignment.create` re-checks it.
 *
 * @see protocol.md §1.5 (SubsliceAnnotationP, TransferP), §2.5, §4; docs/state-transfer.md
 */
import {
  Assignment,
  Generation,
  InvalidArgumentError,
  Slice,
  SliceAssignment,
  type SliceKey,
  type Squid,
  type SubsliceAnnotation,
  type Transfer,
  compareHigh,
} from '@dicer-ts/common';
import type { HealthReport } from './health-watcher.js';

/** How a previous owner looks to the Assigner: only a reachable one can be a transfer source. */
export type SourceReachability = 'running' | 'terminating' | 'unreachable';

/** How long a transfer annotation lives by default: two minutes, well above a Slicelet fetch deadline. */
export const DEFAULT_STATE_TRANSFER_TIMEOUT_MS = 120_000;

/** The largest transfer id (`TransferP.id` is an int32). */
const MAX_TRANSFER_ID = 0x7fff_ffff;

/** What the planner remembers between generations (the driver keeps it; start with {@link INITIAL_STATE_TRANSFER_STATE}). */
export interface StateTransferState {
  /** Transfer id → when it was first issued (epoch ms). Only transfers still in flight. */
  readonly issuedAtMs: ReadonlyMap<number, number>;
  /** The next id to hand out, in [1, 2^31 − 1]. */
  readonly nextId: number;
}

/** No transfers in flight. */
export const INITIAL_STATE_TRANSFER_STATE: StateTransferState = { issuedAtMs: new Map(), nextId: 1 };

/** The inputs of {@link planStateTransfers}. */
export interface StateTransferInput {
  /** The assignment the committed one replaced (same incarnation), or undefined: then no transfer. */
  readonly predecessor: Assignment | undefined;
  /** The newly committed assignment, with its continuity annotations. */
  readonly committed: Assignment;
  /** The health of a resource, by exact SQUID. */
  readonly reachability: (squid: Squid) => SourceReachability;
  /** Now, epoch ms. */
  readonly nowMs: number;
  /** The planner's memory from the previous call. */
  readonly state: StateTransferState;
  /** How long a transfer annotation lives after it is first issued; positive. */
  readonly timeoutMs: number;
}

/** Counts of one planning run, for metrics and logs. */
export interface StateTransferCounts {
  /** Transfers issued by this run. */
  readonly created: number;
  /** Transfers carried over from the predecessor (pieces count once each). */
  readonly kept: number;
  /** Transfers dropped because they timed out. */
  readonly expired: number;
  /** Transfers dropped because their source became unreachable or their owner lost the part. */
  readonly abandoned: number;
}

/** The outputs of {@link planStateTransfers}. */
export interface StateTransferResult {
  /** The committed assignment with its transfers; the same object when nothing changed. */
  readonly assignment: Assignment;
  /** The planner's memory for the next call. */
  readonly state: StateTransferState;
  /** When the earliest remaining transfer times out (regenerate then to remove it), if any. */
  readonly nextExpiryMs: number | undefined;
  /** What happened. */
  readonly counts: StateTransferCounts;
}

/** A transfer planned on one part of a slice for one owner. */
interface PlannedTransfer {
  readonly subslice: Slice;
  readonly fromResource: Squid;
  /** The id in the predecessor, or undefined for a new transfer. */
  readonly previousId: number | undefined;
  readonly issuedAtMs: number;
}

/** A part of a slice with its continuity number and, maybe, a transfer. */
interface Part {
  readonly subslice: Slice;
  readonly generationNumber: bigint;
  readonly transfer: PlannedTransfer | undefined;
}

/**
 * Adds, keeps and removes state-transfer annotations on a committed assignment (see the file
 * comment for the rules).
 *
 * @throws {InvalidArgumentError} when `timeoutMs` is not positive, or (a bug) a rebuilt slice fails validation.
 */
export function planStateTransfers(input: StateTransferInput): StateTransferResult {
  const { predecessor, committed, nowMs, timeoutMs } = input;
  if (!(timeoutMs > 0)) throw new InvalidArgumentError(`timeoutMs must be positive, got ${timeoutMs}`);
  const sameIncarnation = predecessor !== undefined && predecessor.generation.incarnation === committed.generation.incarnation;
  const reachability = memoize(input.reachability);
  const counts = { created: 0, kept: 0, expired: 0, abandoned: 0 };
  const countedPrevious = new Set<number>();

  // Phase 1: plan the transfers of every (committed slice, owner).
  const plans: PlannedTransfer[][][] = committed.sliceAssignments.map((c) =>
    c.resources.map((owner) => (sameIncarnation ? planOwner(c, owner, predecessor, input, reachability, counts, countedPrevious) : [])),
  );
  if (sameIncarnation) {
    // Whatever the predecessor carried and nobody kept was abandoned or expired.
    for (const p of predecessor.sliceAssignments) {
      for (const { annotation } of p.flatAnnotations()) {
        const t = annotation.stateTransfer;
        if (t === undefined || countedPrevious.has(t.id)) continue;
        countedPrevious.add(t.id);
        if (isExpired(input.state.issuedAtMs.get(t.id), nowMs, timeoutMs)) counts.expired++;
        else counts.abandoned++;
      }
    }
  }

  // Phase 2: ids. A kept transfer keeps its id on its first piece; every other piece gets a new one.
  const issuedAtMs = new Map<number, number>();
  const taken = new Set<number>();
  for (const perSlice of plans) for (const perOwner of perSlice) for (const t of perOwner) if (t.previousId !== undefined) taken.add(t.previousId);
  let nextId = input.state.nextId;
  const fresh = (): number => {
    for (;;) {
      const id = nextId;
      nextId = nextId >= MAX_TRANSFER_ID ? 1 : nextId + 1;
      if (!taken.has(id) && !input.state.issuedAtMs.has(id)) {
        taken.add(id);
        return id;
      }
    }
  };
  const used = new Set<number>();
  const idOf = new Map<PlannedTransfer, number>();
  for (const perSlice of plans) {
    for (const perOwner of perSlice) {
      for (const t of perOwner) {
        const id = t.previousId !== undefined && !used.has(t.previousId) ? t.previousId : fresh();
        used.add(id);
        idOf.set(t, id);
        issuedAtMs.set(id, t.issuedAtMs);
      }
    }
  }

  // Phase 3: rebuild the slices whose transfers changed.
  let changed = false;
  const sliceAssignments = committed.sliceAssignments.map((c, i) => {
    const perOwner = plans[i] as PlannedTransfer[][];
    if (sameTransfers(c, perOwner, idOf)) return c;
    changed = true;
    return rebuild(c, committed.generation.number, perOwner, idOf);
  });
  const assignment = changed
    ? Assignment.create({
        isFrozen: committed.isFrozen,
        consistencyMode: committed.consistencyMode,
        generation: committed.generation,
        sliceAssignments,
      })
    : committed;
  let nextExpiryMs: number | undefined;
  for (const at of issuedAtMs.values()) nextExpiryMs = nextExpiryMs === undefined ? at + timeoutMs : Math.min(nextExpiryMs, at + timeoutMs);
  return { assignment, state: { issuedAtMs, nextId }, nextExpiryMs, counts };
}

/**
 * Reachability from the health watcher's latest report: `running` and `terminating` computed
 * statuses by exact SQUID; everything else (unknown, not ready, absent, expired) is unreachable.
 */
export function reachabilityFromHealth(report: HealthReport | undefined): (squid: Squid) => SourceReachability {
  const byKey = new Map<string, SourceReachability>();
  for (const r of report?.resources ?? []) {
    if (r.computed === 'running' || r.computed === 'terminating') byKey.set(r.squid.toString(), r.computed);
  }
  return (squid) => byKey.get(squid.toString()) ?? 'unreachable';
}

function isExpired(issuedAtMs: number | undefined, nowMs: number, timeoutMs: number): boolean {
  return issuedAtMs !== undefined && nowMs >= issuedAtMs + timeoutMs;
}

function memoize(f: (squid: Squid) => SourceReachability): (squid: Squid) => SourceReachability {
  const cache = new Map<string, SourceReachability>();
  return (squid) => {
    const key = squid.toString();
    let value = cache.get(key);
    if (value === undefined) {
      value = f(squid);
      cache.set(key, value);
    }
    return value;
  };
}

/** The transfers of `owner` on committed slice `c`, in key order (kept ones, then new ones, merged by position). */
function planOwner(
  c: SliceAssignment,
  owner: Squid,
  predecessor: Assignment,
  input: StateTransferInput,
  reachability: (squid: Squid) => SourceReachability,
  counts: { created: number; kept: number },
  countedPrevious: Set<number>,
): PlannedTransfer[] {
  const out: PlannedTransfer[] = [];
  const map = predecessor.sliceMap;
  for (let i = map.indexOf(c.slice.lowInclusive); i < map.entries.length; i++) {
    const p = map.entries[i] as SliceAssignment;
    const overlap = p.slice.intersection(c.slice);
    if (overlap === undefined) break;
    if (p.hasResource(owner)) {
      // Kept: the owner already held this part; carry its live transfers, clipped.
      for (const a of p.annotationsFor(owner)) {
        const t = a.stateTransfer;
        if (t === undefined) continue;
        const piece = a.subslice.intersection(overlap);
        if (piece === undefined) continue;
        const issued = input.state.issuedAtMs.get(t.id) ?? input.nowMs;
        if (isExpired(issued, input.nowMs, input.timeoutMs) || reachability(t.fromResource) === 'unreachable') continue;
        if (!countedPrevious.has(t.id)) {
          countedPrevious.add(t.id);
          counts.kept++;
        }
        out.push({ subslice: piece, fromResource: t.fromResource, previousId: t.id, issuedAtMs: issued });
      }
      continue;
    }
    const source = pickSource(p.resources, owner, reachability);
    if (source === undefined) continue;
    counts.created++;
    out.push({ subslice: overlap, fromResource: source, previousId: undefined, issuedAtMs: input.nowMs });
  }
  return out;
}

/** The best reachable previous holder that is not `owner` (nor on its address): running first, then SQUID order. */
function pickSource(holders: readonly Squid[], owner: Squid, reachability: (squid: Squid) => SourceReachability): Squid | undefined {
  let best: Squid | undefined;
  let bestRunning = false;
  for (const s of holders) {
    if (s.equals(owner) || s.resourceAddress.equals(owner.resourceAddress)) continue;
    const r = reachability(s);
    if (r === 'unreachable') continue;
    const running = r === 'running';
    // `holders` is in SQUID order, so the first of each kind wins.
    if (best === undefined || (running && !bestRunning)) {
      best = s;
      bestRunning = running;
    }
  }
  return best;
}

/** True when `c` already carries exactly the planned transfers (same pieces, sources and ids). */
function sameTransfers(c: SliceAssignment, perOwner: readonly PlannedTransfer[][], idOf: ReadonlyMap<PlannedTransfer, number>): boolean {
  return c.resources.every((owner, k) => {
    const present = c.annotationsFor(owner).filter((a) => a.stateTransfer !== undefined);
    const planned = perOwner[k] as PlannedTransfer[];
    if (present.length !== planned.length) return false;
    return present.every((a, j) => {
      const t = planned[j] as PlannedTransfer;
      const at = a.stateTransfer as Transfer;
      return a.subslice.equals(t.subslice) && at.fromResource.equals(t.fromResource) && at.id === idOf.get(t);
    });
  });
}

/**
 * `c` with the planned transfers, at generation number `generationNumber` (the committed
 * assignment's): every resource keeps its continuity number at every key; an annotation is written
 * where that number differs from the slice's or where a transfer lies.
 */
function rebuild(
  c: SliceAssignment,
  generationNumber: bigint,
  perOwner: readonly PlannedTransfer[][],
  idOf: ReadonlyMap<PlannedTransfer, number>,
): SliceAssignment {
  const annotations: { resource: Squid; annotation: SubsliceAnnotation }[] = [];
  c.resources.forEach((owner, k) => {
    for (const part of cutParts(continuityParts(c, owner), perOwner[k] as PlannedTransfer[])) {
      if (part.transfer === undefined && part.generationNumber === generationNumber) continue;
      const stateTransfer =
        part.transfer === undefined ? undefined : { id: idOf.get(part.transfer) as number, fromResource: part.transfer.fromResource };
      annotations.push({ resource: owner, annotation: { subslice: part.subslice, generationNumber: part.generationNumber, stateTransfer } });
    }
  });
  return SliceAssignment.create({
    slice: c.slice,
    generation: c.generation.number === generationNumber ? c.generation : committedGeneration(c, generationNumber),
    resources: c.resources,
    subsliceAnnotations: annotations,
    primaryRateLoad: c.primaryRateLoad,
  });
}

/** The slice's generation moved to `generationNumber`, in the slice's (= the assignment's) incarnation. */
function committedGeneration(c: SliceAssignment, generationNumber: bigint): Generation {
  return Generation.create(c.generation.incarnation, generationNumber);
}

/**
 * The pieces of `c.slice` with `owner`'s continuity number: its annotations (transfers dropped)
 * where it has them, the slice generation number between them. They tile the slice.
 */
function continuityParts(c: SliceAssignment, owner: Squid): { subslice: Slice; generationNumber: bigint }[] {
  const parts: { subslice: Slice; generationNumber: bigint }[] = [];
  let cursor: SliceKey | undefined = c.slice.lowInclusive;
  for (const a of c.annotationsFor(owner)) {
    if (cursor === undefined) break;
    if (cursor.compare(a.subslice.lowInclusive) < 0) {
      parts.push({ subslice: Slice.create(cursor, a.subslice.lowInclusive), generationNumber: c.generation.number });
    }
    parts.push({ subslice: a.subslice, generationNumber: a.generationNumber });
    cursor = a.subslice.highExclusive;
  }
  if (cursor !== undefined && compareHigh(cursor, c.slice.highExclusive) < 0) {
    parts.push({ subslice: Slice.create(cursor, c.slice.highExclusive), generationNumber: c.generation.number });
  }
  return parts;
}

/** Cuts ordered, tiling `parts` at the (ordered, disjoint) transfer pieces and attaches each transfer. */
function cutParts(parts: readonly { subslice: Slice; generationNumber: bigint }[], transfers: readonly PlannedTransfer[]): Part[] {
  const out: Part[] = [];
  for (const part of parts) {
    let cursor: Slice | undefined = part.subslice;
    for (const t of transfers) {
      if (cursor === undefined) break;
      const inside = cursor.intersection(t.subslice);
      if (inside === undefined) continue;
      if (cursor.lowInclusive.compare(inside.lowInclusive) < 0) {
        out.push({ subslice: Slice.create(cursor.lowInclusive, inside.lowInclusive), generationNumber: part.generationNumber, transfer: undefined });
      }
      out.push({ subslice: inside, generationNumber: part.generationNumber, transfer: t });
      cursor = inside.highExclusive === undefined || compareHigh(inside.highExclusive, cursor.highExclusive) >= 0 ? undefined : Slice.create(inside.highExclusive, cursor.highExclusive);
    }
    if (cursor !== undefined) out.push({ subslice: cursor, generationNumber: part.generationNumber, transfer: undefined });
  }
  return out;
}
