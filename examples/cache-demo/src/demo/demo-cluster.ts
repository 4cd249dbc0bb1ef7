/**
 * The demo's processes as one object: an Assigner, N cache servers and a load generator, each a
 * separate process on free loopback ports. `npm start` drives one for the live view; the e2e
 * scenarios drive one to restart, kill and add servers under load and read measured figures.
 */
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { IllegalStateError, UnavailableError } from '@dicer-ts/common';
import { freePort } from '@dicer-ts/test-harness';
import { DEMO_TARGET } from '../cache-server.js';
import type { CacheServerStats, LoadGeneratorStats } from '../process-messages.js';
import { type DebugJsonTarget, fetchDebugTarget } from './debug-json.js';
import { DemoProcess } from './demo-process.js';

/** The demo's target configs. */
export const DEMO_CONFIG_DIR = fileURLToPath(new URL('../../config', import.meta.url));

/** Options of {@link DemoCluster.start}; the defaults are the `npm start` demo's. */
export interface DemoClusterOptions {
  /** Cache servers at start. @default 4 */
  readonly servers?: number;
  /** The Assigner's debug page port; 0 picks a free one. @default 7777 */
  readonly debugPort?: number;
  /** Target config directory (with an `advanced/` subdirectory). @default examples/cache-demo/config */
  readonly configDir?: string;
  /** etcd endpoints for the Assigner's store; the in-memory store when undefined. @default undefined */
  readonly etcdEndpoints?: readonly string[] | undefined;
  /** A pod silent this long loses its slices; also the Assigner's startup delay. @default 5000 */
  readonly unhealthyTimeoutMs?: number;
  /** Least time between generations. @default 1000 */
  readonly minGenerationIntervalMs?: number;
  /** Periodic rebalancing. @default 5000 */
  readonly loadBalancingIntervalMs?: number;
  /** Watch (heartbeat) period suggested to Slicelets and Clerks, at least 1000. @default 1000 */
  readonly watchTimeoutMs?: number;
  /**
   * Half-life of the Slicelets' load rates (Dicer's is 120 s); short, so the demo reacts to a hot
   * key within seconds. @default 10
   */
  readonly loadHalfLifeSeconds?: number;
  /** How often children write stats. @default 1000 */
  readonly statsIntervalMs?: number;
  /** Requests per second. @default 500 */
  readonly rate?: number;
  /** Distinct keys. @default 10000 */
  readonly keys?: number;
  /** Zipf exponent. @default 0.8 */
  readonly zipf?: number;
  /** Whether the hot key starts on. @default false */
  readonly hotKey?: boolean;
  /** The hot key's share of requests while on. @default 0.4 */
  readonly hotKeyFraction?: number;
  /** Attempts per request. @default 4 */
  readonly maxAttempts?: number;
  /** How long a cache server keeps serving after its slices moved. @default 1000 */
  readonly drainGraceMs?: number;
  /** Directory for the children's logs (`<name>.log`); dropped when undefined. @default undefined */
  readonly logDir?: string | undefined;
  /** pino level of the children. @default 'warn' */
  readonly logLevel?: string;
  /**
   * State transfer on handoff (issue #10): the Assigner annotates planned moves and the cache
   * servers hand their entries over. In-memory store only. @default false
   */
  readonly stateTransfer?: boolean;
}

/** One cache server slot: its stable port and the current process (replaced on restart). */
export interface ServerSlot {
  readonly index: number;
  readonly name: string;
  port: number;
  process: DemoProcess<CacheServerStats>;
  /** Cumulative counters of earlier incarnations in this slot (restarts reset a process's counters). */
  carried: { requests: number; hits: number; misses: number; misdirected: number };
}

