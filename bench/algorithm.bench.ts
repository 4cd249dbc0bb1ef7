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
  type AlgorithmSliceAssignment,
} from '@dicer-ts/assigner';
import { measure, report } from './measure.js';

const TOP = 1n << 64n;

function key8(value: bigint): SliceKey {
  const bytes = new Uint8Array(8);
  let v = value;
  for (let i = 7; i >= 0; i--) {
    bytes[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return SliceKey.fromBytes(bytes);
}

/** Zipf(0.99) over `buckets` equal key ranges, the hottest ranks scattered at random. */
function zipfEntries(rand: SeededRandom, buckets: number, total: number): { slice: Slice; load: number }[] {
  const weights = Array.from({ length: buckets }, (_, i) => 1 / (i + 1) ** 0.99);
  for (let i = buckets - 1; i > 0; i--) {
    const j = rand.nextInt(i + 1);
    [weights[i], weights[j]] = [weights[j] as number, weights[i] as number];
  }
  const sum = weights.reduce((a, b) => a + b, 0);
  const width = TOP / BigInt(buckets);
  return weights.map((w, i) => ({
    slice: Slice.create(i === 0 ? SliceKey.MIN : key8(width * BigInt(i)), i === buckets - 1 ? undefined : key8(width * BigInt(i + 1))),
    load: (w / sum) * total,
  }));
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
