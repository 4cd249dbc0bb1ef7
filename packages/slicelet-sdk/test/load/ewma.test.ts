/**
 * Conformance: `ewma_accumulator_test_data.json` (Dicer `EwmaAccumulatorSuite`) and
 * `ewma_counter_test_data.json` (Dicer `EwmaCounterSuite`); plus EWMA properties.
 */
import assert from 'node:assert/strict';
import { isDicerError, SeededRandom } from '@dicer-ts/common';
import fc from 'fast-check';
import { describe, it } from 'mocha';
import { EwmaAccumulator, EwmaCounter } from '../../src/load/ewma.js';
import { VectorTally } from './vector-tally.js';

// ---------------------------------------------------------------------------------------------
// ewma_accumulator_test_data.json

interface AccumulatorJson {
  readonly alpha: number;
  readonly seed_opt?: number;
}
interface AccumulatorAction {
  readonly append_value?: string;
  readonly append_zeros?: string;
  readonly assert_value_equals?: { readonly expected: number; readonly debug_message_opt?: string };
  readonly repeated_append_with_check?: { readonly value: string; readonly count: string; readonly expected_opt?: number };
  readonly assert_accumulators_value_match?: object;
}
interface AccumulatorCase {
  readonly ewma_accumulator: AccumulatorJson;
  readonly actions?: readonly AccumulatorAction[];
}
interface AccumulatorData {
  readonly invalid_cases: readonly AccumulatorCase[];
  readonly valid_cases: readonly AccumulatorCase[];
  readonly append_zeros_and_compare: {
    readonly ewma_accumulator: AccumulatorJson;
    readonly actions: readonly AccumulatorAction[];
    readonly reference_ewma_accumulator: AccumulatorJson;
    readonly reference_accumulator_actions: readonly AccumulatorAction[];
  };
}

const ACCUMULATOR_TOLERANCE = 1e-10;

function newAccumulator(json: AccumulatorJson): EwmaAccumulator {
  return new EwmaAccumulator(json.alpha, json.seed_opt);
}

/** Runs one action; `other` is the accumulator an `assert_accumulators_value_match` compares with. */
function runAccumulatorAction(acc: EwmaAccumulator, action: AccumulatorAction, other?: EwmaAccumulator): void {
  if (action.append_value !== undefined) {
    acc.appendValue(Number(action.append_value));
  } else if (action.append_zeros !== undefined) {
    acc.appendZeros(Number(action.append_zeros));
  } else if (action.assert_value_equals !== undefined) {
    const { expected, debug_message_opt } = action.assert_value_equals;
    assert.ok(Math.abs(acc.value - expected) <= ACCUMULATOR_TOLERANCE, `${debug_message_opt}: ${acc.value} vs ${expected}`);
  } else if (action.repeated_append_with_check !== undefined) {
    const { value, count, expected_opt } = action.repeated_append_with_check;
    const v = Number(value);
    for (let i = 0, n = Number(count); i < n; i++) {
      acc.appendValue(v);
      if (expected_opt !== undefined && !(Math.abs(acc.value - expected_opt) <= ACCUMULATOR_TOLERANCE)) {
        assert.fail(`after ${i + 1} appends of ${v}: ${acc.value} vs ${expected_opt}`);
      }
    }
  } else if (action.assert_accumulators_value_match !== undefined) {
    assert.ok(other !== undefined, 'assert_accumulators_value_match needs a second accumulator');
    assert.ok(Math.abs(acc.value - other.value) <= ACCUMULATOR_TOLERANCE, `${acc.value} vs ${other.value}`);
  } else {
    assert.fail(`unknown action ${JSON.stringify(action)}`);
  }
}

