/**
 * The state-transfer Fetch stream over real gRPC on loopback: a server started with
 * `startTransferServer` and pulls made with `fetchState` (docs/state-transfer.md).
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { ServerCredentials, credentials } from '@grpc/grpc-js';
import { DataLossError, Slice, SliceKey } from '@dicer-ts/common';
import { eventually } from '@dicer-ts/test-harness';
import { afterEach, describe, it } from 'mocha';
import type { StateProvider } from '../../src/state-transfer/state-transfer-options.js';
import { type FetchStateOptions, fetchState } from '../../src/state-transfer/transfer-client.js';
import {
  type OutgoingOutcome,
  type TransferServerHandle,
  createStateTransferImplementation,
  startTransferServer,
} from '../../src/state-transfer/transfer-service.js';
import {
  type StateEntry,
  decodeFetchRequest,
  decodeFetchResponse,
  encodeFetchRequest,
  encodeFetchResponse,
} from '../../src/state-transfer/transfer-wire.js';

const TARGET = 'it-cache';
const RANGE = Slice.create(SliceKey.fromBytes(Uint8Array.of(0x10)), SliceKey.fromBytes(Uint8Array.of(0x80)));

function entry(i: number, valueBytes = 8): StateEntry {
  return { key: new TextEncoder().encode(`k${i}`), value: new Uint8Array(valueBytes).fill(i % 256) };
}

/** A server whose outcomes are recorded. */
interface Running {
  readonly server: TransferServerHandle;
  readonly outcomes: OutgoingOutcome[];
  readonly closing: AbortController;
}

const running: Running[] = [];

async function serve(provide: StateProvider | undefined): Promise<Running> {
  const outcomes: OutgoingOutcome[] = [];
  const closing = new AbortController();
  const implementation = createStateTransferImplementation({
    provide,
    target: TARGET,
    closing: closing.signal,
    sink: { started: () => undefined, ended: (_r, outcome) => outcomes.push(outcome) },
  });
  const server = await startTransferServer('127.0.0.1', 0, ServerCredentials.createInsecure(), implementation);
  const r = { server, outcomes, closing };
  running.push(r);
  return r;
}

function pull(port: number, overrides: Partial<FetchStateOptions> = {}): ReturnType<typeof fetchState> {
  return fetchState({
    address: `127.0.0.1:${port}`,
    range: RANGE,
    transferId: 7,
    requester: 'test',
    target: TARGET,
    deadlineMs: 10_000,
    maxBytes: 1 << 30,
    signal: new AbortController().signal,
    credentials: credentials.createInsecure(),
    ...overrides,
  });
}

async function collect(iterable: AsyncIterable<StateEntry>): Promise<{ entries: StateEntry[]; error: unknown }> {
  const entries: StateEntry[] = [];
  try {
    for await (const e of iterable) entries.push(e);
    return { entries, error: undefined };
  } catch (error) {
    return { entries, error };
  }
}

/** Resolves when `signal` aborts. */
function aborted(signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => (signal.aborted ? resolve() : signal.addEventListener('abort', () => resolve(), { once: true })));
}

afterEach(async () => {
  for (const r of running.splice(0)) {
    r.closing.abort();
    await r.server.close();
  }
});

