/**
 * Key → slice assignment lookup on a 4,096-slice, 64-pod assignment (issue #2 figures):
 *
 * 1. a pre-hashed SliceKey through `SliceTable` against `Map.get` on a string key in the same run
 *    (goal: at most 4× `Map.get`, no allocation per lookup);
 * 2. a string key hashed and looked up (`fromApplicationKey` + lookup, and the allocation-free
 *    `lookupIndexForApplicationKey`) against npm `hashring` and a 128-virtual-node ring of our own
 *    over the same FarmHash (goal: at least as fast as the fastest). For reference, the same path
 *    with the WASM `farmhash-modern` fingerprint.
 *
 * Allocation is checked by counting garbage collections over a long run: zero scavenges over
 * millions of calls means (well) under one byte per call.
 */
import { PerformanceObserver } from 'node:perf_hooks';
import {
  Assignment,
  Generation,
  Slice,
  SliceAssignment,
  SliceKey,
  SliceTable,
  createTestSquid,
  fingerprint64,
  writeFingerprint64,
} from '@dicer-ts/common';
import { fingerprint64 as wasmFingerprint64 } from 'farmhash-modern';
import HashRing from 'hashring';
import { measure, report } from './measure.js';

const SLICES = 4096;
const PODS = 64;
const KEYS = 1 << 16; // more than hashring's 5,000-entry result cache, so it cannot serve from it
const ITER = 2_000_000;

const pods = Array.from({ length: PODS }, (_, i) => createTestSquid(`https://10.0.${i >> 8}.${i & 255}:8080`));
const bounds = Array.from({ length: SLICES - 1 }, (_, i) => SliceKey.fromApplicationKey(`boundary-${i}`)).sort((a, b) => a.compare(b));
const generation = Generation.create(2n, 1_700_000_000_000n);
const assignment = Assignment.create({
  generation,
  sliceAssignments: [SliceKey.MIN, ...bounds].map((low, i) =>
    SliceAssignment.create({ slice: Slice.create(low, bounds[i]), generation, resources: [pods[i % PODS]!] }),
  ),
});
const table: SliceTable<SliceAssignment> = assignment.sliceTable;

const strings = Array.from({ length: KEYS }, (_, i) => `user-${i * 7919}`);
const sliceKeys = strings.map((s) => SliceKey.fromApplicationKey(s));
const map = new Map(strings.map((s, i) => [s, i]));
const mask = KEYS - 1;

/** A ketama-style ring: 128 points per pod, FarmHash of "<pod>-<vnode>", binary search. */
class FarmHashRing {
  private readonly high: Uint32Array;
  private readonly low: Uint32Array;
  private readonly owner: Int32Array;
  constructor(names: readonly string[], vnodes: number) {
    const points = names.flatMap((n, p) =>
      Array.from({ length: vnodes }, (_, v) => ({ hash: fingerprint64(`${n}-${v}`), p })),
    ).sort((a, b) => (a.hash < b.hash ? -1 : a.hash > b.hash ? 1 : 0));
    this.high = Uint32Array.from(points, (x) => Number(x.hash >> 32n));
    this.low = Uint32Array.from(points, (x) => Number(x.hash & 0xffffffffn));
    this.owner = Int32Array.from(points, (x) => x.p);
  }
  /** The pod owning the first point at or after the key's hash (wrapping). */
  get(hashHigh: number, hashLow: number): number {
    let lo = 0;
    let hi = this.high.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const h = this.high[mid]!;
      if (h < hashHigh || (h === hashHigh && this.low[mid]! < hashLow)) lo = mid + 1;
      else hi = mid;
    }
    return this.owner[lo === this.high.length ? 0 : lo]!;
  }
}
const podNames = pods.map((p) => p.resourceAddress.uri);
const ring = new FarmHashRing(podNames, 128);
const hashring = new HashRing(podNames, 'md5', { 'vnode count': 128 });

/** Number of garbage collections while `body` runs `n` times. */
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

console.log(`assignment: ${assignment.sliceAssignments.length} slices, ${PODS} pods; ${KEYS} distinct keys`);

console.log('\n-- 1. pre-hashed SliceKey lookup vs Map.get(string)');
const mapGet = measure('Map.get(string)', ITER, (i) => map.get(strings[i & mask]!));
const tableLookup = measure('SliceTable.lookup(SliceKey)', ITER, (i) => table.lookup(sliceKeys[i & mask]!));
const tableIndex = measure('SliceTable.lookupIndex(SliceKey)', ITER, (i) => table.lookupIndex(sliceKeys[i & mask]!));
const mapLookup = measure('SliceMap.lookup (plain binary search)', ITER, (i) => assignment.sliceMap.lookup(sliceKeys[i & mask]!));
report(mapGet, [tableLookup, tableIndex, mapLookup]);
const gcs = await gcCount(10_000_000, (i) => table.lookup(sliceKeys[i & mask]!));
console.log(`garbage collections during 10,000,000 SliceTable.lookup calls: ${gcs} (0 = no allocation per lookup)`);

console.log('\n-- 2. string key → owner: hash + lookup');
const ours = measure('SliceKey.fromApplicationKey + lookup', ITER, (i) => table.lookup(SliceKey.fromApplicationKey(strings[i & mask]!)));
const oursFree = measure('SliceTable.lookupIndexForApplicationKey', ITER, (i) => table.lookupIndexForApplicationKey(strings[i & mask]!));
const words = new Uint32Array(2);
const ownRing = measure('own 128-vnode ring over the same FarmHash', ITER, (i) => {
  writeFingerprint64(strings[i & mask]!, words);
  return ring.get(words[0]!, words[1]!);
});
const hr = measure('npm hashring (md5, 128 vnodes)', ITER / 4, (i) => hashring.get(strings[i & mask]!));
const encoder = new TextEncoder();
const wasm = measure('farmhash-modern (WASM) fingerprint + lookup', ITER / 4, (i) =>
  table.lookup(SliceKey.fromFingerprint(wasmFingerprint64(encoder.encode(strings[i & mask]!)))),
);
report(ownRing, [oursFree, ours, hr, wasm]);
const gcs2 = await gcCount(5_000_000, (i) => table.lookupIndexForApplicationKey(strings[i & mask]!));
console.log(`garbage collections during 5,000,000 lookupIndexForApplicationKey calls: ${gcs2}`);