describe('conformance: ewma_accumulator_test_data.json', () => {
  const file = 'ewma_accumulator_test_data.json';
  const data = VectorTally.load<AccumulatorData>(file);
  const tally = new VectorTally(file, () => data.invalid_cases.length + data.valid_cases.length + 1);

  data.invalid_cases.forEach((c, i) => {
    tally.case(`invalid case ${i} (alpha ${c.ewma_accumulator.alpha}) throws InvalidArgumentError`, () => {
      assert.throws(
        () => {
          const acc = newAccumulator(c.ewma_accumulator);
          for (const a of c.actions ?? []) runAccumulatorAction(acc, a);
        },
        (err: unknown) => isDicerError(err) && err.name === 'InvalidArgumentError',
      );
    });
  });

  data.valid_cases.forEach((c, i) => {
    const actions = c.actions ?? [];
    tally.case(`valid case ${i} (alpha ${c.ewma_accumulator.alpha}, ${actions.length} actions)`, () => {
      const acc = newAccumulator(c.ewma_accumulator);
      for (const a of actions) runAccumulatorAction(acc, a);
    });
  });

  tally.case('append_zeros_and_compare: closed-form zeros match zeros appended one by one', () => {
    const c = data.append_zeros_and_compare;
    const main = newAccumulator(c.ewma_accumulator);
    for (const a of c.actions) runAccumulatorAction(main, a);
    const reference = newAccumulator(c.reference_ewma_accumulator);
    for (const a of c.reference_accumulator_actions) runAccumulatorAction(reference, a, main);
    assert.notEqual(main.value, 0);
    assert.notEqual(reference.value, 0);
  });

  tally.checkComplete();
});

// ---------------------------------------------------------------------------------------------
// ewma_counter_test_data.json

interface CounterJson {
  readonly half_life_seconds: number;
  readonly seed_opt?: number;
}
interface CounterAction {
  readonly increment_by?: { readonly value: number; readonly elapsed_ms: string; readonly perform_on_reference?: boolean };
  readonly assert_value_equals?: {
    readonly elapsed_ms: string;
    readonly expected: number;
    readonly window_low_elapsed_ms: string;
    readonly window_high_elapsed_ms: string;
  };
  readonly assert_value_in_range?: {
    readonly elapsed_ms: string;
    readonly min_value: number;
    readonly max_value: number;
    readonly window_low_elapsed_ms: string;
    readonly window_high_elapsed_ms: string;
  };
  readonly repeated_get_value?: {
    readonly elapsed_ms: string;
    readonly repeat_count: number;
    readonly repeat_interval_ms: string;
    readonly perform_on_reference?: boolean;
  };
  readonly repeated_increment?: {
    readonly value: number;
    readonly elapsed_ms: string;
    readonly repeat_count: number;
    readonly repeat_interval_ms: string;
    readonly perform_on_reference?: boolean;
  };
  readonly assert_counters_value_match?: { readonly main_elapsed_ms: string; readonly reference_elapsed_ms: string };
  readonly repeated_increment_by_poisson_sample?: {
    readonly poisson_mean: number;
    readonly elapsed_ms: string;
    readonly repeat_interval_ms: string;
    readonly repeat_count: number;
  };
}
interface CounterCase {
  readonly ewma_counter: CounterJson;
  readonly error_message_opt?: string;
  readonly actions?: readonly CounterAction[];
}
interface CounterData {
  readonly invalid_cases: readonly CounterCase[];
  readonly valid_cases: readonly CounterCase[];
  readonly reference_cases: readonly CounterCase[];
}

/** The start instant every `elapsed_ms` is measured from (any instant works; this one is whole seconds). */
const START_MS = 1_700_000_000_000;

/**
 * A seeded Poisson sampler: Knuth's product method on chunks of mean ≤ 100 (so `e^−mean` stays far
 * from underflow), summed. Dicer uses Apache Commons Math over `java.util.Random(42)`; the vector's
 * check is statistical, so any seeded sampler will do (vectors/README.md §5).
 */
function poissonSample(mean: number, random: SeededRandom): number {
  let total = 0;
  for (let remaining = mean; remaining > 0; remaining -= 100) {
    const limit = Math.exp(-Math.min(100, remaining));
    let k = 0;
    let p = random.next();
    while (p > limit) {
      k++;
      p *= random.next();
    }
    total += k;
  }
  return total;
}

function assertWindow(actual: { windowLowMs: number; windowHighMs: number }, low: string, high: string): void {
  assert.equal(actual.windowLowMs, START_MS + Number(low), 'window low');
  assert.equal(actual.windowHighMs, START_MS + Number(high), 'window high');
}

