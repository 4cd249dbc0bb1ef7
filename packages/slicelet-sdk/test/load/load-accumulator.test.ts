/**
 * Conformance: `slicelet_load_accumulator_test_data.json` (Dicer `SliceletLoadAccumulatorSuite`),
 * run twice per case: through `LoadAccumulator.incrementPrimaryRateBy` and through long-lived
 * `KeyLoadRecorder`s (the handle path, which must re-resolve after each assignment change). Plus
 * the load-accumulator properties of issue #6.
 */
import assert from 'node:assert/strict';
import { Slice, SliceKey } from '@dicer-ts/common';
import fc from 'fast-check';
import { describe, it } from 'mocha';
import { KeyLoadRecorder } from '../../src/load/key-load-recorder.js';
import { LoadAccumulator } from '../../src/load/load-accumulator.js';
import type { AssignedSliceLoad } from '../../src/load/load-accumulator.js';
import type { SliceLoadReport, SliceletLoadReport } from '../../src/load/load-report.js';
import { bytes, int64Key, sliceOf, VectorTally } from './vector-tally.js';
import type { SliceJson } from './vector-tally.js';

interface GenerationJson {
  readonly incarnation?: string;
  readonly number?: string;
}
interface SliceLoadJson {
  readonly primary_rate_load?: number;
  readonly window_low_inclusive_seconds?: string;
  readonly window_high_exclusive_seconds?: string;
  readonly slice?: SliceJson;
  readonly top_keys?: readonly { readonly slice_key?: string; readonly underestimated_primary_rate_load?: number }[];
  readonly num_replicas?: number;
}
interface SliceInfoJson {
  readonly slice: SliceJson;
  readonly approximate_primary_load?: number;
  readonly top_slice_keys?: readonly string[];
}
interface Action {
  readonly increment_primary_load?: { readonly key?: string; readonly bytes_key?: string; readonly value: number };
  readonly advance_clock?: object;
  readonly change_assignment?: {
    readonly new_assignment?: readonly {
      readonly slice: SliceJson;
      readonly generation?: GenerationJson;
      readonly resources?: readonly string[];
      readonly primary_rate_load_opt?: number;
    }[];
    readonly generation: GenerationJson;
    readonly current_squid: string;
  };
  readonly check_unattributed_load?: {
    readonly debug_msg: string;
    readonly expected_value?: number;
    readonly expected_decay?: boolean;
    readonly expected_counter_value?: string;
  };
  readonly check_attributed_loads?: {
    readonly debug_msg: string;
    readonly expected_loads?: readonly SliceLoadJson[];
    readonly expected_size?: string;
    readonly expected_slice_info?: readonly SliceInfoJson[];
    readonly expected_decay?: boolean;
    readonly expected_counter_value?: string;
  };
  readonly update_metrics?: object;
  readonly histogram_bucket_check?: { readonly debug_msg: string; readonly bucket_index: number; readonly expected: string };
}
interface Data {
  readonly valid_cases: readonly { readonly name: string; readonly actions: readonly Action[] }[];
}

/**
 * The fake clock's start. Deliberately not on a whole second, so that the report's flooring of
 * window bounds to epoch seconds is exercised; expected windows are offsets from its second.
 */
const START_MS = 1_700_000_000_250;
const START_SECOND = BigInt(Math.floor(START_MS / 1000));

type IncrementPath = 'direct' | 'recorder';

function keyOf(a: NonNullable<Action['increment_primary_load']>): SliceKey {
  if (a.key !== undefined) return int64Key(a.key);
  if (a.bytes_key !== undefined) return SliceKey.fromBytes(bytes(a.bytes_key));
  return SliceKey.MIN;
}

function keyHex(key: SliceKey | Uint8Array): string {
  return Buffer.from(key instanceof SliceKey ? key.bytes : key).toString('hex');
}