/** A running demo. */
export class DemoCluster {
  /** The resolved options. */
  readonly options: Required<Omit<DemoClusterOptions, 'etcdEndpoints' | 'logDir'>> & Pick<DemoClusterOptions, 'etcdEndpoints' | 'logDir'>;
  /** The Assigner process. */
  readonly assigner: DemoProcess;
  /** The Assigner's Watch address (`127.0.0.1:<port>`). */
  readonly assignerAddress: string;
  /** The bound debug port. */
  readonly debugPort: number;
  /** Server slots, in creation order (removed ones are gone). */
  readonly servers: ServerSlot[] = [];
  private loadProcess: DemoProcess<LoadGeneratorStats> | undefined;
  private nextIndex = 0;
  private closing: Promise<void> | undefined;

  private constructor(options: DemoCluster['options'], assigner: DemoProcess, port: number, debugPort: number) {
    this.options = options;
    this.assigner = assigner;
    this.assignerAddress = `127.0.0.1:${port}`;
    this.debugPort = debugPort;
  }

  /**
   * Starts the Assigner, the cache servers and (once the Clerk has an assignment) the load
   * generator; `withLoad: false` leaves the load generator to {@link DemoCluster.startLoad}.
   *
   * @throws {UnavailableError} when a process exits before it is ready.
   */
  static async start(options: DemoClusterOptions = {}, withLoad = true): Promise<DemoCluster> {
    const resolved: DemoCluster['options'] = {
      servers: options.servers ?? 4,
      debugPort: options.debugPort ?? 7777,
      configDir: options.configDir ?? DEMO_CONFIG_DIR,
      etcdEndpoints: options.etcdEndpoints,
      unhealthyTimeoutMs: options.unhealthyTimeoutMs ?? 5_000,
      minGenerationIntervalMs: options.minGenerationIntervalMs ?? 1_000,
      loadBalancingIntervalMs: options.loadBalancingIntervalMs ?? 5_000,
      watchTimeoutMs: options.watchTimeoutMs ?? 1_000,
      loadHalfLifeSeconds: options.loadHalfLifeSeconds ?? 10,
      statsIntervalMs: options.statsIntervalMs ?? 1_000,
      rate: options.rate ?? 500,
      keys: options.keys ?? 10_000,
      zipf: options.zipf ?? 0.8,
      hotKey: options.hotKey ?? false,
      hotKeyFraction: options.hotKeyFraction ?? 0.4,
      maxAttempts: options.maxAttempts ?? 4,
      drainGraceMs: options.drainGraceMs ?? 1_000,
      logDir: options.logDir,
      logLevel: options.logLevel ?? 'warn',
      stateTransfer: options.stateTransfer ?? false,
    };
    const { assigner, port, debugPort } =
      resolved.etcdEndpoints === undefined ? await startDemoAssigner(resolved) : await startEtcdAssigner(resolved, resolved.etcdEndpoints);
    const cluster = new DemoCluster(resolved, assigner, port, debugPort);
    try {
      await Promise.all(Array.from({ length: resolved.servers }, () => cluster.addServer()));
      if (withLoad) await cluster.startLoad();
    } catch (err) {
      await cluster.close();
      throw err;
    }
    return cluster;
  }

  /** The load generator process (undefined before {@link DemoCluster.startLoad}). */
  get loadGenerator(): DemoProcess<LoadGeneratorStats> | undefined {
    return this.loadProcess;
  }

  /** Starts the load generator; resolves once its Clerk has an assignment. */
  async startLoad(): Promise<DemoProcess<LoadGeneratorStats>> {
    if (this.loadProcess !== undefined) throw new IllegalStateError('the load generator is already running');
    const o = this.options;
    this.loadProcess = DemoProcess.spawn<LoadGeneratorStats>(
      'load-generator',
      'load-generator',
      [
        `--watch=${this.assignerAddress}`,
        `--rate=${o.rate}`,
        `--keys=${o.keys}`,
        `--zipf=${o.zipf}`,
        `--hot-key-fraction=${o.hotKeyFraction}`,
        `--max-attempts=${o.maxAttempts}`,
        `--stats-interval-ms=${o.statsIntervalMs}`,
        `--log-level=${o.logLevel}`,
        ...(o.hotKey ? ['--hot-key'] : []),
      ],
      logFile(o.logDir, 'load-generator'),
    );
    await this.loadProcess.ready;
    return this.loadProcess;
  }