function runCounterActions(json: CounterJson, actions: readonly CounterAction[]): void {
  const main = new EwmaCounter(START_MS, json.half_life_seconds, json.seed_opt);
  const reference = new EwmaCounter(START_MS, json.half_life_seconds, json.seed_opt);
  const pick = (onReference?: boolean): EwmaCounter => (onReference === true ? reference : main);
  const random = new SeededRandom(42);
  for (const a of actions) {
    if (a.increment_by !== undefined) {
      const { value, elapsed_ms, perform_on_reference } = a.increment_by;
      pick(perform_on_reference).incrementBy(value, START_MS + Number(elapsed_ms));
    } else if (a.assert_value_equals !== undefined) {
      const { elapsed_ms, expected, window_low_elapsed_ms, window_high_elapsed_ms } = a.assert_value_equals;
      const got = main.valueAt(START_MS + Number(elapsed_ms));
      assertWindow(got, window_low_elapsed_ms, window_high_elapsed_ms);
      const tolerance = expected === 0 ? Number.MIN_VALUE : Math.abs(expected) * 1e-14;
      assert.ok(Math.abs(got.weightedValue - expected) <= tolerance, `${got.weightedValue} vs ${expected}`);
    } else if (a.assert_value_in_range !== undefined) {
      const { elapsed_ms, min_value, max_value, window_low_elapsed_ms, window_high_elapsed_ms } = a.assert_value_in_range;
      const got = main.valueAt(START_MS + Number(elapsed_ms));
      assertWindow(got, window_low_elapsed_ms, window_high_elapsed_ms);
      assert.ok(got.weightedValue > min_value && got.weightedValue < max_value, `${got.weightedValue} not in (${min_value}, ${max_value})`);
    } else if (a.repeated_get_value !== undefined) {
      const { elapsed_ms, repeat_count, repeat_interval_ms, perform_on_reference } = a.repeated_get_value;
      for (let i = 0; i < repeat_count; i++) {
        pick(perform_on_reference).valueAt(START_MS + Number(elapsed_ms) + i * Number(repeat_interval_ms));
      }
    } else if (a.repeated_increment !== undefined) {
      const { value, elapsed_ms, repeat_count, repeat_interval_ms, perform_on_reference } = a.repeated_increment;
      for (let i = 0; i < repeat_count; i++) {
        pick(perform_on_reference).incrementBy(value, START_MS + Number(elapsed_ms) + i * Number(repeat_interval_ms));
      }
    } else if (a.assert_counters_value_match !== undefined) {
      const { main_elapsed_ms, reference_elapsed_ms } = a.assert_counters_value_match;
      const m = main.valueAt(START_MS + Number(main_elapsed_ms)).weightedValue;
      const r = reference.valueAt(START_MS + Number(reference_elapsed_ms)).weightedValue;
      assert.ok(Math.abs(m - r) <= 1e-14, `main ${m} vs reference ${r}`);
    } else if (a.repeated_increment_by_poisson_sample !== undefined) {
      const { poisson_mean, elapsed_ms, repeat_interval_ms, repeat_count } = a.repeated_increment_by_poisson_sample;
      for (let i = 0; i < repeat_count; i++) {
        main.incrementBy(poissonSample(poisson_mean, random), START_MS + Number(elapsed_ms) + i * Number(repeat_interval_ms));
      }
    } else {
      assert.fail(`unknown action ${JSON.stringify(a)}`);
    }
  }
}

describe('conformance: ewma_counter_test_data.json', () => {
  const file = 'ewma_counter_test_data.json';
  const data = VectorTally.load<CounterData>(file);
  const tally = new VectorTally(
    file,
    () => data.invalid_cases.length + data.valid_cases.length + data.reference_cases.length,
  );

  data.invalid_cases.forEach((c, i) => {
    const { half_life_seconds, seed_opt } = c.ewma_counter;
    tally.case(`invalid case ${i} (half-life ${half_life_seconds} s) throws "${c.error_message_opt ?? ''}"`, () => {
      assert.throws(
        () => new EwmaCounter(START_MS, half_life_seconds, seed_opt),
        (err: unknown) =>
          isDicerError(err) && err.name === 'InvalidArgumentError' && err.message.includes(c.error_message_opt ?? ''),
      );
    });
  });

  data.valid_cases.forEach((c, i) => {
    const poisson = (c.actions ?? []).some((a) => a.repeated_increment_by_poisson_sample !== undefined);
    const note = poisson ? ', Poisson samples from a seeded sampler, not Commons Math' : '';
    tally.case(`valid case ${i} (half-life ${c.ewma_counter.half_life_seconds} s${note})`, () => {
      runCounterActions(c.ewma_counter, c.actions ?? []);
    });
  });

  data.reference_cases.forEach((c, i) => {
    const { half_life_seconds, seed_opt } = c.ewma_counter;
    tally.case(`reference case ${i} (half-life ${half_life_seconds} s, seed ${seed_opt ?? 'none'})`, () => {
      runCounterActions(c.ewma_counter, c.actions ?? []);
    });
  });

  tally.checkComplete();
});

