/**
 * Watch fan-out of one Assigner process over real gRPC on loopback (issue #4, Benchmarks): N
 * Clerk-style long polls parked on one target, then one new generation; how long after the
 * generation is distributed each watcher has its reply (p50, p99, max), and the Assigner's RSS while they are parked.
 * Goals: 10,000 watchers held in under 1 GiB; p99 under 1 s for 10,000 and under 100 ms for 1,000.
 *
 * The Assigner runs in a child process (`bench/fixtures/assigner-process.ts`) with a manual clock,
 * so parked calls never reach their processing timeout and the health startup delay passes on
 * request. The watchers are raw unary `/dicer.AssignmentService/Watch` calls spread over several
 * grpc-js channels, each with its own subchannel pool and so its own HTTP/2 connection (neither
 * grpc-js's server nor Node's http2 limits concurrent streams by default, so this is for realism,
 * not to get past a cap). A new generation is forced by a fake Slicelet for a new pod heartbeating:
 * a health change the Assigner generates for at once (no rate limit). The start is the `time` of
 * the child's `assignment distributed` log line, written when the committed assignment reaches the
 * generator, right before it is handed to the target's SubscriberHub (sub-millisecond wall clock,
 * shared with this process; `assignment committed` comes later, once the write's promise
 * settles). The hub's `assignment published` line marks when it had handed every reply to grpc-js
 * ("hand-off"). The reply time is when the reply reaches this process, so it includes this
 * process's own receive work, on the same 2 cores as the Assigner.
 *
 * The baseline, measured in the same run, is one watcher through the same path: its p99 over the
 * rounds is the floor the fan-out is compared with.
 *
 * Run: `npm run bench -- assigner-fanout`. Environment: `FANOUT_SIZES=1,1000` chooses the sizes
 * (the first is the baseline), `FANOUT_CHANNELS` the client connections (8), `FANOUT_WINDOW` their
 * HTTP/2 receive window in bytes (grpc-js's default), `FANOUT_CLIENT_PROCESSES` how many child
 * processes hold the watchers (1: this one; see `bench/fixtures/watcher-process.ts`), `FANOUT_PROFILE=<dir>` writes a CPU profile
 * of the Assigner process.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { Client, credentials } from '@grpc/grpc-js';
import { Generation, MAX_MESSAGE_BYTES, WATCH_METHOD_PATH, createTestSquid, proto } from '@dicer-ts/common';

const TARGET = 'bench-fanout';
const SIZES = (process.env['FANOUT_SIZES'] ?? '1,1000,10000').split(',').map(Number);
const ROUNDS = 3;
const CHANNELS = Number(process.env['FANOUT_CHANNELS'] ?? 8);
/** HTTP/2 receive window of each client connection (connection and stream); 0 = grpc-js's default (64 KiB). */
const WINDOW_BYTES = Number(process.env['FANOUT_WINDOW'] ?? 0);
/** Processes the watchers are spread over; 1 = this process. */
const CLIENT_PROCESSES = Number(process.env['FANOUT_CLIENT_PROCESSES'] ?? 1);
/** Long enough that no watcher's processing timeout (t − 5 s, on the manual clock) is near. */
const CLERK_TIMEOUT_MS = 60_000n;
const here = dirname(fileURLToPath(import.meta.url));
const repoRoot = join(here, '..');

/** Wall time in ms with sub-ms precision, comparable across processes. */
function wallMs(): number {
  return performance.timeOrigin + performance.now();
}

interface Commit {
  readonly generation: string;
  readonly timeMs: number;
}

/** The child process running the Assigner, driven over stdin/stdout. */
class AssignerProcess {
  private readonly pending: ((value: unknown) => void)[] = [];
  readonly commits: Commit[] = [];
  /** When the hub finished handing a generation's replies to grpc-js ('assignment published'), by generation. */
  readonly published = new Map<string, number>();
  private commitWaiters: (() => void)[] = [];
  private exiting = false;

