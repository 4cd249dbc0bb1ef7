/**
 * The per-target load watcher: keeps the newest load measurement each Slicelet reported for each
 * slice, and turns them into the {@link LoadMap} the algorithm balances (Dicer's `LoadWatcher`).
 *
 * Ingest (`reportLoad`): a measurement's time is the Assigner's clock minus how old the report's
 * window end is (future-dated reports count as age 0); reports whose window is shorter than
 * `minDurationMs` are dropped; measurements are keyed by (exact slice, resource address) and a
 * newer one (strictly) replaces the old one; then garbage collection drops measurements older than
 * `maxAgeMs` and, per slice, the oldest ones while there are more than the largest `numReplicas`
 * among those that remain.
 *
 * Aggregation (`getPrimaryRateLoadMap`): for each slice of the current assignment (exact boundary
 * match), a weighted mean of `load × numReplicas` over its measurements with weights
 * `2^(−age / 10 s)` (ages relative to the youngest), the hot keys aggregated the same way, and a
 * fallback to the load recorded in the assignment; if any slice has neither, the whole result is
 * `undefined` and the generator uses {@link UNIFORM_LOAD_MAP}.
 *
 * Pure: time arrives as arguments.
 *
 * @see algorithm.md §7.2, §7.3, §12.10–12.11
 */
import { InvalidArgumentError, Slice, SliceKey } from '@dicer-ts/common';
import { LoadMap, type KeyLoad } from './load-map.js';

/** Dicer's `LOAD_WEIGHT_DECAYING_HALFLIFE`: a measurement 10 s older weighs half as much. */
export const LOAD_WEIGHT_DECAYING_HALF_LIFE_MS = 10_000;
/** Relative excess of top-key load over slice load above which a rescale is counted as an alert. */
export const TOP_KEY_RESCALE_ALERT_RELATIVE_EXCESS = 1e-5;

/** Load watcher settings (from the advanced target config, see `target-config.ts`). */
export interface LoadWatcherOptions {
  /** Reports whose window is shorter are ignored. @default 60_000 */
  readonly minDurationMs?: number;
  /** Measurements older than this are dropped. @default 300_000 */
  readonly maxAgeMs?: number;
  /** The target's `use_top_keys`. @default true */
  readonly useTopKeys?: boolean;
  /** The server-wide kill switch for top keys (Dicer's `allowTopKeys`). @default true */
  readonly allowTopKeys?: boolean;
}

/** {@link LoadWatcherOptions} with defaults applied and checked. */
export interface ResolvedLoadWatcherOptions {
  readonly minDurationMs: number;
  readonly maxAgeMs: number;
  readonly useTopKeys: boolean;
  readonly allowTopKeys: boolean;
}

/**
 * Applies the defaults of {@link LoadWatcherOptions} and validates them.
 *
 * @throws {InvalidArgumentError} when a duration is not positive and finite.
 */
export function resolveLoadWatcherOptions(options: LoadWatcherOptions = {}): ResolvedLoadWatcherOptions {
  const resolved = {
    minDurationMs: options.minDurationMs ?? 60_000,
    maxAgeMs: options.maxAgeMs ?? 300_000,
    useTopKeys: options.useTopKeys ?? true,
    allowTopKeys: options.allowTopKeys ?? true,
  };
  for (const name of ['minDurationMs', 'maxAgeMs'] as const) {
    const v = resolved[name];
    if (!(Number.isFinite(v) && v > 0)) throw new InvalidArgumentError(`${name} must be positive and finite, got ${v}`);
  }
  return Object.freeze(resolved);
}

/** One slice's load as a Slicelet reports it (`SliceletDataP.SliceLoadP`, decoded). */
export interface SliceLoadReport {
  /** The slice the load was measured on (for unattributed load, `Slice.FULL`). */
  readonly slice: Slice;
  /** The reporter's per-replica load rate, including its top keys; finite and ≥ 0. */
  readonly primaryRateLoad: number;
  /** Start of the measurement window (epoch ms; the wire carries whole seconds). */
  readonly windowLowInclusiveMs: number;
  /** End of the measurement window (epoch ms); not before the start. */
  readonly windowHighExclusiveMs: number;
  /** The slice's replica count as the reporter knows it; at least 1. */
  readonly numReplicas: number;
  /** Hot keys inside the slice with their (underestimated) per-replica load. */
  readonly topKeys?: readonly KeyLoad[];
}

