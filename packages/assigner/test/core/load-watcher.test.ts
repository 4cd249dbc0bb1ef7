import assert from 'node:assert/strict';
import fc from 'fast-check';
import { InvalidArgumentError, Slice, SliceKey } from '@dicer-ts/common';
import { LoadWatcher, type AssignedSliceLoad, type SliceLoadReport } from '../../src/core/load-watcher.js';

const key = (s: string): SliceKey => SliceKey.fromBytes(new TextEncoder().encode(s));
const slice = (low: string, high?: string): Slice => Slice.create(key(low), high === undefined ? undefined : key(high));

const T0 = 1_000_000_000;
const MINUTE = 60_000;

/** A report whose window ends at `endMs` and lasts `durationMs` (a minute by default). */
function report(s: Slice, load: number, endMs: number, extra: Partial<SliceLoadReport> = {}): SliceLoadReport {
  return {
    slice: s,
    primaryRateLoad: load,
    windowLowInclusiveMs: endMs - (extra.windowHighExclusiveMs === undefined ? MINUTE : 0),
    windowHighExclusiveMs: endMs,
    numReplicas: 1,
    ...extra,
  };
}

const TWO_SLICES: AssignedSliceLoad[] = [{ slice: slice('', 'm') }, { slice: slice('m') }];

