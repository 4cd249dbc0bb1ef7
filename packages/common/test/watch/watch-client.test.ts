import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'mocha';
import { create } from '@bufbuild/protobuf';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Server, ServerCredentials, credentials, status as Status } from '@grpc/grpc-js';
import { eventually } from '@dicer-ts/test-harness';
import {
  type ClientRequestP,
  ClientResponsePSchema,
  RedirectPSchema,
  SyncAssignmentStatePSchema,
} from '../../src/gen/dicer/common/proto/common_pb.js';
import { type Assignment } from '../../src/model/assignment.js';
import { ClientRequest } from '../../src/model/client-request.js';
import { ManualClock } from '../../src/clock.js';
import { Generation } from '../../src/model/generation.js';
import { SeededRandom } from '../../src/random.js';
import { createDefaultLogger } from '../../src/logging.js';
import { ASSIGNMENT_SERVICE_DEFINITION, type AssignmentServiceImplementation, MAX_MESSAGE_BYTES } from '../../src/watch/grpc-services.js';
import { SubscriberHub, type SubscriberHubOptions } from '../../src/watch/subscriber-hub.js';
import { WatchClient } from '../../src/watch/watch-client.js';
import type { WatchClientOptions } from '../../src/watch/watch-client-options.js';
import { TEST_TARGET, gen, makeAssignment } from './fixtures.js';

interface TestServer {
  readonly port: number;
  readonly hub: SubscriberHub;
  /** Every request received, raw. */
  readonly requests: ClientRequestP[];
  stop(): void;
}

const servers: TestServer[] = [];
const clients: WatchClient[] = [];

afterEach(async () => {
  for (const c of clients.splice(0)) await c.close();
  for (const s of servers.splice(0)) s.stop();
});

/**
 * A real grpc-js server on loopback hosting a hub, parsing requests with the model (as the
 * Assigner and Slicelets do). `onRequest` sees each parsed request first (rule 6 hook).
 */
async function startServer(
  hubOptions: SubscriberHubOptions = {},
  port = 0,
  onRequest?: (req: ClientRequest) => void,
  serverCredentials: ServerCredentials = ServerCredentials.createInsecure(),
): Promise<TestServer> {
  const hub = new SubscriberHub({ suggestedRpcTimeoutMs: 1000, ...hubOptions });
  const requests: ClientRequestP[] = [];
  const server = new Server({ 'grpc.max_receive_message_length': MAX_MESSAGE_BYTES });
  const implementation: AssignmentServiceImplementation = {
    watch: (call, callback) => {
      requests.push(call.request);
      let req: ClientRequest;
      try {
        req = ClientRequest.fromProto(call.request);
      } catch (err) {
        callback({ code: Status.INVALID_ARGUMENT, details: (err as Error).message });
        return;
      }
      onRequest?.(req);
      hub.handleWatch(call, callback, req);
    },
  };
  server.addService(ASSIGNMENT_SERVICE_DEFINITION, implementation);
  const bound = await new Promise<number>((resolve, reject) =>
    server.bindAsync(`127.0.0.1:${port}`, serverCredentials, (err, p) => (err ? reject(err) : resolve(p))),
  );
  const s: TestServer = {
    port: bound,
    hub,
    requests,
    stop: () => {
      hub.close();
      server.forceShutdown();
    },
  };
  servers.push(s);
  return s;
}

function startClient(address: string, overrides: Partial<WatchClientOptions> = {}): { client: WatchClient; received: Assignment[] } {
  const received: Assignment[] = [];
  const client = WatchClient.start({
    address,
    target: TEST_TARGET,
    subscriberDebugName: 'C0-softstore-test',
    subscriber: () => ({ kind: 'clerk' }),
    onAssignment: (a) => received.push(a),
    initialWatchTimeoutMs: 1000,
    backoff: { minDelayMs: 20, maxDelayMs: 100 },
    logger: createDefaultLogger('silent'),
    ...overrides,
  });
  clients.push(client);
  return { client, received };
}

const generationOf = (req: ClientRequestP): Generation | undefined => {
  const s = req.syncAssignmentState?.state;
  return s?.case === 'knownGeneration' ? Generation.fromProto(s.value) : undefined;
};