/** A slice of the current assignment and the load recorded for it there, if any. */
export interface AssignedSliceLoad {
  readonly slice: Slice;
  /** The whole-slice load recorded in the assignment (the historical fallback). */
  readonly primaryRateLoad?: number | undefined;
}

/** A stored measurement (exposed for debugging and tests). */
export interface LoadMeasurement {
  readonly slice: Slice;
  readonly address: string;
  /** When the measurement was taken, on the watcher's clock. */
  readonly timeMs: number;
  readonly load: number;
  readonly numReplicas: number;
  readonly topKeys: readonly KeyLoad[];
}

/** Counters the service turns into metrics. */
export interface LoadWatcherStats {
  /** Measurements dropped because their window was shorter than `minDurationMs`. */
  readonly shortWindowDropped: number;
  /** Measurements ignored because an equally new or newer one was already stored. */
  readonly staleDropped: number;
  /** Measurements removed by age. */
  readonly expired: number;
  /** Measurements removed because a slice had more than its replica count. */
  readonly excessDropped: number;
  /** Top-key sets rescaled by more than {@link TOP_KEY_RESCALE_ALERT_RELATIVE_EXCESS} (Dicer alerts). */
  readonly topKeyRescaleAlerts: number;
}

type MutableStats = { -readonly [K in keyof LoadWatcherStats]: LoadWatcherStats[K] };

/** An injective string for a key's bytes: one UTF-16 unit (0–255) per byte. */
function keyId(bytes: Uint8Array): string {
  let out = '';
  for (let i = 0; i < bytes.length; i++) out += String.fromCharCode(bytes[i]!);
  return out;
}

/**
 * An injective string for a slice's exact boundaries (Slice.toString is not injective): the low
 * key's length, `:`, the low key, then the high key, empty for infinity (a finite high key is
 * never empty, since it exceeds the low key). All characters stay below U+0100, so V8 keeps these
 * as compact one-byte strings, which hash fast.
 */
function sliceId(slice: Slice): string {
  const low = slice.lowInclusive.bytes;
  const high = slice.highExclusive;
  return `${low.length}:${keyId(low)}${high === undefined ? '' : keyId(high.bytes)}`;
}

/**
 * Dicer's `LoadWatcher`, one per target.
 *
 * @example
 * ```ts
 * const watcher = new LoadWatcher({ minDurationMs: 60_000 });
 * watcher.reportLoad(nowMs, 'https://10.0.0.5:8080', reports);
 * const map = watcher.getPrimaryRateLoadMap(nowMs, assignedSlices) ?? UNIFORM_LOAD_MAP;
 * ```
 */
export class LoadWatcher {
  /** The settings in force, defaults applied. */
  readonly options: ResolvedLoadWatcherOptions;
  /** Slice id → (address → measurement). Invariant: no empty inner map. */
  private readonly measurements = new Map<string, Map<string, LoadMeasurement>>();
  /**
   * A lower bound of every stored measurement's time (exact right after a full expiry scan). The
   * scan runs only when this bound falls out of the age window, so a heartbeat costs O(its
   * reports) in steady state, not O(all measurements).
   */
  private oldestTimeLowerBoundMs = Number.POSITIVE_INFINITY;
  private readonly counters: MutableStats = {
    shortWindowDropped: 0,
    staleDropped: 0,
    expired: 0,
    excessDropped: 0,
    topKeyRescaleAlerts: 0,
  };

  constructor(options: LoadWatcherOptions = {}) {
    this.options = resolveLoadWatcherOptions(options);
  }

  /** A copy of the counters. */
  get stats(): LoadWatcherStats {
    return { ...this.counters };
  }