describe('LoadWatcher', () => {
  describe('getPrimaryRateLoadMap', () => {
    it('scales a report by its replica count and splits out top keys (the [nori, ∞) example)', () => {
      const watcher = new LoadWatcher();
      const nori = slice('nori');
      watcher.reportLoad(T0, 'https://pod0', [
        report(nori, 42, T0, { numReplicas: 3, topKeys: [{ key: key('nori'), load: 10 }, { key: key('zala'), load: 20 }] }),
      ]);
      const map = watcher.getPrimaryRateLoadMap(T0, [{ slice: slice('', 'nori'), primaryRateLoad: 5 }, { slice: nori }]);
      assert.ok(map !== undefined);
      assert.equal(map.getLoad(Slice.singleKey(key('nori'))), 30);
      assert.equal(map.getLoad(Slice.singleKey(key('zala'))), 60);
      assert.ok(Math.abs(map.getLoad(nori) - (36 + 30 + 60)) < 1e-9);
      assert.equal(map.getLoad(slice('', 'nori')), 5);
    });

    it('returns undefined when a slice has neither a measurement nor a recorded load (W1)', () => {
      const watcher = new LoadWatcher();
      watcher.reportLoad(T0, 'https://pod0', [report(slice('', 'm'), 1, T0)]);
      assert.equal(watcher.getPrimaryRateLoadMap(T0, TWO_SLICES), undefined);
      const map = watcher.getPrimaryRateLoadMap(T0, [TWO_SLICES[0]!, { slice: slice('m'), primaryRateLoad: 0 }]);
      assert.equal(map?.getLoad(Slice.FULL), 1);
    });

    it('ignores measurements whose boundaries differ from the assignment\'s, falling back to recorded load', () => {
      const watcher = new LoadWatcher();
      watcher.reportLoad(T0, 'https://pod0', [report(slice('', 'n'), 100, T0)]);
      const map = watcher.getPrimaryRateLoadMap(T0, [
        { slice: slice('', 'm'), primaryRateLoad: 7 },
        { slice: slice('m'), primaryRateLoad: 3 },
      ]);
      assert.equal(map?.getLoad(slice('', 'm')), 7);
      assert.equal(map?.getLoad(slice('m')), 3);
    });

    it('weights a report 10 s older by one half (W5)', () => {
      const watcher = new LoadWatcher();
      const s = slice('', 'm');
      watcher.reportLoad(T0, 'https://pod0', [report(s, 10, T0, { numReplicas: 2 })]);
      watcher.reportLoad(T0 + 10_000, 'https://pod1', [report(s, 20, T0 + 10_000, { numReplicas: 2 })]);
      const map = watcher.getPrimaryRateLoadMap(T0 + 10_000, [{ slice: s }, { slice: slice('m'), primaryRateLoad: 0 }]);
      // (0.5 × 10 × 2 + 1 × 20 × 2) / 1.5
      assert.ok(Math.abs(map!.getLoad(s) - 50 / 1.5) < 1e-9);
    });

    it('rescales top keys that exceed the slice load and counts the alert (W6)', () => {
      const watcher = new LoadWatcher();
      const s = slice('', 'm');
      watcher.reportLoad(T0, 'https://pod0', [report(s, 10, T0, { topKeys: [{ key: key('a'), load: 15 }, { key: key('b'), load: 5 }] })]);
      const map = watcher.getPrimaryRateLoadMap(T0, [{ slice: s }, { slice: slice('m'), primaryRateLoad: 0 }])!;
      assert.ok(Math.abs(map.getLoad(Slice.singleKey(key('a'))) - 7.5) < 1e-12);
      assert.ok(Math.abs(map.getLoad(Slice.singleKey(key('b'))) - 2.5) < 1e-12);
      assert.ok(Math.abs(map.getLoad(s) - 10) < 1e-12);
      assert.equal(watcher.stats.topKeyRescaleAlerts, 1);
    });

    it('drops top keys unless both use_top_keys and allowTopKeys are on', () => {
      for (const options of [{ useTopKeys: false }, { allowTopKeys: false }]) {
        const watcher = new LoadWatcher(options);
        const s = slice('', 'm');
        watcher.reportLoad(T0, 'https://pod0', [report(s, 10, T0, { topKeys: [{ key: key('a'), load: 4 }] })]);
        const map = watcher.getPrimaryRateLoadMap(T0, [{ slice: s }, { slice: slice('m'), primaryRateLoad: 0 }])!;
        assert.equal(map.entries.length, 2);
        assert.equal(map.getLoad(s), 10);
      }
    });
  });

  describe('reportLoad', () => {
    it('ignores reports whose window is shorter than minDuration (W3)', () => {
      const watcher = new LoadWatcher({ minDurationMs: 60_000 });
      watcher.reportLoad(T0, 'https://pod0', [{ ...report(slice('', 'm'), 1, T0), windowLowInclusiveMs: T0 - 59_999 }]);
      assert.deepEqual(watcher.measurementsSnapshot(), []);
      assert.equal(watcher.stats.shortWindowDropped, 1);
      watcher.reportLoad(T0, 'https://pod0', [{ ...report(slice('', 'm'), 1, T0), windowLowInclusiveMs: T0 - 60_000 }]);
      assert.equal(watcher.measurementsSnapshot().length, 1);
    });

    it('keeps only the newest measurement per slice and address (W2)', () => {
      const watcher = new LoadWatcher();
      const s = slice('', 'm');
      watcher.reportLoad(T0, 'https://pod0', [report(s, 1, T0)]);
      watcher.reportLoad(T0 + 1000, 'https://pod0', [report(s, 2, T0 - 5000)]); // older window: measured at T0 - 4000
      watcher.reportLoad(T0 + 1000, 'https://pod0', [report(s, 3, T0)]); // measured at T0: not strictly newer
      assert.deepEqual(
        watcher.measurementsSnapshot().map((m) => [m.load, m.timeMs]),
        [[1, T0]],
      );
      assert.equal(watcher.stats.staleDropped, 2);
      watcher.reportLoad(T0 + 2000, 'https://pod0', [report(s, 4, T0 + 2000)]);
      assert.deepEqual(watcher.measurementsSnapshot().map((m) => m.load), [4]);
    });

    it('dates a measurement by its window end and counts future-dated reports as age 0', () => {
      const watcher = new LoadWatcher();
      const s = slice('', 'm');
      // Monotonic clock 5_000 while the wall clock says T0: the window ended 3 s ago.
      watcher.reportLoad(5_000, 'https://pod0', [report(s, 1, T0 - 3_000, { numReplicas: 2 })], T0);
      watcher.reportLoad(5_000, 'https://pod1', [report(s, 1, T0 + 9_000, { numReplicas: 2 })], T0);
      assert.deepEqual(watcher.measurementsSnapshot().map((m) => m.timeMs), [2_000, 5_000]);
    });

    it('expires measurements after maxAge (W4)', () => {
      const watcher = new LoadWatcher({ maxAgeMs: 300_000 });
      const s = slice('', 'm');
      watcher.reportLoad(T0, 'https://pod0', [report(s, 1, T0)]);
      assert.equal(watcher.getPrimaryRateLoadMap(T0 + 300_000, [{ slice: s }, { slice: slice('m'), primaryRateLoad: 0 }])?.getLoad(s), 1);
      assert.equal(watcher.getPrimaryRateLoadMap(T0 + 300_001, [{ slice: s }, { slice: slice('m'), primaryRateLoad: 0 }]), undefined);
      assert.equal(watcher.stats.expired, 1);
    });

    it('keeps per slice at most the largest reported replica count, dropping the oldest (W4)', () => {
      const watcher = new LoadWatcher();
      const s = slice('', 'm');
      watcher.reportLoad(T0, 'https://pod0', [report(s, 1, T0, { numReplicas: 2 })]);
      watcher.reportLoad(T0 + 1, 'https://pod1', [report(s, 1, T0 + 1, { numReplicas: 2 })]);
      watcher.reportLoad(T0 + 2, 'https://pod2', [report(s, 1, T0 + 2, { numReplicas: 2 })]);
      assert.deepEqual(watcher.measurementsSnapshot().map((m) => m.address), ['https://pod1', 'https://pod2']);
      // After dereplication to 1, the newest single report is what remains.
      watcher.reportLoad(T0 + 3, 'https://pod1', [report(s, 1, T0 + 3, { numReplicas: 1 })]);
      assert.deepEqual(watcher.measurementsSnapshot().map((m) => m.address), ['https://pod1', 'https://pod2']);
      watcher.reportLoad(T0 + 4, 'https://pod2', [report(s, 1, T0 + 4, { numReplicas: 1 })]);
      assert.deepEqual(watcher.measurementsSnapshot().map((m) => m.address), ['https://pod2']);
    });

    it('rejects invalid reports without storing any of them', () => {
      const watcher = new LoadWatcher();
      const s = slice('', 'm');
      const cases: [SliceLoadReport, string][] = [
        [report(s, -1, T0), 'primaryRateLoad must be finite and non-negative, got -1 for ["" .. m)'],
        [report(s, 1, T0, { numReplicas: 0 }), 'numReplicas must be a positive integer, got 0 for ["" .. m)'],
        [{ ...report(s, 1, T0), windowLowInclusiveMs: T0 + 1 }, `load report window must not be negative, got [${T0 + 1}, ${T0}) for ["" .. m)`],
        [report(s, 1, T0, { topKeys: [{ key: key('z'), load: 1 }] }), 'top key z is outside ["" .. m)'],
      ];
      for (const [bad, message] of cases) {
        assert.throws(() => watcher.reportLoad(T0, 'https://pod0', [report(s, 1, T0), bad]), (err: unknown) => {
          assert.ok(err instanceof InvalidArgumentError);
          assert.equal(err.message, message);
          return true;
        });
      }
      assert.deepEqual(watcher.measurementsSnapshot(), []);
    });
  });
});