function assertSliceLoad(actual: SliceLoadReport, expected: SliceLoadJson, context: string): void {
  assert.ok(actual.slice.equals(sliceOf(expected.slice)), `${context}: slice ${actual.slice} vs ${sliceOf(expected.slice)}`);
  assert.equal(actual.primaryRateLoad, expected.primary_rate_load ?? 0, `${context}: primary rate load`);
  assert.equal(
    actual.windowLowInclusiveSeconds,
    START_SECOND + BigInt(expected.window_low_inclusive_seconds ?? '0'),
    `${context}: window low`,
  );
  assert.equal(
    actual.windowHighExclusiveSeconds,
    START_SECOND + BigInt(expected.window_high_exclusive_seconds ?? '0'),
    `${context}: window high`,
  );
  assert.equal(actual.numReplicas, expected.num_replicas ?? 1, `${context}: num replicas`);
  const got = new Set(actual.topKeys.map((k) => `${keyHex(k.sliceKey)}=${k.underestimatedPrimaryRateLoad}`));
  const want = new Set(
    (expected.top_keys ?? []).map((k) => `${keyHex(bytes(k.slice_key))}=${k.underestimated_primary_rate_load ?? 0}`),
  );
  assert.deepEqual(got, want, `${context}: top keys`);
}

/** Runs one vector case; every check reads the accumulator the way Dicer's suite does. */
function runCase(actions: readonly Action[], path: IncrementPath): void {
  let now = START_MS;
  const accumulator = new LoadAccumulator(START_MS);
  const recorders = new Map<string, KeyLoadRecorder>();
  let previousUnattributed: number | undefined;
  let previousAttributedSum: number | undefined;
  const read = (): SliceletLoadReport => accumulator.readLoad(now);

  for (const action of actions) {
    if (action.increment_primary_load !== undefined) {
      const key = keyOf(action.increment_primary_load);
      const value = action.increment_primary_load.value;
      if (path === 'direct') {
        accumulator.incrementPrimaryRateBy(key, value, now);
      } else {
        let recorder = recorders.get(keyHex(key));
        if (recorder === undefined) {
          recorder = new KeyLoadRecorder(accumulator, key);
          recorders.set(keyHex(key), recorder);
        }
        recorder.incrementLoadBy(value, now);
      }
    } else if (action.advance_clock !== undefined) {
      now += 1000;
    } else if (action.change_assignment !== undefined) {
      const change = action.change_assignment;
      const assigned: AssignedSliceLoad[] = [];
      for (const entry of change.new_assignment ?? []) {
        // Affinity mode: a slice is ours when a resource has our (test SQUID) address, i.e. our name.
        const resources = new Set(entry.resources ?? []);
        if (!resources.has(change.current_squid)) continue;
        assigned.push({ slice: sliceOf(entry.slice), numReplicas: resources.size, primaryRateLoad: entry.primary_rate_load_opt });
      }
      const generation = {
        incarnation: BigInt(change.generation.incarnation ?? '0'),
        number: BigInt(change.generation.number ?? '0'),
      };
      accumulator.onAssignmentChanged(generation, assigned, now);
    } else if (action.check_unattributed_load !== undefined) {
      const check = action.check_unattributed_load;
      const load = read().unattributedLoad;
      assert.ok(load.slice.equals(Slice.FULL), `${check.debug_msg}: unattributed slice is ${load.slice}`);
      assert.equal(load.numReplicas, 1, `${check.debug_msg}: unattributed replicas`);
      if (check.expected_value !== undefined) assert.equal(load.primaryRateLoad, check.expected_value, check.debug_msg);
      if (check.expected_decay === true) {
        assert.ok(previousUnattributed !== undefined, `${check.debug_msg}: no earlier check to decay from`);
        assert.ok(load.primaryRateLoad < previousUnattributed, `${check.debug_msg}: ${load.primaryRateLoad} ≥ ${previousUnattributed}`);
      }
      if (check.expected_counter_value !== undefined) {
        assert.equal(accumulator.unattributedLoadTotal, Number(check.expected_counter_value), `${check.debug_msg}: counter`);
      }
      previousUnattributed = load.primaryRateLoad;
    } else if (action.check_attributed_loads !== undefined) {
      const check = action.check_attributed_loads;
      const loads = read().attributedLoads;
      if (check.expected_loads !== undefined) {
        assert.equal(loads.length, check.expected_loads.length, `${check.debug_msg}: number of loads`);
        check.expected_loads.forEach((e, i) => assertSliceLoad(loads[i]!, e, `${check.debug_msg} [${i}]`));
      }
      if (check.expected_size !== undefined) assert.equal(loads.length, Number(check.expected_size), `${check.debug_msg}: size`);
      if (check.expected_slice_info !== undefined) {
        assert.equal(loads.length, check.expected_slice_info.length, `${check.debug_msg}: number of slices`);
        check.expected_slice_info.forEach((info, i) => {
          const load = loads[i]!;
          assert.ok(load.slice.equals(sliceOf(info.slice)), `${check.debug_msg} [${i}]: slice ${load.slice}`);
          if (info.approximate_primary_load !== undefined) {
            assert.ok(
              Math.abs(load.primaryRateLoad - info.approximate_primary_load) < 0.1,
              `${check.debug_msg} [${i}]: ${load.primaryRateLoad} not within 0.1 of ${info.approximate_primary_load}`,
            );
          }
          // A field the case leaves out is not checked (Dicer's suite checks what the case sets).
          if (info.top_slice_keys !== undefined) {
            assert.deepEqual(
              new Set(load.topKeys.map((k) => keyHex(k.sliceKey))),
              new Set(info.top_slice_keys.map((k) => keyHex(bytes(k)))),
              `${check.debug_msg} [${i}]: top keys`,
            );
          }
        });
      }
      const sum = loads.reduce((s, l) => s + l.primaryRateLoad, 0);
      if (check.expected_decay === true) {
        assert.ok(previousAttributedSum !== undefined, `${check.debug_msg}: no earlier check to decay from`);
        assert.ok(sum < previousAttributedSum, `${check.debug_msg}: ${sum} ≥ ${previousAttributedSum}`);
      }
      if (check.expected_counter_value !== undefined) {
        assert.equal(accumulator.attributedLoadTotal, Number(check.expected_counter_value), `${check.debug_msg}: counter`);
      }
      previousAttributedSum = sum;
    } else if (action.update_metrics !== undefined) {
      accumulator.updateLoadDistribution();
    } else if (action.histogram_bucket_check !== undefined) {
      const check = action.histogram_bucket_check;
      assert.equal(accumulator.loadDistributionBucket(check.bucket_index), Number(check.expected), check.debug_msg);
    } else {
      assert.fail(`unknown action ${JSON.stringify(action)}`);
    }
  }
}

