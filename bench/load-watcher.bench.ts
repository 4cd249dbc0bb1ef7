/**
 * The Assigner's load watcher at scale: ingesting one Slicelet heartbeat (`reportLoad`, one report
 * per assigned slice, 32 slices per pod, every pod reporting every 5 s) and building the round's
 * load map (`getPrimaryRateLoadMap`) for 100 and 1,000 pods. Baselines in the same run: storing the
 * same reports in a plain `Map` (heartbeat), and building a LoadMap from the same loads directly
 * (load map).
 */
import { Slice, SliceKey } from '@dicer-ts/common';
import { LoadMap, LoadWatcher, type AssignedSliceLoad, type SliceLoadReport } from '@dicer-ts/assigner';
import { measure, report } from './measure.js';

const SLICES_PER_POD = 32;
const HEARTBEAT_MS = 5_000;

function key8(i: number, count: number): SliceKey {
  const bytes = new Uint8Array(8);
  let v = (BigInt(i) << 64n) / BigInt(count);
  for (let b = 7; b >= 0; b--) {
    bytes[b] = Number(v & 0xffn);
    v >>= 8n;
  }
  return SliceKey.fromBytes(bytes);
}

for (const pods of [100, 1000]) {
  const count = pods * SLICES_PER_POD;
  const slices = Array.from({ length: count }, (_, i) =>
    Slice.create(i === 0 ? SliceKey.MIN : key8(i, count), i === count - 1 ? undefined : key8(i + 1, count)),
  );
  const reportsOf = (pod: number, nowMs: number): SliceLoadReport[] =>
    slices.slice(pod * SLICES_PER_POD, (pod + 1) * SLICES_PER_POD).map((slice, j) => ({
      slice,
      primaryRateLoad: 1 + ((pod * 31 + j) % 17),
      windowLowInclusiveMs: nowMs - 120_000,
      windowHighExclusiveMs: nowMs,
      numReplicas: 1,
    }));
  const addresses = Array.from({ length: pods }, (_, p) => `https://10.0.${p >> 8}.${p & 255}:8080`);

  // Warm the watcher with one full cycle of heartbeats, as in steady state.
  const watcher = new LoadWatcher();
  let now = 1_000_000_000;
  for (let p = 0; p < pods; p++) watcher.reportLoad(now + (p * HEARTBEAT_MS) / pods, addresses[p]!, reportsOf(p, now));
  now += HEARTBEAT_MS;
  const precomputed = Array.from({ length: pods }, (_, p) => reportsOf(p, now));
  const step = HEARTBEAT_MS / pods;

  const plain = new Map<string, SliceLoadReport>();
  const baseline = measure(`Map.set × ${SLICES_PER_POD} (${pods} pods)`, pods, (i) => {
    const p = i % pods;
    for (const r of precomputed[p]!) plain.set(`${addresses[p]}|${r.slice.lowInclusive.toString()}`, r);
    return plain.size;
  });
  let t = now;
  const heartbeat = measure(`reportLoad, ${SLICES_PER_POD} slices (${pods} pods)`, pods, (i) => {
    t += step;
    const p = i % pods;
    watcher.reportLoad(t, addresses[p]!, precomputed[p]!.map((r) => ({ ...r, windowLowInclusiveMs: t - 120_000, windowHighExclusiveMs: t })));
    return p;
  });
  report(baseline, [heartbeat]);

  const assigned: AssignedSliceLoad[] = slices.map((slice) => ({ slice }));
  const direct = measure(`LoadMap from ${count} entries`, 5, () => LoadMap.fromEntries(slices.map((slice) => ({ slice, load: 1 }))).entries.length);
  const map = measure(`getPrimaryRateLoadMap, ${count} slices`, 5, () => watcher.getPrimaryRateLoadMap(t, assigned)?.entries.length);
  report(direct, [map]);
}