// ---------------------------------------------------------------------------------------------
// Properties

/** Per-second load totals: entry `s` is the load of second `s`. */
const arbSeconds = fc.array(fc.integer({ min: 0, max: 1000 }), { minLength: 1, maxLength: 60, size: 'max' });

describe('EwmaCounter invariants', () => {
  it('keeps the rate between the smallest and the largest completed per-second total (unseeded)', () => {
    fc.assert(
      fc.property(arbSeconds, fc.integer({ min: 1, max: 300 }), (totals, halfLife) => {
        const counter = new EwmaCounter(START_MS, halfLife);
        totals.forEach((v, s) => counter.incrementBy(v, START_MS + s * 1000 + 500));
        const value = counter.valueAt(START_MS + totals.length * 1000).weightedValue;
        const slack = 1e-9 * Math.max(1, ...totals);
        assert.ok(value >= Math.min(...totals) - slack && value <= Math.max(...totals) + slack);
      }),
      { seed: 42, numRuns: 200 },
    );
  });

  it('never lowers the rate when any second gets more load (monotonicity)', () => {
    fc.assert(
      fc.property(arbSeconds, fc.nat(), fc.integer({ min: 1, max: 1000 }), fc.integer({ min: 1, max: 300 }), (totals, pick, extra, halfLife) => {
        const index = pick % totals.length;
        const base = new EwmaCounter(START_MS, halfLife, 7);
        const more = new EwmaCounter(START_MS, halfLife, 7);
        totals.forEach((v, s) => {
          base.incrementBy(v, START_MS + s * 1000);
          more.incrementBy(s === index ? v + extra : v, START_MS + s * 1000);
        });
        const at = START_MS + totals.length * 1000;
        assert.ok(more.valueAt(at).weightedValue >= base.valueAt(at).weightedValue);
      }),
      { seed: 42, numRuns: 200 },
    );
  });

  it('never raises the rate once load stops, and halves it every half-life once the weight is full', () => {
    fc.assert(
      fc.property(
        arbSeconds,
        fc.integer({ min: 1, max: 300 }),
        fc.array(fc.integer({ min: 1, max: 5000 }), { minLength: 1, maxLength: 20 }),
        (totals, halfLife, gaps) => {
          const counter = new EwmaCounter(START_MS, halfLife, 100); // a seed makes the weight 1
          totals.forEach((v, s) => counter.incrementBy(v, START_MS + s * 1000));
          let at = START_MS + totals.length * 1000;
          let previous = counter.valueAt(at).weightedValue;
          for (const gap of gaps) {
            at += gap;
            const value = counter.valueAt(at).weightedValue;
            assert.ok(value <= previous, `${value} > ${previous} after ${gap} ms without load`);
            previous = value;
          }
          const halved = counter.valueAt(at + halfLife * 1000).weightedValue;
          assert.ok(Math.abs(halved - previous / 2) <= 1e-9 * previous, `${halved} vs ${previous / 2}`);
        },
      ),
      { seed: 42, numRuns: 200 },
    );
  });

  it('gives the same rate however the reads are interleaved with the increments', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 3000 }), fc.integer({ min: 1, max: 100 }), fc.boolean()), { maxLength: 50, size: 'max' }),
        (steps) => {
          const a = new EwmaCounter(START_MS, 10);
          const b = new EwmaCounter(START_MS, 10);
          let at = START_MS;
          for (const [dt, v, read] of steps) {
            at += dt;
            a.incrementBy(v, at);
            if (read) b.valueAt(at);
            b.incrementBy(v, at);
          }
          const end = at + 10_000;
          assert.ok(Math.abs(a.valueAt(end).weightedValue - b.valueAt(end).weightedValue) <= 1e-9 * Math.max(1, a.weightedValue));
        },
      ),
      { seed: 42, numRuns: 200 },
    );
  });
});
