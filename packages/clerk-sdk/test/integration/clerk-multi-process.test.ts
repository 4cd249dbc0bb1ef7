/**
 * The Clerk against real processes: a `dicer-assigner` process and Slicelet processes, with the
 * Clerk in the test process watching the Slicelets over loopback gRPC. Routing must agree with
 * each Slicelet process's own ownership answers for 100,000 random keys, follow the reassignment
 * after a Slicelet process is killed, and survive every Slicelet process being killed.
 */
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'mocha';
import { SeededRandom, type ResourceAddress } from '@dicer-ts/common';
import { eventually } from '@dicer-ts/test-harness';
import { Clerk } from '../../src/clerk.js';
import { randomKeys } from '../fixtures/random-keys.js';
import { silent } from './cluster.js';
import { type AssignerProcess, type SliceletProcess, settledProcesses, startAssignerProcess, startSliceletProcess } from './processes.js';

const TARGET = 'clerk-mp';
const KEY_SEED = 31337;

describe('Clerk against an Assigner process and Slicelet processes', function () {
  this.timeout(120_000);
  let assigner: AssignerProcess | undefined;
  let slicelets: SliceletProcess[] = [];
  let clerk: Clerk<{ uri: string }> | undefined;

  afterEach(async () => {
    await clerk?.close();
    await Promise.all(slicelets.map((s) => s.proc.kill()));
    await assigner?.stop();
    clerk = undefined;
    assigner = undefined;
    slicelets = [];
  });

  /**
   * Every Slicelet process's own ownership answers for the first `count` keys of `KEY_SEED`: the
   * owner's URI per key, or undefined while some key has no owner among `group` (e.g. still
   * assigned to a killed process) or the processes disagree on the generation. Two owners fail.
   */
  async function owners(group: readonly SliceletProcess[], count: number): Promise<{ generation: string; owners: string[] } | undefined> {
    const replies = await Promise.all(group.map((s) => s.proc.ask({ cmd: 'owned', seed: KEY_SEED, count }, 'owned')));
    const generation = replies[0]!['generation'] as string;
    if (replies.some((r) => r['generation'] !== generation)) return undefined;
    const bitmaps = replies.map((r) => Buffer.from(r['bitmap'] as string, 'base64'));
    const result: string[] = [];
    for (let i = 0; i < count; i++) {
      const owning = group.filter((_, p) => ((bitmaps[p]![i >> 3]! >> (i & 7)) & 1) === 1);
      assert.ok(owning.length <= 1, `key ${i} owned by ${owning.length} Slicelets`);
      if (owning.length === 0) return undefined;
      result.push(owning[0]!.uri);
    }
    return { generation, owners: result };
  }

  /**
   * Waits until {@link owners} covers every key at the generation the Clerk routes on (the
   * Assigner may publish several generations in a row; the comparison needs the same one).
   */
  function agreedOwners(group: readonly SliceletProcess[], count: number): Promise<{ generation: string; owners: string[] }> {
    return eventually(
      async () => {
        const o = await owners(group, count);
        return o !== undefined && clerk!.status().generation === o.generation ? o : undefined;
      },
      { description: 'Slicelet processes owning every key at the Clerk\'s generation', timeoutMs: 30_000, intervalMs: 200 },
    );
  }

  it('routes as the Slicelet processes answer ownership, through a kill and an outage', async () => {
    assigner = await startAssignerProcess(TARGET);
    slicelets = await Promise.all([1, 2, 3].map((i) => startSliceletProcess(assigner!.port, TARGET, i)));
    await settledProcesses(slicelets);
    const keys = randomKeys(100_000, KEY_SEED);

    clerk = await Clerk.create({
      target: TARGET,
      watchAddresses: slicelets.map((s) => `127.0.0.1:${s.watchPort}`),
      stubFactory: (resource: ResourceAddress) => ({ uri: resource.uri }),
      failoverAfterFailures: 1,
      monitorIntervalMs: 100,
      backoff: { minDelayMs: 50, maxDelayMs: 200 },
      random: new SeededRandom(5),
      logger: silent,
    });
    await clerk.ready({ timeoutMs: 20_000 });
    const { owners: expected } = await agreedOwners(slicelets, keys.length);
    keys.forEach((k, i) => assert.equal(clerk!.resourceForKey(k)?.uri, expected[i]));
    assert.equal(new Set(expected).size, 3);

    // kill -9 the Slicelet the Clerk watches first: the Assigner moves its slices; the Clerk
    // moves to another Watch server and follows.
    await slicelets[0]!.proc.kill();
    const survivors = slicelets.slice(1);
    const sample = keys.slice(0, 20_000);
    const { owners: expectedNext } = await agreedOwners(survivors, sample.length);
    sample.forEach((k, i) => assert.equal(clerk!.resourceForKey(k)?.uri, expectedNext[i]));
    assert.ok(clerk.status().addressSwitchesTotal >= 1);

    // Every Slicelet process gone: the Clerk keeps routing on what it has and says so.
    const oldPort = survivors[0]!.watchPort;
    const lastGeneration = clerk.status().generation;
    const lastRoutes = sample.map((k) => clerk!.resourceForKey(k)?.uri);
    await Promise.all(survivors.map((s) => s.proc.kill()));
    await eventually(() => clerk!.status().stale, { description: 'Clerk reporting stale routing' });
    assert.equal(clerk.status().generation, lastGeneration);
    assert.deepEqual(sample.map((k) => clerk!.resourceForKey(k)?.uri), lastRoutes);

    // One comes back on a watched port: the Clerk resumes on its own.
    const back = await startSliceletProcess(assigner.port, TARGET, 4, oldPort);
    slicelets = [back];
    const { owners: expectedLast } = await agreedOwners([back], sample.length);
    sample.forEach((k, i) => assert.equal(clerk!.resourceForKey(k)?.uri, expectedLast[i]));
    assert.ok(expectedLast.every((uri) => uri === back.uri));
    await eventually(() => clerk!.status().connected && !clerk!.status().stale, { description: 'Clerk connected again' });
  });
});