describe('LoadWatcher invariants', () => {
  const SLICES = [slice('', 'g'), slice('g', 'p'), slice('p')];
  const ADDRESSES = ['https://pod0', 'https://pod1', 'https://pod2', 'https://pod3'];
  const KEYS = [key('a'), key('h'), key('k'), key('q'), key('x')];

  const arbStep = fc.record({
    advanceMs: fc.integer({ min: 0, max: 120_000 }),
    address: fc.constantFrom(...ADDRESSES),
    sliceIndex: fc.integer({ min: 0, max: SLICES.length - 1 }),
    load: fc.double({ min: 0, max: 1000, noNaN: true }),
    numReplicas: fc.integer({ min: 1, max: 3 }),
    windowMs: fc.integer({ min: 0, max: 120_000 }),
    lagMs: fc.integer({ min: -5_000, max: 60_000 }),
    keyLoads: fc.array(fc.double({ min: 0, max: 1000, noNaN: true }), { maxLength: KEYS.length }),
  });

  it('keeps per slice at most the largest replica count, one per address, none older than maxAge (W2, W4)', () => {
    fc.assert(
      fc.property(fc.array(arbStep, { maxLength: 60 }), (steps) => {
        const watcher = new LoadWatcher({ maxAgeMs: 300_000 });
        let now = T0;
        for (const step of steps) {
          now += step.advanceMs;
          const s = SLICES[step.sliceIndex]!;
          watcher.reportLoad(now, step.address, [
            report(s, step.load, now - step.lagMs, { numReplicas: step.numReplicas, windowLowInclusiveMs: now - step.lagMs - step.windowMs }),
          ]);
          const stored = watcher.measurementsSnapshot();
          for (const sl of SLICES) {
            const mine = stored.filter((m) => m.slice.equals(sl));
            assert.equal(new Set(mine.map((m) => m.address)).size, mine.length);
            if (mine.length > 0) assert.ok(mine.length <= Math.max(...mine.map((m) => m.numReplicas)));
          }
          for (const m of stored) {
            assert.ok(m.timeMs >= now - 300_000);
            assert.ok(m.timeMs <= now);
          }
        }
      }),
      { seed: 42, numRuns: 200 },
    );
  });

  it('never lets the top keys of a slice exceed its load, and never produces negative load (W6)', () => {
    fc.assert(
      fc.property(fc.array(arbStep, { minLength: 1, maxLength: 30 }), (steps) => {
        const watcher = new LoadWatcher({ minDurationMs: 1 });
        let now = T0;
        for (const step of steps) {
          now += step.advanceMs % 20_000;
          const s = SLICES[step.sliceIndex]!;
          const topKeys = step.keyLoads
            .map((load, i) => ({ key: KEYS[i]!, load }))
            .filter((k) => s.contains(k.key));
          watcher.reportLoad(now, step.address, [
            report(s, step.load, now, { numReplicas: step.numReplicas, windowLowInclusiveMs: now - 1000, topKeys }),
          ]);
        }
        const map = watcher.getPrimaryRateLoadMap(
          now,
          SLICES.map((sl) => ({ slice: sl, primaryRateLoad: 0 })),
        )!;
        for (const e of map.entries) assert.ok(e.load >= 0 && Number.isFinite(e.load));
        for (const sl of SLICES) {
          const stored = watcher.measurementsSnapshot().filter((m) => m.slice.equals(sl));
          if (stored.length === 0) continue;
          const keyTotal = KEYS.filter((k) => sl.contains(k)).reduce((sum, k) => sum + map.getLoad(Slice.singleKey(k)), 0);
          const sliceLoad = map.getLoad(sl);
          assert.ok(keyTotal <= sliceLoad * (1 + 1e-9) + 1e-9, `keys ${keyTotal} > slice ${sliceLoad}`);
          const maxEstimate = Math.max(...stored.map((m) => m.load * m.numReplicas));
          assert.ok(sliceLoad <= maxEstimate * (1 + 1e-9) + 1e-9, 'a weighted mean never exceeds its largest term');
        }
      }),
      { seed: 42, numRuns: 200 },
    );
  });

  it('keeps the newest of any reordering of one pod\'s reports (W2)', () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.integer({ min: 0, max: 200_000 }), { minLength: 1, maxLength: 8 }), (ends) => {
        const watcher = new LoadWatcher();
        const now = T0 + 300_000;
        for (const end of ends) watcher.reportLoad(now, 'https://pod0', [report(SLICES[0]!, end, T0 + end)]);
        const stored = watcher.measurementsSnapshot();
        assert.equal(stored.length, 1);
        assert.equal(stored[0]!.load, Math.max(...ends));
      }),
      { seed: 42, numRuns: 200 },
    );
  });
});

