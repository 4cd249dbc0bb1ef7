import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import {
  Assignment,
  ClosedError,
  DiffAssignment,
  FailedPreconditionError,
  InvalidArgumentError,
  ManualClock,
  Slice,
  SliceKey,
  UnavailableError,
  createTestSquid,
  proto,
} from '@dicer-ts/common';
import { eventually } from '@dicer-ts/test-harness';
import { type TestEnvironment, createTestEnvironment } from '../../src/testing/test-environment.js';
import { RawWatchClient, responseDiff, sliceletRequest } from '../service/watch-client-helpers.js';

const T0 = 1_735_689_600_000;
const TARGET = 'env-demo';
const pod1 = createTestSquid('https://pod1:8080');
const pod2 = createTestSquid('https://pod2:8080');

/** The assignment a Watch response carries, decoded as a Slicelet knowing nothing would. */
function assignmentOf(response: proto.ClientResponseP): Assignment {
  const diff = responseDiff(response);
  assert.ok(diff !== undefined, 'the response carries no assignment');
  const result = Assignment.fromDiff(undefined, DiffAssignment.fromProto(diff));
  assert.equal(result.kind, 'applied');
  return (result as { assignment: Assignment }).assignment;
}

/** The resource addresses owning `key` in `assignment`. */
function ownersOf(assignment: Assignment, key: SliceKey): string[] {
  const s = assignment.sliceAssignments.find((sa) => sa.contains(key));
  return [...(s?.resources ?? [])].map((r) => r.resourceAddress.toString()).sort();
}