  private spawnServer(name: string, port: number): DemoProcess<CacheServerStats> {
    const o = this.options;
    return DemoProcess.spawn<CacheServerStats>(
      name,
      'cache-server',
      [
        `--assigner=${this.assignerAddress}`,
        `--port=${port}`,
        `--stats-interval-ms=${o.statsIntervalMs}`,
        `--watch-timeout-ms=${o.watchTimeoutMs}`,
        `--drain-grace-ms=${o.drainGraceMs}`,
        ...(o.stateTransfer ? ['--state-transfer'] : []),
        `--load-half-life-seconds=${o.loadHalfLifeSeconds}`,
        `--log-level=${o.logLevel}`,
      ],
      logFile(o.logDir, name),
    );
  }

  /** Starts one more cache server on a free port; resolves once it listens. */
  async addServer(): Promise<ServerSlot> {
    const index = this.nextIndex++;
    const name = `cache-${index}`;
    const process = this.spawnServer(name, 0);
    const ready = await process.ready;
    const slot: ServerSlot = { index, name, port: ready.port!, process, carried: { requests: 0, hits: 0, misses: 0, misdirected: 0 } };
    this.servers.push(slot);
    return slot;
  }

  /** Drains (SIGTERM) and removes the server in `slot`; resolves once it has exited. */
  async removeServer(slot: ServerSlot): Promise<void> {
    await slot.process.stop('SIGTERM');
    this.servers.splice(this.servers.indexOf(slot), 1);
  }

  /**
   * Restarts the server in `slot` on the same port: a graceful drain (SIGTERM, the Assigner moves
   * its slices away) or a crash (`SIGKILL`), then a new incarnation. Resolves once the new one listens.
   */
  async restartServer(slot: ServerSlot, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    await slot.process.stop(signal);
    const last = slot.process.latestStats;
    if (last !== undefined) {
      slot.carried = {
        requests: slot.carried.requests + last.requests,
        hits: slot.carried.hits + last.hits,
        misses: slot.carried.misses + last.misses,
        misdirected: slot.carried.misdirected + last.misdirected,
      };
    }
    slot.process = this.spawnServer(slot.name, slot.port);
    await slot.process.ready;
  }

  /** Turns the hot key on or off in the load generator. */
  setHotKey(on: boolean): void {
    this.loadProcess?.send({ kind: 'workload', hotKey: on });
  }

  /** Changes the load generator's rate. */
  setRate(rate: number): void {
    this.loadProcess?.send({ kind: 'workload', rate });
  }

  /** The Assigner's view of the demo target (undefined before its generator runs). */
  debugTarget(): Promise<DebugJsonTarget | undefined> {
    return fetchDebugTarget(this.debugPort, DEMO_TARGET);
  }

  /** The next `stats` line of the load generator. */
  nextLoadStats(): Promise<LoadGeneratorStats> {
    const load = this.loadProcess;
    if (load === undefined) return Promise.reject(new IllegalStateError('the load generator is not running'));
    return new Promise((resolve) => {
      const stop = load.onStats((stats) => {
        stop();
        resolve(stats);
      });
    });
  }

  /**
   * Stops everything: the load generator, then the servers and the Assigner at once with SIGINT
   * (an immediate close: draining every server together could move slices nowhere). Idempotent.
   */
  close(): Promise<void> {
    this.closing ??= (async () => {
      await this.loadProcess?.stop('SIGINT');
      await Promise.all(this.servers.map((s) => s.process.stop('SIGINT')));
      await this.assigner.stop('SIGTERM');
    })();
    return this.closing;
  }
}