/** The ingest and GC rules of algorithm.md §7.2, written as plainly as possible (full GC every call). */
class ReferenceLoadWatcher {
  measurements: { slice: Slice; address: string; timeMs: number; load: number; numReplicas: number }[] = [];
  constructor(private readonly minDurationMs: number, private readonly maxAgeMs: number) {}

  reportLoad(nowMs: number, address: string, reports: readonly SliceLoadReport[]): void {
    for (const r of reports) {
      if (r.windowHighExclusiveMs - r.windowLowInclusiveMs < this.minDurationMs) continue;
      const timeMs = nowMs - Math.max(0, nowMs - r.windowHighExclusiveMs);
      const i = this.measurements.findIndex((m) => m.slice.equals(r.slice) && m.address === address);
      if (i >= 0 && !(timeMs > this.measurements[i]!.timeMs)) continue;
      if (i >= 0) this.measurements.splice(i, 1);
      this.measurements.push({ slice: r.slice, address, timeMs, load: r.primaryRateLoad, numReplicas: r.numReplicas });
    }
    this.measurements = this.measurements.filter((m) => m.timeMs >= nowMs - this.maxAgeMs);
    const slices = [...new Set(this.measurements.map((m) => m.slice))];
    for (const sl of slices) {
      for (;;) {
        const mine = this.measurements.filter((m) => m.slice.equals(sl));
        if (mine.length === 0 || mine.length <= Math.max(...mine.map((m) => m.numReplicas))) break;
        const oldest = mine.reduce((a, b) => (b.timeMs < a.timeMs || (b.timeMs === a.timeMs && b.address > a.address) ? b : a));
        this.measurements.splice(this.measurements.indexOf(oldest), 1);
      }
    }
  }
}

