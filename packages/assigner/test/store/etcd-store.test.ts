import { readdirSync, readFileSync } from 'node:fs';
import assert from 'node:assert/strict';
import { Etcd3 } from 'etcd3';
import fc from 'fast-check';
import {
  type Assignment,
  ClosedError,
  Generation,
  InvalidArgumentError,
  SeededRandom,
  Slice,
  SliceKey,
  Target,
  UnavailableError,
  createDefaultLogger,
  createTestSquid,
  proto,
} from '@dicer-ts/common';
import { type EtcdHandle, eventually, startEtcd } from '@dicer-ts/test-harness';
import { EtcdStore, type EtcdStoreOptions, FULL_WRITE_MAX_ENTRIES } from '../../src/store/etcd-store.js';
import { EtcdValueTooLargeError, StoreNotBootstrappedError } from '../../src/store/etcd-errors.js';
import { EtcdVersionedKv } from '../../src/store/etcd-versioned-kv.js';
import { namespacesFor } from '../../src/store/etcd-key-layout.js';
import type { ProposedAssignmentSlice, WriteAssignmentResult } from '../../src/store/store.js';

const target = Target.kubernetes('demo-cache-app');
const pods = [0, 1, 2, 3].map((i) => createTestSquid(`https://pod${i}`));

/** `n` equal slices, slice i on pod `(i + shift) % 4`. */
function slices(n: number, shift = 0): ProposedAssignmentSlice[] {
  const bounds: SliceKey[] = [];
  for (let i = 1; i < n; i++) bounds.push(SliceKey.fromBytes(new Uint8Array([Math.floor((256 * i) / n)])));
  const out: ProposedAssignmentSlice[] = [];
  for (let i = 0; i < n; i++) {
    const low = i === 0 ? SliceKey.MIN : (bounds[i - 1] as SliceKey);
    const slice = i === n - 1 ? Slice.atLeast(low) : Slice.create(low, bounds[i] as SliceKey);
    out.push({ slice, resources: [pods[(i + shift) % pods.length]!] });
  }
  return out;
}

function committed(r: WriteAssignmentResult): Assignment {
  assert.equal(r.kind, 'committed', `expected a commit, got ${JSON.stringify(r.kind)}`);
  return (r as { assignment: Assignment }).assignment;
}

let prefixCounter = 0;

