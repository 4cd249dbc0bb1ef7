/**
 * Decode of a full 4,096-slice, 64-pod assignment from bytes, as a Clerk or Slicelet receives it in
 * a Watch reply: `fromBinary(DiffAssignmentP)` → `DiffAssignment.fromProto` (all of Dicer's
 * validation) → `Assignment.fromDiff` → the lookup table. Reports bytes on the wire and ms per
 * decode, with the protobuf parse alone as the baseline. Also the encode side and a partial diff.
 */
import {
  Assignment,
  DiffAssignment,
  Generation,
  Slice,
  SliceAssignment,
  SliceKey,
  createTestSquid,
  proto,
} from '@dicer-ts/common';
import { measure, report } from './measure.js';

const SLICES = 4096;
const PODS = 64;
const REPLICAS = 2;

const pods = Array.from({ length: PODS }, (_, i) => createTestSquid(`https://10.0.${i >> 8}.${i & 255}:8080`));
const bounds = Array.from({ length: SLICES - 1 }, (_, i) => SliceKey.fromApplicationKey(`boundary-${i}`)).sort((a, b) => a.compare(b));
const incarnation = 2n;
const generation = Generation.create(incarnation, 1_700_000_000_000n);
const assignment = Assignment.create({
  generation,
  sliceAssignments: [SliceKey.MIN, ...bounds].map((low, i) =>
    SliceAssignment.create({
      slice: Slice.create(low, bounds[i]),
      generation: Generation.create(incarnation, 1_700_000_000_000n - BigInt(i % 1000)),
      resources: Array.from({ length: REPLICAS }, (_, r) => pods[(i + r * 17) % PODS]!),
      primaryRateLoad: (i % 97) * 1.5,
    }),
  ),
});

const full = assignment.toDiff(Generation.EMPTY);
const bytes = proto.toBinary(proto.DiffAssignmentPSchema, full.toProto());
// The next generation: every 100th slice moves to another pod. Its diff against `assignment` is
// what a client holding `assignment` would be sent as a partial diff.
const nextGeneration = Generation.create(incarnation, 1_700_000_000_005n);
const next = Assignment.create({
  generation: nextGeneration,
  sliceAssignments: assignment.sliceAssignments.map((s, i) =>
    i % 100 === 0 ? SliceAssignment.create({ slice: s.slice, generation: nextGeneration, resources: [pods[(i + 5) % PODS]!] }) : s,
  ),
});
const partialBytes = proto.toBinary(proto.DiffAssignmentPSchema, next.toDiff(generation).toProto());

function decodeFull(b: Uint8Array): Assignment {
  const diff = DiffAssignment.fromProto(proto.fromBinary(proto.DiffAssignmentPSchema, b));
  const result = Assignment.fromDiff(undefined, diff);
  if (result.kind !== 'applied') throw new Error(result.kind);
  // Build the lookup table too: a receiver needs it before the first lookup.
  return result.assignment.sliceTable.size > 0 ? result.assignment : result.assignment;
}

const decoded = decodeFull(bytes);
if (!decoded.equals(assignment)) throw new Error('decode does not round-trip');

console.log(
  `full assignment: ${SLICES} slices, ${PODS} pods, ${REPLICAS} replicas per slice, with loads: ${bytes.length} bytes ` +
    `(${(bytes.length / SLICES).toFixed(1)} bytes/slice); partial diff to the next generation (41 slices moved): ${partialBytes.length} bytes`,
);
const parseOnly = measure('protobuf-es fromBinary only', 20, () => proto.fromBinary(proto.DiffAssignmentPSchema, bytes), 5);
const decode = measure('bytes → validated Assignment + SliceTable', 20, () => decodeFull(bytes), 5);
const encode = measure('Assignment → toDiff → toBinary', 20, () => proto.toBinary(proto.DiffAssignmentPSchema, assignment.toDiff(Generation.EMPTY).toProto()), 5);
function applyPartialDiff(): Assignment {
  const result = Assignment.fromDiff(decoded, DiffAssignment.fromProto(proto.fromBinary(proto.DiffAssignmentPSchema, partialBytes)));
  if (result.kind !== 'applied') throw new Error(result.kind);
  return result.assignment;
}
if (!applyPartialDiff().equals(next)) throw new Error('partial diff does not apply');
const applyPartial = measure('bytes → partial diff applied onto the known assignment', 20, applyPartialDiff, 5);
report(parseOnly, [decode, encode, applyPartial]);
for (const m of [parseOnly, decode, encode, applyPartial]) console.log(`${m.name}: ${(m.nsPerOp / 1e6).toFixed(2)} ms`);