describe('createTestEnvironment (real gRPC, raw Slicelet watches)', function () {
  this.timeout(30_000);
  let clock: ManualClock;
  let env: TestEnvironment;
  let client: RawWatchClient;

  beforeEach(async () => {
    clock = new ManualClock(T0);
    env = await createTestEnvironment({ targets: [TARGET], clock });
    client = new RawWatchClient(env.assignerAddress);
  });

  afterEach(async () => {
    client.close();
    await env.close();
  });

  /** A Slicelet heartbeat that knows no assignment: answered at once when the Assigner has one. */
  async function heartbeat(squid = pod1): Promise<proto.ClientResponseP> {
    const result = await client.call(sliceletRequest(TARGET, squid));
    assert.ok(result.ok, result.ok ? '' : result.error.message);
    return result.response;
  }

  function snapshot() {
    const s = env.assigner.generatorSnapshots().find((g) => g.target.name === TARGET);
    assert.ok(s !== undefined, 'no generator for the target');
    return s;
  }

  /** Starts pod1's first watch (it parks: no assignment yet) and waits until the generator tracks pod1. */
  async function firstWatch(): Promise<{ reply: Promise<proto.ClientResponseP> }> {
    const parked = client.call(sliceletRequest(TARGET, pod1)).then((r) => {
      assert.ok(r.ok, r.ok ? '' : r.error.message);
      return r.response;
    });
    await eventually(() => env.assigner.generatorSnapshots().some((g) => g.health?.resources.some((r) => r.squid.equals(pod1))), {
      description: 'the generator tracking pod1',
      timeoutMs: 10_000,
    });
    // Wrapped: an async function returning the promise itself would wait for the reply.
    return { reply: parked };
  }

  it('serves the given address and short timings', () => {
    assert.equal(env.assignerAddress, `127.0.0.1:${env.port}`);
    assert.equal(env.assigner.options.unhealthyTimeoutMs, 1_000);
    assert.equal(env.assigner.options.minGenerationIntervalMs, 0);
    assert.deepEqual(env.assigner.configuredTargets(), [TARGET]);
  });

  it('delivers a set assignment to a parked Slicelet watch, naming the live Squid', async () => {
    const { reply } = await firstWatch();
    const low = Slice.create(SliceKey.MIN, SliceKey.fromApplicationKey('m'));
    const high = Slice.atLeast(SliceKey.fromApplicationKey('m'));
    const set = await env.setAssignment(TARGET, {
      slices: [
        { slice: low, resources: ['https://pod1:8080'] },
        { slice: high, resources: ['https://pod2:8080'] },
      ],
    });
    assert.equal(set.isFrozen, true);
    const seen = assignmentOf(await reply);
    assert.ok(seen.generation.equals(set.generation));
    assert.equal(seen.isFrozen, true);
    assert.deepEqual(ownersOf(seen, SliceKey.MIN), ['https://pod1:8080']);
    assert.deepEqual(ownersOf(seen, SliceKey.fromApplicationKey('m')), ['https://pod2:8080']);
    // The live pod is named by its own Squid; the absent one by a placeholder with its address.
    const owner = [...(seen.sliceAssignments[0]?.resources ?? [])][0];
    assert.ok(owner?.equals(pod1));
    assert.ok(env.latestAssignment(TARGET)?.generation.equals(set.generation));
  });

  it('keeps a frozen assignment while the pod set changes, and regenerates once unfrozen', async () => {
    await firstWatch();
    const frozen = await env.setAssignment(TARGET, { slices: [{ slice: Slice.FULL, resources: ['https://pod1:8080'] }] });
    const attemptsBefore = snapshot().history.length;
    // Past the startup delay, with pod2 joining: an unfrozen assignment would be regenerated now.
    clock.advance(5_000);
    await heartbeat(pod1);
    const seen = assignmentOf(await heartbeat(pod2));
    assert.ok(seen.generation.equals(frozen.generation));
    const health = snapshot().health?.resources ?? [];
    assert.deepEqual(
      health.filter((r) => r.computed === 'running').map((r) => r.squid.resourceAddress.toString()),
      ['https://pod1:8080', 'https://pod2:8080'],
    );
    assert.equal(snapshot().history.length, attemptsBefore, 'the generator attempted a generation of a frozen assignment');
    assert.ok(env.latestAssignment(TARGET)?.generation.equals(frozen.generation));

    const unfrozen = await env.unfreeze(TARGET);
    assert.equal(unfrozen.isFrozen, false);
    const regenerated = await env.waitForAssignment(
      TARGET,
      (a) => a.generation.compare(unfrozen.generation) > 0 && a.assignedResources().some((r) => r.equals(pod2)),
      { timeoutMs: 10_000 },
    );
    assert.equal(regenerated.isFrozen, false);
    assert.ok(assignmentOf(await heartbeat(pod2)).generation.compare(unfrozen.generation) > 0);
  });

  it('lets the generator replace an unfrozen set assignment that misses a live pod', async () => {
    await firstWatch();
    clock.advance(5_000);
    await heartbeat(pod1);
    await heartbeat(pod2);
    const set = await env.setAssignment(TARGET, { slices: [{ slice: Slice.FULL, resources: ['https://pod1:8080'] }] }, { freeze: false });
    assert.equal(set.isFrozen, false);
    const next = await env.waitForAssignment(TARGET, (a) => a.generation.compare(set.generation) > 0, { timeoutMs: 10_000 });
    assert.ok(next.assignedResources().some((r) => r.equals(pod2)));
  });

  it('freezes the current (generated) assignment', async () => {
    await firstWatch();
    clock.advance(5_000);
    await heartbeat(pod1);
    const generated = await env.waitForAssignment(TARGET, (a) => !a.isFrozen, { timeoutMs: 10_000 });
    const frozen = await env.freeze(TARGET);
    assert.equal(frozen.isFrozen, true);
    assert.ok(frozen.generation.compare(generated.generation) > 0);
    assert.deepEqual(
      frozen.sliceAssignments.map((s) => s.slice.toString()),
      generated.sliceAssignments.map((s) => s.slice.toString()),
    );
    assert.ok(assignmentOf(await heartbeat(pod1)).isFrozen);
  });

  it('rejects freezing a target without an assignment, and assignments without slices, owners or full key-space coverage', async () => {
    await assert.rejects(env.freeze(TARGET), FailedPreconditionError);
    await assert.rejects(env.unfreeze(TARGET), FailedPreconditionError);
    await assert.rejects(env.setAssignment(TARGET, { slices: [] }), InvalidArgumentError);
    await assert.rejects(env.setAssignment(TARGET, { slices: [{ slice: Slice.FULL, resources: [] }] }), InvalidArgumentError);
    const low = Slice.create(SliceKey.MIN, SliceKey.fromApplicationKey('m'));
    await assert.rejects(env.setAssignment(TARGET, { slices: [{ slice: low, resources: ['https://pod1:8080'] }] }), InvalidArgumentError);
    assert.equal(env.latestAssignment(TARGET), undefined);
  });

  it('fails a wait that no assignment satisfies within its timeout', async () => {
    await assert.rejects(env.waitForAssignment(TARGET, () => true, { timeoutMs: 50 }), UnavailableError);
  });

  it('releases its port on close and refuses further use', async () => {
    const port = env.port;
    await env.close();
    await env.close();
    await new Promise<void>((resolve, reject) => {
      const server = createServer();
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => server.close(() => resolve()));
    });
    await assert.rejects(env.setAssignment(TARGET, { slices: [{ slice: Slice.FULL, resources: ['https://pod1:8080'] }] }), ClosedError);
    await assert.rejects(env.waitForAssignment(TARGET), ClosedError);
  });
});
