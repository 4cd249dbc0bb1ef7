/**
 * Assignment propagation (issue #7): from the Assigner creating a generation to 1,000 Clerks routing
 * on it, through Slicelets, all in one process over loopback gRPC. A generation's number is the
 * Assigner's wall clock when it made it (`Generation.createForCurrentTime`), so the delay of one
 * Clerk is `Date.now()` at its `'assignment'` event minus the generation number.
 *
 * Each round adds a Slicelet, which makes the Assigner generate a new assignment; the Clerks watch
 * the 4 original Slicelets (a quarter each), as callers behind a Kubernetes Service would. It runs
 * with 10 Clerks, then with 1,000. The serialized assignment is decoded once per process
 * (`decoded-assignment-cache.ts`: the Slicelets get the Assigner's bytes, re-serve them, and every
 * Clerk gets those same bytes); each Clerk still receives its own copy over its own gRPC channel and
 * builds its own routing table on this one thread, so with 1,000 the tail is mostly waiting for the
 * other Clerks of the process (the costs are printed too).
 *
 * The Clerk's routing table is imported by relative path for the cost line (it is internal).
 */
import { Assignment, DiffAssignment, Generation, PROCESS_DECODED_ASSIGNMENTS, createDefaultLogger, proto } from '@dicer-ts/common';
import { Clerk } from '@dicer-ts/clerk-sdk';
import { Slicelet } from '@dicer-ts/slicelet-sdk';
import { Assigner } from '@dicer-ts/assigner';
import { RoutingTable } from '../packages/clerk-sdk/src/routing-table.js';

const CLERKS = 1_000;
const ROUNDS = 3;
const TARGET = 'bench-propagation';
const silent = createDefaultLogger('silent');

const assigner = await Assigner.start({
  host: '127.0.0.1',
  port: 0,
  debugPort: 'disabled',
  targets: { [TARGET]: { maxLoadHint: 1_000_000 } },
  unhealthyTimeoutMs: 1_500,
  minGenerationIntervalMs: 0,
  sliceletSuggestedRpcTimeoutMs: 5_000,
  clerkSuggestedRpcTimeoutMs: 5_000,
  logger: silent,
});

const slicelets: Slicelet[] = [];
async function addSlicelet(): Promise<Slicelet> {
  const i = slicelets.length;
  const s = await Slicelet.start({
    target: TARGET,
    assigner: `127.0.0.1:${assigner.port}`,
    selfAddress: `http://127.0.0.1:${9300 + i}`,
    host: '127.0.0.1',
    watchPort: 0,
    watchHost: '127.0.0.1',
    logger: silent,
  });
  slicelets.push(s);
  return s;
}

async function until(condition: () => boolean, what: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const watched = [await addSlicelet(), await addSlicelet(), await addSlicelet(), await addSlicelet()];
await until(() => watched.every((s) => !s.generation.isEmpty() && s.generation.equals(watched[0]!.generation) && s.assignedSlices().length > 0), 'Slicelets settled');

let delays: number[] = [];
let sliceletDelays: number[] = [];
let measuring = false;
for (const s of watched) s.on('assignment', ({ generation }) => void (measuring && sliceletDelays.push(Date.now() - Number(generation.number))));
const clerks: Clerk<string>[] = [];

async function addClerks(total: number): Promise<void> {
  while (clerks.length < total) {
    const c = await Clerk.create<string>({
      target: TARGET,
      watchAddresses: `127.0.0.1:${watched[clerks.length % watched.length]!.watchPort}`,
      stubFactory: (r) => r.uri,
      logger: silent,
    });
    c.on('assignment', ({ generation }) => {
      if (measuring) delays.push(Date.now() - Number(generation.number));
    });
    clerks.push(c);
  }
  await Promise.all(clerks.map((c) => c.ready({ timeoutMs: 60_000 })));
}

const pct = (values: number[], p: number): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;
};

/** Runs ROUNDS reassignments (one new Slicelet each) and prints the delay percentiles. */
async function measureRounds(): Promise<void> {
  delays = [];
  sliceletDelays = [];
  measuring = true;
  for (let round = 0; round < ROUNDS; round++) {
    const added = await addSlicelet();
    await until(() => added.assignedSlices().length > 0, 'the new Slicelet owning slices');
    const generation = added.generation;
    await until(() => clerks.every((c) => c.assignment !== undefined && c.assignment.generation.compare(generation) >= 0), 'every Clerk on the new generation');
  }
  measuring = false;
  const slices = clerks[0]!.assignment!.sliceAssignments.length;
  console.log(
    `${clerks.length} Clerks, ${ROUNDS} reassignments (${delays.length} Clerk updates, ${slices} slices at the end): ` +
      `Assigner → Slicelet p50 ${pct(sliceletDelays, 0.5)} ms, p99 ${pct(sliceletDelays, 0.99)} ms; ` +
      `Assigner → Clerk p50 ${pct(delays, 0.5)} ms, p90 ${pct(delays, 0.9)} ms, p99 ${pct(delays, 0.99)} ms, max ${pct(delays, 1)} ms`,
  );
}

/** CPU per assignment on this thread: decoding the Watch reply (once per process) and building a Clerk's routing table. */
function perClerkCost(): void {
  const assignment = clerks[0]!.assignment!;
  const bytes = proto.toBinary(proto.DiffAssignmentPSchema, assignment.toDiff(Generation.EMPTY).toProto());
  const n = 200;
  let t = performance.now();
  for (let i = 0; i < n; i++) Assignment.fromDiff(undefined, DiffAssignment.fromProto(proto.fromBinary(proto.DiffAssignmentPSchema, bytes)));
  const decodeMs = (performance.now() - t) / n;
  t = performance.now();
  for (let i = 0; i < n; i++) RoutingTable.build(assignment);
  const buildMs = (performance.now() - t) / n;
  const { hits, misses } = PROCESS_DECODED_ASSIGNMENTS.stats();
  console.log(
    `per assignment (${assignment.sliceAssignments.length} slices, ${bytes.length} B): decode ${decodeMs.toFixed(2)} ms once per process ` +
      `(decoded-assignment cache over the run: ${misses} decodes, ${hits} hits), routing table ${buildMs.toFixed(2)} ms per Clerk ` +
      `→ ${((buildMs * clerks.length) / 1000).toFixed(2)} s of one thread for ${clerks.length} Clerks in one process`,
  );
}

await addClerks(10);
await measureRounds();
await addClerks(CLERKS);
await measureRounds();
perClerkCost();

await Promise.all(clerks.map((c) => c.close()));
for (const s of slicelets) await s.close();
await assigner.close();
