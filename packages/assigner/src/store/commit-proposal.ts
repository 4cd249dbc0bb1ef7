/**
 * Turns a {@link ProposedAssignment} into a committed {@link Assignment} once the store has picked
 * its generation (Dicer's `ProposedAssignment.commit`). Pure; shared by every store.
 *
 * Rules (our reading of Dicer, which the spec leaves unstated in detail):
 * - a slice whose exact bounds and exact SQUID set were already in the predecessor (same
 *   incarnation) keeps the predecessor's slice generation and annotations; only its load is
 *   refreshed (a periodic rewrite carries fresh load without looking like churn);
 * - any other slice gets the new generation, and each of its resources that held part of it in the
 *   predecessor (exact SQUID match, protocol.md §8 item 9) gets a subslice annotation per such part,
 *   whose `generationNumber` is when that resource's continuous ownership began (the predecessor's
 *   annotation there, else the predecessor slice's generation number). State transfers are not
 *   produced (Dicer's OSS generator does not plan them either).
 * - across incarnations nothing carries over: every slice gets the new generation, no annotations.
 *
 * @see protocol.md §1.5 (SubsliceAnnotationP), §2.5
 */
import { Assignment, type Generation, Slice, SliceAssignment, type Squid } from '@dicer-ts/common';
import type { ProposedAssignment, ProposedAssignmentSlice } from './store.js';

type AnnotationInit = { readonly resource: Squid; readonly annotation: { readonly subslice: Slice; readonly generationNumber: bigint } };

/**
 * The committed assignment for `proposal` at `generation`.
 *
 * @throws {InvalidArgumentError} when the proposal's slices do not cover the key space exactly,
 *   a slice has no resources, or a load is negative or not finite.
 */
export function commitProposal(proposal: ProposedAssignment, generation: Generation, isFrozen: boolean): Assignment {
  const predecessor = proposal.predecessor;
  const sameIncarnation = predecessor !== undefined && predecessor.generation.incarnation === generation.incarnation;
  const sliceAssignments = proposal.slices.map((proposed) =>
    sameIncarnation ? commitSlice(proposed, generation, predecessor) : newSlice(proposed, generation, []),
  );
  const committed = Assignment.create({ isFrozen, generation, sliceAssignments });
  // State transfer (issue #10): the proposal may annotate the committed assignment.
  return proposal.finalize === undefined ? committed : proposal.finalize(committed);
}

function newSlice(proposed: ProposedAssignmentSlice, generation: Generation, annotations: readonly AnnotationInit[]): SliceAssignment {
  return SliceAssignment.create({
    slice: proposed.slice,
    generation,
    resources: proposed.resources,
    subsliceAnnotations: annotations,
    primaryRateLoad: proposed.primaryRateLoad,
  });
}

function sameSquidSet(a: readonly Squid[], b: readonly Squid[]): boolean {
  if (a.length !== b.length) return false;
  return a.every((s) => b.some((t) => t.equals(s)));
}

function commitSlice(proposed: ProposedAssignmentSlice, generation: Generation, predecessor: Assignment): SliceAssignment {
  const map = predecessor.sliceMap;
  const start = map.indexOf(proposed.slice.lowInclusive);
  const first = map.entries[start] as SliceAssignment;
  if (first.slice.equals(proposed.slice) && sameSquidSet(first.resources, proposed.resources)) {
    return SliceAssignment.create({
      slice: first.slice,
      generation: first.generation,
      resources: first.resources,
      subsliceAnnotations: first.subsliceAnnotationsByResource.flatMap(({ resource, annotations }) =>
        annotations.map((annotation) => ({ resource, annotation })),
      ),
      primaryRateLoad: proposed.primaryRateLoad,
    });
  }
  const annotations: AnnotationInit[] = [];
  for (const resource of proposed.resources) {
    for (let i = start; i < map.entries.length; i++) {
      const old = map.entries[i] as SliceAssignment;
      const overlap = old.slice.intersection(proposed.slice);
      if (overlap === undefined) break;
      if (!old.resources.some((r) => r.equals(resource))) continue;
      for (const part of continuityParts(old, resource)) {
        const subslice = part.subslice.intersection(overlap);
        if (subslice !== undefined) annotations.push({ resource, annotation: { subslice, generationNumber: part.generationNumber } });
      }
    }
  }
  return newSlice(proposed, generation, annotations);
}

/**
 * The parts of `old.slice` with the generation number at which `resource` began holding each:
 * its annotations where it has them, the slice generation in the gaps between them.
 */
function continuityParts(old: SliceAssignment, resource: Squid): { subslice: Slice; generationNumber: bigint }[] {
  const own = old.annotationsFor(resource);
  if (own.length === 0) return [{ subslice: old.slice, generationNumber: old.generation.number }];
  const parts: { subslice: Slice; generationNumber: bigint }[] = [];
  let cursor: Slice | undefined = old.slice;
  for (const a of own) {
    if (cursor === undefined) break;
    if (cursor.lowInclusive.compare(a.subslice.lowInclusive) < 0) {
      const before = Slice.create(cursor.lowInclusive, a.subslice.lowInclusive);
      parts.push({ subslice: before, generationNumber: old.generation.number });
    }
    parts.push({ subslice: a.subslice, generationNumber: a.generationNumber });
    cursor = a.subslice.highExclusive === undefined ? undefined : remainderAfter(cursor, a.subslice);
  }
  if (cursor !== undefined) parts.push({ subslice: cursor, generationNumber: old.generation.number });
  return parts;
}

/** `[done.high, cursor.high)`, or `undefined` when empty. */
function remainderAfter(cursor: Slice, done: Slice): Slice | undefined {
  const high = done.highExclusive;
  if (high === undefined) return undefined;
  if (cursor.highExclusive !== undefined && cursor.highExclusive.compare(high) <= 0) return undefined;
  return Slice.create(high, cursor.highExclusive);
}