  private constructor(private readonly child: ChildProcessWithoutNullStreams) {
    createInterface({ input: child.stdout }).on('line', (line) => this.onLine(line));
    child.stderr.on('data', (d: Buffer) => process.stderr.write(d));
    // A crashed Assigner must fail the benchmark rather than leave it waiting for a reply.
    child.on('exit', (code) => {
      if (!this.exiting && this.pending.length > 0) {
        console.error(`the Assigner process exited (code ${code}) with ${this.pending.length} command(s) unanswered`);
        process.exit(1);
      }
    });
  }

  static start(): AssignerProcess {
    const child = spawn(
      process.execPath,
      [
        '--expose-gc',
        // FANOUT_PROFILE=<dir> writes a CPU profile of the Assigner process there.
        ...(process.env['FANOUT_PROFILE'] === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${process.env['FANOUT_PROFILE']}`]),
        '--conditions=@dicer-ts/source',
        '--import',
        'tsx',
        join(here, 'fixtures', 'assigner-process.ts'),
      ],
      { cwd: repoRoot, stdio: ['pipe', 'pipe', 'pipe'] },
    );
    return new AssignerProcess(child);
  }

  private onLine(line: string): void {
    let parsed: { reply?: unknown; msg?: string; time?: number; generation?: string };
    try {
      parsed = JSON.parse(line) as typeof parsed;
    } catch {
      return;
    }
    if ('reply' in parsed) {
      this.pending.shift()?.(parsed.reply);
    } else if (parsed.msg === 'assignment published' && parsed.generation !== undefined && parsed.time !== undefined) {
      this.published.set(parsed.generation, parsed.time);
    } else if (parsed.msg === 'assignment distributed' && parsed.generation !== undefined && parsed.time !== undefined) {
      this.commits.push({ generation: parsed.generation, timeMs: parsed.time });
      const waiters = this.commitWaiters;
      this.commitWaiters = [];
      for (const w of waiters) w();
    }
  }

  /** Sends one command; replies come back in order. */
  command<T>(line: string): Promise<T> {
    return new Promise<T>((resolve) => {
      this.pending.push(resolve as (value: unknown) => void);
      this.child.stdin.write(`${line}\n`);
    });
  }

  /** The first distribution logged after the first `seen` ones, once its log line arrives. */
  async commitAfter(seen: number): Promise<Commit> {
    for (;;) {
      const found = this.commits[seen];
      if (found !== undefined) return found;
      await new Promise<void>((resolve) => this.commitWaiters.push(resolve));
    }
  }

  async close(): Promise<void> {
    this.exiting = true;
    await this.command('exit');
  }
}

/** A child process holding some of the watchers (`bench/fixtures/watcher-process.ts`). */
class WatcherProcess {
  private readonly pending: ((value: unknown) => void)[] = [];

  constructor() {
    const child = spawn(process.execPath, ['--conditions=@dicer-ts/source', '--import', 'tsx', join(here, 'fixtures', 'watcher-process.ts')], {
      cwd: repoRoot,
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    createInterface({ input: child.stdout }).on('line', (line) => {
      const parsed = JSON.parse(line) as { reply?: unknown };
      if ('reply' in parsed) this.pending.shift()?.(parsed.reply);
    });
    this.send = (command) =>
      new Promise((resolve) => {
        this.pending.push(resolve);
        child.stdin.write(`${JSON.stringify(command)}\n`);
      });
  }

  readonly send: (command: object) => Promise<unknown>;
}

/** Watchers started for one round; `settled` resolves with every arrival time and sample replies. */
interface Watchers {
  readonly settled: () => Promise<{ arrivals: number[]; samples: Buffer[] }>;
}

/** Starts `n` Watch calls in this process over `clients`. */
function watchHere(clients: readonly Client[], n: number, request: proto.ClientRequestP): Watchers {
  const calls = Array.from({ length: n }, (_, i) => watch(clients[i % clients.length] as Client, request));
  return {
    settled: async () => {
      const replies = await Promise.all(calls);
      return { arrivals: replies.map((r) => r.atMs), samples: replies.map((r) => r.bytes) };
    },
  };
}

/** Starts `n` Watch calls spread over the watcher processes. */
async function watchInProcesses(procs: readonly WatcherProcess[], port: number, n: number, request: proto.ClientRequestP): Promise<Watchers> {
  const encoded = Buffer.from(proto.toBinary(proto.ClientRequestPSchema, request)).toString('base64');
  const channels = Math.max(1, Math.floor(CHANNELS / procs.length));
  await Promise.all(
    procs.map((p, i) => p.send({ park: { port, count: Math.floor(n / procs.length) + (i < n % procs.length ? 1 : 0), channels, request: encoded } })),
  );
  return {
    settled: async () => {
      const got = (await Promise.all(procs.map((p) => p.send({ collect: true })))) as { arrivals: number[]; bytes: string; same: boolean }[];
      if (got.some((g) => g.arrivals.length > 0 && !g.same)) throw new Error('watchers of one process got different replies');
      return { arrivals: got.flatMap((g) => g.arrivals), samples: got.filter((g) => g.arrivals.length > 0).map((g) => Buffer.from(g.bytes, 'base64')) };
    },
  };
}

/** A raw-bytes Watch client on its own HTTP/2 connection. */
function rawClient(port: number, i: number): Client {
  return new Client(`127.0.0.1:${port}`, credentials.createInsecure(), {
    'grpc.use_local_subchannel_pool': 1,
    // A distinct option also keeps the channels apart in the global pool, should it be used.
    'dicer-bench.channel': i,
    'grpc.max_receive_message_length': MAX_MESSAGE_BYTES,
    ...(WINDOW_BYTES > 0 ? { 'grpc-node.flow_control_window': WINDOW_BYTES } : {}),
  });
}

/** Sends one Watch request; resolves with the reply bytes and when they arrived. */
function watch(client: Client, request: proto.ClientRequestP): Promise<{ bytes: Buffer; atMs: number }> {
  const bytes = Buffer.from(proto.toBinary(proto.ClientRequestPSchema, request));
  return new Promise((resolve, reject) => {
    client.makeUnaryRequest(
      WATCH_METHOD_PATH,
      (b: Buffer) => b,
      (b: Buffer) => b,
      bytes,
      { deadline: Date.now() + 180_000 },
      (err, reply) => (err ? reject(err) : resolve({ bytes: reply as Buffer, atMs: wallMs() })),
    );
  });
}

function clerkRequest(known: Generation): proto.ClientRequestP {
  return proto.create(proto.ClientRequestPSchema, {
    target: { name: TARGET },
    syncAssignmentState: { state: { case: 'knownGeneration', value: known.toProto() } },
    subscriberDebugName: `C0-${TARGET}-bench`,
    chosenRpcTimeoutMillis: CLERK_TIMEOUT_MS,
    SubscriberDataP: { case: 'clerkFields', value: {} },
    version: 1761600610n,
    clientFeatureSupport: { supportsSerializedAssignment: true },
  });
}

function sliceletRequest(pod: number, known: Generation): proto.ClientRequestP {
  return proto.create(proto.ClientRequestPSchema, {
    target: { name: TARGET },
    syncAssignmentState: { state: { case: 'knownGeneration', value: known.toProto() } },
    subscriberDebugName: `S0-${TARGET}-pod${pod}`,
    chosenRpcTimeoutMillis: 5000n,
    SubscriberDataP: {
      case: 'sliceletFields',
      value: {
        state: proto.ClientRequestP_SliceletDataP_State.RUNNING,
        squid: createTestSquid(`http://pod${pod}:8080`).toProto(),
        unattributedLoad: { primaryRateLoad: 0, windowLowInclusiveSeconds: 0n, windowHighExclusiveSeconds: 0n, numReplicas: 1 },
        kubernetesNamespace: 'bench',
      },
    },
    version: 1761600610n,
    clientFeatureSupport: { supportsSerializedAssignment: true },
  });
}

