/**
 * A Slicelet whose Assigner is unreachable: what works before any assignment, rule-6 gossip from a
 * Clerk's request to the Slicelet's own Watch server, and the lifecycle edges (close, drain).
 */
import assert from 'node:assert/strict';
import { ClosedError, Generation, ManualClock, SliceKey, SliceSet, UnavailableError, createDefaultLogger } from '@dicer-ts/common';
import { eventually, freePort } from '@dicer-ts/test-harness';
import { afterEach, describe, it } from 'mocha';
import { type AssignmentEvent, Slicelet } from '../src/slicelet.js';
import { assignmentOf, squidOf } from './fixtures.js';
import { RawWatchClient, clerkRequest } from './raw-watch-client.js';

describe('Slicelet without a reachable Assigner', () => {
  let slicelet: Slicelet | undefined;
  let client: RawWatchClient | undefined;

  afterEach(async () => {
    client?.close();
    await slicelet?.close();
    slicelet = undefined;
    client = undefined;
  });

  async function start(clock?: ManualClock): Promise<Slicelet> {
    // A free port nobody listens on: every watch request fails and is retried with backoff.
    slicelet = await Slicelet.start({
      target: 'softstore',
      assigner: `127.0.0.1:${await freePort()}`,
      host: '127.0.0.1',
      port: 9100,
      uuid: '00000000-0000-4000-8000-000000000001',
      watchPort: 0,
      watchHost: '127.0.0.1',
      logger: createDefaultLogger('silent'),
      ...(clock === undefined ? {} : { clock }),
    });
    client = new RawWatchClient(`127.0.0.1:${slicelet.watchPort}`);
    return slicelet;
  }

  it('owns nothing before the first assignment, and its handles say so', async () => {
    const s = await start();
    assert.equal(s.assignedSlices().length, 0);
    assert.ok(s.generation.equals(Generation.EMPTY));
    assert.equal(s.createHandle(SliceKey.fromApplicationKey('k')).isAssignedContinuously(), false);
    assert.equal(s.squid.resourceAddress.toString(), 'https://127.0.0.1:9100');
    assert.match(s.debugName, /^S\d+-softstore-127\.0\.0\.1$/);
  });

  it('adopts a newer assignment a Clerk sends to its Watch server (rule 6) and serves it on', async () => {
    const s = await start();
    const events: AssignmentEvent[] = [];
    s.on('assignment', (e) => void events.push(e));
    const assignment = assignmentOf(1n, 42n, [{ low: undefined, owners: [s.squid] }, { low: 0x80, owners: [squidOf('other')] }]);
    const gossip = await client!.call(clerkRequest('softstore', { knownAssignment: assignment.toDiff(Generation.EMPTY).toProto(), timeoutMs: 1000n }));
    assert.ok(gossip.ok);
    assert.ok(s.generation.equals(assignment.generation));
    assert.equal(s.assignedSlices().length, 1);
    await eventually(() => events.length === 1, { description: 'the assignment event' });
    assert.ok(SliceSet.create(events[0]!.added).equals(SliceSet.create(s.assignedSlices())));
    // Another Clerk, behind, now gets that assignment from this Slicelet.
    const behind = await client!.call(clerkRequest('softstore'));
    assert.ok(behind.ok);
    assert.equal(behind.response.syncAssignmentState?.state.case, 'knownSerializedAssignment');
  });

  it('does not take gossip from a request for another target', async () => {
    const s = await start();
    const assignment = assignmentOf(1n, 42n, [{ low: undefined, owners: [s.squid] }]);
    const result = await client!.call(clerkRequest('other', { knownAssignment: assignment.toDiff(Generation.EMPTY).toProto() }));
    assert.ok(!result.ok);
    assert.ok(s.generation.isEmpty());
  });

  it('drains at once when it owns nothing, and closes idempotently', async () => {
    const s = await start();
    assert.deepEqual(await s.drain({ timeoutMs: 60_000 }), { kind: 'moved' });
    assert.equal(s.lifecycle, 'closed');
    await s.close();
    await s.close();
    assert.deepEqual(await s.drain(), { kind: 'moved' }, 'a later drain returns the same result');
  });

  it('refuses a drain after close with ClosedError', async () => {
    const s = await start();
    await s.close();
    await assert.rejects(s.drain(), ClosedError);
  });

  it('resolves a drain in progress with closed when closed', async () => {
    const s = await start();
    const assignment = assignmentOf(1n, 42n, [{ low: undefined, owners: [s.squid] }]);
    await client!.call(clerkRequest('softstore', { knownAssignment: assignment.toDiff(Generation.EMPTY).toProto(), timeoutMs: 1000n }));
    const draining = s.drain({ timeoutMs: 60_000 });
    await eventually(() => s.reportedState === 'terminating', { description: 'a TERMINATING heartbeat built' });
    await s.close();
    assert.deepEqual(await draining, { kind: 'closed' });
    assert.equal(s.assignedSlices().length, 0);
  });

  it('does not wait past its timeout for a listener that never returns', async () => {
    const clock = new ManualClock(1_700_000_000_000);
    const s = await start(clock);
    s.on('assignment', () => new Promise<void>(() => undefined));
    const other = squidOf('other');
    const gossip = (number: bigint, owner: typeof other): void =>
      void client!.call(clerkRequest('softstore', { knownAssignment: assignmentOf(1n, number, [{ low: undefined, owners: [owner] }]).toDiff(Generation.EMPTY).toProto() }));
    gossip(42n, s.squid);
    await eventually(() => s.assignedSlices().length === 1, { description: 'slices owned' });
    let settled = false;
    const draining = s.drain({ timeoutMs: 1_000 }).finally(() => (settled = true));
    gossip(43n, other);
    await eventually(() => s.assignedSlices().length === 0, { description: 'slices moved' });
    // The first event's listener never returns, so the drain waits for it until the timeout.
    await new Promise((r) => setImmediate(r));
    assert.equal(settled, false);
    clock.advance(1_000);
    assert.deepEqual(await draining, { kind: 'moved' });
  });

  it('fails to start with UnavailableError when its Watch port is taken', async () => {
    const s = await start();
    await assert.rejects(
      Slicelet.start({ target: 'softstore', assigner: '127.0.0.1:1', port: 9101, host: '127.0.0.1', watchHost: '127.0.0.1', watchPort: s.watchPort!, logger: createDefaultLogger('silent') }),
      (err: unknown) => err instanceof UnavailableError && /cannot listen on 127\.0\.0\.1:/.test(err.message),
    );
  });

  it('rejects a bad drain timeout', async () => {
    const s = await start();
    await assert.rejects(s.drain({ timeoutMs: -1 }), /timeoutMs must be a non-negative number, got -1/);
  });
});
