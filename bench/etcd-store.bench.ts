/**
 * Assignment write latency on a real etcd (issue #5): a 4,096-slice assignment written by the
 * EtcdStore as a diff (40 slices changed) and as a full-size value (every slice changed, so the
 * value holds all 4,096 slices; every few writes it is a full row that deletes the older ones).
 * Latency includes committing the proposal, encoding and the etcd transaction. Baseline: an etcd
 * put of a 16-byte value on the same client, the floor of any write.
 *
 * Run: `npm run bench -- etcd-store` (needs `etcd` on PATH).
 */
import { performance } from 'node:perf_hooks';
import { Etcd3 } from 'etcd3';
import { type Assignment, Slice, SliceKey, Target, createDefaultLogger, createTestSquid } from '@dicer-ts/common';
import { EtcdStore, bootstrapNamespaces, type ProposedAssignmentSlice } from '@dicer-ts/assigner';
import { startEtcd } from '@dicer-ts/test-harness';

const SLICES = 4_096;
const WRITES = 200;
const WARMUP = 20;
const pods = Array.from({ length: 64 }, (_, i) => createTestSquid(`https://pod${i}:8080`));

function slices(shift: number, changed: number): ProposedAssignmentSlice[] {
  const out: ProposedAssignmentSlice[] = [];
  const key = (i: number) => SliceKey.fromBytes(new Uint8Array([(i >> 8) & 255, i & 255, 1]));
  for (let i = 0; i < SLICES; i++) {
    const low = i === 0 ? SliceKey.MIN : key(i);
    const slice = i === SLICES - 1 ? Slice.atLeast(low) : Slice.create(low, key(i + 1));
    out.push({ slice, resources: [pods[(i + (i < changed ? shift : 0)) % pods.length]!] });
  }
  return out;
}

function percentiles(samples: number[]): string {
  const s = [...samples].sort((a, b) => a - b);
  const at = (p: number) => s[Math.min(s.length - 1, Math.floor(p * s.length))]!.toFixed(2);
  return `p50 ${at(0.5)} ms  p99 ${at(0.99)} ms  (n=${s.length})`;
}

const etcd = await startEtcd();
const client = new Etcd3({ hosts: etcd.endpoint });
try {
  const base: number[] = [];
  for (let i = 0; i < WRITES + WARMUP; i++) {
    const t0 = performance.now();
    await client.put('bench/baseline').value('0123456789abcdef');
    if (i >= WARMUP) base.push(performance.now() - t0);
  }
  console.log(`etcd put, 16 B (baseline)             ${percentiles(base)}`);
  for (const [label, changed] of [
    ['4,096 slices as a diff (40 moved)', 40],
    ['4,096 slices, all moved (full size)', SLICES],
  ] as const) {
    const prefix = `bench-${changed}`;
    await bootstrapNamespaces(client, { storeNamespacePrefix: prefix, storeIncarnation: 2n, preferredAssignerIncarnation: 2n });
    const store = EtcdStore.create({ etcd: client, storeIncarnation: 2n, storeNamespacePrefix: prefix, logger: createDefaultLogger('silent') });
    const target = Target.kubernetes('bench');
    let latest: Assignment | undefined;
    const samples: number[] = [];
    for (let i = 0; i < WRITES + WARMUP; i++) {
      const proposal = slices(i + 1, changed);
      const t0 = performance.now();
      const r = await store.writeAssignment(target, false, { predecessor: latest, slices: proposal });
      const dt = performance.now() - t0;
      if (r.kind !== 'committed') throw new Error(`write ${i} was not committed: ${r.kind}`);
      latest = r.assignment;
      if (i >= WARMUP) samples.push(dt);
    }
    console.log(`${label.padEnd(38)}${percentiles(samples)}`);
    await store.close();
  }
} finally {
  client.close();
  await etcd.stop();
}