/** The generation a reply reports, and whether it carries an assignment. */
function decodeReply(bytes: Uint8Array): { generation: Generation; hasAssignment: boolean } {
  const state = proto.fromBinary(proto.ClientResponsePSchema, bytes).syncAssignmentState?.state;
  switch (state?.case) {
    case 'knownGeneration':
      return { generation: Generation.fromProto(state.value), hasAssignment: false };
    case 'knownAssignment':
      return { generation: Generation.fromProto(state.value.generation), hasAssignment: true };
    case 'knownSerializedAssignment':
      return { generation: Generation.fromProto(proto.fromBinary(proto.DiffAssignmentPSchema, state.value).generation), hasAssignment: true };
    default:
      throw new Error('reply without sync state');
  }
}

async function until(condition: () => Promise<boolean>, what: string, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Nearest-rank percentile of ascending `sorted`. */
function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] as number;
}

interface RoundResult {
  readonly watchers: number;
  readonly round: number;
  readonly parkMs: number;
  readonly fromCommit: { first: number; p50: number; p99: number; max: number };
  readonly triggerToCommitMs: number;
  /** From the distribution to the hub having handed the last reply to grpc-js (server side only). */
  readonly handOffMs: number;
  readonly rssIdle: number;
  readonly rssParked: number;
  readonly heapParked: number;
}