describe('state-transfer wire', () => {
  it('round-trips requests with and without an upper bound', () => {
    const bounded = decodeFetchRequest(encodeFetchRequest({ range: RANGE, transferId: 42, requester: 'sq', maxBytes: 5_000_000_000, target: TARGET }));
    assert.ok(bounded.range.equals(RANGE));
    assert.deepEqual([bounded.transferId, bounded.requester, bounded.maxBytes, bounded.target], [42, 'sq', 5_000_000_000, TARGET]);
    const open = decodeFetchRequest(encodeFetchRequest({ range: Slice.FULL, transferId: 0, requester: '', maxBytes: 0, target: '' }));
    assert.ok(open.range.equals(Slice.FULL));
    assert.equal(open.transferId, 0);
  });

  it('round-trips entries, including empty keys and values', () => {
    const entries = [entry(1), { key: new Uint8Array(0), value: new Uint8Array(0) }, entry(300, 100_000)];
    const decoded = decodeFetchResponse(encodeFetchResponse(entries));
    assert.deepEqual(decoded.map((e) => [Buffer.from(e.key).toString('hex'), Buffer.from(e.value).toString('hex')]), entries.map((e) => [Buffer.from(e.key).toString('hex'), Buffer.from(e.value).toString('hex')]));
  });

  it('rejects truncated bytes and an empty range with DataLossError', () => {
    const bytes = encodeFetchResponse([entry(1, 50)]);
    assert.throws(() => decodeFetchResponse(bytes.subarray(0, bytes.length - 3)), DataLossError);
    const backwards = encodeFetchRequest({ range: RANGE, transferId: 1, requester: '', maxBytes: 0, target: '' });
    // Field 2 (high) set below field 1 (low): append a second high = 0x01.
    assert.throws(() => decodeFetchRequest(Buffer.concat([backwards, Buffer.from([0x12, 0x01, 0x01])])), DataLossError);
  });
});

