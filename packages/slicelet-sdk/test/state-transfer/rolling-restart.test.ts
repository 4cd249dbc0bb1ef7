/**
 * A rolling restart of four cache pods under a Zipf workload, once without and once with state
 * transfer, through real Slicelets (transfers over real gRPC on loopback). The "Assigner" here is
 * a scripted stand-in made of the real pieces: `commitProposal` and `planStateTransfers` from the
 * Assigner core, published through a `SubscriberHub` behind a Slicelet Watch server; it moves a
 * terminating pod's slices round-robin to the others, then gives the restarted pod its share back
 * (planned moves from running pods). Requests go to the owner the assignment names, as a Clerk
 * would; a miss fills the owner's cache.
 *
 * Model limit: requests are issued after each generation is applied and its transfers finished
 * (a transfer of these sizes takes milliseconds; bench/state-transfer.bench.ts), so the figures
 * show what a warm handoff preserves, not the few milliseconds during a pull.
 */
import assert from 'node:assert/strict';
import { ServerCredentials } from '@grpc/grpc-js';
import {
  type Assignment,
  Generation,
  SeededRandom,
  Slice,
  SliceKey,
  type Squid,
  SubscriberHub,
  Target,
  createDefaultLogger,
} from '@dicer-ts/common';
import { eventually } from '@dicer-ts/test-harness';
import { describe, it } from 'mocha';
import { INITIAL_STATE_TRANSFER_STATE, type StateTransferState, planStateTransfers } from '../../../assigner/src/core/state-transfer.js';
import { commitProposal } from '../../../assigner/src/store/commit-proposal.js';
import { Slicelet } from '../../src/slicelet.js';
import { SliceletWatchServer } from '../../src/watch-server.js';

const silent = createDefaultLogger('silent');
const TARGET = 'it-cache';
const PODS = 4;
const SLICES = 16;
const KEYS = 4_000;
const WARMUP_REQUESTS = 40_000;
const STEADY_REQUESTS = 10_000;
/** Requests after each generation of the restart (two generations per pod). */
const REQUESTS_PER_STEP = 2_000;

const utf8 = new TextEncoder();
const fromUtf8 = new TextDecoder();

