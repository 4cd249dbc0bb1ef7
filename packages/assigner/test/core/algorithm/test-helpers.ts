import assert from 'node:assert/strict';
import { Slice, SliceKey } from '@dicer-ts/common';
import fc from 'fast-check';
import { LoadMap, UNIFORM_LOAD_MAP } from '../../../src/core/load-map.js';
import type { AlgorithmConfig } from '../../../src/core/algorithm/algorithm-config.js';
import type { AlgorithmSliceAssignment } from '../../../src/core/algorithm/algorithm-types.js';
import { MutableAssignment, ResourceState } from '../../../src/core/algorithm/mutable-assignment.js';

/** The 8-byte big-endian key of `value` (how Dicer's tests write integer bounds). */
export function key8(value: bigint | number): SliceKey {
  let v = BigInt(value);
  const bytes = new Uint8Array(8);
  for (let i = 7; i >= 0; i--) {
    bytes[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return SliceKey.fromBytes(bytes);
}

/** A key whose bytes are the char codes (0–255) of `text`. */
export function keyOf(text: string): SliceKey {
  return SliceKey.fromBytes(Uint8Array.from(text, (c) => c.charCodeAt(0)));
}

/** `[low, high)` over 8-byte integer keys; `high` undefined is infinity. */
export function slice8(low: bigint | number, high?: bigint | number): Slice {
  return Slice.create(BigInt(low) === 0n ? SliceKey.MIN : key8(low), high === undefined ? undefined : key8(high));
}

/** Pod names `pod-00`… that sort in numeric order. */
export function pods(count: number, prefix = 'pod'): string[] {
  return Array.from({ length: count }, (_, i) => `${prefix}-${String(i).padStart(3, '0')}`);
}

/** Asserts P1: slices sorted, disjoint and covering `["", ∞)`. */
export function assertCoversKeySpace(slices: readonly AlgorithmSliceAssignment[]): void {
  assert.ok(slices.length > 0);
  assert.ok((slices[0] as AlgorithmSliceAssignment).slice.lowInclusive.isMin(), 'first slice starts at ""');
  for (let i = 1; i < slices.length; i++) {
    const prev = (slices[i - 1] as AlgorithmSliceAssignment).slice;
    const cur = (slices[i] as AlgorithmSliceAssignment).slice;
    if (prev.highExclusive === undefined || !prev.highExclusive.equals(cur.lowInclusive)) assert.fail(`gap or overlap at ${cur}`);
  }
  assert.equal((slices[slices.length - 1] as AlgorithmSliceAssignment).slice.highExclusive, undefined, 'last slice ends at ∞');
}

/** Per-resource reservation-adjusted loads as Dicer's test helper computes them (§11). */
export function adjustedResourceLoads(
  config: AlgorithmConfig,
  slices: readonly (AlgorithmSliceAssignment & { readonly primaryRateLoad?: number })[],
): Map<string, number> {
  const resources = new Set<string>();
  for (const s of slices) for (const r of s.resources) resources.add(r);
  const n = resources.size;
  const recorded = LoadMap.fromEntries(
    slices.map((s) => ({ slice: s.slice, load: s.primaryRateLoad ?? UNIFORM_LOAD_MAP.getLoad(s.slice) })),
  );
  const adjusted = recorded.withAddedUniformLoad(config.uniformLoadReservationRatio * config.maxLoadHint * n);
  const loads = new Map<string, number>();
  for (const s of slices) {
    const p = adjusted.getLoad(s.slice) / s.resources.length;
    for (const r of s.resources) loads.set(r, (loads.get(r) ?? 0) + p);
  }
  return loads;
}

/**
 * Dicer's `assertDesirableAssignmentProperties`: P1–P5. The tolerance defaults to
 * `ratio × max(maxHint, avgAdjusted)`.
 */
export function assertDesirableAssignment(
  config: AlgorithmConfig,
  slices: readonly (AlgorithmSliceAssignment & { readonly primaryRateLoad?: number })[],
  available: readonly string[],
  tolerance?: number,
): void {
  assertCoversKeySpace(slices);
  const n = available.length;
  // P2
  const assigned = new Set<string>();
  for (const s of slices) for (const r of s.resources) assigned.add(r);
  assert.deepEqual([...assigned].sort(), [...available].sort(), 'assigned resources equal the available set');
  // P3
  const total = slices.reduce((sum, s) => sum + s.resources.length, 0);
  assert.ok(total >= 32 * n && total <= 64 * n, `slice replicas ${total} outside [${32 * n}, ${64 * n}]`);
  // P4
  for (const s of slices) {
    if (new Set(s.resources).size !== s.resources.length) assert.fail(`duplicate replica in ${s.slice}`);
    if (s.resources.length < Math.min(config.minReplicas, n) || s.resources.length > config.maxReplicas) {
      assert.fail(`${s.slice} has ${s.resources.length} replicas`);
    }
  }
  // P5
  const loads = adjustedResourceLoads(config, slices);
  let sum = 0;
  for (const v of loads.values()) sum += v;
  const avg = sum / n;
  const tol = tolerance ?? config.imbalanceToleranceRatio * Math.max(config.maxLoadHint, avg);
  for (const [r, load] of loads) {
    if (!(load >= avg - tol - 1e-9 * avg && load <= avg + tol + 1e-9 * avg)) {
      assert.fail(`${r} load ${load} outside ${avg} ± ${tol}`);
    }
  }
}

/** Resource → number of slice replicas it holds. */
export function replicasPerResource(slices: readonly AlgorithmSliceAssignment[]): Map<string, number> {
  const m = new Map<string, number>();
  for (const s of slices) for (const r of s.resources) m.set(r, (m.get(r) ?? 0) + 1);
  return m;
}

/**
 * A random map of `count` slices over 8-byte keys whose loads sum to `total`, where each slice's
 * load density (load per unit of key space) is drawn from `[1, density]` (Dicer's "density ratio":
 * the densest slice is at most `density` times the sparsest).
 */
export function randomLoadMap(rand: () => number, count: number, total: number, density: number): LoadMap {
  const cuts = new Set<bigint>();
  while (cuts.size < count - 1) cuts.add(BigInt(Math.floor(rand() * 2 ** 52)) * 4096n + 1n);
  const bounds = [0n, ...[...cuts].sort((a, b) => (a < b ? -1 : 1)), 1n << 64n];
  const weights = Array.from(
    { length: count },
    (_, i) => Number((bounds[i + 1] as bigint) - (bounds[i] as bigint)) * (1 + rand() * (density - 1)),
  );
  const sum = weights.reduce((a, b) => a + b, 0);
  const b = LoadMap.builder();
  for (let i = 0; i < count; i++) {
    const high = i === count - 1 ? undefined : (bounds[i + 1] as bigint);
    b.putLoad(slice8(bounds[i] as bigint, high), ((weights[i] as number) / sum) * total);
  }
  return b.build();
}

/** A fast-check arbitrary for a float in [0,1) drawn from an integer (for seeded generators). */
export const arbSeed = fc.integer({ min: 1, max: 0x7fffffff });

/**
 * A {@link MutableAssignment} over `base` (resources named in it or in `available`, in string
 * order), with `adjusted` as the reservation-adjusted map.
 */
export function buildModel(
  available: readonly string[],
  base: readonly AlgorithmSliceAssignment[],
  adjusted: LoadMap,
): MutableAssignment {
  const inBase = new Set<string>();
  for (const b of base) for (const r of b.resources) inBase.add(r);
  const ids = [...new Set([...available, ...inBase])].sort();
  const healthy = new Set(available);
  const resources = ids.map((id, rank) => new ResourceState(id, rank, healthy.has(id), !inBase.has(id)));
  const rank = new Map(ids.map((id, i) => [id, i]));
  return new MutableAssignment(
    resources,
    [...base]
      .sort((a, b) => a.slice.compare(b.slice))
      .map((b) => ({ slice: b.slice, holders: b.resources.map((r) => rank.get(r) as number) })),
    adjusted,
  );
}

/** Asserts M1's bookkeeping: resource loads equal Σ per-replica loads, totals and the eligible order. */
export function assertModelConsistent(model: MutableAssignment): void {
  let total = 0;
  const loads = new Map<ResourceState, number>();
  let count = 0;
  for (const node of model.nodes()) {
    count++;
    total += node.replicas;
    for (const h of node.holders) {
      loads.set(h.resource, (loads.get(h.resource) ?? 0) + node.perReplicaLoad);
      assert.ok(h.resource.slices.has(node));
    }
  }
  assert.equal(model.totalReplicas, total);
  assert.equal(model.sliceCount, count);
  for (const r of model.resources) {
    const expected = loads.get(r) ?? 0;
    assert.ok(Math.abs(r.load - expected) <= 1e-5 * Math.max(1, expected), `${r.id}: ${r.load} vs ${expected}`);
    let held = 0;
    for (const s of r.slices) if (s.alive) held++;
    assert.equal(held, r.slices.size);
    if (r.slices.size === 0) assert.equal(r.load, 0);
  }
  const order = model.eligible.coldestFirst;
  for (let i = 1; i < order.length; i++) {
    const a = order[i - 1] as ResourceState;
    const b = order[i] as ResourceState;
    assert.ok(a.load < b.load || (a.load === b.load && a.rank < b.rank), 'eligible set sorted by (load, rank)');
  }
}

/** The model's slices as `[slice, resources]` string pairs. */
export function describeModel(model: MutableAssignment): [string, string[]][] {
  return [...model.nodes()].map((n) => [n.slice.toString(), n.holders.map((h) => h.resource.id)]);
}