describe('conformance: slicelet_load_accumulator_test_data.json', () => {
  const file = 'slicelet_load_accumulator_test_data.json';
  const data = VectorTally.load<Data>(file);
  const tally = new VectorTally(file, () => data.valid_cases.length);
  for (const c of data.valid_cases) {
    tally.case(`${c.name} (direct increments and cached recorders)`, () => {
      runCase(c.actions, 'direct');
      runCase(c.actions, 'recorder');
    });
  }
  tally.checkComplete();
});

// ---------------------------------------------------------------------------------------------
// Unit tests beyond the vectors

const key = (s: string): SliceKey => SliceKey.fromBytes(Buffer.from(s, 'latin1'));
const gen = (n: number): { incarnation: bigint; number: bigint } => ({ incarnation: 2n, number: BigInt(n) });

describe('LoadAccumulator', () => {
  describe('onAssignmentChanged', () => {
    it('ignores an assignment whose generation is not strictly higher', () => {
      const acc = new LoadAccumulator(START_MS);
      assert.equal(acc.onAssignmentChanged(gen(5), [{ slice: Slice.atLeast(key('m')), numReplicas: 1 }], START_MS), true);
      assert.equal(acc.onAssignmentChanged(gen(5), [], START_MS), false);
      assert.equal(acc.onAssignmentChanged(gen(4), [], START_MS), false);
      assert.equal(acc.assignedSlices().length, 1);
      assert.equal(acc.onAssignmentChanged({ incarnation: 3n, number: 0n }, [], START_MS), true);
      assert.equal(acc.assignedSlices().length, 0);
    });

    it('rejects overlapping slices, bad replica counts and bad recorded loads with InvalidArgumentError', () => {
      const acc = new LoadAccumulator(START_MS);
      const bad: AssignedSliceLoad[][] = [
        [
          { slice: Slice.create(key('a'), key('m')), numReplicas: 1 },
          { slice: Slice.create(key('l'), key('z')), numReplicas: 1 },
        ],
        [{ slice: Slice.FULL, numReplicas: 0 }],
        [{ slice: Slice.FULL, numReplicas: 1.5 }],
        [{ slice: Slice.FULL, numReplicas: 1, primaryRateLoad: -1 }],
        [{ slice: Slice.FULL, numReplicas: 1, primaryRateLoad: Number.NaN }],
      ];
      bad.forEach((assigned, i) => {
        assert.throws(() => acc.onAssignmentChanged(gen(10 + i), assigned, START_MS), { name: 'InvalidArgumentError' });
      });
    });
  });

  describe('incrementPrimaryRateBy', () => {
    it('ignores NaN and infinite values as well as non-positive ones', () => {
      const acc = new LoadAccumulator(START_MS);
      for (const v of [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 0, -3]) {
        acc.incrementPrimaryRateBy(key('a'), v, START_MS);
      }
      assert.equal(acc.unattributedLoadTotal, 0);
      assert.equal(acc.readLoad(START_MS + 5000).unattributedLoad.primaryRateLoad, 0);
    });
  });

  describe('KeyLoadRecorder', () => {
    it('follows its key into a newly assigned slice and back out when the slice moves away', () => {
      const acc = new LoadAccumulator(START_MS);
      const recorder = new KeyLoadRecorder(acc, key('k'));
      recorder.incrementLoadBy(5, START_MS);
      acc.onAssignmentChanged(gen(1), [{ slice: Slice.create(key('a'), key('m')), numReplicas: 1 }], START_MS);
      recorder.incrementLoadBy(7, START_MS);
      assert.equal(acc.unattributedLoadTotal, 5);
      assert.equal(acc.attributedLoadTotal, 7);
      acc.onAssignmentChanged(gen(2), [{ slice: Slice.create(key('m'), key('z')), numReplicas: 1 }], START_MS);
      recorder.incrementLoadBy(11, START_MS);
      assert.equal(acc.unattributedLoadTotal, 16);
      assert.equal(acc.attributedLoadTotal, 7);
    });
  });

  describe('readLoad', () => {
    it('reports the hot key of a slice whose load is dominated by one key', () => {
      const acc = new LoadAccumulator(START_MS);
      acc.onAssignmentChanged(gen(1), [{ slice: Slice.FULL, numReplicas: 1 }], START_MS);
      for (let s = 0; s < 30; s++) {
        for (let i = 0; i < 100; i++) acc.incrementPrimaryRateBy(key(`cold-${s}-${i}`), 1, START_MS + s * 1000);
        acc.incrementPrimaryRateBy(key('hot'), 300, START_MS + s * 1000);
      }
      const [load] = acc.readLoad(START_MS + 30_000).attributedLoads;
      assert.ok(load !== undefined);
      assert.ok(Math.abs(load.primaryRateLoad - 400) < 1e-6);
      assert.deepEqual(load.topKeys.map((k) => Buffer.from(k.sliceKey.bytes).toString('latin1')), ['hot']);
      const hot = load.topKeys[0]!.underestimatedPrimaryRateLoad;
      assert.ok(hot <= 300 + 1e-9 && hot >= 300 - 0.005 * 400 - 1e-9, `hot key load ${hot}`);
    });
  });
});

