/**
 * Watch fan-out inside one process: publishing one new generation to 1,000 parked watchers through
 * the SubscriberHub (the full assignment and each distinct reply encoded once, shared by every
 * watcher) against encoding the reply once per watcher, as a naive server would.
 *
 * Run: `npm run bench -- watch-fanout`.
 */
import { toBinary } from '@bufbuild/protobuf';
import {
  Assignment,
  ClientRequest,
  Generation,
  ManualClock,
  Slice,
  SliceAssignment,
  SliceKey,
  SubscriberHub,
  SyncAssignmentState,
  Target,
  createTestSquid,
  proto,
} from '@dicer-ts/common';
import { measure, report } from './measure.js';

const WATCHERS = 1_000;

/** A realistic assignment: `slices` slices over `pods` pods, in a non-loose incarnation. */
function makeAssignment(slices: number, pods: number): Assignment {
  const squids = Array.from({ length: pods }, (_, i) => createTestSquid(`https://pod${i}:8080`));
  const generation = Generation.create(2n, 1_700_000_000_000n);
  const bounds: (SliceKey | undefined)[] = [SliceKey.MIN];
  for (let i = 1; i < slices; i++) {
    // Big-endian 8-byte bounds, so that the keys ascend with i.
    const bytes = new Uint8Array(8);
    new DataView(bytes.buffer).setBigUint64(0, (BigInt(i) << 64n) / BigInt(slices));
    bounds.push(SliceKey.fromBytes(bytes));
  }
  bounds.push(undefined);
  const sliceAssignments = Array.from({ length: slices }, (_, i) =>
    SliceAssignment.create({
      slice: Slice.create(bounds[i] as SliceKey, bounds[i + 1]),
      generation,
      resources: [squids[i % pods] as (typeof squids)[number]],
    }),
  );
  return Assignment.create({ generation, sliceAssignments });
}

const request = ClientRequest.create({
  target: Target.kubernetes('softstore'),
  syncAssignmentState: SyncAssignmentState.knownGeneration(Generation.EMPTY),
  subscriberDebugName: 'C0-softstore-bench',
  timeoutMs: 5000,
  subscriber: { kind: 'clerk' },
  supportsSerializedAssignment: true,
});

/** What a server without the hub's cache does per watcher: encode the full assignment and the reply. */
function encodePerWatcher(assignment: Assignment): Uint8Array {
  const diff = toBinary(proto.DiffAssignmentPSchema, assignment.toDiff(Generation.EMPTY).toProto());
  return toBinary(
    proto.ClientResponsePSchema,
    proto.create(proto.ClientResponsePSchema, {
      syncAssignmentState: proto.create(proto.SyncAssignmentStatePSchema, { state: { case: 'knownSerializedAssignment', value: diff } }),
      suggestedRpcTimeoutMillis: 5000n,
      redirect: proto.create(proto.RedirectPSchema),
    }),
  );
}

for (const [slices, pods] of [
  [256, 16],
  [1024, 32],
] as const) {
  const assignment = makeAssignment(slices, pods);
  const bytes = encodePerWatcher(assignment).byteLength;
  console.log(`\n${WATCHERS} parked watchers, assignment of ${slices} slices over ${pods} pods (${bytes} bytes per reply)`);
  let replies = 0;
  const onReply = () => {
    replies++;
  };
  const hub = measure(`hub: park ${WATCHERS}, publish once (encode once)`, 20, () => {
    // A fresh hub per publish: the generation is new to it, so it encodes from scratch every time.
    const h = new SubscriberHub({ clock: new ManualClock() });
    for (let w = 0; w < WATCHERS; w++) h.watch(request, onReply);
    h.publish(assignment);
    return h;
  });
  const naive = measure(`encode the reply once per watcher (${WATCHERS}×)`, 1, () => {
    let total = 0;
    for (let w = 0; w < WATCHERS; w++) total += encodePerWatcher(assignment).byteLength;
    return total;
  }, 2);
  if (replies === 0) throw new Error('the hub answered nobody');
  report(hub, [naive]);
  console.log(`per-watcher encoding costs ${(naive.nsPerOp / hub.nsPerOp).toFixed(0)}× the hub's publish; hub: ${(hub.nsPerOp / 1e6).toFixed(2)} ms per fan-out`);
}