describe('state-transfer stream over gRPC', () => {
  it('streams every entry of the range in batches and completes', async () => {
    let asked: Slice | undefined;
    const r = await serve(function* (range) {
      asked = range;
      for (let i = 0; i < 2_000; i++) yield entry(i, 100);
    });
    const fetch = pull(r.server.port);
    const { entries, error } = await collect(fetch);
    assert.equal(error, undefined);
    assert.equal(entries.length, 2_000);
    assert.deepEqual(new TextDecoder().decode(entries[1_999]?.key), 'k1999');
    assert.ok(asked?.equals(RANGE));
    assert.equal(fetch.outcome, 'completed');
    assert.equal(fetch.keys, 2_000);
    assert.equal(fetch.bytes, entries.reduce((n, e) => n + e.key.length + e.value.length, 0));
    await eventually(() => r.outcomes.length === 1);
    assert.deepEqual(r.outcomes, ['completed']);
  });

  it('pulls the provider only as fast as the receiver reads (back-pressure)', async () => {
    const total = 20_000;
    const valueBytes = 1_000;
    let produced = 0;
    let consumed = 0;
    let maxAhead = 0;
    const r = await serve(function* () {
      for (let i = 0; i < total; i++) {
        maxAhead = Math.max(maxAhead, produced - consumed);
        produced++;
        yield entry(i, valueBytes);
      }
    });
    for await (const _ of pull(r.server.port)) {
      consumed++;
      // A slow receiver: one macrotask per entry.
      await new Promise((resolve) => setImmediate(resolve));
    }
    assert.equal(consumed, total);
    // Without back-pressure the provider would run the whole 20 MB ahead; buffers allow a few MB.
    assert.ok(maxAhead < total / 4, `provider ran ${maxAhead} entries ahead of the receiver`);
  });

  it('cancels the stream when the receiver aborts, and the provider sees it', async () => {
    let providerSignal: AbortSignal | undefined;
    const r = await serve(async function* (_range, { signal }) {
      providerSignal = signal;
      for (let i = 0; ; i++) {
        if (signal.aborted) return;
        yield entry(i);
        await new Promise((resolve) => setImmediate(resolve));
      }
    });
    const abort = new AbortController();
    const fetch = pull(r.server.port, { signal: abort.signal });
    let n = 0;
    const { error } = await collect(
      (async function* () {
        for await (const e of fetch) {
          if (++n === 5) abort.abort(new Error('ownership changed'));
          yield e;
        }
      })(),
    );
    assert.equal((error as Error).message, 'ownership changed');
    assert.equal(fetch.outcome, 'cancelled');
    await eventually(() => providerSignal?.aborted === true && r.outcomes.length === 1, { description: 'the provider sees the cancellation' });
    assert.deepEqual(r.outcomes, ['cancelled']);
  });

  it('ends with timed-out at the deadline when the previous owner stalls', async () => {
    const r = await serve(async function* (_range, { signal }) {
      yield entry(1);
      yield entry(2);
      await aborted(signal);
    });
    const fetch = pull(r.server.port, { deadlineMs: 300 });
    const { entries, error } = await collect(fetch);
    assert.equal(entries.length, 2, 'entries sent before the deadline are kept');
    assert.ok(error !== undefined);
    assert.equal(fetch.outcome, 'timed-out');
    await eventually(() => r.outcomes.length === 1);
    assert.deepEqual(r.outcomes, ['cancelled']);
  });

  it('cuts the pull at the byte cap', async () => {
    const r = await serve(function* () {
      for (let i = 0; i < 50; i++) yield entry(i, 98);
    });
    // Keys k0–k9 are 2 bytes: 100 bytes per entry, so 10 entries fit in 1000 bytes.
    const fetch = pull(r.server.port, { maxBytes: 1_000 });
    const { entries, error } = await collect(fetch);
    assert.equal(entries.length, 10);
    assert.ok(error !== undefined);
    assert.equal(fetch.outcome, 'truncated');
    await eventually(() => r.outcomes.length === 1);
    assert.deepEqual(r.outcomes, ['truncated']);
  });

  it('fails after the entries sent when the provider throws midway (partial failure)', async () => {
    const r = await serve(function* () {
      for (let i = 0; i < 20; i++) yield entry(i);
      throw new Error('disk gone');
    });
    const fetch = pull(r.server.port);
    const { entries, error } = await collect(fetch);
    assert.equal(entries.length, 20);
    assert.match((error as Error).message, /disk gone/);
    assert.equal(fetch.outcome, 'failed');
    assert.deepEqual(r.outcomes, ['failed']);
  });

  it('fails when the Slicelet has no provider or serves another target', async () => {
    const r = await serve(undefined);
    const none = pull(r.server.port);
    assert.match(((await collect(none)).error as Error).message, /no state provider/);
    assert.equal(none.outcome, 'failed');
    const other = await serve(function* () {
      yield entry(1);
    });
    const misrouted = pull(other.server.port, { target: 'another' });
    assert.match(((await collect(misrouted)).error as Error).message, /serves target it-cache/);
    assert.deepEqual([...r.outcomes, ...other.outcomes], ['rejected', 'rejected']);
  });

  it('fails when nobody listens', async () => {
    const r = await serve(undefined);
    const port = r.server.port;
    r.closing.abort();
    await r.server.close();
    running.splice(running.indexOf(r), 1);
    const fetch = pull(port, { deadlineMs: 5_000 });
    const { error } = await collect(fetch);
    assert.ok(error !== undefined);
    assert.ok(fetch.outcome === 'failed' || fetch.outcome === 'timed-out');
  });

  describe('when the previous owner dies mid-transfer', () => {
    let child: ChildProcess | undefined;
    afterEach(() => {
      child?.kill('SIGKILL');
      child = undefined;
    });

    it('fails the pull with the entries already received kept', async () => {
      const script = fileURLToPath(new URL('./stalling-transfer-server.ts', import.meta.url));
      child = spawn(process.execPath, ['--import', 'tsx', script], { stdio: ['ignore', 'pipe', 'inherit'] });
      const port = await new Promise<number>((resolve, reject) => {
        child?.stdout?.once('data', (chunk: Buffer) => resolve(Number(chunk.toString().trim())));
        child?.once('exit', (code) => reject(new Error(`transfer server exited early with ${code}`)));
      });
      const fetch = pull(port);
      const entries: StateEntry[] = [];
      let error: unknown;
      try {
        for await (const e of fetch) {
          entries.push(e);
          // The server sends 10 entries, then stalls: kill it as the tenth arrives.
          if (entries.length === 10) child.kill('SIGKILL');
        }
      } catch (err) {
        error = err;
      }
      assert.equal(entries.length, 10);
      assert.ok(error !== undefined);
      assert.equal(fetch.outcome, 'failed');
    });
  });
});
