/**
 * One cache server of the demo: a `demo.CacheService` gRPC server in front of an LRU cache, with an
 * embedded Slicelet. Every request makes a `SliceKeyHandle` for its key, reports one unit of load
 * and asks whether this server owned the key without interruption; a request for a key it does not
 * own (a Clerk still on an older assignment, or a drain in progress) is served anyway and counted as
 * misdirected, as a cache can always answer (a miss at worst).
 *
 * Shutdown is graceful: {@link CacheServer.drain} reports TERMINATING so the Assigner moves the
 * slices away, keeps serving a grace period after they moved (Clerks learn the new assignment a
 * moment later), then stops.
 */
import { Server, ServerCredentials, status } from '@grpc/grpc-js';
import { LRUCache } from 'lru-cache';
import { type Logger, SliceKey, UnavailableError, createDefaultLogger } from '@dicer-ts/common';
import { Slicelet, type SliceletOptions } from '@dicer-ts/slicelet-sdk';
import { CACHE_SERVICE_DEFINITION, type CacheServiceHandlers, getResponse, putResponse } from './cache-service.js';
import { cacheStateTransfer } from './cache-state-transfer.js';
import type { CacheServerStats } from './process-messages.js';

/** The demo's target name. */
export const DEMO_TARGET = 'demo-cache';
/** LRU capacity per server by default. */
export const DEFAULT_MAX_ENTRIES = 100_000;
/** How long a draining server keeps serving after its slices moved, for Clerks to catch up. */
export const DEFAULT_DRAIN_GRACE_MS = 1_000;
/** How long a drain waits for the Assigner to move the slices. */
export const DEFAULT_CACHE_DRAIN_TIMEOUT_MS = 15_000;

/** Options of {@link CacheServer.start}. */
export interface CacheServerOptions {
  /** The Assigner's Watch address, e.g. `'127.0.0.1:24500'`. */
  readonly assigner: string;
  /** The application port; 0 picks a free port. @default 0 */
  readonly port?: number;
  /** The interface both servers bind, and the host in this server's resource address. @default '127.0.0.1' */
  readonly host?: string;
  /** The target. @default 'demo-cache' */
  readonly target?: string;
  /** LRU capacity. @default 100000 */
  readonly maxEntries?: number;
  /** Serving time after the slices moved during a drain. @default 1000 */
  readonly drainGraceMs?: number;
  /** Slicelet options beyond target, assigner and addresses (watch timeout, load half-life…). @default {} */
  readonly slicelet?: Partial<Omit<SliceletOptions, 'target' | 'assigner' | 'port' | 'selfAddress' | 'host' | 'watchHost'>>;
  /** @default pino at `warn` */
  readonly logger?: Logger;
  /** Hand the cache's entries over when slices move (state transfer, issue #10). @default false */
  readonly stateTransfer?: boolean;
}

/**
 * A running cache server.
 *
 * @example
 * ```ts
 * const server = await CacheServer.start({ assigner: '127.0.0.1:24500' });
 * console.log(server.port, server.watchPort);
 * process.once('SIGTERM', () => void server.drain());
 * ```
 */
export class CacheServer {
  /** The bound application port. */
  readonly port: number;
  /** The Slicelet. */
  readonly slicelet: Slicelet;
  private readonly server: Server;
  private readonly cache: LRUCache<string, Uint8Array>;
  private readonly drainGraceMs: number;
  private readonly log: Logger;
  private requests = 0;
  private hits = 0;
  private misses = 0;
  private misdirected = 0;
  private stopping: Promise<void> | undefined;

  private constructor(parts: { port: number; slicelet: Slicelet; server: Server; cache: LRUCache<string, Uint8Array>; drainGraceMs: number; log: Logger }) {
    this.port = parts.port;
    this.slicelet = parts.slicelet;
    this.server = parts.server;
    this.cache = parts.cache;
    this.drainGraceMs = parts.drainGraceMs;
    this.log = parts.log;
  }