/** The demo's own Assigner process (`src/bin/assigner.ts`) on the in-memory store. */
async function startDemoAssigner(o: DemoCluster['options']): Promise<{ assigner: DemoProcess; port: number; debugPort: number }> {
  const assigner = DemoProcess.spawn(
    'assigner',
    'assigner',
    [
      '--port=0',
      `--debug-port=${o.debugPort}`,
      `--config-dir=${o.configDir}`,
      `--advanced-config-dir=${join(o.configDir, 'advanced')}`,
      `--unhealthy-timeout-ms=${o.unhealthyTimeoutMs}`,
      `--min-generation-interval-ms=${o.minGenerationIntervalMs}`,
      `--load-balancing-interval-ms=${o.loadBalancingIntervalMs}`,
      `--suggested-rpc-timeout-ms=${o.watchTimeoutMs}`,
      `--log-level=${o.logLevel}`,
      ...(o.stateTransfer ? ['--state-transfer-timeout-ms=60000'] : []),
    ],
    logFile(o.logDir, 'assigner'),
  );
  const ready = await assigner.ready;
  return { assigner, port: ready.port!, debugPort: ready.debugPort! };
}

/** The etcd store's incarnation in the demo (even, as etcd stores need). */
const ETCD_STORE_INCARNATION = 2;

/**
 * An Assigner on etcd through the assigner package's own CLI (`dicer-assigner bootstrap`, then
 * `dicer-assigner --store etcd`), which wires the etcd store. The CLI announces no ports, so they
 * are picked free beforehand, and readiness is the debug page answering. Its flags cover fewer
 * timings than the demo's Assigner: load balancing runs at Dicer's 60 s and watches at 5 s.
 */
async function startEtcdAssigner(
  o: DemoCluster['options'],
  endpoints: readonly string[],
): Promise<{ assigner: DemoProcess; port: number; debugPort: number }> {
  const etcdFlags = [`--etcd-endpoints=${endpoints.join(',')}`, `--store-incarnation=${ETCD_STORE_INCARNATION}`];
  const bootstrap = DemoProcess.spawnScript('assigner-bootstrap', ASSIGNER_CLI, ['bootstrap', ...etcdFlags], logFile(o.logDir, 'assigner-bootstrap'));
  const { code } = await bootstrap.exited;
  if (code !== 0) throw new UnavailableError(`dicer-assigner bootstrap exited with ${code}`);
  const port = await freePort();
  const debugPort = o.debugPort === 0 ? await freePort() : o.debugPort;
  const assigner = DemoProcess.spawnScript(
    'assigner',
    ASSIGNER_CLI,
    [
      `--port=${port}`,
      '--host=127.0.0.1',
      `--debug-port=${debugPort}`,
      `--config-dir=${o.configDir}`,
      `--advanced-config-dir=${join(o.configDir, 'advanced')}`,
      // The CLI's watch period stays Dicer's 5 s, so a pod must be silent longer than that.
      `--unhealthy-timeout-ms=${Math.max(o.unhealthyTimeoutMs, 15_000)}`,
      `--min-generation-interval-ms=${o.minGenerationIntervalMs}`,
      `--log-level=${o.logLevel}`,
      '--store=etcd',
      ...etcdFlags,
    ],
    logFile(o.logDir, 'assigner'),
  );
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (!assigner.isRunning) throw new UnavailableError(`the etcd Assigner exited (code ${assigner.exitInfo?.code})`);
    try {
      const response = await fetch(`http://127.0.0.1:${debugPort}/debug/json`, { signal: AbortSignal.timeout(1_000) });
      if (response.ok) return { assigner, port, debugPort };
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await assigner.stop('SIGKILL');
      throw new UnavailableError('the etcd Assigner did not answer on its debug port within 30 s');
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** The assigner package's CLI entry point (its `dicer-assigner` bin, run from source). */
const ASSIGNER_CLI = fileURLToPath(new URL('./cli/main.ts', import.meta.resolve('@dicer-ts/assigner')));


function logFile(dir: string | undefined, name: string): string | undefined {
  return dir === undefined ? undefined : join(dir, `${name}.log`);
}