describe('LoadWatcher against a plain reference of §7.2', () => {
  it('stores exactly the measurements the reference keeps', () => {
    const SLICES = [slice('', 'g'), slice('g', 'p'), slice('p')];
    const arbStep = fc.record({
      advanceMs: fc.integer({ min: 0, max: 90_000 }),
      address: fc.constantFrom('https://pod0', 'https://pod1', 'https://pod2', 'https://pod3'),
      reports: fc.array(
        fc.record({
          sliceIndex: fc.integer({ min: 0, max: 2 }),
          numReplicas: fc.integer({ min: 1, max: 3 }),
          windowMs: fc.integer({ min: 50_000, max: 70_000 }),
          lagMs: fc.integer({ min: -5_000, max: 200_000 }),
          load: fc.integer({ min: 0, max: 100 }),
        }),
        { minLength: 1, maxLength: 3 },
      ),
    });
    fc.assert(
      fc.property(fc.array(arbStep, { minLength: 5, maxLength: 60 }), (steps) => {
        const watcher = new LoadWatcher({ minDurationMs: 60_000, maxAgeMs: 300_000 });
        const reference = new ReferenceLoadWatcher(60_000, 300_000);
        let now = T0;
        for (const step of steps) {
          now += step.advanceMs;
          // One report per slice per heartbeat, as a Slicelet sends.
          const seen = new Set<number>();
          const reports = step.reports
            .filter((r) => !seen.has(r.sliceIndex) && seen.add(r.sliceIndex))
            .map((r) =>
              report(SLICES[r.sliceIndex]!, r.load, now - r.lagMs, {
                numReplicas: r.numReplicas,
                windowLowInclusiveMs: now - r.lagMs - r.windowMs,
              }),
            );
          watcher.reportLoad(now, step.address, reports);
          reference.reportLoad(now, step.address, reports);
          const actual = watcher.measurementsSnapshot().map((m) => [m.slice.toString(), m.address, m.timeMs, m.load]);
          const expected = [...reference.measurements]
            .sort((a, b) => a.slice.compare(b.slice) || (a.address < b.address ? -1 : a.address > b.address ? 1 : 0))
            .map((m) => [m.slice.toString(), m.address, m.timeMs, m.load]);
          assert.deepEqual(actual, expected);
        }
      }),
      { seed: 42, numRuns: 300 },
    );
  });
});
