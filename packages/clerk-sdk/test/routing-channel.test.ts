import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'mocha';
import { Client, type ChannelInterface, Metadata, type ServiceError, credentials, status as Status } from '@grpc/grpc-js';
import { SeededRandom, SliceKey, createDefaultLogger } from '@dicer-ts/common';
import { Clerk } from '../src/clerk.js';
import { grpcChannelStubs, grpcClientStubs } from '../src/grpc-stubs.js';
import { RoutingChannel } from '../src/routing-channel.js';
import { routingCallOptions, routingMetadata } from '../src/routing-interceptor.js';
import { startL4Balancer } from './fixtures/l4-balancer.js';
import { type PodServer, hang, startPodServer, streamWhoAmI, whoAmI } from './fixtures/pod-server.js';
import { TEST_TARGET, type WatchServer, assignmentOf, startWatchServer } from './fixtures/watch-server.js';

const toClose: { close(): unknown }[] = [];
const toStop: { stop(): void }[] = [];

afterEach(async () => {
  for (const c of toClose.splice(0).reverse()) await c.close();
  for (const s of toStop.splice(0)) s.stop();
});

async function setup(podCount: number, replicated = false): Promise<{ watch: WatchServer; pods: PodServer[] }> {
  const watch = await startWatchServer();
  toStop.push(watch);
  const pods: PodServer[] = [];
  for (let i = 0; i < podCount; i++) {
    const pod = await startPodServer();
    pods.push(pod);
    toStop.push(pod);
  }
  const owners = replicated ? [pods.map((p) => p.uri)] : pods.map((p) => [p.uri]);
  watch.hub.publish(assignmentOf(1, owners));
  return { watch, pods };
}

const common = {
  target: TEST_TARGET,
  initialWatchTimeoutMs: 1000,
  random: new SeededRandom(9),
  logger: createDefaultLogger('silent'),
};