/** Zipf(s = 1) over `n` keys, by inverse CDF. */
function zipf(n: number, random: SeededRandom): () => number {
  const cdf = new Float64Array(n);
  let sum = 0;
  for (let i = 0; i < n; i++) cdf[i] = sum += 1 / (i + 1);
  return () => {
    const u = random.next() * sum;
    let lo = 0;
    let hi = n - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((cdf[mid] as number) < u) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
}

/** `SLICES` equal slices of the key space (by the first byte). */
const SLICE_LIST: Slice[] = Array.from({ length: SLICES }, (_, i) =>
  Slice.create(i === 0 ? SliceKey.MIN : SliceKey.fromBytes(Uint8Array.of((i * 256) / SLICES)), i + 1 < SLICES ? SliceKey.fromBytes(Uint8Array.of(((i + 1) * 256) / SLICES)) : undefined),
);

interface Pod {
  readonly slicelet: Slicelet;
  readonly cache: Map<string, string>;
}

interface RunResult {
  readonly steady: number;
  readonly restart: number;
  readonly transferredKeys: number;
}

async function run(stateTransfer: boolean): Promise<RunResult> {
  const hub = new SubscriberHub({ suggestedRpcTimeoutMs: 1_000, redirectAddress: () => undefined });
  const server = await SliceletWatchServer.start({
    host: '127.0.0.1',
    port: 0,
    target: Target.parse(TARGET),
    hub,
    onSyncState: () => undefined,
    rejectOnFatalTargetMismatch: true,
    credentials: ServerCredentials.createInsecure(),
    logger: silent,
  });
  const transferPorts = new Map<string, number>();
  const pods = new Map<string, Pod>();
  let nextPort = 9300 + (stateTransfer ? 50 : 0);
  let transferredKeys = 0;

  const startPod = async (): Promise<Pod> => {
    const cache = new Map<string, string>();
    const slicelet = await Slicelet.start({
      target: TARGET,
      assigner: `127.0.0.1:${server.port}`,
      host: '127.0.0.1',
      port: nextPort++,
      watchPort: 'disabled',
      watchTimeoutMs: 1_000,
      logger: silent,
      ...(stateTransfer
        ? {
            stateTransfer: {
              listen: { host: '127.0.0.1', port: 0 },
              resolveAddress: (s: Squid) => `127.0.0.1:${transferPorts.get(s.toString())}`,
              provide: function* (range: Slice) {
                for (const [k, v] of cache) if (range.contains(SliceKey.fromApplicationKey(k))) yield { key: utf8.encode(k), value: utf8.encode(v) };
              },
              receive: async ({ entries }: { entries: AsyncIterable<{ key: Uint8Array; value: Uint8Array }> }) => {
                for await (const e of entries) {
                  const k = fromUtf8.decode(e.key);
                  if (!cache.has(k)) cache.set(k, fromUtf8.decode(e.value));
                  transferredKeys++;
                }
              },
            },
          }
        : {}),
    });
    if (slicelet.stateTransfer?.port !== undefined) transferPorts.set(slicelet.squid.toString(), slicelet.stateTransfer.port);
    const pod = { slicelet, cache };
    pods.set(slicelet.squid.toString(), pod);
    return pod;
  };

  // The scripted Assigner.
  let current: Assignment | undefined;
  let generation = 1_000n;
  let transferState: StateTransferState = INITIAL_STATE_TRANSFER_STATE;
  const publish = async (owners: readonly Squid[], terminating: Squid | undefined): Promise<void> => {
    generation += 1_000n;
    const committed = commitProposal(
      { predecessor: current, slices: SLICE_LIST.map((slice, i) => ({ slice, resources: [owners[i] as Squid] })) },
      Generation.create(2n, generation),
      false,
    );
    let next = committed;
    if (stateTransfer) {
      const plan = planStateTransfers({
        predecessor: current,
        committed,
        reachability: (s) => (terminating !== undefined && s.equals(terminating) ? 'terminating' : pods.has(s.toString()) ? 'running' : 'unreachable'),
        nowMs: Number(generation),
        state: transferState,
        timeoutMs: 60_000,
      });
      next = plan.assignment;
      transferState = plan.state;
    }
    current = next;
    hub.publish(next);
    // A draining pod closes (and forgets its assignment) once it has handed everything over.
    const live = (): Pod[] => [...pods.values()].filter((p) => p.slicelet.lifecycle !== 'closed');
    await eventually(() => live().every((p) => p.slicelet.generation.number === generation), { description: `generation ${generation} applied` });
    await eventually(() => live().every((p) => p.slicelet.stateTransfer === undefined || p.slicelet.stateTransfer.stats().incoming.active + p.slicelet.stateTransfer.stats().incoming.queued === 0));
  };
  const ownersOf = (): Squid[] => SLICE_LIST.map((s) => (current as Assignment).lookup(s.lowInclusive).resources[0] as Squid);

  // Requests, routed by the current assignment.
  const random = new SeededRandom(7);
  const nextKey = zipf(KEYS, random);
  const serve = (n: number): number => {
    let hits = 0;
    for (let i = 0; i < n; i++) {
      const k = `user-${nextKey()}`;
      const owner = (current as Assignment).lookup(SliceKey.fromApplicationKey(k)).resources[0] as Squid;
      const pod = pods.get(owner.toString()) as Pod;
      if (pod.cache.has(k)) hits++;
      else pod.cache.set(k, `value-of-${k}`);
    }
    return hits / n;
  };

  try {
    const initial: Pod[] = [];
    for (let i = 0; i < PODS; i++) initial.push(await startPod());
    await publish(
      SLICE_LIST.map((_, i) => (initial[i % PODS] as Pod).slicelet.squid),
      undefined,
    );
    serve(WARMUP_REQUESTS);
    const steady = serve(STEADY_REQUESTS);
    let restartHits = 0;
    let restartRequests = 0;
    for (const old of initial) {
      const squid = old.slicelet.squid;
      const drained = old.slicelet.drain({ timeoutMs: 10_000 });
      // Its slices go round-robin to the other live pods.
      const others = [...pods.values()].filter((p) => !p.slicelet.squid.equals(squid) && p.slicelet.lifecycle === 'running').map((p) => p.slicelet.squid);
      let r = 0;
      await publish(
        ownersOf().map((o) => (o.equals(squid) ? (others[r++ % others.length] as Squid) : o)),
        squid,
      );
      assert.equal((await drained).kind, 'moved');
      pods.delete(squid.toString());
      restartHits += serve(REQUESTS_PER_STEP) * REQUESTS_PER_STEP;
      restartRequests += REQUESTS_PER_STEP;
      // The restarted pod gets its share back from the most loaded pods.
      const fresh = await startPod();
      const owners = ownersOf();
      for (let moved = 0; moved < SLICES / PODS; moved++) {
        const counts = new Map<string, number>();
        for (const o of owners) counts.set(o.toString(), (counts.get(o.toString()) ?? 0) + 1);
        const busiest = [...counts.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))[0]?.[0];
        const at = owners.findIndex((o) => o.toString() === busiest);
        owners[at] = fresh.slicelet.squid;
      }
      await publish(owners, undefined);
      restartHits += serve(REQUESTS_PER_STEP) * REQUESTS_PER_STEP;
      restartRequests += REQUESTS_PER_STEP;
    }
    return { steady, restart: restartHits / restartRequests, transferredKeys };
  } finally {
    for (const p of pods.values()) await p.slicelet.close();
    hub.close();
    await server.close();
  }
}

describe('rolling restart of a cache under Zipf load', function () {
  this.timeout(60_000);

  it('keeps the hit rate at ≥ 90 % of steady state with state transfer, and not without', async () => {
    const off = await run(false);
    const on = await run(true);
    const pct = (x: number): string => `${(x * 100).toFixed(1)} %`;
    console.log(
      `      hit rate — steady: ${pct(off.steady)} / ${pct(on.steady)}; restart window without transfer: ${pct(off.restart)} ` +
        `(${pct(off.restart / off.steady)} of steady); with transfer: ${pct(on.restart)} (${pct(on.restart / on.steady)} of steady, ${on.transferredKeys} keys moved)`,
    );
    assert.equal(off.transferredKeys, 0);
    assert.ok(on.transferredKeys > 0);
    assert.ok(on.restart >= 0.9 * on.steady, `with transfer: ${pct(on.restart)} < 90 % of ${pct(on.steady)}`);
    assert.ok(off.restart < on.restart, 'state transfer must help');
  });
});
