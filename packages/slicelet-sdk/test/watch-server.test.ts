/**
 * The Slicelet's Watch server over real gRPC on loopback, driven by raw protobuf requests as a
 * Clerk sends them (protocol.md §3.4, §3.3 rule 6).
 */
import assert from 'node:assert/strict';
import { ServerCredentials, status } from '@grpc/grpc-js';
import {
  Assignment,
  ClientResponse,
  Generation,
  SubscriberHub,
  type SyncAssignmentState,
  Target,
  createDefaultLogger,
} from '@dicer-ts/common';
import { eventually } from '@dicer-ts/test-harness';
import { afterEach, beforeEach, describe, it } from 'mocha';
import { SliceletWatchServer, misroutedTargetMessage } from '../src/watch-server.js';
import { assignmentOf, squidOf } from './fixtures.js';
import { RawWatchClient, clerkRequest } from './raw-watch-client.js';

const TARGET = Target.kubernetes('softstore');
const A = squidOf('pod-a', 1);

describe('SliceletWatchServer', () => {
  let hub: SubscriberHub;
  let server: SliceletWatchServer;
  let client: RawWatchClient;
  let fed: SyncAssignmentState[];

  async function start(rejectOnFatalTargetMismatch = true): Promise<void> {
    hub = new SubscriberHub({ suggestedRpcTimeoutMs: 5000, redirectAddress: () => undefined });
    fed = [];
    server = await SliceletWatchServer.start({
      host: '127.0.0.1',
      port: 0,
      target: TARGET,
      hub,
      onSyncState: (s) => fed.push(s),
      rejectOnFatalTargetMismatch,
      credentials: ServerCredentials.createInsecure(),
      logger: createDefaultLogger('silent'),
    });
    client = new RawWatchClient(`127.0.0.1:${server.port}`);
  }

  beforeEach(() => start());
  afterEach(async () => {
    client.close();
    hub.close();
    await server.close();
  });

  it('answers a Clerk behind it at once with the full assignment, the configured timeout and an empty redirect', async () => {
    const assignment = assignmentOf(1n, 10n, [{ low: undefined, owners: [A] }]);
    hub.publish(assignment);
    const result = await client.call(clerkRequest('softstore'));
    assert.ok(result.ok);
    assert.equal(result.response.suggestedRpcTimeoutMillis, 5000n);
    assert.ok(result.response.redirect !== undefined);
    assert.equal(result.response.redirect.address ?? '', '');
    assert.equal(result.response.syncAssignmentState?.state.case, 'knownSerializedAssignment');
    const parsed = ClientResponse.fromProto(result.response);
    assert.equal(parsed.redirectAddress, undefined);
    const applied = Assignment.fromDiff(undefined, parsed.syncAssignmentState.diff!);
    assert.ok(applied.kind === 'applied' && applied.assignment.equals(assignment));
  });

  it('sends known_assignment to a Clerk without the serialized-assignment feature bit', async () => {
    hub.publish(assignmentOf(1n, 10n, [{ low: undefined, owners: [A] }]));
    const result = await client.call(clerkRequest('softstore', { serialized: false }));
    assert.ok(result.ok);
    assert.equal(result.response.syncAssignmentState?.state.case, 'knownAssignment');
  });

  it('parks a Clerk that is up to date and wakes it with the next assignment', async () => {
    hub.publish(assignmentOf(1n, 10n, [{ low: undefined, owners: [A] }]));
    const pending = client.call(clerkRequest('softstore', { known: Generation.create(1n, 10n), timeoutMs: 60_000n }));
    // The call is parked before the publish below (the hub counts it).
    await eventuallyParked(hub);
    hub.publish(assignmentOf(1n, 11n, [{ low: undefined, owners: [A] }]));
    const result = await pending;
    assert.ok(result.ok);
    assert.ok(ClientResponse.fromProto(result.response).syncAssignmentState.generation.equals(Generation.create(1n, 11n)));
  });

  it('rejects a watch for another target with NOT_FOUND and Dicer\'s text, and does not take its sync state', async () => {
    const result = await client.call(clerkRequest('other', { knownAssignment: assignmentOf(1n, 10n, [{ low: undefined, owners: [A] }]).toDiff(Generation.EMPTY).toProto() }));
    assert.ok(!result.ok);
    assert.equal(result.error.code, status.NOT_FOUND);
    assert.equal(result.error.details, misroutedTargetMessage(Target.kubernetes('other'), TARGET));
    assert.match(result.error.details, /^Request for target other misrouted to handler for target softstore\. /);
    assert.equal(fed.length, 0);
  });

  it('serves a mismatched target when told not to reject', async () => {
    client.close();
    hub.close();
    await server.close();
    await start(false);
    hub.publish(assignmentOf(1n, 10n, [{ low: undefined, owners: [A] }]));
    const result = await client.call(clerkRequest('other'));
    assert.ok(result.ok);
  });

  it('rejects an invalid request with INVALID_ARGUMENT and the validation text', async () => {
    const request = clerkRequest('softstore', { timeoutMs: 0n });
    const result = await client.call(request);
    assert.ok(!result.ok);
    assert.equal(result.error.code, status.INVALID_ARGUMENT);
    assert.match(result.error.details, /Positive timeout value needed/);
    const noSubscriber = clerkRequest('softstore');
    noSubscriber.SubscriberDataP = { case: undefined };
    const second = await client.call(noSubscriber);
    assert.ok(!second.ok);
    assert.equal(second.error.code, status.INVALID_ARGUMENT);
    assert.match(second.error.details, /One of ClerkDataP or SliceletDataP must be defined/);
  });

  it('hands the sync state of each request of its target on (rule 6)', async () => {
    const newer = assignmentOf(1n, 12n, [{ low: undefined, owners: [A] }]);
    hub.publish(assignmentOf(1n, 10n, [{ low: undefined, owners: [A] }]));
    // The Clerk is ahead, so its call parks: a short timeout gets the answer after 500 ms.
    const result = await client.call(clerkRequest('softstore', { knownAssignment: newer.toDiff(Generation.EMPTY).toProto(), timeoutMs: 1000n }));
    assert.ok(result.ok);
    assert.equal(fed.length, 1);
    assert.equal(fed[0]!.kind, 'known-assignment');
    assert.ok(fed[0]!.generation.equals(newer.generation));
  });
});

async function eventuallyParked(hub: SubscriberHub): Promise<void> {
  await eventually(() => hub.stats().parkedCalls === 1, { description: 'the call parked' });
}
