/**
 * Builds model values from the vectors' hand-written `SimpleSliceAssignmentP` /
 * `SimpleDiffAssignmentP` forms (resources named by URI → test SQUIDs), as Dicer's Scala helper
 * `parseSimpleDiffAssignment` does (vectors README §2.4).
 */
import { Assignment } from '../../src/model/assignment.js';
import { type ConsistencyMode, DiffAssignment } from '../../src/model/diff-assignment.js';
import { Generation } from '../../src/model/generation.js';
import { SliceAssignment } from '../../src/model/slice-assignment.js';
import { SliceMap } from '../../src/model/slice-map.js';
import { type Squid, createTestSquid } from '../../src/model/squid.js';
import type { SubsliceAnnotation } from '../../src/model/subslice-annotation.js';
import { type GenerationJson, type SliceJson, f64, i64, sliceOf } from './vector-cases.js';

/** `SimpleSliceAssignmentP` in JSON form. */
export interface SimpleSliceAssignmentJson {
  readonly slice: SliceJson;
  readonly generation?: GenerationJson;
  readonly resources?: readonly string[];
  readonly subslice_annotations?: readonly {
    resource: string;
    slice: SliceJson;
    generation_number?: string;
    state_transfer?: { id?: number; from_resource: string };
  }[];
  readonly primary_rate_load_opt?: number | string;
}

/** `SimpleDiffAssignmentP` in JSON form. */
export interface SimpleDiffAssignmentJson {
  readonly is_frozen?: boolean;
  readonly is_consistent?: boolean;
  readonly generation?: GenerationJson;
  readonly partial_diff_generation?: GenerationJson;
  readonly slice_assignments?: readonly SimpleSliceAssignmentJson[];
}

const squids = new Map<string, Squid>();

/** Dicer's `createTestSquid(name, salt)`, memoized. */
export function testSquid(name: string, salt = ''): Squid {
  const key = `${name}\u0000${salt}`;
  let squid = squids.get(key);
  if (squid === undefined) {
    squid = createTestSquid(name, salt);
    squids.set(key, squid);
  }
  return squid;
}

/** A generation from JSON, without validation shortcuts (absent fields are 0). */
export function generationOf(json: GenerationJson | undefined): Generation {
  return Generation.create(i64(json?.incarnation), i64(json?.number));
}

/** Builds (and so validates) a slice assignment from its Simple form. */
export function simpleSliceAssignment(json: SimpleSliceAssignmentJson): SliceAssignment {
  return SliceAssignment.create({
    slice: sliceOf(json.slice),
    generation: generationOf(json.generation),
    resources: (json.resources ?? []).map((r) => testSquid(r)),
    subsliceAnnotations: (json.subslice_annotations ?? []).map((a) => {
      const annotation: SubsliceAnnotation = {
        subslice: sliceOf(a.slice),
        generationNumber: i64(a.generation_number),
        stateTransfer:
          a.state_transfer === undefined ? undefined : { id: a.state_transfer.id ?? 0, fromResource: testSquid(a.state_transfer.from_resource) },
      };
      return { resource: testSquid(a.resource), annotation };
    }),
    primaryRateLoad: f64(json.primary_rate_load_opt),
  });
}

/** Builds (and so validates) a diff from its Simple form; `mode` overrides `is_consistent`. */
export function simpleDiffAssignment(json: SimpleDiffAssignmentJson, mode?: ConsistencyMode): DiffAssignment {
  const slices = (json.slice_assignments ?? []).map(simpleSliceAssignment);
  const getSlice = (s: SliceAssignment) => s.slice;
  return DiffAssignment.create({
    isFrozen: json.is_frozen ?? false,
    consistencyMode: mode ?? (json.is_consistent === true ? 'strong' : 'affinity'),
    generation: generationOf(json.generation),
    sliceMap:
      json.partial_diff_generation === undefined
        ? { kind: 'full', map: SliceMap.createComplete(slices, getSlice) }
        : {
            kind: 'partial',
            diffGeneration: generationOf(json.partial_diff_generation),
            map: SliceMap.createFromOrderedDisjointEntries(slices, getSlice),
          },
  });
}

/**
 * A full assignment from its Simple form, as `AssignmentSuite` does: build the diff in Affinity
 * mode, apply it to nothing, then restore Strong mode if `is_consistent` is set.
 */
export function simpleAssignment(json: SimpleDiffAssignmentJson): Assignment {
  const result = Assignment.fromDiff(undefined, simpleDiffAssignment(json, 'affinity'));
  if (result.kind !== 'applied') throw new Error(`simple assignment did not apply: ${result.kind}`);
  const a = result.assignment;
  if (json.is_consistent !== true) return a;
  return Assignment.create({ isFrozen: a.isFrozen, consistencyMode: 'strong', generation: a.generation, sliceAssignments: a.sliceAssignments });
}
