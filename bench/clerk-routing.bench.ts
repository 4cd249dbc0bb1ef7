/**
 * Clerk routing cost, end to end (issue #7): `clerk.getStubForKey(SliceKey.fromApplicationKey(s))`
 * — FarmHash, slice lookup, replica choice, stub from the LRU cache — against `Map.get(s)` on the
 * same strings, and against npm `hashring` (a consistent-hash ring client) mapping the same strings
 * to a pod and then to its stub. The Clerk gets its 4,096-slice, 64-pod assignment over real gRPC
 * on loopback from a SubscriberHub, as from a Slicelet.
 *
 * Allocation: bytes/op from heap growth (approximate), plus the number of garbage collections
 * during a long run (0 = no allocation per call).
 */
import { PerformanceObserver } from 'node:perf_hooks';
import { Server, ServerCredentials } from '@grpc/grpc-js';
import {
  ASSIGNMENT_SERVICE_DEFINITION,
  Assignment,
  ClientRequest,
  Generation,
  Slice,
  SliceAssignment,
  SliceKey,
  SubscriberHub,
  Target,
  createDefaultLogger,
  createTestSquid,
} from '@dicer-ts/common';
import { Clerk } from '@dicer-ts/clerk-sdk';
import HashRing from 'hashring';
import { measure, report } from './measure.js';

const SLICES = 4096;
const PODS = 64;
const KEYS = 1 << 16;
const ITER = 1_000_000;
const target = Target.kubernetes('bench-cache');

function buildAssignment(replicas: number): Assignment {
  const pods = Array.from({ length: PODS }, (_, i) => createTestSquid(`http://10.0.${i >> 8}.${i & 255}:8080`));
  const bounds = Array.from({ length: SLICES - 1 }, (_, i) => SliceKey.fromApplicationKey(`boundary-${i}`)).sort((a, b) => a.compare(b));
  const generation = Generation.create(1n, 1_700_000_000_000n + BigInt(replicas));
  return Assignment.create({
    generation,
    sliceAssignments: [SliceKey.MIN, ...bounds].map((low, i) =>
      SliceAssignment.create({
        slice: Slice.create(low, bounds[i]),
        generation,
        resources: Array.from({ length: replicas }, (_, r) => pods[(i + r * 17) % PODS]!),
      }),
    ),
  });
}

/** A loopback Watch server with `assignment` published. */
async function serve(assignment: Assignment): Promise<{ address: string; stop: () => void }> {
  const hub = new SubscriberHub();
  const server = new Server();
  server.addService(ASSIGNMENT_SERVICE_DEFINITION, {
    watch: (call: Parameters<SubscriberHub['handleWatch']>[0], callback: Parameters<SubscriberHub['handleWatch']>[1]) => hub.handleWatch(call, callback, ClientRequest.fromProto(call.request)),
  });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
  );
  hub.publish(assignment);
  return { address: `127.0.0.1:${port}`, stop: () => (hub.close(), server.forceShutdown()) };
}

interface Stub {
  readonly uri: string;
}

async function startClerk(address: string, replicaSelection: 'random' | 'least-outstanding' = 'random'): Promise<Clerk<Stub>> {
  const clerk = await Clerk.create<Stub>({
    target,
    watchAddresses: address,
    stubFactory: (resource) => ({ uri: resource.uri }),
    replicaSelection,
    logger: createDefaultLogger('silent'),
  });
  await clerk.ready({ timeoutMs: 10_000 });
  return clerk;
}

async function gcCount(n: number, body: (i: number) => unknown): Promise<number> {
  let count = 0;
  const obs = new PerformanceObserver((list) => {
    count += list.getEntries().length;
  });
  obs.observe({ entryTypes: ['gc'] });
  let sink = 0;
  for (let i = 0; i < n; i++) if (body(i) === undefined) sink++;
  await new Promise((r) => setTimeout(r, 50));
  obs.disconnect();
  return count + (sink === -1 ? 1 : 0);
}

