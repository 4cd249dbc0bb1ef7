/**
 * One load-balancing round of the assignment algorithm (`runAlgorithm`) on 64 pods and about 4,096
 * slices under skewed (Zipf 0.99) load, against baselines measured in the same run: building the
 * round's LoadMap, and sorting the round's slices. Also one round at 10, 100 and 1,000 pods, to
 * show how the cost grows with N.
 */
import { SeededRandom, Slice, SliceKey } from '@dicer-ts/common';
import {
  LoadMap,
  createAlgorithmConfig,
  generateInitialAssignment,
  runAlgorithm,
  uniformPartitioning,
  type AlgorithmSliceAssignment,
} from '@dicer-ts/assigner';
import HashRing from 'hashring';
import { measure, report } from './measure.js';

/** Zipf(0.99) over `buckets` (a power of two) equal key ranges, the hottest ranks scattered at random. */
function zipfEntries(rand: SeededRandom, buckets: number, total: number): { slice: Slice; load: number }[] {
  const weights = Array.from({ length: buckets }, (_, i) => 1 / (i + 1) ** 0.99);
  for (let i = buckets - 1; i > 0; i--) {
    const j = rand.nextInt(i + 1);
    [weights[i], weights[j]] = [weights[j] as number, weights[i] as number];
  }
  const sum = weights.reduce((a, b) => a + b, 0);
  const slices = uniformPartitioning(buckets);
  return weights.map((w, i) => ({ slice: slices[i] as Slice, load: (w / sum) * total }));
}

function buildMap(entries: readonly { slice: Slice; load: number }[]): LoadMap {
  const b = LoadMap.builder();
  for (const e of entries) b.putLoad(e.slice, e.load);
  return b.build();
}

interface Setup {
  readonly pods: string[];
  readonly base: readonly AlgorithmSliceAssignment[];
  readonly entries: { slice: Slice; load: number }[];
  readonly map: LoadMap;
}

/** A steady state on `n` pods (two warm-up rounds under one load), then a new load to rebalance. */
function setup(n: number, seed: number): Setup {
  const rand = new SeededRandom(seed);
  const pods = Array.from({ length: n }, (_, i) => `pod-${String(i).padStart(4, '0')}`);
  const config = createAlgorithmConfig({ maxLoadHint: 100, maxReplicas: 3 });
  const warm = buildMap(zipfEntries(rand, 8192, 60 * n));
  let base: readonly AlgorithmSliceAssignment[] = generateInitialAssignment(pods, 1);
  for (let i = 0; i < 2; i++) base = runAlgorithm({ config, availableResources: pods, base, loadMap: warm }).slices;
  const entries = zipfEntries(rand, 8192, 60 * n);
  return { pods, base, entries, map: buildMap(entries) };
}

const config = createAlgorithmConfig({ maxLoadHint: 100, maxReplicas: 3 });
const main = setup(64, 1);
const round = (s: Setup) => runAlgorithm({ config, availableResources: s.pods, base: s.base, loadMap: s.map });
const result = round(main);
console.log(
  `64 pods: base ${main.base.length} slices → ${result.slices.length} slices, ${result.stats.totalReplicas} replicas, ` +
    `${result.stats.placementIterations} placement iterations (${result.stats.reassigns} reassigns, ` +
    `${result.stats.replicates} replicates, ${result.stats.dereplicates} dereplicates)`,
);
const slices = main.base.map((s) => s.slice);
const buildBaseline = measure('build the round LoadMap (8,192 entries)', 20, () => buildMap(main.entries));
const sortBaseline = measure(`sort ${slices.length} slices`, 20, () => [...slices].reverse().sort((a, b) => a.compare(b)));
const algorithm = measure('runAlgorithm, 64 pods, Zipf 0.99', 3, () => round(main), 3);
report(buildBaseline, [sortBaseline, algorithm]);
console.log(`runAlgorithm: ${(algorithm.nsPerOp / 1e6).toFixed(1)} ms per round`);