  /**
   * Ingests the load reports of one Slicelet heartbeat.
   *
   * @param nowMs the watcher's clock (the Assigner's monotonic time)
   * @param address the reporter's resource address (not its Squid: a restarted pod's reports
   *   replace those of its previous incarnation)
   * @param wallNowMs the wall-clock time the report windows are compared with; defaults to `nowMs`
   * @throws {InvalidArgumentError} for a report with a negative window, `numReplicas < 1`, a
   *   negative or non-finite load, or a top key outside its slice; nothing is stored then.
   */
  reportLoad(nowMs: number, address: string, reports: readonly SliceLoadReport[], wallNowMs: number = nowMs): void {
    for (const r of reports) validateReport(r);
    const keepTopKeys = this.options.allowTopKeys && this.options.useTopKeys;
    const touched = new Set<string>();
    for (const r of reports) {
      if (r.windowHighExclusiveMs - r.windowLowInclusiveMs < this.options.minDurationMs) {
        this.counters.shortWindowDropped++;
        continue;
      }
      const timeMs = nowMs - Math.max(0, wallNowMs - r.windowHighExclusiveMs);
      const id = sliceId(r.slice);
      let bySlice = this.measurements.get(id);
      const existing = bySlice?.get(address);
      if (existing !== undefined && !(timeMs > existing.timeMs)) {
        this.counters.staleDropped++;
        continue;
      }
      if (bySlice === undefined) {
        bySlice = new Map();
        this.measurements.set(id, bySlice);
      }
      bySlice.set(address, {
        slice: r.slice,
        address,
        timeMs,
        load: r.primaryRateLoad,
        numReplicas: r.numReplicas,
        topKeys: keepTopKeys ? [...(r.topKeys ?? [])] : [],
      });
      this.oldestTimeLowerBoundMs = Math.min(this.oldestTimeLowerBoundMs, timeMs);
      touched.add(id);
    }
    this.collectGarbage(nowMs, touched);
  }

  /**
   * The measured load map for the slices of the current assignment, or `undefined` when some
   * slice has neither a usable measurement nor a load recorded in the assignment (the generator
   * then uses `UNIFORM_LOAD_MAP`; never substitute zeros).
   *
   * @param assignment the current assignment's slices, complete and disjoint
   */
  getPrimaryRateLoadMap(nowMs: number, assignment: Iterable<AssignedSliceLoad>): LoadMap | undefined {
    this.collectGarbage(nowMs, new Set());
    const builder = LoadMap.builder();
    for (const assigned of assignment) {
      const bySlice = this.measurements.get(sliceId(assigned.slice));
      if (bySlice !== undefined && bySlice.size > 0) {
        const { load, keys } = this.aggregate(nowMs, bySlice);
        const keyTotal = keys.reduce((sum, k) => sum + k.load, 0);
        builder.putLoad(assigned.slice, Math.max(load - keyTotal, 0), keys);
      } else if (assigned.primaryRateLoad !== undefined) {
        builder.putLoad(assigned.slice, assigned.primaryRateLoad);
      } else {
        return undefined;
      }
    }
    return builder.build();
  }

  /** The stored measurements in slice order, then address order (for debugging and tests). */
  measurementsSnapshot(): LoadMeasurement[] {
    const all: LoadMeasurement[] = [];
    for (const bySlice of this.measurements.values()) all.push(...bySlice.values());
    return all.sort((a, b) => a.slice.compare(b.slice) || compareStrings(a.address, b.address));
  }

  /** Weighted whole-slice load and hot keys of one slice's measurements (§7.3). */
  private aggregate(nowMs: number, bySlice: ReadonlyMap<string, LoadMeasurement>): { load: number; keys: KeyLoad[] } {
    // Ages are taken relative to the youngest measurement, so the newest one weighs exactly 1.
    let youngestAge = Number.POSITIVE_INFINITY;
    let hasKeys = false;
    for (const m of bySlice.values()) {
      youngestAge = Math.min(youngestAge, Math.max(0, nowMs - m.timeMs));
      if (m.topKeys.length > 0) hasKeys = true;
    }
    const weightOf = (m: LoadMeasurement): number =>
      2 ** (-(Math.max(0, nowMs - m.timeMs) - youngestAge) / LOAD_WEIGHT_DECAYING_HALF_LIFE_MS);
    let totalWeight = 0;
    let load = 0;
    for (const m of bySlice.values()) {
      const w = weightOf(m);
      totalWeight += w;
      load += w * m.load * m.numReplicas;
    }
    load /= totalWeight;
    if (!hasKeys) return { load, keys: [] };

    const keySums = new Map<string, { key: SliceKey; sum: number }>();
    for (const m of bySlice.values()) {
      if (m.topKeys.length === 0) continue;
      const w = weightOf(m);
      const scale = this.rescale(m.topKeys, m.load);
      for (const k of m.topKeys) {
        const id = keyId(k.key.bytes);
        const entry = keySums.get(id) ?? { key: k.key, sum: 0 };
        entry.sum += w * k.load * scale * m.numReplicas;
        keySums.set(id, entry);
      }
    }
    let keys: KeyLoad[] = [...keySums.values()]
      .map((e) => ({ key: e.key, load: e.sum / totalWeight }))
      .sort((a, b) => a.key.compare(b.key));
    const scale = this.rescale(keys, load);
    if (scale !== 1) keys = keys.map((k) => ({ key: k.key, load: k.load * scale }));
    return { load, keys };
  }

