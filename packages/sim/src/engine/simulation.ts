import { SeededRandom } from '@dicer-ts/common';
import type { Policy, PolicyHost, PublishInfo } from '../policies/policy.js';
import type { ResolvedScenario, ScenarioEvent } from '../scenarios/scenario.js';
import type { Workload } from '../workloads/workload.js';
import { EventQueue } from './event-queue.js';
import {
  imbalance,
  round6,
  type ChangeRecord,
  type DecisionTiming,
  type PolicyRunResult,
  type PolicySample,
  type PolicySummary,
} from './metrics.js';
import { holdsKey, movedShare, type RoutingTable } from './routing-table.js';
import { SimPod } from './sim-pod.js';

/** Requests are generated one tick (one virtual second) at a time. */
export const TICK_MS = 1000;

/** Options of one {@link runSimulation}. */
export interface SimulationOptions {
  /** Leave wall-clock timings out, so equal inputs give byte-identical results. @default false */
  readonly deterministic?: boolean;
  /** Called after each simulated tick with the virtual time reached (for progress bars). */
  readonly onProgress?: (nowMs: number) => void;
}

interface Slot {
  readonly index: number;
  readonly address: string;
  current: SimPod | undefined;
}

/**
 * Runs one policy through a scenario in virtual time and measures it.
 *
 * Per tick the workload's requests are routed the way a Clerk would: by the table the policy
 * published at least `propagationDelayMs` ago, to the address of a replica, where whichever
 * instance now runs at that address serves it (or the request fails, if none serves). A served
 * request that lands on an instance that does not hold the key under the policy's latest table
 * counts as misrouted. Every request is either served or failed.
 *
 * @see docs/simulator.md
 */