describe('EtcdStore', function () {
  this.timeout(60_000);
  let etcd: EtcdHandle;
  let client: Etcd3;
  const stores: EtcdStore[] = [];
  let prefix: string;

  before(async () => {
    etcd = await startEtcd();
    client = new Etcd3({ hosts: etcd.endpoint });
  });

  after(async () => {
    client.close();
    await etcd.stop();
  });

  beforeEach(async () => {
    prefix = `t${++prefixCounter}`;
  });

  afterEach(async () => {
    for (const s of stores.splice(0)) await s.close();
  });

  function open(options: Partial<EtcdStoreOptions> = {}): EtcdStore {
    const store = EtcdStore.create({
      etcd: { endpoints: [etcd.endpoint], dialTimeoutMs: 1000 },
      storeIncarnation: 2n,
      storeNamespacePrefix: prefix,
      retryMinDelayMs: 50,
      retryMaxDelayMs: 200,
      backupPollIntervalMs: 5_000,
      random: new SeededRandom(7),
      logger: createDefaultLogger('silent'),
      ...options,
    });
    stores.push(store);
    return store;
  }

  async function bootstrap(incarnation = 2n): Promise<void> {
    await new EtcdVersionedKv(client, namespacesFor(prefix).assignments).bootstrap(incarnation);
  }

  async function rowKeys(): Promise<string[]> {
    return client.getAll().prefix(`${namespacesFor(prefix).assignments}/${target.toString()}/0`).keys();
  }

  it('rejects a loose incarnation', () => {
    assert.throws(() => open({ storeIncarnation: 3n }), InvalidArgumentError);
  });

  it('fails writes on an un-bootstrapped namespace with StoreNotBootstrappedError', async () => {
    const store = open();
    await assert.rejects(store.writeAssignment(target, false, { predecessor: undefined, slices: slices(2) }), (err: unknown) => {
      assert.ok(err instanceof StoreNotBootstrappedError);
      assert.match(err.message, /not bootstrapped.*dicer-assigner bootstrap/);
      return true;
    });
    await assert.rejects(store.checkBootstrapped(), StoreNotBootstrappedError);
  });

  it('commits a first assignment in its incarnation and a successor on it', async () => {
    await bootstrap();
    const store = open();
    const a = committed(await store.writeAssignment(target, false, { predecessor: undefined, slices: slices(2) }));
    assert.equal(a.generation.incarnation, 2n);
    const b = committed(await store.writeAssignment(target, false, { predecessor: a, slices: slices(2, 1) }));
    assert.ok(b.generation.compare(a.generation) > 0);
    assert.ok(store.getLatestKnownAssignment(target)?.generation.equals(b.generation));
    assert.equal(
      await client.get(`${namespacesFor(prefix).assignments}/${target.toString()}/version`).string(),
      `${'2'.padStart(16, '0')}/${b.generation.number.toString(16).toUpperCase().padStart(16, '0')}`,
    );
  });

  it('lets exactly one of two writers on the same predecessor commit (compare-and-swap)', async () => {
    await bootstrap();
    const s1 = open();
    const s2 = open();
    const base = committed(await s1.writeAssignment(target, false, { predecessor: undefined, slices: slices(2) }));
    const [r1, r2] = await Promise.all([
      s1.writeAssignment(target, false, { predecessor: base, slices: slices(2, 1) }),
      s2.writeAssignment(target, false, { predecessor: base, slices: slices(2, 2) }),
    ]);
    const kinds = [r1.kind, r2.kind].sort();
    assert.deepEqual(kinds, ['committed', 'occ-failure']);
    const winner = r1.kind === 'committed' ? r1.assignment : (r2 as { assignment: Assignment }).assignment;
    const loser = r1.kind === 'occ-failure' ? r1 : (r2 as { existingGeneration: Generation });
    assert.ok(loser.existingGeneration.equals(winner.generation));
    // The loser learns the winner through its watch.
    const loserStore = r1.kind === 'occ-failure' ? s1 : s2;
    await eventually(() => loserStore.getLatestKnownAssignment(target)?.generation.equals(winner.generation));
  });

  it('fails a first write over an existing same-incarnation record with an OCC failure', async () => {
    await bootstrap();
    const s1 = open();
    const a = committed(await s1.writeAssignment(target, false, { predecessor: undefined, slices: slices(2) }));
    const r = await open().writeAssignment(target, false, { predecessor: undefined, slices: slices(2) });
    assert.equal(r.kind, 'occ-failure');
    assert.ok((r as { existingGeneration: Generation }).existingGeneration.equals(a.generation));
  });

  it('recovers the exact latest assignment in a new store instance (restart)', async () => {
    await bootstrap();
    const s1 = open();
    let latest = committed(await s1.writeAssignment(target, false, { predecessor: undefined, slices: slices(8) }));
    for (let i = 1; i < 6; i++) {
      latest = committed(await s1.writeAssignment(target, false, { predecessor: latest, slices: slices(8, i) }));
    }
    await s1.close();
    const s2 = open();
    const seen = await new Promise<Assignment>((resolve) => s2.watchAssignments(target, resolve));
    assert.ok(seen.equals(latest), `recovered ${seen.generation} differs from ${latest.generation}`);
    // And it can continue the history from there.
    committed(await s2.writeAssignment(target, false, { predecessor: seen, slices: slices(8) }));
  });

  it('appends diff rows, writes a full row after 50 rows and deletes the older ones', async () => {
    await bootstrap();
    const store = open();
    let latest = committed(await store.writeAssignment(target, false, { predecessor: undefined, slices: slices(64) }));
    assert.equal((await rowKeys()).length, 1);
    latest = committed(await store.writeAssignment(target, false, { predecessor: latest, slices: slices(64, 1) }));
    // Every slice moved: the diff carries all 64 slices, still below 5 × 64.
    assert.equal((await rowKeys()).length, 2);
    // Unchanged slice maps produce near-empty diffs; rows accumulate up to the limit.
    for (let i = 2; i < FULL_WRITE_MAX_ENTRIES; i++) {
      latest = committed(await store.writeAssignment(target, false, { predecessor: latest, slices: slices(64, 1) }));
    }
    assert.equal((await rowKeys()).length, FULL_WRITE_MAX_ENTRIES);
    latest = committed(await store.writeAssignment(target, false, { predecessor: latest, slices: slices(64, 1) }));
    assert.equal((await rowKeys()).length, 1, 'the full row replaced the history');
    const value = await client.get(`${namespacesFor(prefix).assignments}/${target.toString()}/version`).string();
    const fullRow = await client.get(`${namespacesFor(prefix).assignments}/${target.toString()}/${value}`).buffer();
    const diff = proto.fromBinary(proto.DiffAssignmentPSchema, new Uint8Array(fullRow!));
    assert.equal(diff.diffGeneration, undefined, 'a full row has no diff generation');
    const reader = open();
    const seen = await new Promise<Assignment>((resolve) => reader.watchAssignments(target, resolve));
    assert.ok(seen.equals(latest));
  });

  it('writes a full row when the stored slices reach 5× the new assignment', async () => {
    await bootstrap();
    const store = open();
    let latest = committed(await store.writeAssignment(target, false, { predecessor: undefined, slices: slices(4) }));
    const counts: number[] = [];
    for (let i = 1; i <= 6; i++) {
      latest = committed(await store.writeAssignment(target, false, { predecessor: latest, slices: slices(4, i) }));
      counts.push((await rowKeys()).length);
    }
    // 4 stored, then +4 per diff: 8, 12, 16, then 20 ≥ 5 × 4 forces a full row.
    assert.deepEqual(counts, [2, 3, 4, 5, 1, 2]);
  });

  it('a watcher sees the writes of another store, and again after etcd compacts its history', async () => {
    await bootstrap();
    const writer = open();
    const reader = open();
    const seen: Generation[] = [];
    reader.watchAssignments(target, (a) => seen.push(a.generation));
    let latest = committed(await writer.writeAssignment(target, false, { predecessor: undefined, slices: slices(4) }));
    await eventually(() => seen.some((g) => g.equals(latest.generation)));
    const rev = (await client.get('x').exec()).header.revision;
    await client.kv.compact({ revision: rev, physical: true });
    latest = committed(await writer.writeAssignment(target, false, { predecessor: latest, slices: slices(4, 1) }));
    await eventually(() => reader.getLatestKnownAssignment(target)?.generation.equals(latest.generation));
    for (let i = 1; i < seen.length; i++) assert.ok(seen[i]!.compare(seen[i - 1]!) > 0, 'generations only increase');
  });

  it('reports a watch from a compacted revision as a failure, so the store re-lists', async () => {
    await bootstrap();
    const writer = open();
    let latest = committed(await writer.writeAssignment(target, false, { predecessor: undefined, slices: slices(2) }));
    latest = committed(await writer.writeAssignment(target, false, { predecessor: latest, slices: slices(2, 1) }));
    const rev = (await client.get('x').exec()).header.revision;
    await client.kv.compact({ revision: rev, physical: true });
    const kv = new EtcdVersionedKv(client, namespacesFor(prefix).assignments);
    const failure = await new Promise<Error>((resolve) => {
      void kv.watchRows(target.toString(), undefined, 1n, { onRow: () => undefined, onFailure: resolve });
    });
    // etcd cancels the watch (3.4 sends compact_revision with an empty reason): a failure, never silence.
    assert.ok(failure instanceof UnavailableError, String(failure));
  });

  it('cancels a row watch aborted while it is being created, leaving etcd3 no watcher to re-dial', async () => {
    await bootstrap();
    const kv = new EtcdVersionedKv(client, namespacesFor(prefix).assignments);
    const creation = new AbortController();
    const watch = kv.watchRows(target.toString(), undefined, 1n, { onRow: () => undefined, onFailure: () => undefined }, creation.signal);
    // Aborted before etcd can have answered the create request.
    creation.abort();
    await assert.rejects(watch, ClosedError);
    // etcd3 re-dials (on backoff timers that keep the process alive, even after close()) for as
    // long as any watcher stays attached to its watch manager.
    const manager = (client as unknown as { watchManager: { watchers: unknown[] } }).watchManager;
    assert.equal(manager.watchers.length, 0);
  });

  it('serves the last assignment while etcd is unreachable, fails writes with UnavailableError, and resumes', async () => {
    await bootstrap();
    const store = open({ opTimeoutMs: 500 });
    const latest = committed(await store.writeAssignment(target, false, { predecessor: undefined, slices: slices(2) }));
    process.kill(etcd.pid, 'SIGSTOP');
    // The stop reaches every thread of etcd only some time after kill() returns; on a loaded
    // machine a request sent at once could still be answered (a flake seen in CI).
    await eventually(
      () =>
        readdirSync(`/proc/${etcd.pid}/task`).every((tid) =>
          readFileSync(`/proc/${etcd.pid}/task/${tid}/stat`, 'utf8').split(') ')[1]?.startsWith('T'),
        ),
      { description: 'every etcd thread to be stopped' },
    );
    try {
      await assert.rejects(store.writeAssignment(target, false, { predecessor: latest, slices: slices(2, 1) }), UnavailableError);
      assert.ok(store.getLatestKnownAssignment(target)?.equals(latest));
      const late = await new Promise<Assignment>((resolve) => store.watchAssignments(target, resolve));
      assert.ok(late.equals(latest), 'a new watcher is served the cached assignment');
    } finally {
      process.kill(etcd.pid, 'SIGCONT');
    }
    // The timed-out write may still have been applied once etcd resumed (an ambiguous outcome):
    // like a generator, write on whatever the store knows now; OCC fences any stale attempt.
    const next = await eventually(
      async () => {
        const predecessor = store.getLatestKnownAssignment(target);
        const r = await store.writeAssignment(target, false, { predecessor, slices: slices(2, 3) });
        return r.kind === 'committed' ? r.assignment : undefined;
      },
      { timeoutMs: 20_000, intervalMs: 200, description: 'a write after etcd came back' },
    );
    assert.ok(next.generation.compare(latest.generation) > 0);
  });

  it('refuses a value above the size limit with a clear error and keeps the previous version', async () => {
    await bootstrap();
    const store = open({ maxValueBytes: 2_000 });
    const small = committed(await store.writeAssignment(target, false, { predecessor: undefined, slices: slices(2) }));
    await assert.rejects(store.writeAssignment(target, false, { predecessor: small, slices: slices(200) }), (err: unknown) => {
      assert.ok(err instanceof EtcdValueTooLargeError);
      assert.match(err.message, /exceeds the limit of 2000 bytes/);
      return true;
    });
    const reader = open();
    const seen = await new Promise<Assignment>((resolve) => reader.watchAssignments(target, resolve));
    assert.ok(seen.equals(small));
  });

  it('supersedes a lower-incarnation record with a write without predecessor (incarnation bump)', async () => {
    await bootstrap();
    const old = open();
    const a = committed(await old.writeAssignment(target, false, { predecessor: undefined, slices: slices(2) }));
    const bumped = open({ storeIncarnation: 4n });
    const b = committed(await bumped.writeAssignment(target, false, { predecessor: undefined, slices: slices(2, 1) }));
    assert.equal(b.generation.incarnation, 4n);
    await eventually(() => old.getLatestKnownAssignment(target)?.generation.equals(b.generation));
    // The old incarnation can no longer write on its predecessor.
    const r = await old.writeAssignment(target, false, { predecessor: a, slices: slices(2) });
    assert.equal(r.kind, 'occ-failure');
  });

  it('recovers from a garbage row once a valid full row is written, without affecting other targets', async () => {
    await bootstrap();
    const other = Target.kubernetes('other-app');
    const writer = open();
    const reader = open();
    const a = committed(await writer.writeAssignment(target, false, { predecessor: undefined, slices: slices(2) }));
    committed(await writer.writeAssignment(other, false, { predecessor: undefined, slices: slices(2) }));
    const ns = namespacesFor(prefix).assignments;
    const bogus = Generation.create(2n, a.generation.number + 5n);
    const bogusVersion = `${'2'.padStart(16, '0')}/${bogus.number.toString(16).toUpperCase().padStart(16, '0')}`;
    await client.put(`${ns}/${target.toString()}/${bogusVersion}`).value('garbage');
    await client.put(`${ns}/${target.toString()}/version`).value(bogusVersion);
    let corruptions = 0;
    const watching = open({
      onCorruption: () => {
        corruptions++;
      },
    });
    watching.watchAssignments(target, () => undefined);
    await eventually(() => corruptions > 0);
    // The other target is unaffected.
    await eventually(() => reader.watchAssignments(other, () => undefined) !== undefined && reader.getLatestKnownAssignment(other) !== undefined);
    // A writer that does not know the bogus version rewrites the key as a full row.
    const fixed = committed(
      await open({ storeIncarnation: 4n }).writeAssignment(target, false, { predecessor: undefined, slices: slices(2, 1) }),
    );
    await eventually(() => watching.getLatestKnownAssignment(target)?.generation.equals(fixed.generation), { timeoutMs: 10_000 });
  });

  it('learns a high watermark and still commits a first write above it (scenario 18)', async () => {
    await bootstrap();
    const ns = namespacesFor(prefix).assignments;
    const ahead = Generation.create(2n, BigInt(Date.now()) + 7_200_000n);
    const hex = (n: bigint) => n.toString(16).toUpperCase().padStart(16, '0');
    await client.put(`${ns}/__version_high_watermark`).value(`${hex(2n)}/${hex(ahead.number)}`);
    const a = committed(await open().writeAssignment(target, false, { predecessor: undefined, slices: slices(2) }));
    assert.ok(a.generation.compare(ahead) > 0, 'the generation is above the watermark');
  });

  it('keeps other targets working when all keys of one target are deleted (scenario 20)', async () => {
    await bootstrap();
    const other = Target.kubernetes('other-app');
    const store = open();
    const a = committed(await store.writeAssignment(target, false, { predecessor: undefined, slices: slices(2) }));
    const b = committed(await store.writeAssignment(other, false, { predecessor: undefined, slices: slices(2) }));
    await client.delete().prefix(`${namespacesFor(prefix).assignments}/${target.toString()}/`);
    const r = await store.writeAssignment(target, false, { predecessor: a, slices: slices(2, 1) });
    assert.equal(r.kind, 'occ-failure');
    assert.ok((r as { existingGeneration: Generation }).existingGeneration.equals(Generation.EMPTY));
    committed(await store.writeAssignment(other, false, { predecessor: b, slices: slices(2, 1) }));
  });

  it('keeps two deployments on one etcd apart by namespace prefix (scenario 13)', async () => {
    await bootstrap();
    const first = open();
    const savedPrefix = prefix;
    prefix = `${savedPrefix}-untrusted`;
    await bootstrap();
    const second = open();
    const a = committed(await first.writeAssignment(target, false, { predecessor: undefined, slices: slices(2) }));
    const b = committed(await second.writeAssignment(target, false, { predecessor: undefined, slices: slices(1) }));
    assert.equal(a.sliceAssignments.length, 2);
    assert.equal(b.sliceAssignments.length, 1);
    assert.equal((await client.getAll().prefix(`${savedPrefix}-assignments/`).keys()).length, 3);
    assert.equal((await client.getAll().prefix(`${savedPrefix}-untrusted-assignments/`).keys()).length, 3);
  });

  it('rejects use after close with ClosedError', async () => {
    const store = open();
    await store.close();
    assert.throws(() => store.watchAssignments(target, () => undefined), ClosedError);
  });
});