type Memory = { rss: number; heapUsed: number };

/** Runs `ROUNDS` fan-outs to `n` watchers on a fresh Assigner process. */
async function runSize(n: number): Promise<RoundResult[]> {
  const child = AssignerProcess.start();
  const port = await child.command<number>('port');
  const clients = Array.from({ length: CHANNELS }, (_, i) => rawClient(port, i));
  const control = rawClient(port, CHANNELS);
  const procs = CLIENT_PROCESSES > 1 ? Array.from({ length: CLIENT_PROCESSES }, () => new WatcherProcess()) : [];
  const results: RoundResult[] = [];
  try {
    // Pod 1 heartbeats until the health startup delay has passed and it is assigned.
    let known = Generation.EMPTY;
    for (let i = 0; ; i++) {
      if (i > 40) throw new Error('pod 1 got no assignment');
      const call = watch(control, sliceletRequest(1, known));
      await until(async () => (await child.command<number>('parked')) >= 1, 'the heartbeat to park', 10_000).catch(() => undefined);
      await child.command('advance 5000');
      const reply = decodeReply((await call).bytes);
      known = reply.generation;
      if (reply.hasAssignment) break;
    }
    const idle = await child.command<Memory>('mem');
    for (let round = 0; round < ROUNDS; round++) {
      const request = clerkRequest(known);
      const startedMs = wallMs();
      const watchers = procs.length > 0 ? await watchInProcesses(procs, port, n, request) : watchHere(clients, n, request);
      await until(async () => (await child.command<number>('parked')) >= n, `${n} parked watchers`);
      const parkMs = wallMs() - startedMs;
      const parked = await child.command<Memory>('mem');
      const seen = child.commits.length;
      const triggerMs = wallMs();
      const trigger = watch(control, sliceletRequest(2 + round, known));
      const { arrivals, samples } = await watchers.settled();
      const commit = await child.commitAfter(seen);
      const next = decodeReply((await trigger).bytes).generation;
      // Every watcher got the new generation with its assignment (checked after timing).
      for (const bytes of samples) {
        const got = decodeReply(bytes);
        if (!got.hasAssignment || !got.generation.equals(next) || got.generation.toString() !== commit.generation) {
          throw new Error(`a watcher got ${got.generation.toString()} (assignment: ${got.hasAssignment}), expected ${commit.generation}`);
        }
      }
      replyBytes = samples[0]?.byteLength ?? 0;
      const delays = arrivals.map((atMs) => atMs - commit.timeMs).sort((a, b) => a - b);
      results.push({
        watchers: n,
        round,
        parkMs,
        fromCommit: { first: delays[0] as number, p50: percentile(delays, 50), p99: percentile(delays, 99), max: delays[delays.length - 1] as number },
        triggerToCommitMs: commit.timeMs - triggerMs,
        handOffMs: (child.published.get(commit.generation) ?? Number.NaN) - commit.timeMs,
        rssIdle: idle.rss,
        rssParked: parked.rss,
        heapParked: parked.heapUsed,
      });
      known = next;
    }
  } finally {
    for (const c of [...clients, control]) c.close();
    await Promise.all(procs.map((p) => p.send({ exit: true })));
    await child.close();
  }
  return results;
}