describe('RoutingChannel', () => {
  it('sends each call to the owner of the routing key in its metadata', async () => {
    const { watch } = await setup(4);
    const clerk = await Clerk.create({ ...common, watchAddresses: watch.address, ...grpcChannelStubs(credentials.createInsecure()) });
    toClose.push(clerk);
    await clerk.ready({ timeoutMs: 5000 });
    const client = new Client('unused', credentials.createInsecure(), { channelOverride: new RoutingChannel(clerk) });
    toClose.push(client);
    const assignment = clerk.assignment!;
    for (let i = 0; i < 200; i++) {
      const text = `user-${i}`;
      const owner = assignment.lookup(SliceKey.fromApplicationKey(text)).resources[0]!.resourceAddress.uri;
      // Key as call options (an interceptor adds the metadata) …
      assert.equal(await whoAmI(client, new Metadata(), routingCallOptions(text)), owner);
      // … or as SliceKey bytes in the metadata.
      assert.equal(await whoAmI(client, routingMetadata(SliceKey.fromApplicationKey(text))), owner);
    }
    const distinct = new Set(Array.from({ length: 200 }, (_, i) => assignment.lookup(SliceKey.fromApplicationKey(`user-${i}`)).resources[0]!.resourceAddress.uri));
    assert.equal(distinct.size, 4);
    assert.equal(clerk.status().stubs.size, 4);
  });

  it('sends every key to its owner where an L4 balancer sends every call of a connection to one pod', async () => {
    const { watch, pods } = await setup(4);
    // kube-proxy: a pod per TCP connection. One gRPC channel = one long-lived HTTP/2 connection.
    const service = await startL4Balancer(pods.map((p) => p.uri.replace('http://', '')));
    toClose.push({ close: () => service.stop() });
    const viaService = new Client(service.address, credentials.createInsecure());
    toClose.push(viaService);
    const clerk = await Clerk.create({ ...common, watchAddresses: watch.address, ...grpcChannelStubs(credentials.createInsecure()) });
    toClose.push(clerk);
    await clerk.ready({ timeoutMs: 5000 });
    const routed = new Client('unused', credentials.createInsecure(), { channelOverride: new RoutingChannel(clerk) });
    toClose.push(routed);

    const keys = Array.from({ length: 100 }, (_, i) => `session-${i}`);
    const owner = (k: string): string => clerk.assignment!.lookup(SliceKey.fromApplicationKey(k)).resources[0]!.resourceAddress.uri;
    const l4 = await Promise.all(keys.map((k) => whoAmI(viaService, routingMetadata(k))));
    const perRequest = await Promise.all(keys.map((k) => whoAmI(routed, routingMetadata(k))));
    // Through the Service, one connection: one pod answers everything, whatever the key.
    assert.equal(new Set(l4).size, 1);
    assert.equal(service.connections, 1);
    assert.ok(keys.filter((k, i) => l4[i] !== owner(k)).length > 50);
    // Routed per request: every key reaches its owner, and all four pods share the work.
    assert.deepEqual(perRequest, keys.map(owner));
    assert.equal(new Set(perRequest).size, 4);
  });

  it('counts calls in flight for least-outstanding selection and releases them at the status', async () => {
    const { watch, pods } = await setup(3, true);
    const clerk = await Clerk.create<ChannelInterface>({
      ...common,
      watchAddresses: watch.address,
      replicaSelection: 'least-outstanding',
      ...grpcChannelStubs(credentials.createInsecure()),
    });
    toClose.push(clerk);
    await clerk.ready({ timeoutMs: 5000 });
    const client = new Client('unused', credentials.createInsecure(), { channelOverride: new RoutingChannel(clerk) });
    toClose.push(client);
    const answers = await Promise.all(Array.from({ length: 30 }, () => whoAmI(client, routingMetadata('hot'))));
    // Thirty calls started before any finished: least-outstanding gives each replica ten.
    assert.deepEqual(pods.map((p) => answers.filter((a) => a === p.uri).length), [10, 10, 10]);
    for (const r of clerk.resourcesForKey(SliceKey.fromApplicationKey('hot'))!) assert.equal(clerk.outstandingRequests(r), 0);
  });

  it('routes streaming calls and passes deadlines and cancellation through', async () => {
    const { watch, pods } = await setup(3);
    const clerk = await Clerk.create({ ...common, watchAddresses: watch.address, ...grpcChannelStubs(credentials.createInsecure()) });
    toClose.push(clerk);
    await clerk.ready({ timeoutMs: 5000 });
    const client = new Client('unused', credentials.createInsecure(), { channelOverride: new RoutingChannel(clerk) });
    toClose.push(client);
    const key = SliceKey.fromApplicationKey('stream-key');
    const owner = clerk.resourceForKey(key)!;
    assert.deepEqual(await streamWhoAmI(client, routingMetadata('stream-key')), [owner.uri, owner.uri, owner.uri]);

    const expired = await hang(client, routingMetadata('stream-key'), { deadline: Date.now() + 200 });
    assert.equal(expired.code, Status.DEADLINE_EXCEEDED);
    const cancelled = await hang(client, routingMetadata('stream-key'), {}, (cancel) => setImmediate(cancel));
    assert.equal(cancelled.code, Status.CANCELLED);
    assert.equal(clerk.outstandingRequests(owner), 0);
    assert.equal(pods.find((p) => p.uri === owner.uri)!.served >= 2, true);
  });

  it('fails a call without a routing key with INVALID_ARGUMENT', async () => {
    const { watch } = await setup(1);
    const clerk = await Clerk.create({ ...common, watchAddresses: watch.address, ...grpcChannelStubs(credentials.createInsecure()) });
    toClose.push(clerk);
    await clerk.ready({ timeoutMs: 5000 });
    const client = new Client('unused', credentials.createInsecure(), { channelOverride: new RoutingChannel(clerk) });
    toClose.push(client);
    await assert.rejects(whoAmI(client), (err: ServiceError) => err.code === Status.INVALID_ARGUMENT && /x-dicer-routing-key/.test(err.details));
  });

  it('fails a call before the first assignment with UNAVAILABLE', async () => {
    const watch = await startWatchServer();
    toStop.push(watch);
    const clerk = await Clerk.create({ ...common, watchAddresses: watch.address, ...grpcChannelStubs(credentials.createInsecure()) });
    toClose.push(clerk);
    const client = new Client('unused', credentials.createInsecure(), { channelOverride: new RoutingChannel(clerk) });
    toClose.push(client);
    await assert.rejects(whoAmI(client, routingMetadata('k')), (err: ServiceError) => err.code === Status.UNAVAILABLE);
  });
});

describe('grpcClientStubs', () => {
  it('gives a client per resource that reaches the owner and counts its calls', async () => {
    const { watch, pods } = await setup(3);
    const clerk = await Clerk.create({ ...common, watchAddresses: watch.address, ...grpcClientStubs(Client, credentials.createInsecure()) });
    toClose.push(clerk);
    await clerk.ready({ timeoutMs: 5000 });
    for (let i = 0; i < 60; i++) {
      const key = SliceKey.fromApplicationKey(`k${i}`);
      const owner = clerk.assignment!.lookup(key).resources[0]!.resourceAddress;
      const pending = whoAmI(clerk.getStubForKey(key)!);
      assert.equal(clerk.outstandingRequests(owner), 1);
      assert.equal(await pending, owner.uri);
      assert.equal(clerk.outstandingRequests(owner), 0);
    }
    assert.equal(pods.reduce((n, p) => n + p.served, 0), 60);
  });
});
