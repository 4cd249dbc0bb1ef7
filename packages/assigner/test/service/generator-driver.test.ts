import assert from 'node:assert/strict';
import {
  type Assignment,
  ClientRequest,
  Generation,
  ManualClock,
  KeyLoad,
  Slice,
  SliceKey,
  SliceLoad,
  SliceletData,
  type SliceletState,
  type Squid,
  SyncAssignmentState,
  Target,
  createTestSquid,
} from '@dicer-ts/common';
import { pino } from 'pino';
import { resolveInlineTargetConfig } from '../../src/assigner-options.js';
import { AssignerMetrics } from '../../src/debug/metrics.js';
import { GeneratorDriver, churnOf } from '../../src/service/generator-driver.js';
import { InMemoryStore } from '../../src/store/in-memory-store.js';

const target = Target.kubernetes('demo-cache');
const pod1 = createTestSquid('https://pod1:8080');
const pod2 = createTestSquid('https://pod2:8080');
const pod3 = createTestSquid('https://pod3:8080');
const T0 = 1_735_689_600_000;

function heartbeat(squid: Squid, state: SliceletState = 'running', known = Generation.EMPTY): ClientRequest {
  return ClientRequest.create({
    target,
    syncAssignmentState: SyncAssignmentState.knownGeneration(known),
    subscriberDebugName: `S0-demo-cache-${squid.resourceAddress.toString()}`,
    timeoutMs: 5000,
    subscriber: { kind: 'slicelet', data: SliceletData.create({ state, squid, kubernetesNamespace: 'demo' }) },
  });
}

function clerkOffering(assignment: Assignment): ClientRequest {
  return ClientRequest.create({
    target,
    syncAssignmentState: SyncAssignmentState.knownAssignment(assignment.toDiff(Generation.EMPTY)),
    subscriberDebugName: 'C0-demo-cache-host',
    timeoutMs: 5000,
    subscriber: { kind: 'clerk' },
  });
}