// ---------------------------------------------------------------------------------------------
// Properties (issue #6)

interface Op {
  readonly kind: 'increment' | 'advance' | 'assign';
  readonly key: number;
  readonly value: number;
  readonly ms: number;
  readonly boundaries: readonly number[];
  readonly replicas: number;
}

const KEY_SPACE = 64;
/** Keys are one byte apart in a small space so that slices, hot keys and cold keys all occur. */
const keyAt = (i: number): SliceKey => SliceKey.fromBytes(Uint8Array.of(i * 4, i % 3));

const arbOp: fc.Arbitrary<Op> = fc.oneof(
  { weight: 8, arbitrary: fc.record({ kind: fc.constant('increment' as const), key: fc.integer({ min: 0, max: KEY_SPACE - 1 }), value: fc.oneof(fc.integer({ min: -5, max: 50 }), fc.double({ min: 0, max: 100, noNaN: true })), ms: fc.constant(0), boundaries: fc.constant([]), replicas: fc.constant(1) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('advance' as const), key: fc.constant(0), value: fc.constant(0), ms: fc.integer({ min: 1, max: 4000 }), boundaries: fc.constant([]), replicas: fc.constant(1) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('assign' as const), key: fc.constant(0), value: fc.constant(0), ms: fc.constant(0), boundaries: fc.uniqueArray(fc.integer({ min: 1, max: KEY_SPACE * 4 - 1 }), { maxLength: 6 }), replicas: fc.integer({ min: 1, max: 3 }) }) },
);