describe('EtcdStore invariants', function () {
  this.timeout(120_000);
  let etcd: EtcdHandle;
  let client: Etcd3;

  before(async () => {
    etcd = await startEtcd();
    client = new Etcd3({ hosts: etcd.endpoint });
  });

  after(async () => {
    client.close();
    await etcd.stop();
  });

  it('never forks the history: two stores racing random writes commit a chain where each predecessor is the previous commit', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(fc.integer({ min: 0, max: 1 }), fc.integer({ min: 0, max: 3 })), { minLength: 4, maxLength: 16 }), async (plan) => {
        const prefix = `race${++prefixCounter}`;
        await new EtcdVersionedKv(client, namespacesFor(prefix).assignments).bootstrap(2n);
        const stores = [0, 1].map(() =>
          EtcdStore.create({
            etcd: client,
            storeIncarnation: 2n,
            storeNamespacePrefix: prefix,
            retryMinDelayMs: 50,
            retryMaxDelayMs: 200,
            logger: createDefaultLogger('silent'),
          }),
        );
        const commits: { predecessor: Generation | undefined; generation: Generation }[] = [];
        try {
          // Each step launches a write from one store on whatever it believes is latest, without
          // waiting for the previous one: writes overlap and race.
          const inFlight: Promise<void>[] = [];
          for (const [who, shift] of plan) {
            const store = stores[who]!;
            const predecessor = store.getLatestKnownAssignment(target);
            inFlight.push(
              store.writeAssignment(target, false, { predecessor, slices: slices(4, shift) }).then((r) => {
                if (r.kind === 'committed') commits.push({ predecessor: predecessor?.generation, generation: r.assignment.generation });
              }),
            );
            if (shift % 2 === 0) await Promise.all(inFlight.splice(0));
          }
          await Promise.all(inFlight);
        } finally {
          for (const s of stores) await s.close();
        }
        commits.sort((x, y) => x.generation.compare(y.generation));
        assert.ok(commits.length >= 1);
        assert.equal(commits[0]!.predecessor, undefined);
        for (let i = 1; i < commits.length; i++) {
          assert.ok(commits[i]!.predecessor?.equals(commits[i - 1]!.generation), `commit ${i} forks the history`);
        }
      }),
      { seed: 42, numRuns: 8 },
    );
  });
});
