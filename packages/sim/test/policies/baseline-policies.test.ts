import assert from 'node:assert/strict';
import { SeededRandom } from '@dicer-ts/common';
import { EventQueue } from '../../src/engine/event-queue.js';
import { KeySpace } from '../../src/engine/key-space.js';
import { movedShare, type RoutingTable } from '../../src/engine/routing-table.js';
import { SimPod } from '../../src/engine/sim-pod.js';
import { BoundedLoadPolicy } from '../../src/policies/bounded-load-policy.js';
import { ConsistentHashPolicy } from '../../src/policies/consistent-hash-policy.js';
import type { MembershipPolicy } from '../../src/policies/membership-policy.js';
import type { PolicyHost } from '../../src/policies/policy.js';
import { StaticRangePolicy } from '../../src/policies/static-range-policy.js';

const keySpace = KeySpace.synthetic(20_000);

/** Drives a membership policy by hand and collects the tables it publishes. */
function harness(policy: MembershipPolicy): { queue: EventQueue; tables: RoutingTable[]; pods: SimPod[]; add(): SimPod } {
  const queue = new EventQueue();
  const tables: RoutingTable[] = [];
  const pods: SimPod[] = [];
  const host: PolicyHost = {
    queue,
    keySpace,
    unhealthyTimeoutMs: 30_000,
    heartbeatIntervalMs: 5_000,
    sliceletDelayMs: 1_000,
    livePods: () => pods.filter((p) => p.state !== 'down'),
    publish: (table) => tables.push(table),
  };
  policy.attach(host);
  const add = (): SimPod => {
    const pod = new SimPod(pods.length, pods.length, `http://pod-${pods.length}:8080`, queue.nowMs, 0);
    pod.state = 'running';
    pods.push(pod);
    policy.onPodRunning(pod);
    return pod;
  };
  return { queue, tables, pods, add };
}

function movedFraction(a: RoutingTable, b: RoutingTable): number {
  let moved = 0;
  for (let k = 0; k < keySpace.size; k++) moved += movedShare(a, b, k);
  return moved / keySpace.size;
}

function ownerShares(t: RoutingTable, n: number): number[] {
  const counts = new Array<number>(n).fill(0);
  for (let k = 0; k < keySpace.size; k++) counts[t.groups[t.keyGroup[k]!]![0]!]!++;
  return counts.map((c) => c / keySpace.size);
}

describe('ConsistentHashPolicy', () => {
  it('publishes once per instant however many pods join in it', () => {
    const h = harness(new ConsistentHashPolicy());
    for (let i = 0; i < 8; i++) h.add();
    h.queue.runUntil(0);
    assert.equal(h.tables.length, 1);
    assert.equal(h.tables[0]!.sliceCount, 8 * 128);
  });

  it('moves about 1/n of the keys, all to the new pod, on scale out from 8 to 9', () => {
    const h = harness(new ConsistentHashPolicy());
    for (let i = 0; i < 8; i++) h.add();
    h.queue.runUntil(0);
    const added = h.add();
    h.queue.runUntil(1);
    const [before, after] = h.tables as [RoutingTable, RoutingTable];
    const moved = movedFraction(before, after);
    assert.ok(moved > 0.07 && moved < 0.16, `moved ${moved}, expected ≈ 1/9`);
    assert.ok(Math.abs(ownerShares(after, 9)[added.instance]! - moved) < 1e-9, 'every moved key went to the new pod');
  });

  it('keeps key shares near 1/n with 128 virtual nodes', () => {
    const h = harness(new ConsistentHashPolicy());
    for (let i = 0; i < 8; i++) h.add();
    h.queue.runUntil(0);
    const shares = ownerShares(h.tables[0]!, 8);
    assert.ok(Math.max(...shares) < 1.3 / 8 && Math.min(...shares) > 0.7 / 8, `shares ${shares}`);
  });

  it('drops a crashed pod only after the unhealthy timeout, and a draining one at once', () => {
    const policy = new ConsistentHashPolicy();
    const h = harness(policy);
    for (let i = 0; i < 4; i++) h.add();
    h.queue.runUntil(0);
    h.pods[1]!.state = 'down';
    policy.onPodDown(h.pods[1]!, true);
    h.queue.runUntil(29_999);
    assert.equal(h.tables.length, 1);
    h.queue.runUntil(30_000);
    assert.equal(h.tables.length, 2);
    h.pods[2]!.state = 'terminating';
    policy.onPodTerminating(h.pods[2]!);
    h.queue.runUntil(30_000);
    assert.equal(h.tables.length, 3);
    assert.deepEqual(ownerShares(h.tables[2]!, 4).map((x) => x > 0), [true, false, false, true]);
  });
});

describe('StaticRangePolicy', () => {
  it('gives each pod an equal range and recuts everything on scale out', () => {
    const h = harness(new StaticRangePolicy());
    for (let i = 0; i < 8; i++) h.add();
    h.queue.runUntil(0);
    const shares = ownerShares(h.tables[0]!, 8);
    assert.ok(Math.max(...shares) < 1.1 / 8 && Math.min(...shares) > 0.9 / 8, `shares ${shares}`);
    h.add();
    h.queue.runUntil(1);
    const moved = movedFraction(h.tables[0]!, h.tables[1]!);
    assert.ok(moved > 0.4, `static recut moved only ${moved}`);
  });
});

describe('BoundedLoadPolicy', () => {
  it('keeps every pod within ⌈(1 + ε) × mean⌉ requests per second', () => {
    const policy = new BoundedLoadPolicy({ kind: 'bounded-load', epsilon: 0.25 });
    const h = harness(policy);
    for (let i = 0; i < 8; i++) h.add();
    h.queue.runUntil(0);
    const table = h.tables[0]!;
    const random = new SeededRandom(1);
    const counts = new Array<number>(8).fill(0);
    let overflowed = 0;
    // A skewed stream: half the requests go to one key.
    for (let i = 0; i < 8000; i++) {
      const key = i % 2 === 0 ? 7 : Math.floor(random.next() * keySpace.size);
      const choice = policy.route(table, key, 1, random);
      counts[choice.instance]!++;
      if (choice.overflowed) overflowed++;
    }
    assert.ok(Math.max(...counts) <= Math.ceil((1.25 * 8000) / 8), `counts ${counts}`);
    assert.ok(overflowed > 0);
  });
});
