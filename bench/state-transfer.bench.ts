/**
 * State transfer (issue #10): (1) the Assigner-side planning of a 4,096-slice assignment in which a
 * terminating pod's slices moved, against the commit that precedes it (`commitProposal`) as the
 * baseline; (2) the Fetch stream over loopback gRPC: 200,000 entries of 16-byte keys and 100-byte
 * values pulled by a receiver, in keys/s and MB/s (best of 3).
 *
 * Run: `npm run bench -- state-transfer`.
 */
import { credentials, ServerCredentials } from '@grpc/grpc-js';
import { Assignment, Generation, Slice, SliceKey, createTestSquid } from '@dicer-ts/common';
import { INITIAL_STATE_TRANSFER_STATE, planStateTransfers } from '../packages/assigner/src/core/state-transfer.js';
import { commitProposal } from '../packages/assigner/src/store/commit-proposal.js';
import { fetchState } from '../packages/slicelet-sdk/src/state-transfer/transfer-client.js';
import { createStateTransferImplementation, startTransferServer } from '../packages/slicelet-sdk/src/state-transfer/transfer-service.js';
import { measure, report } from './measure.js';

const SLICES = 4_096;
const PODS = 64;

const squids = Array.from({ length: PODS }, (_, i) => createTestSquid(`https://pod${i}:8080`));
function boundary(i: number): SliceKey {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setUint32(0, Math.floor((i * 0x1_0000_0000) / SLICES));
  return SliceKey.fromBytes(b);
}
const slicesOf = Array.from({ length: SLICES }, (_, i) => Slice.create(i === 0 ? SliceKey.MIN : boundary(i), i + 1 < SLICES ? boundary(i + 1) : undefined));
const before = commitProposal(
  { predecessor: undefined, slices: slicesOf.map((slice, i) => ({ slice, resources: [squids[i % PODS]!, squids[(i + 1) % PODS]!] })) },
  Generation.create(2n, 1_000n),
  false,
);
// Pod 0 terminates: each of its replicas moves to the next pod without that slice.
const proposalSlices = before.sliceAssignments.map((sa, i) => ({
  slice: sa.slice,
  resources: sa.resources.map((r) => (r.equals(squids[0]!) ? squids[(i + 2) % PODS]! : r)),
}));
let committed: Assignment | undefined;
const commitCase = measure('commitProposal (baseline)', 20, () => {
  committed = commitProposal({ predecessor: before, slices: proposalSlices }, Generation.create(2n, 2_000n), false);
  return committed;
});
const planCase = measure('planStateTransfers', 20, () =>
  planStateTransfers({
    predecessor: before,
    committed: committed!,
    reachability: (s) => (s.equals(squids[0]!) ? 'terminating' : 'running'),
    nowMs: 0,
    state: INITIAL_STATE_TRANSFER_STATE,
    timeoutMs: 60_000,
  }),
);
report(commitCase, [planCase]);

const ENTRIES = 200_000;
const key = new Uint8Array(16).fill(7);
const value = new Uint8Array(100).fill(9);
const closing = new AbortController();
const server = await startTransferServer(
  '127.0.0.1',
  0,
  ServerCredentials.createInsecure(),
  createStateTransferImplementation({
    target: 'bench',
    closing: closing.signal,
    sink: { started: () => undefined, ended: () => undefined },
    provide: function* () {
      for (let i = 0; i < ENTRIES; i++) yield { key, value };
    },
  }),
);
let bestMs = Number.POSITIVE_INFINITY;
for (let round = 0; round < 3; round++) {
  const started = performance.now();
  let n = 0;
  for await (const _ of fetchState({
    address: `127.0.0.1:${server.port}`,
    range: Slice.FULL,
    transferId: 1,
    requester: 'bench',
    target: 'bench',
    deadlineMs: 60_000,
    maxBytes: 1 << 30,
    signal: new AbortController().signal,
    credentials: credentials.createInsecure(),
  })) {
    n++;
  }
  if (n !== ENTRIES) throw new Error(`pulled ${n} entries, expected ${ENTRIES}`);
  bestMs = Math.min(bestMs, performance.now() - started);
}
closing.abort();
await server.close();
const megabytes = (ENTRIES * (key.length + value.length)) / 1e6;
console.table([
  {
    case: `Fetch ${ENTRIES} entries of ${key.length}+${value.length} B over loopback`,
    'best ms': bestMs.toFixed(0),
    'keys/s': Math.round((ENTRIES / bestMs) * 1000).toLocaleString('en-US'),
    'MB/s': ((megabytes / bestMs) * 1000).toFixed(1),
  },
]);