async function flush(): Promise<void> {
  for (let i = 0; i < 3; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}

function owners(a: Assignment | undefined): string[] {
  return [...new Set((a?.sliceAssignments ?? []).flatMap((s) => s.resources.map((r) => r.resourceAddress.toString())))].sort();
}

describe('GeneratorDriver', () => {
  let clock: ManualClock;
  let store: InMemoryStore;
  let distributed: Assignment[];
  let driver: GeneratorDriver;
  let metrics: AssignerMetrics;

  function start(minGenerationIntervalMs = 10_000): void {
    clock = new ManualClock(T0);
    store = new InMemoryStore({ clock });
    distributed = [];
    metrics = new AssignerMetrics({ collectDefault: false });
    driver = new GeneratorDriver({
      target,
      config: resolveInlineTargetConfig('demo-cache', { maxLoadHint: 1000 }),
      store,
      clock,
      logger: pino({ level: 'silent' }),
      metrics,
      timing: { unhealthyTimeoutMs: 30_000, terminatingTimeoutMs: 300_000, minGenerationIntervalMs, allowTopKeys: true },
      onDistribute: (a) => distributed.push(a),
    });
  }

  /** Heartbeats from `pods` every 5 s for `ms`, flushing the store between steps. */
  async function run(ms: number, pods: readonly Squid[], state: SliceletState = 'running'): Promise<void> {
    for (let t = 0; t < ms; t += 5000) {
      for (const p of pods) driver.onWatchRequest(heartbeat(p, state, driver.latestAssignment?.generation));
      clock.advance(Math.min(5000, ms - t));
      await flush();
    }
  }

  afterEach(() => driver.shutdown('test'));

  describe('first assignment', () => {
    it('waits for the startup delay, then assigns the whole key space to the healthy pods', async () => {
      start();
      await run(25_000, [pod1, pod2]);
      assert.equal(distributed.length, 0, 'nothing before the 30 s startup delay');
      await run(10_000, [pod1, pod2]);
      assert.equal(distributed.length, 1);
      const first = distributed[0]!;
      assert.deepEqual(owners(first), ['https://pod1:8080', 'https://pod2:8080']);
      assert.ok(first.generation.equals(store.getLatestKnownAssignment(target)!.generation));
      assert.equal(driver.snapshot().history[0]!.reason, 'first-assignment');
      assert.equal(driver.snapshot().history[0]!.outcome.kind, 'committed');
    });

    it('does not generate without healthy pods', async () => {
      start();
      clock.advance(60_000);
      await flush();
      assert.equal(distributed.length, 0);
    });
  });

  describe('when a pod stops heartbeating', () => {
    it('moves its slices away after the unhealthy timeout', async () => {
      start();
      await run(35_000, [pod1, pod2]);
      assert.deepEqual(owners(driver.latestAssignment), ['https://pod1:8080', 'https://pod2:8080']);
      await run(20_000, [pod1]);
      assert.deepEqual(owners(driver.latestAssignment), ['https://pod1:8080', 'https://pod2:8080'], 'still within 30 s');
      await run(15_000, [pod1]);
      assert.deepEqual(owners(driver.latestAssignment), ['https://pod1:8080']);
      const reasons = driver.snapshot().history.map((h) => h.reason);
      assert.ok(reasons.includes('health-change'));
      const last = driver.snapshot().history.at(-1)!;
      assert.ok(last.churn.removal > 0.4 && last.churn.removal <= 0.6, `removal churn ${last.churn.removal}`);
    });
  });

  describe('key-of-death detection', () => {
    it('counts a pod that vanishes while Running as a crash, without changing assignments', async () => {
      start();
      await run(35_000, [pod1, pod2]);
      await run(35_000, [pod1]);
      const text = await metrics.registry.getSingleMetricAsString('dicer_assigner_key_of_death_poisoned_total');
      assert.match(text, /targetName="demo-cache"[^}]*\} 1/);
      assert.deepEqual(owners(driver.latestAssignment), ['https://pod1:8080']);
    });

    it('does not count a pod that terminates gracefully', async () => {
      start(0);
      await run(35_000, [pod1, pod2]);
      await run(5000, [pod2], 'terminating');
      await run(35_000, [pod1]);
      const text = await metrics.registry.getSingleMetricAsString('dicer_assigner_key_of_death_poisoned_total');
      assert.doesNotMatch(text, /\} 1/);
    });
  });

  describe('when a pod reports TERMINATING', () => {
    it('removes it in the next generation', async () => {
      start(0);
      await run(35_000, [pod1, pod2]);
      driver.onWatchRequest(heartbeat(pod2, 'terminating', driver.latestAssignment?.generation));
      await flush();
      assert.deepEqual(owners(driver.latestAssignment), ['https://pod1:8080']);
    });
  });

  describe('rate limit', () => {
    it('holds a health change until 10 s after the last attempt', async () => {
      start();
      await run(35_000, [pod1, pod2]);
      const firstAt = driver.snapshot().history[0]!.atMs;
      const before = distributed.length;
      // pod3 joins right after the first generation.
      driver.onWatchRequest(heartbeat(pod3));
      await flush();
      const attempts = () => driver.snapshot().history.filter((h) => h.atMs > firstAt).map((h) => h.atMs);
      assert.equal(distributed.length, before);
      await run(Math.max(0, firstAt + 10_000 - clock.nowMs()) + 5000, [pod1, pod2, pod3]);
      const later = attempts();
      assert.equal(later.length, 1);
      assert.ok(later[0]! >= firstAt + 10_000, `attempt at +${later[0]! - firstAt} ms`);
      assert.deepEqual(owners(driver.latestAssignment), ['https://pod1:8080', 'https://pod2:8080', 'https://pod3:8080']);
    });
  });

  describe('load balancing', () => {
    it('rewrites the assignment every load-balancing interval even when nothing changed', async () => {
      start();
      await run(35_000, [pod1, pod2]);
      const first = driver.latestAssignment!;
      await run(65_000, [pod1, pod2]);
      assert.ok(driver.latestAssignment!.generation.compare(first.generation) > 0);
      assert.equal(driver.snapshot().history.at(-1)!.reason, 'load-balancing');
    });
  });

  describe('assignment sync', () => {
    it('adopts a newer assignment a Clerk offers and informs the store', async () => {
      start();
      const elsewhere = new InMemoryStore({ clock: new ManualClock(T0 + 1000) });
      const result = await elsewhere.writeAssignment(target, false, {
        predecessor: undefined,
        slices: [{ slice: (await import('@dicer-ts/common')).Slice.FULL, resources: [pod1] }],
      });
      assert.equal(result.kind, 'committed');
      const offered = (result as { assignment: Assignment }).assignment;
      driver.onWatchRequest(clerkOffering(offered));
      await flush();
      assert.equal(distributed.length, 1);
      assert.ok(distributed[0]!.generation.equals(offered.generation));
      assert.ok(store.getLatestKnownAssignment(target)!.generation.equals(offered.generation));
    });

    it('ignores an offered assignment that is not newer', async () => {
      start();
      await run(35_000, [pod1]);
      const current = driver.latestAssignment!;
      const count = distributed.length;
      driver.onWatchRequest(clerkOffering(current));
      await flush();
      assert.equal(distributed.length, count);
    });
  });

  describe('load reports', () => {
    it('isolates a hot key in its own slice at the next load-balancing generation', async () => {
      start();
      await run(35_000, [pod1, pod2]);
      const before = driver.latestAssignment!;
      const hot = SliceKey.fromApplicationKey('the-hot-key');
      const hotSliceBefore = before.lookup(hot).slice;
      // Each pod reports a 2-minute window for each of its slices; the hot key carries almost all load.
      const report = (squid: Squid): ClientRequest => {
        const nowSeconds = BigInt(Math.floor(clock.nowMs() / 1000));
        const mine = driver.latestAssignment!.sliceAssignments.filter((s) => s.resources.some((r) => r.equals(squid)));
        const loads = mine.map((s) =>
          SliceLoad.create({
            slice: s.slice,
            primaryRateLoad: s.slice.contains(hot) ? 1900 : 1,
            windowLowInclusiveSeconds: nowSeconds - 120n,
            windowHighExclusiveSeconds: nowSeconds,
            topKeys: s.slice.contains(hot) ? [KeyLoad.create(hot, 1890)] : [],
          }),
        );
        return ClientRequest.create({
          target,
          syncAssignmentState: SyncAssignmentState.knownGeneration(driver.latestAssignment!.generation),
          subscriberDebugName: 'S0-demo-cache-pod',
          timeoutMs: 5000,
          subscriber: { kind: 'slicelet', data: SliceletData.create({ state: 'running', squid, attributedLoads: loads, kubernetesNamespace: 'demo' }) },
        });
      };
      for (let t = 0; t < 65_000; t += 5000) {
        driver.onWatchRequest(report(pod1));
        driver.onWatchRequest(report(pod2));
        clock.advance(5000);
        await flush();
      }
      const after = driver.latestAssignment!;
      assert.ok(after.generation.compare(before.generation) > 0);
      const hotSliceAfter = after.lookup(hot).slice;
      assert.ok(hotSliceAfter.equals(Slice.singleKey(hot)), `hot key slice ${hotSliceAfter} (before ${hotSliceBefore})`);
      assert.ok(after.lookup(hot).primaryRateLoad! > 1000);
    });
  });

  describe('shutdown', () => {
    it('ignores events afterwards', async () => {
      start();
      driver.shutdown('test');
      await run(35_000, [pod1]);
      assert.equal(distributed.length, 0);
      assert.equal(driver.isShutDown, true);
    });
  });

  describe('churnOf', () => {
    it('is zero without a previous assignment', () => {
      assert.deepEqual(churnOf(undefined, [], new Set()), { removal: 0, addition: 0, loadBalancing: 0 });
    });
  });
});