export function runSimulation(
  scenario: ResolvedScenario,
  workload: Workload,
  policy: Policy,
  options: SimulationOptions = {},
): PolicyRunResult {
  const queue = new EventQueue(0);
  const routeRandom = new SeededRandom(scenario.seed ^ 0x7f4a7c15);
  const keySpace = workload.keySpace;
  const slots: Slot[] = [];
  const instances: SimPod[] = [];
  const net = scenario.network;

  let latest: RoutingTable | undefined;
  let clerk: RoutingTable | undefined;
  let latestSliceCount = 0;
  const changes: ChangeRecord[] = [];
  const computeMs: number[] = [];

  const host: PolicyHost = {
    queue,
    keySpace,
    unhealthyTimeoutMs: net.unhealthyTimeoutMs,
    sliceletDelayMs: net.sliceletDelayMs,
    heartbeatIntervalMs: net.heartbeatIntervalMs,
    livePods: () => instances.filter((p) => p.state !== 'down'),
    publish(table: RoutingTable, info: PublishInfo): void {
      const now = queue.nowMs;
      if (latest !== undefined) changes.push(changeRecord(latest, table, now, info.reason));
      if (info.computeMs !== undefined && now >= scenario.warmupMs) computeMs.push(info.computeMs);
      latest = table;
      latestSliceCount = table.sliceCount;
      // Delays are constant, so tables reach the Clerks in publication order.
      queue.scheduleIn(net.propagationDelayMs, () => {
        clerk = table;
      });
    },
  };

  function changeRecord(prev: RoutingTable, next: RoutingTable, tMs: number, reason: string): ChangeRecord {
    const shares = workload.keyShares(tMs);
    let keys = 0;
    let load = 0;
    for (let k = 0; k < keySpace.size; k++) {
      const m = movedShare(prev, next, k);
      if (m > 0) {
        keys += m;
        load += m * (shares[k] as number);
      }
    }
    return { tMs, reason, keysMoved: round6(keys / keySpace.size), loadMoved: round6(load) };
  }

  // --- pod lifecycle --------------------------------------------------------------------------
  function newSlot(): Slot {
    const slot: Slot = { index: slots.length, address: `http://pod-${String(slots.length).padStart(3, '0')}:8080`, current: undefined };
    slots.push(slot);
    return slot;
  }

  function startPod(slot: Slot, startupMs: number, onRunning?: () => void): SimPod {
    const pod = new SimPod(instances.length, slot.index, slot.address, queue.nowMs, scenario.pods.cacheKeys);
    instances.push(pod);
    slot.current = pod;
    queue.scheduleIn(startupMs, () => {
      if (pod.state !== 'starting') return;
      pod.state = 'running';
      policy.onPodRunning(pod);
      onRunning?.();
    });
    return pod;
  }

  function terminatePod(pod: SimPod, onDown?: () => void): void {
    if (pod.state === 'down' || pod.state === 'terminating') return;
    pod.state = 'terminating';
    policy.onPodTerminating(pod);
    queue.scheduleIn(scenario.pods.terminationGraceMs, () => {
      podDown(pod, false);
      onDown?.();
    });
  }

  function podDown(pod: SimPod, crashed: boolean): void {
    if (pod.state === 'down') return;
    pod.state = 'down';
    const slot = slots[pod.slot] as Slot;
    if (slot.current === pod) slot.current = undefined;
    policy.onPodDown(pod, crashed);
  }

  function liveSlots(): Slot[] {
    return slots.filter((s) => s.current !== undefined && s.current.state !== 'down' && s.current.state !== 'terminating');
  }

  function runEvent(event: ScenarioEvent): void {
    switch (event.kind) {
      case 'crash': {
        const slot = slots[event.pod];
        const pod = slot?.current;
        if (slot === undefined || pod === undefined) return;
        podDown(pod, true);
        if (event.restartAfterMs !== undefined) queue.scheduleIn(event.restartAfterMs, () => startPod(slot, scenario.pods.startupMs));
        return;
      }
      case 'scale-out':
        for (let i = 0; i < event.count; i++) startPod(newSlot(), scenario.pods.startupMs);
        return;
      case 'scale-in': {
        const live = liveSlots();
        for (const slot of live.slice(Math.max(0, live.length - event.count))) terminatePod(slot.current as SimPod);
        return;
      }
      case 'slow-pod': {
        const pod = slots[event.pod]?.current;
        if (pod === undefined) return;
        pod.costFactor = event.factor;
        if (event.durationMs !== undefined) queue.scheduleIn(event.durationMs, () => (pod.costFactor = 1));
        return;
      }
      case 'rolling-restart': {
        const pauseMs = event.pauseMs ?? 0;
        const order = liveSlots();
        if (event.style === 'statefulset') order.reverse();
        const step = (i: number): void => {
          const slot = order[i];
          if (slot === undefined) return;
          const old = slot.current;
          const next = (): void => queue.scheduleIn(pauseMs, () => step(i + 1));
          if (old === undefined || old.state === 'down') return next();
          if (event.style === 'deployment') {
            // maxSurge 1, maxUnavailable 0: the replacement (a new address) must run before the old pod goes.
            startPod(newSlot(), scenario.pods.startupMs, () => {
              terminatePod(old);
              next();
            });
          } else {
            terminatePod(old, () => startPod(slot, scenario.pods.startupMs, next));
          }
        };
        step(0);
        return;
      }
    }
  }

  // --- requests and metrics ---------------------------------------------------------------------
  let windowRequests = 0;
  let windowFailed = 0;
  let windowMisrouted = 0;
  let windowHits = 0;
  let recorded = false;
  const samples: PolicySample[] = [];
  let total = { requests: 0, failed: 0, misrouted: 0, hits: 0 };
  let podSamples = 0;
  let overloadedPodSamples = 0;

  const onRequest = (keyId: number, cost: number): void => {
    windowRequests++;
    const table = clerk;
    if (table === undefined) {
      windowFailed++;
      return;
    }
    let instance: number;
    let overflowed = false;
    if (policy.route !== undefined) {
      const choice = policy.route(table, keyId, cost, routeRandom);
      instance = choice.instance;
      overflowed = choice.overflowed;
    } else {
      const group = table.groups[table.keyGroup[keyId] as number] as Int32Array;
      if (group.length === 0) {
        windowFailed++;
        return;
      }
      instance = group.length === 1 ? (group[0] as number) : (group[Math.floor(routeRandom.next() * group.length)] as number);
    }
    if (instance < 0) {
      windowFailed++;
      return;
    }
    const pod = slots[(instances[instance] as SimPod).slot]?.current;
    if (pod === undefined || !pod.isServing) {
      windowFailed++;
      return;
    }
    const load = cost * pod.costFactor;
    pod.windowLoad += load;
    if (pod.cache.access(keyId)) windowHits++;
    if (!overflowed && !holdsKey(latest as RoutingTable, keyId, pod.instance)) windowMisrouted++;
    policy.onServed?.(pod, keyId, load);
  };

  function resetWindow(): void {
    windowRequests = 0;
    windowFailed = 0;
    windowMisrouted = 0;
    windowHits = 0;
    for (const pod of instances) pod.windowLoad = 0;
  }

  function sample(tMs: number): void {
    const seconds = scenario.sampleIntervalMs / 1000;
    const podLoads: (number | null)[] = slots.map((s) => (s.current?.state === 'running' ? round6(s.current.windowLoad / seconds) : null));
    const running = podLoads.filter((x): x is number => x !== null);
    const capacity = scenario.pods.capacity;
    const overloadedPods = capacity === undefined ? 0 : running.filter((l) => l > capacity).length;
    podSamples += running.length;
    overloadedPodSamples += overloadedPods;
    const { maxOverMean, p99OverMean } = imbalance(running);
    const served = windowRequests - windowFailed;
    samples.push({
      tMs,
      podLoads,
      maxOverMean: round6(maxOverMean),
      p99OverMean: round6(p99OverMean),
      requests: windowRequests,
      failed: windowFailed,
      misrouted: windowMisrouted,
      cacheHitRate: round6(served > 0 ? windowHits / served : 0),
      sliceCount: latestSliceCount,
      overloadedPods,
    });
    total = {
      requests: total.requests + windowRequests,
      failed: total.failed + windowFailed,
      misrouted: total.misrouted + windowMisrouted,
      hits: total.hits + windowHits,
    };
  }

  const step = (): void => {
    const t = queue.nowMs;
    if (t >= scenario.warmupMs && (t - scenario.warmupMs) % scenario.sampleIntervalMs === 0) {
      if (recorded) sample(t);
      else recorded = true;
      resetWindow();
    }
    if (t < scenario.durationMs) {
      workload.requestsIn(t, TICK_MS, onRequest);
      policy.onTickEnd?.(t);
      options.onProgress?.(t + TICK_MS);
      queue.scheduleIn(TICK_MS, step);
    }
  };

  // --- the run ---------------------------------------------------------------------------------
  policy.attach(host);
  for (let i = 0; i < scenario.pods.count; i++) startPod(newSlot(), 0);
  for (const event of [...scenario.events].sort((a, b) => a.atMs - b.atMs)) queue.schedule(event.atMs, () => runEvent(event));
  queue.schedule(0, step);
  queue.runUntil(scenario.durationMs);

  const recordedChanges = changes.filter((c) => c.tMs >= scenario.warmupMs);
  const served = total.requests - total.failed;
  const mean = (xs: number[]): number => (xs.length === 0 ? 0 : xs.reduce((a, b) => a + b, 0) / xs.length);
  const summary: PolicySummary = {
    meanMaxOverMean: round6(mean(samples.map((s) => s.maxOverMean))),
    worstMaxOverMean: round6(Math.max(1, ...samples.map((s) => s.maxOverMean))),
    meanP99OverMean: round6(mean(samples.map((s) => s.p99OverMean))),
    requests: total.requests,
    served,
    failed: total.failed,
    misrouted: total.misrouted,
    cacheHitRate: round6(served > 0 ? total.hits / served : 0),
    changes: recordedChanges.filter((c) => c.keysMoved > 0).length,
    keysMoved: round6(recordedChanges.reduce((a, c) => a + c.keysMoved, 0)),
    loadMoved: round6(recordedChanges.reduce((a, c) => a + c.loadMoved, 0)),
    meanSliceCount: round6(mean(samples.map((s) => s.sliceCount))),
    overloadedShare: round6(podSamples === 0 ? 0 : overloadedPodSamples / podSamples),
  };
  const timing: DecisionTiming | undefined =
    options.deterministic === true
      ? undefined
      : { decisions: computeMs.length, meanMs: round6(mean(computeMs)), maxMs: round6(Math.max(0, ...computeMs)) };
  return {
    policy: policy.name,
    kind: policy.kind,
    summary,
    samples,
    changes: recordedChanges,
    ...(timing === undefined ? {} : { timing }),
  };
}