describe('WatchClient over real gRPC', () => {
  it('receives the published assignment and sends the request fields Dicer sends', async () => {
    const server = await startServer();
    server.hub.publish(makeAssignment(1));
    const { client, received } = startClient(`127.0.0.1:${server.port}`);
    await eventually(() => client.latestAssignment?.generation.equals(gen(1)), { description: 'first assignment' });
    assert.deepEqual(received.map((a) => a.generation.toString()), [gen(1).toString()]);
    const req = server.requests[0]!;
    assert.equal(req.version, 1761600610n);
    assert.equal(req.clientFeatureSupport?.supportsSerializedAssignment, true);
    assert.equal(req.subscriberDebugName, 'C0-softstore-test');
    assert.equal(req.SubscriberDataP.case, 'clerkFields');
    assert.equal(req.chosenRpcTimeoutMillis, 1000n);
    assert.equal(req.target?.name, 'softstore');
    assert.ok(generationOf(req)?.isEmpty(), 'the first request knows EMPTY');
    assert.equal(client.status().connected, true);
  });

  it('long-polls: answered at once when behind, parked and answered with the generation otherwise', async () => {
    const server = await startServer();
    server.hub.publish(makeAssignment(1));
    const { client } = startClient(`127.0.0.1:${server.port}`);
    await eventually(() => client.latestAssignment !== undefined);
    // Later requests know generation 1: each is parked, then answered with known_generation at 500 ms.
    await eventually(() => server.hub.stats().generationReplies >= 2, { description: 'two timeout replies' });
    assert.equal(server.hub.stats().assignmentReplies, 1);
    assert.ok(server.requests.slice(1).every((r) => generationOf(r)?.equals(gen(1))));
    await eventually(() => server.hub.stats().parkedCalls === 1, { description: 'the next call parked' });
  });

  it('is woken by a newly published generation long before its processing timeout', async () => {
    // The client adopts the 60 s suggestion, so only a wake-up can deliver generation 2 in time.
    const server = await startServer({ suggestedRpcTimeoutMs: 60_000 });
    server.hub.publish(makeAssignment(1));
    const { client, received } = startClient(`127.0.0.1:${server.port}`);
    await eventually(() => server.hub.stats().parkedCalls === 1 && client.latestAssignment !== undefined);
    await eventually(() => server.requests.at(-1)?.chosenRpcTimeoutMillis === 60_000n, { description: 'timeout adopted' });
    await eventually(() => server.hub.stats().parkedCalls === 1);
    server.hub.publish(makeAssignment(2, 8, 3));
    await eventually(() => client.latestAssignment?.generation.equals(gen(2)), { timeoutMs: 5000, description: 'wake-up' });
    assert.deepEqual(received.map((a) => a.generation.toString()), [gen(1), gen(2)].map(String));
    assert.ok(received[1]!.equals(makeAssignment(2, 8, 3)), 'the assignment arrives intact');
  });

  it('fans a new generation out to many parked watchers at once', async () => {
    const server = await startServer({ suggestedRpcTimeoutMs: 60_000 });
    server.hub.publish(makeAssignment(1));
    const watchers = Array.from({ length: 30 }, () => startClient(`127.0.0.1:${server.port}`));
    await eventually(() => server.hub.stats().parkedCalls === 30 && server.requests.filter((r) => r.chosenRpcTimeoutMillis === 60_000n).length >= 30, {
      description: 'all parked with the adopted timeout',
    });
    server.hub.publish(makeAssignment(2));
    await eventually(() => watchers.every((w) => w.client.latestAssignment?.generation.equals(gen(2))), { description: 'all woken' });
    assert.equal(server.hub.stats().assignmentEncodings, 2, 'one encoding per generation');
  });

  it('decodes the same serialized assignment once per process: every watcher gets the same Assignment', async () => {
    const server = await startServer({ suggestedRpcTimeoutMs: 60_000 });
    server.hub.publish(makeAssignment(1, 16, 3));
    const watchers = Array.from({ length: 5 }, () => startClient(`127.0.0.1:${server.port}`));
    await eventually(() => watchers.every((w) => w.client.latestAssignment !== undefined), { description: 'all received' });
    const first = watchers[0]!.client.latestAssignment!;
    assert.ok(first.equals(makeAssignment(1, 16, 3)));
    for (const w of watchers) assert.equal(w.client.latestAssignment, first, 'one shared Assignment object');
  });

  it('offers a newer assignment it holds as known_assignment, which a Slicelet server adopts (rule 6)', async () => {
    // The "Slicelet" watches a dead Assigner address, so it can only learn through gossip.
    const slicelet = startClient('127.0.0.1:1', { subscriber: () => ({ kind: 'clerk' }) });
    const server = await startServer({}, 0, (req) => slicelet.client.feedSyncState(req.syncAssignmentState));
    const clerk = startClient(`127.0.0.1:${server.port}`, { initialAssignment: makeAssignment(5) });
    await eventually(() => slicelet.client.latestAssignment?.generation.equals(gen(5)), { description: 'gossip adopted' });
    assert.equal(server.requests[0]?.syncAssignmentState?.state.case, 'knownAssignment');
    assert.deepEqual(slicelet.received.map((a) => a.generation.toString()), [gen(5).toString()]);
    assert.ok(clerk.client.latestAssignment?.equals(makeAssignment(5)));
  });

  it('follows a redirect with plaintext despite an https scheme, and drops it when the target fails', async () => {
    const b = await startServer();
    let redirect: string | undefined = `https://127.0.0.1:${b.port}`;
    const a = await startServer({ redirectAddress: () => redirect });
    a.hub.publish(makeAssignment(1));
    b.hub.publish(makeAssignment(1));
    const { client } = startClient(`127.0.0.1:${a.port}`);
    await eventually(() => b.requests.length >= 2, { description: 'requests at the redirect target' });
    assert.equal(client.status().address, `https://127.0.0.1:${b.port}`);
    redirect = undefined;
    const before = a.requests.length;
    b.stop();
    await eventually(() => a.requests.length > before, { description: 'back at the configured address' });
    await eventually(() => client.status().redirectAddress === undefined && client.status().connected);
    assert.ok(client.latestAssignment?.generation.equals(gen(1)));
  });

  it('keeps the last assignment through an outage, retries with backoff and resumes when the server returns', async () => {
    const first = await startServer();
    first.hub.publish(makeAssignment(1));
    const { client, received } = startClient(`127.0.0.1:${first.port}`);
    await eventually(() => client.latestAssignment !== undefined);
    first.stop();
    await eventually(() => client.status().consecutiveFailures >= 3, { description: 'retrying' });
    assert.equal(client.status().connected, false);
    assert.ok(client.latestAssignment?.generation.equals(gen(1)), 'the last assignment is kept');
    const second = await startServer({}, first.port);
    second.hub.publish(makeAssignment(2));
    await eventually(() => client.latestAssignment?.generation.equals(gen(2)), { description: 'resumed' });
    await eventually(() => client.status().connected && client.status().consecutiveFailures === 0);
    assert.deepEqual(received.map((x) => x.generation.toString()), [gen(1), gen(2)].map(String));
  });

  it('treats an invalid response as a failure and retries', async () => {
    const server = new Server();
    let calls = 0;
    const implementation: AssignmentServiceImplementation = {
      watch: (_call, callback) => {
        calls++;
        callback(
          null,
          create(ClientResponsePSchema, {
            syncAssignmentState: create(SyncAssignmentStatePSchema, { state: { case: 'knownGeneration', value: gen(3).toProto() } }),
            suggestedRpcTimeoutMillis: 500n,
            redirect: create(RedirectPSchema),
          }),
        );
      },
    };
    server.addService(ASSIGNMENT_SERVICE_DEFINITION, implementation);
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
    );
    servers.push({ port, hub: new SubscriberHub(), requests: [], stop: () => server.forceShutdown() });
    const { client } = startClient(`127.0.0.1:${port}`);
    await eventually(() => calls >= 3 && client.status().consecutiveFailures >= 2, { description: 'retries' });
    assert.equal(client.status().connected, false);
    assert.equal(client.status().watchTimeoutMs, 1000, 'the invalid suggestion is not adopted');
  });

  it('gives up on an unanswered call at its local deadline, well before the gRPC deadline, and resends', async () => {
    const server = new Server();
    let calls = 0;
    const implementation: AssignmentServiceImplementation = {
      watch: () => {
        calls++; // never answered
      },
    };
    server.addService(ASSIGNMENT_SERVICE_DEFINITION, implementation);
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
    );
    servers.push({ port, hub: new SubscriberHub(), requests: [], stop: () => server.forceShutdown() });
    // Timeout 1 s: the local deadline fires at 1 s, the gRPC deadline only at 11 s.
    const { client } = startClient(`127.0.0.1:${port}`);
    await eventually(() => calls >= 2, { timeoutMs: 8000, description: 'a resend after the local deadline' });
    assert.ok(client.status().consecutiveFailures >= 1);
  });

  it('runs its local deadline and backoff on the injected clock', async () => {
    const server = new Server();
    let calls = 0;
    const implementation: AssignmentServiceImplementation = {
      watch: () => {
        calls++; // never answered
      },
    };
    server.addService(ASSIGNMENT_SERVICE_DEFINITION, implementation);
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
    );
    servers.push({ port, hub: new SubscriberHub(), requests: [], stop: () => server.forceShutdown() });
    const clock = new ManualClock(1_000_000);
    const { client } = startClient(`127.0.0.1:${port}`, { clock, random: new SeededRandom(7) });
    await eventually(() => calls === 1);
    clock.advance(999);
    assert.equal(client.status().phase, 'outstanding');
    clock.advance(1); // local deadline: failed, backing off 20 ms ±20 %
    assert.equal(client.status().consecutiveFailures, 1);
    assert.equal(client.status().phase, 'waiting');
    clock.advance(30);
    await eventually(() => calls === 2, { description: 'resent when the manual clock says so' });
  });

  describe('close', () => {
    it('cancels the parked call and stops', async () => {
      const server = await startServer({ suggestedRpcTimeoutMs: 60_000 });
      server.hub.publish(makeAssignment(1));
      const { client } = startClient(`127.0.0.1:${server.port}`);
      await eventually(() => server.hub.stats().parkedCalls === 1 && client.latestAssignment !== undefined);
      await client.close();
      await client.close();
      await eventually(() => server.hub.stats().parkedCalls === 0, { description: 'server saw the cancel' });
      assert.equal(client.status().phase, 'closed');
      assert.ok(client.latestAssignment?.generation.equals(gen(1)), 'the last assignment stays readable');
    });
  });

  describe('with TLS credentials', () => {
    /** A throwaway self-signed certificate for 127.0.0.1, made with the openssl CLI. */
    function makeCertificate(): { cert: Buffer; key: Buffer } {
      const dir = mkdtempSync(join(tmpdir(), 'watch-tls-'));
      try {
        execFileSync('openssl', [
          'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1',
          '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1',
          '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'),
        ], { stdio: 'ignore' });
        return { cert: readFileSync(join(dir, 'cert.pem')), key: readFileSync(join(dir, 'key.pem')) };
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }

    it('watches over TLS when given credentials, and a plaintext client cannot', async () => {
      const { cert, key } = makeCertificate();
      const server = await startServer({}, 0, undefined, ServerCredentials.createSsl(null, [{ private_key: key, cert_chain: cert }], false));
      server.hub.publish(makeAssignment(1));
      const tls = startClient(`https://127.0.0.1:${server.port}`, {
        credentials: credentials.createSsl(cert),
        // Verify the certificate by name: Node deprecates IP addresses as TLS server names.
        channelOptions: { 'grpc.ssl_target_name_override': 'localhost' },
      });
      const plain = startClient(`https://127.0.0.1:${server.port}`);
      await eventually(() => tls.client.latestAssignment?.generation.equals(gen(1)), { description: 'assignment over TLS' });
      await eventually(() => plain.client.status().consecutiveFailures >= 2, { description: 'plaintext refused' });
      assert.equal(plain.client.latestAssignment, undefined);
    });
  });
});
