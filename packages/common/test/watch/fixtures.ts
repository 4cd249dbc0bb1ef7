/** Assignments and requests for the watch tests, built through the public model constructors. */
import { Assignment } from '../../src/model/assignment.js';
import { ClientRequest, type Subscriber } from '../../src/model/client-request.js';
import { Generation } from '../../src/model/generation.js';
import { SliceAssignment } from '../../src/model/slice-assignment.js';
import { SliceKey } from '../../src/model/slice-key.js';
import { Slice } from '../../src/model/slice.js';
import { createTestSquid } from '../../src/model/squid.js';
import { SyncAssignmentState } from '../../src/model/sync-assignment-state.js';
import { Target } from '../../src/model/target.js';

/** The target every watch test uses. */
export const TEST_TARGET = Target.kubernetes('softstore');

/** Generation `2#n` (a non-loose incarnation, so diffs are partial where possible). */
export function gen(n: number): Generation {
  return Generation.create(2n, BigInt(n));
}

/**
 * An assignment at generation `2#n` of `slices` equal slices (by the first key byte pair) spread
 * round-robin over `pods` test SQUIDs; every slice generation is `2#n`.
 */
export function makeAssignment(n: number, slices = 4, pods = 2): Assignment {
  const squids = Array.from({ length: pods }, (_, i) => createTestSquid(`https://pod${i}:8080`));
  const generation = gen(n);
  const bounds: (SliceKey | undefined)[] = [SliceKey.MIN];
  for (let i = 1; i < slices; i++) {
    const v = Math.floor((i * 65536) / slices);
    bounds.push(SliceKey.fromBytes(new Uint8Array([v >> 8, v & 0xff])));
  }
  bounds.push(undefined);
  const sliceAssignments = Array.from({ length: slices }, (_, i) =>
    SliceAssignment.create({
      slice: i === 0 && slices === 1 ? Slice.FULL : Slice.create(bounds[i] as SliceKey, bounds[i + 1]),
      generation,
      resources: [squids[i % pods]!],
    }),
  );
  return Assignment.create({ generation, sliceAssignments });
}

/** A parsed Watch request knowing `known` (a generation number, 0 = EMPTY). */
export function watchRequest(
  known: number,
  options: { timeoutMs?: number; serialized?: boolean; subscriber?: Subscriber } = {},
): ClientRequest {
  return ClientRequest.create({
    target: TEST_TARGET,
    syncAssignmentState: SyncAssignmentState.knownGeneration(known === 0 ? Generation.EMPTY : gen(known)),
    subscriberDebugName: 'C0-softstore-test',
    timeoutMs: options.timeoutMs ?? 5000,
    subscriber: options.subscriber ?? { kind: 'clerk' },
    supportsSerializedAssignment: options.serialized ?? true,
  });
}