const rows: Record<string, string>[] = [];
for (const n of [10, 100, 1000]) {
  const s = setup(n, 2);
  const times: number[] = [];
  let r = round(s);
  for (let i = 0; i < (n >= 1000 ? 1 : 3); i++) {
    const start = process.hrtime.bigint();
    r = round(s);
    times.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  times.sort((a, b) => a - b);
  rows.push({
    pods: String(n),
    slices: String(r.slices.length),
    'median ms': (times[Math.floor(times.length / 2)] as number).toFixed(1),
    'placement iterations': String(r.stats.placementIterations),
    'peak RSS MB': (process.resourceUsage().maxRSS / 1024).toFixed(0),
  });
}
console.table(rows);

// ---------------------------------------------------------------------------------------------
// Quality, side by side with a consistent-hash ring (128 virtual nodes per pod) over the same
// keys: 100,000 application keys with Zipf(0.99) load; each round 10% of the keys outside the top
// 100 swap loads, the algorithm sees the load measured on the previous assignment's slices (plus
// keys with ≥ 1% of the load as top keys, as Slicelets report them), and we score the new
// assignment on the true load. Figures are averages over rounds 2–5 (round 1 starts from the
// load-blind initial assignment).

const KEY_COUNT = 100_000;
const ROUNDS = 5;

interface KeyedLoad {
  readonly key: SliceKey;
  readonly name: string;
  readonly rank: number;
  load: number;
}

function zipfKeys(): KeyedLoad[] {
  const keys = Array.from({ length: KEY_COUNT }, (_, i) => ({
    name: `key-${i}`,
    key: SliceKey.fromApplicationKey(`key-${i}`),
    rank: i,
    load: 1 / (i + 1) ** 0.99,
  }));
  const sum = keys.reduce((a, k) => a + k.load, 0);
  for (const k of keys) k.load /= sum;
  return keys.sort((a, b) => a.key.compare(b.key));
}

/** Swaps the loads of random pairs of keys outside the top 100, touching `fraction` of the keys. */
function drift(rand: SeededRandom, keys: KeyedLoad[], fraction: number): void {
  const tail = keys.filter((k) => k.rank >= 100);
  for (let i = 0; i < (KEY_COUNT * fraction) / 2; i++) {
    const a = tail[rand.nextInt(tail.length)] as KeyedLoad;
    const b = tail[rand.nextInt(tail.length)] as KeyedLoad;
    [a.load, b.load] = [b.load, a.load];
  }
}

/** The owners of each key (keys and slices both in key order). */
function ownersByKey(keys: readonly KeyedLoad[], slices: readonly AlgorithmSliceAssignment[]): (readonly string[])[] {
  const out: (readonly string[])[] = [];
  let j = 0;
  for (const k of keys) {
    while (!(slices[j] as AlgorithmSliceAssignment).slice.contains(k.key)) j++;
    out.push((slices[j] as AlgorithmSliceAssignment).resources);
  }
  return out;
}

/** The load map Slicelets would report on `slices`: per-slice sums plus top keys (≥ 1%). */
function measuredMap(keys: readonly KeyedLoad[], slices: readonly AlgorithmSliceAssignment[], total: number): LoadMap {
  const b = LoadMap.builder();
  let j = 0;
  let sliceLoad = 0;
  let top: { key: SliceKey; load: number }[] = [];
  const flush = (): void => {
    const s = slices[j] as AlgorithmSliceAssignment;
    b.putLoad(s.slice, sliceLoad * total, top.map((t) => ({ key: t.key, load: t.load * total })));
    sliceLoad = 0;
    top = [];
  };
  for (const k of keys) {
    while (!(slices[j] as AlgorithmSliceAssignment).slice.contains(k.key)) {
      flush();
      j++;
    }
    if (k.load >= 0.01) top.push({ key: k.key, load: k.load });
    else sliceLoad += k.load;
  }
  for (; j < slices.length; j++) flush();
  return b.build();
}

function imbalance(perPod: Map<string, number>, pods: readonly string[]): number {
  const values = pods.map((p) => perPod.get(p) ?? 0);
  return Math.max(...values) / (values.reduce((a, b) => a + b, 0) / values.length);
}

const quality: Record<string, string>[] = [];
for (const n of [10, 100]) {
  const rand = new SeededRandom(7);
  const keys = zipfKeys();
  const pods = Array.from({ length: n }, (_, i) => `pod-${String(i).padStart(4, '0')}`);
  const total = 60 * n;
  const qualityConfig = createAlgorithmConfig({ maxLoadHint: 100, maxReplicas: 4 });
  const ring = new HashRing(pods, 'md5', { 'vnode count': 128 });
  let slices: readonly AlgorithmSliceAssignment[] = generateInitialAssignment(pods, 1);
  let owners = ownersByKey(keys, slices);
  let dicerImbalance = 0;
  let ringImbalance = 0;
  let moved = 0;
  for (let round = 0; round < ROUNDS; round++) {
    const map = measuredMap(keys, slices, total);
    drift(rand, keys, 0.1);
    slices = runAlgorithm({ config: qualityConfig, availableResources: pods, base: slices, loadMap: map }).slices;
    const next = ownersByKey(keys, slices);
    const dicerLoad = new Map<string, number>();
    const ringLoad = new Map<string, number>();
    let roundMoved = 0;
    keys.forEach((k, i) => {
      const now = next[i] as readonly string[];
      const before = owners[i] as readonly string[];
      for (const p of now) dicerLoad.set(p, (dicerLoad.get(p) ?? 0) + k.load / now.length);
      roundMoved += (k.load * now.filter((p) => !before.includes(p)).length) / now.length;
      const r = ring.get(k.name);
      ringLoad.set(r, (ringLoad.get(r) ?? 0) + k.load);
    });
    owners = next;
    if (round > 0) {
      moved += roundMoved / (ROUNDS - 1);
      dicerImbalance += imbalance(dicerLoad, pods) / (ROUNDS - 1);
      ringImbalance += imbalance(ringLoad, pods) / (ROUNDS - 1);
    }
  }
  quality.push({
    pods: String(n),
    'dicer max/mean': dicerImbalance.toFixed(2),
    'ring max/mean': ringImbalance.toFixed(2),
    'dicer load moved per round': `${(moved * 100).toFixed(1)}%`,
    'ring load moved per round': '0.0%',
  });
}
console.log('\nQuality: Zipf(0.99) over 100,000 keys, maxReplicas 4, 10% of tail keys drifting per round (mean of rounds 2–5)');
console.table(quality);