let replyBytes = 0;
const all: RoundResult[] = [];
for (const n of SIZES) all.push(...(await runSize(n)));
const baseline = all.filter((r) => r.watchers === SIZES[0]).map((r) => r.fromCommit.p99).sort((a, b) => a - b);
const baselineP99 = percentile(baseline, 50);
const mib = (b: number) => (b / 1024 / 1024).toFixed(1);
console.log(
  `\n${CHANNELS} client channels; times in ms from the Assigner's 'assignment distributed' log line; ` +
    `hand-off: until its hub handed the last reply to grpc-js; first/p50/p99/max: until the reply reached this process`,
);
console.table(
  all.map((r) => ({
    watchers: r.watchers,
    round: r.round,
    'park all (ms)': r.parkMs.toFixed(0),
    'trigger→distributed (ms)': r.triggerToCommitMs.toFixed(1),
    'hand-off (ms)': r.handOffMs.toFixed(1),
    'first (ms)': r.fromCommit.first.toFixed(1),
    'p50 (ms)': r.fromCommit.p50.toFixed(1),
    'p99 (ms)': r.fromCommit.p99.toFixed(1),
    'max (ms)': r.fromCommit.max.toFixed(1),
    'p99 ratio to baseline': (r.fromCommit.p99 / baselineP99).toFixed(1) + '×',
    'RSS idle (MiB)': mib(r.rssIdle),
    'RSS parked (MiB)': mib(r.rssParked),
    'heap parked (MiB)': mib(r.heapParked),
    'per watcher (KiB)': r.watchers > 1 ? ((r.rssParked - r.rssIdle) / r.watchers / 1024).toFixed(2) : '-',
  })),
);
console.log(`watchers in ${CLIENT_PROCESSES === 1 ? 'this process' : `${CLIENT_PROCESSES} client processes`}`);
console.log(`${replyBytes} bytes per reply; HTTP/2 receive window per client connection: ${WINDOW_BYTES > 0 ? `${WINDOW_BYTES} bytes` : 'grpc-js default'}`);
console.log(`baseline: ${SIZES[0]} watcher(s), median p99 over ${ROUNDS} rounds = ${baselineP99.toFixed(1)} ms`);
for (const [n, goalMs] of [
  [1_000, 100],
  [10_000, 1_000],
] as const) {
  const rows = all.filter((r) => r.watchers === n);
  if (rows.length === 0) continue;
  const worstP99 = Math.max(...rows.map((r) => r.fromCommit.p99));
  const maxRss = Math.max(...rows.map((r) => r.rssParked));
  console.log(
    `${n} watchers: worst p99 ${worstP99.toFixed(1)} ms (goal < ${goalMs} ms: ${worstP99 < goalMs ? 'met' : 'NOT met'}), ` +
      `max RSS parked ${mib(maxRss)} MiB${n === 10_000 ? ` (goal < 1024 MiB: ${maxRss < 1024 * 1024 * 1024 ? 'met' : 'NOT met'})` : ''}`,
  );
}