const single = await serve(buildAssignment(1));
const replicated = await serve(buildAssignment(3));
const clerk = await startClerk(single.address);
const clerk3 = await startClerk(replicated.address);
const clerk3lor = await startClerk(replicated.address, 'least-outstanding');

const strings = Array.from({ length: KEYS }, (_, i) => `user-${i * 7919}`);
const sliceKeys = strings.map((s) => SliceKey.fromApplicationKey(s));
const map = new Map(strings.map((s, i) => [s, i]));
const podNames = clerk.assignment!.assignedResources().map((s) => s.resourceAddress.uri);
const ringStubs = new Map(podNames.map((n) => [n, { uri: n }]));
const ring = new HashRing(podNames, 'md5', { 'vnode count': 128 });
const mask = KEYS - 1;
// Touch every stub once so the runs measure the steady state, not the factory.
for (const k of sliceKeys) clerk.getStubForKey(k), clerk3.getStubForKey(k), clerk3lor.getStubForKey(k);

console.log(`assignment: ${SLICES} slices, ${PODS} pods; ${KEYS} distinct keys`);
const base = measure('Map.get(string)', ITER, (i) => map.get(strings[i & mask]!));
const e2e = measure('clerk.getStubForKey(SliceKey.fromApplicationKey(s))', ITER, (i) => clerk.getStubForKey(SliceKey.fromApplicationKey(strings[i & mask]!)));
const byString = measure('clerk.getStubForApplicationKey(s)', ITER, (i) => clerk.getStubForApplicationKey(strings[i & mask]!));
const prehashed = measure('clerk.getStubForKey(pre-hashed SliceKey)', ITER, (i) => clerk.getStubForKey(sliceKeys[i & mask]!));
const rep = measure('… 3 replicas, random', ITER, (i) => clerk3.getStubForKey(SliceKey.fromApplicationKey(strings[i & mask]!)));
const repLor = measure('… 3 replicas, least-outstanding', ITER, (i) => clerk3lor.getStubForKey(SliceKey.fromApplicationKey(strings[i & mask]!)));
const hr = measure('npm hashring.get(s) + stub Map.get (md5, 128 vnodes)', ITER / 4, (i) => ringStubs.get(ring.get(strings[i & mask]!)));
report(base, [e2e, byString, prehashed, rep, repLor, hr]);
console.log(`hashring / clerk end to end: ${(hr.nsPerOp / e2e.nsPerOp).toFixed(2)}×`);
const gcs = await gcCount(5_000_000, (i) => clerk.getStubForKey(sliceKeys[i & mask]!));
console.log(`garbage collections during 5,000,000 getStubForKey(pre-hashed) calls: ${gcs} (0 = no allocation per call)`);
const gcsRep = await gcCount(5_000_000, (i) => clerk3.getStubForKey(sliceKeys[i & mask]!));
console.log(`garbage collections during 5,000,000 getStubForKey(pre-hashed) calls, 3 replicas, random: ${gcsRep}`);
const gcsLor = await gcCount(5_000_000, (i) => clerk3lor.getStubForKey(sliceKeys[i & mask]!));
console.log(`garbage collections during 5,000,000 getStubForKey(pre-hashed) calls, 3 replicas, least-outstanding: ${gcsLor}`);
const gcs2 = await gcCount(5_000_000, (i) => clerk.getStubForApplicationKey(strings[i & mask]!));
console.log(`garbage collections during 5,000,000 getStubForApplicationKey(s) calls: ${gcs2}`);
const gcs3 = await gcCount(5_000_000, (i) => clerk.getStubForKey(SliceKey.fromApplicationKey(strings[i & mask]!)));
console.log(`garbage collections during 5,000,000 getStubForKey(SliceKey.fromApplicationKey(s)) calls: ${gcs3} (a SliceKey per call)`);

await clerk.close();
await clerk3.close();
await clerk3lor.close();
single.stop();
replicated.stop();
