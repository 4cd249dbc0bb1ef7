/**
 * The Slicelet's request path through `SliceKeyHandle` against the baseline of a `Map.get` plus a
 * number add on a `Map<string, number>`, in the same run (issue #6: goal ≤ 5×, no allocation in
 * steady state):
 *
 * - `isAssignedContinuously()` on a long-lived handle (cached per assignment: one reference compare);
 * - `incrementLoadBy(1)` on a long-lived handle (cached counter and top-keys entry);
 * - a whole request: `createHandle` + `isAssignedContinuously` + `incrementLoadBy` + `close`, through
 *   the Slicelet's handle cache (`SliceKeyHandleCache`, what `Slicelet.createHandle` calls) with a
 *   `SliceKey` and with an application-key string, and, for comparison, with a new handle per
 *   request (the path before the cache).
 *
 * Each case shows ns/op (best of five passes), its ratio to the baseline, and bytes per call
 * measured after GC (as load-increment.bench.ts does).
 *
 * Setup: 1024 FarmHash keys over a 64-slice assignment, half of it owned by this Slicelet (with a
 * subslice annotation per owned slice), driven through the same `HandleContext` a Slicelet gives
 * its handles; time advances 1 ms every 1000 calls.
 */
import {
  Assignment,
  Generation,
  ResourceAddress,
  Slice,
  SliceAssignment,
  SliceKey,
  Squid,
} from '@dicer-ts/common';
import { LoadAccumulator, OwnershipSnapshot, SliceKeyHandle, SliceKeyHandleCache, ownedSliceLoads, ownershipCounters } from '@dicer-ts/slicelet-sdk';
import { bytesPerCall, measure } from './measure.js';
import type { Measurement } from './measure.js';

const KEYS = 1024;
const MASK = KEYS - 1;
const SLICES = 64;
const ITERATIONS = 2_000_000;
const START_MS = 1_700_000_000_000;

const self = Squid.create(ResourceAddress.create('https://10.0.0.1:8080'), 1n, '00000000-0000-4000-8000-000000000001');
const other = Squid.create(ResourceAddress.create('https://10.0.0.2:8080'), 1n, '00000000-0000-4000-8000-000000000002');
const bounds = Array.from({ length: SLICES - 1 }, (_, i) => SliceKey.fromBytes(Uint8Array.of((i + 1) * 4, 0, 0, 0, 0, 0, 0, 0)));
const sliceAssignments = Array.from({ length: SLICES }, (_, i) => {
  const slice = Slice.create(i === 0 ? SliceKey.MIN : bounds[i - 1]!, bounds[i]);
  const mine = i % 2 === 0;
  return SliceAssignment.create({
    slice,
    generation: Generation.create(2n, 100n),
    resources: [mine ? self : other],
    subsliceAnnotations: mine
      ? [{ resource: self, annotation: { subslice: Slice.create(slice.lowInclusive, SliceKey.fromBytes(Uint8Array.of(i * 4, 128))), generationNumber: 50n } }]
      : [],
  });
});
const assignment = Assignment.create({ generation: Generation.create(2n, 100n), sliceAssignments });

// The handles' coarse time cell, as a Slicelet refreshes it; here the loop advances it.
const time = Float64Array.of(START_MS);
const accumulator = new LoadAccumulator(START_MS);
accumulator.onAssignmentChanged(assignment.generation, ownedSliceLoads(assignment, self), START_MS);
const ownership = OwnershipSnapshot.create(assignment, self);
const context = { ownership, counters: ownershipCounters(ownership, accumulator), countersEpoch: accumulator.assignmentEpoch, accumulator, nowMs: time };

const names = Array.from({ length: KEYS }, (_, i) => `user-${i}`);
const keys = names.map((n) => SliceKey.fromApplicationKey(n));
const handles = keys.map((k) => new SliceKeyHandle(context, k));
const ownedCount = handles.filter((h) => h.isAssignedContinuously()).length;

const baselineMap = new Map<string, number>(names.map((n, i) => [n, i]));
let baselineSum = 0;

const cache = new SliceKeyHandleCache(context);

/** One request, as a server writes it, on whatever handle `createHandle` returned. */
function request(h: SliceKeyHandle): boolean {
  const owned = h.isAssignedContinuously();
  h.incrementLoadBy(1);
  h.close();
  return owned;
}

const cases: readonly [string, (i: number) => unknown][] = [
  [
    'Map<string, number>.get + add (baseline)',
    (i) => {
      // `| 0` keeps the sum a small integer: a growing double in a module `let` would box a heap
      // number per write and charge the baseline with allocation that is not Map.get's.
      baselineSum = (baselineSum + baselineMap.get(names[i & MASK]!)!) | 0;
      return baselineSum;
    },
  ],
  ['handle.isAssignedContinuously() (long-lived handle)', (i) => handles[i & MASK]!.isAssignedContinuously()],
  [
    'handle.incrementLoadBy(1) (long-lived handle)',
    (i) => {
      time[0]! += 0.001;
      handles[i & MASK]!.incrementLoadBy(1);
      return i;
    },
  ],
  [
    'request: createHandle(SliceKey) + isAssignedContinuously + incrementLoadBy + close',
    (i) => {
      time[0]! += 0.001;
      return request(cache.handleFor(keys[i & MASK]!));
    },
  ],
  [
    'request: createHandle(string) + isAssignedContinuously + incrementLoadBy + close',
    (i) => {
      time[0]! += 0.001;
      return request(cache.handleForApplicationKey(names[i & MASK]!));
    },
  ],
  [
    'request: new SliceKeyHandle (no cache, before) + the same calls',
    (i) => {
      time[0]! += 0.001;
      return request(new SliceKeyHandle(context, keys[i & MASK]!));
    },
  ],
];

const best = new Map<string, Measurement>();
for (let pass = 0; pass < 5; pass++) {
  for (const [name, body] of cases) {
    const m = measure(name, ITERATIONS, body);
    const previous = best.get(name);
    if (previous === undefined || m.nsPerOp < previous.nsPerOp) best.set(name, m);
  }
}

const ring: unknown[] = new Array<unknown>(1024).fill(undefined);
const control = bytesPerCall((i) => (ring[i & 1023] = { i }));
const baselineNs = best.get(cases[0]![0])!.nsPerOp;
console.table(
  cases.map(([name, body]) => {
    const m = best.get(name)!;
    return {
      case: name,
      'ns/op': m.nsPerOp.toFixed(1),
      'ratio to baseline': (m.nsPerOp / baselineNs).toFixed(2) + '×',
      'bytes/op after gc': bytesPerCall(body).toFixed(2),
    };
  }),
);
console.log(
  `(sanity: ${ownedCount}/${KEYS} keys owned continuously, ${accumulator.attributedLoadTotal} attributed load units; ` +
    `control allocating one object per call: ${control.toFixed(1)} bytes/call)`,
);