  /**
   * Binds the application port, then starts the Slicelet with this server's address.
   *
   * @throws {UnavailableError} when a port cannot be bound.
   */
  static async start(options: CacheServerOptions): Promise<CacheServer> {
    const host = options.host ?? '127.0.0.1';
    const log = options.logger ?? createDefaultLogger();
    const cache = new LRUCache<string, Uint8Array>({ max: options.maxEntries ?? DEFAULT_MAX_ENTRIES });
    const server = new Server();
    // The handlers reach the instance through this holder: the server binds before the Slicelet
    // exists, because the Slicelet's resource address needs the bound port.
    const holder: { self: CacheServer | undefined } = { self: undefined };
    const handlers: CacheServiceHandlers = {
      get: (call, callback) => {
        const self = holder.self;
        if (self === undefined) return callback({ code: status.UNAVAILABLE, details: 'starting' });
        const key = call.request.key;
        const misdirected = self.record(key);
        const value = self.cache.get(key);
        if (value === undefined) self.misses += 1;
        else self.hits += 1;
        callback(null, getResponse({ found: value !== undefined, value: value ?? new Uint8Array(0), misdirected }));
      },
      put: (call, callback) => {
        const self = holder.self;
        if (self === undefined) return callback({ code: status.UNAVAILABLE, details: 'starting' });
        const misdirected = self.record(call.request.key);
        self.cache.set(call.request.key, call.request.value);
        callback(null, putResponse({ misdirected }));
      },
    };
    server.addService(CACHE_SERVICE_DEFINITION, handlers);
    const port = await new Promise<number>((resolve, reject) => {
      server.bindAsync(`${host}:${options.port ?? 0}`, ServerCredentials.createInsecure(), (err, bound) => (err ? reject(err) : resolve(bound)));
    }).catch((err: unknown) => {
      throw new UnavailableError(`cannot listen on ${host}:${options.port ?? 0}: ${(err as Error).message}`, { cause: err });
    });
    let slicelet: Slicelet;
    try {
      slicelet = await Slicelet.start({
        watchPort: 0,
        logger: log,
        ...options.slicelet,
        ...(options.stateTransfer === true ? { stateTransfer: cacheStateTransfer(cache) } : {}),
        target: options.target ?? DEMO_TARGET,
        assigner: options.assigner,
        host,
        watchHost: host,
        port,
      });
    } catch (err) {
      server.forceShutdown();
      throw err;
    }
    // Previous owners are reached at their application port (the default resolveAddress).
    slicelet.stateTransfer?.addTo(server);
    const self = new CacheServer({ port, slicelet, server, cache, drainGraceMs: options.drainGraceMs ?? DEFAULT_DRAIN_GRACE_MS, log });
    holder.self = self;
    return self;
  }

  /** The bound port of the Slicelet's Watch server, for Clerks. */
  get watchPort(): number | undefined {
    return this.slicelet.watchPort;
  }

  /** Counts one request for `key` and reports its load; returns whether it is misdirected. */
  private record(key: string): boolean {
    this.requests += 1;
    const handle = this.slicelet.createHandle(SliceKey.fromApplicationKey(key));
    try {
      const owned = handle.isAssignedContinuously();
      if (owned) handle.incrementLoadBy(1);
      else this.misdirected += 1;
      return !owned;
    } finally {
      handle.close();
    }
  }

  /** Cumulative counters since start. */
  stats(nowMs: number = Date.now()): CacheServerStats {
    return {
      kind: 'stats',
      role: 'cache-server',
      pid: process.pid,
      atMs: nowMs,
      port: this.port,
      requests: this.requests,
      hits: this.hits,
      misses: this.misses,
      misdirected: this.misdirected,
      entries: this.cache.size,
      slices: this.slicelet.assignedSlices().length,
      generation: this.slicelet.latestAssignment === undefined ? '' : this.slicelet.generation.toString(),
      lifecycle: this.slicelet.lifecycle,
      ...this.transferStats(),
    };
  }

  /** State-transfer counters, only when it is on. */
  private transferStats(): Pick<CacheServerStats, 'transferredKeys' | 'transferFailures'> {
    const stats = this.slicelet.stateTransfer?.stats();
    if (stats === undefined) return {};
    const i = stats.incoming;
    return { transferredKeys: i.keys, transferFailures: i.failed + i.timedOut + i.truncated };
  }

  /**
   * Graceful stop: the Slicelet drains (TERMINATING until the Assigner moved every slice, at most
   * `timeoutMs`), the server keeps serving `drainGraceMs` longer, then stops. Idempotent.
   */
  drain(options: { readonly timeoutMs?: number } = {}): Promise<void> {
    this.stopping ??= (async () => {
      const result = await this.slicelet.drain({ timeoutMs: options.timeoutMs ?? DEFAULT_CACHE_DRAIN_TIMEOUT_MS });
      this.log.info({ result: result.kind }, 'cache server drained');
      await new Promise<void>((resolve) => setTimeout(resolve, this.drainGraceMs));
      await this.shutdownServer();
    })();
    return this.stopping;
  }

  /** Stops at once (no drain). Idempotent. */
  close(): Promise<void> {
    this.stopping ??= (async () => {
      await this.slicelet.close();
      await this.shutdownServer();
    })();
    return this.stopping;
  }

  private shutdownServer(): Promise<void> {
    return new Promise<void>((resolve) => {
      this.server.tryShutdown(() => resolve());
    });
  }
}