/**
 * Runs `ops`: an assignment takes every other slice between the sorted boundaries, so part of the
 * key space stays unattributed.
 */
function runOps(ops: readonly Op[], path: IncrementPath): { acc: LoadAccumulator; accepted: number; keys: Set<string>; now: number } {
  const acc = new LoadAccumulator(START_MS);
  const recorders = new Map<number, KeyLoadRecorder>();
  let now = START_MS;
  let accepted = 0;
  let generation = 0;
  const keys = new Set<string>();
  for (const op of ops) {
    if (op.kind === 'advance') {
      now += op.ms;
    } else if (op.kind === 'assign') {
      const cuts = [...op.boundaries].sort((a, b) => a - b).map((b) => SliceKey.fromBytes(Uint8Array.of(b)));
      const bounds: (SliceKey | undefined)[] = [SliceKey.MIN, ...cuts, undefined];
      const assigned: AssignedSliceLoad[] = [];
      for (let i = 0; i + 1 < bounds.length; i += 2) {
        assigned.push({ slice: Slice.create(bounds[i]!, bounds[i + 1]), numReplicas: op.replicas, primaryRateLoad: i * 10 });
      }
      acc.onAssignmentChanged(gen(++generation), assigned, now);
    } else {
      const k = keyAt(op.key);
      if (path === 'direct') {
        acc.incrementPrimaryRateBy(k, op.value, now);
      } else {
        let r = recorders.get(op.key);
        if (r === undefined) recorders.set(op.key, (r = new KeyLoadRecorder(acc, k)));
        r.incrementLoadBy(op.value, now);
      }
      if (op.value > 0) {
        accepted += op.value;
        keys.add(keyHex(k));
      }
    }
  }
  return { acc, accepted, keys, now };
}

