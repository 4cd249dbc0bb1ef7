/** Timing helpers shared by the benchmarks: warm up, then take the best of several timed rounds. */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/** The result of {@link measure}: nanoseconds per operation (best round) and bytes allocated per op. */
export interface Measurement {
  readonly name: string;
  readonly nsPerOp: number;
  /** Heap growth per operation over the best round, with GC disabled where possible (approximate). */
  readonly bytesPerOp: number;
}

/**
 * Times `body(i)` for `iterations` calls per round, after a warm-up round, and keeps the fastest of
 * `rounds` rounds (the least disturbed by the rest of the machine). `body` returns a value that is
 * folded into a sink so the JIT cannot drop the work.
 */
export function measure(
  name: string,
  iterations: number,
  body: (i: number) => unknown,
  rounds = 5,
): Measurement {
  let sink = 0;
  const run = (): { ns: number; bytes: number } => {
    const heapBefore = process.memoryUsage().heapUsed;
    const start = process.hrtime.bigint();
    for (let i = 0; i < iterations; i++) {
      const v = body(i);
      if (v === undefined) sink++;
    }
    const ns = Number(process.hrtime.bigint() - start);
    return { ns, bytes: Math.max(0, process.memoryUsage().heapUsed - heapBefore) };
  };
  run();
  let best = { ns: Number.POSITIVE_INFINITY, bytes: 0 };
  for (let r = 0; r < rounds; r++) {
    const got = run();
    if (got.ns < best.ns) best = got;
  }
  if (sink === -1) console.log('unreachable');
  return { name, nsPerOp: best.ns / iterations, bytesPerOp: best.bytes / iterations };
}

/** Prints measurements as a table with each one's ratio to `baseline`. */
export function report(baseline: Measurement, others: readonly Measurement[]): void {
  const rows = [baseline, ...others].map((m) => ({
    case: m.name,
    'ns/op': m.nsPerOp.toFixed(1),
    'ratio to baseline': (m.nsPerOp / baseline.nsPerOp).toFixed(2) + '×',
    'bytes/op (approx)': m.bytesPerOp.toFixed(1),
  }));
  console.table(rows);
}

let collectGarbage: (() => void) | undefined;

/**
 * Heap bytes allocated per call of `body`, stricter than {@link measure}'s heap delta: collect
 * garbage, run a batch small enough that no scavenge should start, read the heap growth, and keep
 * the smallest of several rounds (the first ones also pay for JIT code and feedback, which is not
 * the subject's allocation). Pair it with a control body that allocates one small object per call
 * to show the method can see allocation at all.
 */
export function bytesPerCall(body: (i: number) => unknown, calls = 100_000): number {
  if (collectGarbage === undefined) {
    setFlagsFromString('--expose-gc');
    collectGarbage = runInNewContext('gc') as () => void;
  }
  let sink = 0;
  let bytes = Number.POSITIVE_INFINITY;
  for (let round = 0; round < 4; round++) {
    collectGarbage();
    const before = process.memoryUsage().heapUsed;
    for (let i = 0; i < calls; i++) if (body(i) === undefined) sink++;
    bytes = Math.min(bytes, (process.memoryUsage().heapUsed - before) / calls);
  }
  if (sink === -1) console.log('unreachable');
  return bytes;
}