  /** The factor that brings `keys` down to sum to at most `limit` (1 when they already do). */
  private rescale(keys: readonly KeyLoad[], limit: number): number {
    const sum = keys.reduce((a, k) => a + k.load, 0);
    if (sum <= limit) return 1;
    if (sum > 1e-300 && (sum - limit) / sum > TOP_KEY_RESCALE_ALERT_RELATIVE_EXCESS) this.counters.topKeyRescaleAlerts++;
    return sum > 0 ? limit / sum : 0;
  }

  /**
   * Drops expired measurements, then, in the slices given or changed by expiry, the oldest
   * measurements beyond the largest replica count among those that remain. Dicer runs both over
   * every slice on every call; the result is the same because a slice's excess can only change
   * when the slice gains or loses a measurement.
   */
  private collectGarbage(nowMs: number, touched: Set<string>): void {
    const oldestAllowed = nowMs - this.options.maxAgeMs;
    if (this.oldestTimeLowerBoundMs < oldestAllowed) {
      let oldest = Number.POSITIVE_INFINITY;
      for (const [id, bySlice] of this.measurements) {
        for (const [address, m] of bySlice) {
          if (m.timeMs < oldestAllowed) {
            bySlice.delete(address);
            this.counters.expired++;
            touched.add(id);
          } else if (m.timeMs < oldest) {
            oldest = m.timeMs;
          }
        }
      }
      this.oldestTimeLowerBoundMs = oldest;
    }
    for (const id of touched) {
      const bySlice = this.measurements.get(id);
      if (bySlice === undefined) continue;
      this.dropExcess(bySlice);
      if (bySlice.size === 0) this.measurements.delete(id);
    }
  }

  /** Drops the oldest measurements of one slice while there are more than the largest replica count. */
  private dropExcess(bySlice: Map<string, LoadMeasurement>): void {
    let maxReplicas = 0;
    for (const m of bySlice.values()) maxReplicas = Math.max(maxReplicas, m.numReplicas);
    if (bySlice.size <= maxReplicas) return;
    // Oldest first; equal times fall to the larger address so the outcome never depends on
    // insertion order.
    const byAge = [...bySlice.values()].sort((a, b) => a.timeMs - b.timeMs || compareStrings(b.address, a.address));
    let i = 0;
    while (byAge.length - i > 0 && byAge.length - i > Math.max(...byAge.slice(i).map((m) => m.numReplicas))) {
      bySlice.delete(byAge[i]!.address);
      this.counters.excessDropped++;
      i++;
    }
  }
}

function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function validateReport(r: SliceLoadReport): void {
  if (!(r.windowHighExclusiveMs >= r.windowLowInclusiveMs)) {
    throw new InvalidArgumentError(
      `load report window must not be negative, got [${r.windowLowInclusiveMs}, ${r.windowHighExclusiveMs}) for ${r.slice}`,
    );
  }
  if (!(Number.isInteger(r.numReplicas) && r.numReplicas >= 1)) {
    throw new InvalidArgumentError(`numReplicas must be a positive integer, got ${r.numReplicas} for ${r.slice}`);
  }
  if (!(Number.isFinite(r.primaryRateLoad) && r.primaryRateLoad >= 0)) {
    throw new InvalidArgumentError(`primaryRateLoad must be finite and non-negative, got ${r.primaryRateLoad} for ${r.slice}`);
  }
  for (const k of r.topKeys ?? []) {
    if (!(Number.isFinite(k.load) && k.load >= 0)) {
      throw new InvalidArgumentError(`top key load must be finite and non-negative, got ${k.load} for ${k.key}`);
    }
    if (!r.slice.contains(k.key)) throw new InvalidArgumentError(`top key ${k.key} is outside ${r.slice}`);
  }
}