describe('LoadAccumulator invariants', () => {
  const arbOps = fc.array(arbOp, { maxLength: 300, size: 'max' });

  it('never reports a negative or non-finite load', () => {
    fc.assert(
      fc.property(arbOps, (ops) => {
        const { acc, now } = runOps(ops, 'direct');
        const report = acc.readLoad(now + 1500);
        for (const load of [report.unattributedLoad, ...report.attributedLoads]) {
          assert.ok(load.primaryRateLoad >= 0 && Number.isFinite(load.primaryRateLoad));
          assert.ok(load.windowHighExclusiveSeconds >= load.windowLowInclusiveSeconds);
          for (const k of load.topKeys) assert.ok(k.underestimatedPrimaryRateLoad >= 0 && Number.isFinite(k.underestimatedPrimaryRateLoad));
        }
      }),
      { seed: 42, numRuns: 200, endOnFailure: true },
    );
  });

  it('counts attributed plus unattributed load equal to the load reported', () => {
    fc.assert(
      fc.property(arbOps, (ops) => {
        const { acc, accepted } = runOps(ops, 'direct');
        const counted = acc.attributedLoadTotal + acc.unattributedLoadTotal;
        assert.ok(Math.abs(counted - accepted) <= 1e-9 * Math.max(1, accepted), `${counted} vs ${accepted}`);
        acc.updateLoadDistribution();
        assert.ok(Math.abs(acc.loadDistributionBucket(255) - accepted) <= 1e-9 * Math.max(1, accepted));
      }),
      { seed: 42, numRuns: 200, endOnFailure: true },
    );
  });

  it('reports top keys only among the keys reported, inside their slice, summing to at most the slice load', () => {
    fc.assert(
      fc.property(arbOps, (ops) => {
        const { acc, keys, now } = runOps(ops, 'direct');
        const report = acc.readLoad(now + 1000);
        for (const load of [report.unattributedLoad, ...report.attributedLoads]) {
          let sum = 0;
          for (const k of load.topKeys) {
            assert.ok(keys.has(keyHex(k.sliceKey)), `top key ${k.sliceKey} was never reported`);
            assert.ok(load.slice.contains(k.sliceKey), `top key ${k.sliceKey} outside ${load.slice}`);
            sum += k.underestimatedPrimaryRateLoad;
          }
          assert.ok(sum <= load.primaryRateLoad * (1 + 1e-9), `top keys ${sum} > slice ${load.primaryRateLoad}`);
        }
      }),
      { seed: 42, numRuns: 200, endOnFailure: true },
    );
  });

  it('attributes a key to the assigned slice containing it, and to unattributed load when none does', () => {
    // Short keys over a 3-letter alphabet share 8-byte prefixes, so prefix ties are exercised.
    const arbKey = fc.array(fc.constantFrom(0, 1, 255), { maxLength: 10 }).map((b) => SliceKey.fromBytes(Uint8Array.from(b)));
    fc.assert(
      fc.property(fc.uniqueArray(arbKey, { minLength: 1, maxLength: 12, selector: (k) => keyHex(k) }), fc.array(arbKey, { maxLength: 30 }), (cuts, probes) => {
        const sorted = [...cuts].sort((a, b) => a.compare(b));
        const bounds: (SliceKey | undefined)[] = sorted[0]!.isMin() ? [...sorted, undefined] : [SliceKey.MIN, ...sorted, undefined];
        const slices: Slice[] = [];
        for (let i = 0; i + 1 < bounds.length; i++) slices.push(Slice.create(bounds[i]!, bounds[i + 1]));
        const mine = slices.filter((_, i) => i % 2 === 1);
        const acc = new LoadAccumulator(START_MS);
        acc.onAssignmentChanged(gen(1), mine.map((slice) => ({ slice, numReplicas: 1 })), START_MS);
        for (const probe of [...probes, ...sorted]) {
          const counter = acc.counterFor(probe);
          const owner = mine.find((slice) => slice.contains(probe));
          if (owner === undefined) assert.equal(counter.isAttributed, false, `${probe} is not assigned`);
          else assert.ok(counter.isAttributed && counter.slice.equals(owner), `${probe} belongs to ${owner}, got ${counter.slice}`);
        }
      }),
      { seed: 42, numRuns: 300, endOnFailure: true },
    );
  });

  it('gives the same report through cached recorders as through direct increments', () => {
    fc.assert(
      fc.property(arbOps, (ops) => {
        const direct = runOps(ops, 'direct');
        const cached = runOps(ops, 'recorder');
        assert.deepEqual(cached.acc.readLoad(cached.now + 1000), direct.acc.readLoad(direct.now + 1000));
      }),
      { seed: 42, numRuns: 200, endOnFailure: true },
    );
  });
});
