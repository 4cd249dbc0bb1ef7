/**
 * The demo's load generator: a Clerk routes each request to the cache server that owns its key,
 * at a steady rate, with keys from a {@link Workload} (Zipf plus a switchable hot key). Each
 * logical request is a cache-aside read: `Get`, and on a miss a `Put` of a fresh value. An attempt
 * that fails (the server stopped, or a deadline passed) is retried on a fresh route — the Clerk may
 * have learned a newer assignment meanwhile — up to `maxAttempts`; only then the request counts as
 * failed.
 */
import { credentials } from '@grpc/grpc-js';
import { Clerk, type ClerkOptions } from '@dicer-ts/clerk-sdk';
import { type Logger, type Random, type ResourceAddress, SYSTEM_RANDOM, SliceKey, createDefaultLogger } from '@dicer-ts/common';
import { type CacheClient, createCacheClient, getRequest, putRequest } from './cache-service.js';
import type { GetResponse, PutResponse } from './gen/demo/cache_pb.js';
import { DEMO_TARGET } from './cache-server.js';
import type { LoadGeneratorStats } from './process-messages.js';
import { Workload, type WorkloadOptions } from './workload.js';

/** Requests per second by default. */
export const DEFAULT_REQUEST_RATE = 500;
/** Attempts per logical request by default. */
export const DEFAULT_MAX_ATTEMPTS = 4;
/** Deadline of one attempt by default. */
export const DEFAULT_ATTEMPT_TIMEOUT_MS = 1_000;
/** Pause before the first retry by default; doubled for each further one. */
export const DEFAULT_RETRY_BACKOFF_MS = 50;
/** Requests in flight at most; beyond it the generator skips ticks rather than pile up. */
export const DEFAULT_MAX_INFLIGHT = 500;
/** How often the generator issues the requests that fell due. */
const TICK_MS = 10;

/** Options of {@link LoadGenerator.start}. */
export interface LoadGeneratorOptions {
  /** Where the Clerk watches: the Assigner or Slicelets (`host:port`). */
  readonly watchAddresses: string | readonly string[];
  /** The target. @default 'demo-cache' */
  readonly target?: string;
  /** Requests per second. @default 500 */
  readonly rate?: number;
  /** Key choice. @default Workload defaults */
  readonly workload?: WorkloadOptions;
  /** @default 4 */
  readonly maxAttempts?: number;
  /** @default 1000 */
  readonly attemptTimeoutMs?: number;
  /** @default 50 */
  readonly retryBackoffMs?: number;
  /** @default 500 */
  readonly maxInflight?: number;
  /** Clerk options beyond target, addresses and stubs. @default {} */
  readonly clerk?: Partial<Omit<ClerkOptions<CacheClient>, 'target' | 'watchAddresses' | 'stubFactory' | 'closeStub'>>;
  /** @default SYSTEM_RANDOM */
  readonly random?: Random;
  /** @default pino at `warn` */
  readonly logger?: Logger;
}

/** `host:port` of a resource address such as `https://127.0.0.1:50051`. */
export function resourceHostPort(resource: ResourceAddress): string {
  return new URL(resource.uri).host;
}

/**
 * A running load generator.
 *
 * @example
 * ```ts
 * const generator = await LoadGenerator.start({ watchAddresses: '127.0.0.1:24500', rate: 200 });
 * generator.setHotKey(true);
 * console.log(generator.stats());
 * await generator.close();
 * ```
 */
export class LoadGenerator {
  /** The Clerk. */
  readonly clerk: Clerk<CacheClient>;
  /** The key chooser (its hot key can be switched). */
  readonly workload: Workload;
  private readonly random: Random;
  private readonly maxAttempts: number;
  private readonly attemptTimeoutMs: number;
  private readonly retryBackoffMs: number;
  private readonly maxInflight: number;
  private readonly log: Logger;
  private rate: number;
  private timer: NodeJS.Timeout | undefined;
  private periodStartMs = 0;
  private issuedInPeriod = 0;
  private sent = 0;
  private succeeded = 0;
  private failed = 0;
  private retries = 0;
  private misdirected = 0;
  private unrouted = 0;
  private hits = 0;
  private misses = 0;
  private inflight = 0;
  private hotKeyRequests = 0;
  private readonly value = new Uint8Array(64).fill(0x61);
  private idleWaiters: (() => void)[] = [];

  private constructor(clerk: Clerk<CacheClient>, options: LoadGeneratorOptions) {
    this.clerk = clerk;
    this.workload = new Workload(options.workload);
    this.random = options.random ?? SYSTEM_RANDOM;
    this.rate = options.rate ?? DEFAULT_REQUEST_RATE;
    this.maxAttempts = options.maxAttempts ?? DEFAULT_MAX_ATTEMPTS;
    this.attemptTimeoutMs = options.attemptTimeoutMs ?? DEFAULT_ATTEMPT_TIMEOUT_MS;
    this.retryBackoffMs = options.retryBackoffMs ?? DEFAULT_RETRY_BACKOFF_MS;
    this.maxInflight = options.maxInflight ?? DEFAULT_MAX_INFLIGHT;
    this.log = options.logger ?? createDefaultLogger();
  }

  /**
   * Creates the Clerk, waits for its first assignment (at most `readyTimeoutMs`) and starts
   * sending.
   *
   * @throws {UnavailableError} when no assignment arrives in time.
   */
  static async start(options: LoadGeneratorOptions, readyTimeoutMs = 30_000): Promise<LoadGenerator> {
    const clerk = await Clerk.create<CacheClient>({
      logger: options.logger,
      ...options.clerk,
      target: options.target ?? DEMO_TARGET,
      watchAddresses: options.watchAddresses,
      stubFactory: (resource) => createCacheClient(resourceHostPort(resource), credentials.createInsecure()),
      closeStub: (client) => client.close(),
    });
    try {
      await clerk.ready({ timeoutMs: readyTimeoutMs });
    } catch (err) {
      await clerk.close();
      throw err;
    }
    const generator = new LoadGenerator(clerk, options);
    generator.setRate(generator.rate);
    return generator;
  }

  /** Changes the request rate (0 pauses). */
  setRate(rate: number): void {
    this.rate = rate;
    this.periodStartMs = Date.now();
    this.issuedInPeriod = 0;
    if (this.timer === undefined && rate > 0) {
      this.timer = setInterval(() => this.tick(), TICK_MS);
    } else if (this.timer !== undefined && rate === 0) {
      clearInterval(this.timer);
      this.timer = undefined;
    }
  }

  /** Turns the hot key on or off. */
  setHotKey(on: boolean): void {
    this.workload.hotKeyOn = on;
  }

  private tick(): void {
    const due = Math.floor(((Date.now() - this.periodStartMs) * this.rate) / 1000) - this.issuedInPeriod;
    for (let i = 0; i < due; i++) {
      this.issuedInPeriod += 1;
      // Beyond the in-flight cap a due request is dropped rather than queued: the rate is a target.
      if (this.inflight >= this.maxInflight) continue;
      void this.request(this.workload.nextKey(this.random));
    }
  }

  private async request(key: string): Promise<void> {
    this.sent += 1;
    this.inflight += 1;
    if (key === this.workload.hotKey) this.hotKeyRequests += 1;
    const sliceKey = SliceKey.fromApplicationKey(key);
    try {
      const got = await this.withRetries(sliceKey, (client) => callUnary<GetResponse>((cb) => client.get(getRequest(key), this.callOptions(), cb)));
      if (got === undefined) return;
      let misdirected = got.misdirected;
      if (got.found) {
        this.hits += 1;
      } else {
        this.misses += 1;
        const put = await this.withRetries(sliceKey, (client) =>
          callUnary<PutResponse>((cb) => client.put(putRequest({ key, value: this.value }), this.callOptions(), cb)),
        );
        if (put === undefined) return;
        misdirected ||= put.misdirected;
      }
      if (misdirected) this.misdirected += 1;
      this.succeeded += 1;
    } finally {
      this.inflight -= 1;
      if (this.inflight === 0) for (const resolve of this.idleWaiters.splice(0)) resolve();
    }
  }

  private callOptions(): { deadline: number } {
    return { deadline: Date.now() + this.attemptTimeoutMs };
  }

  /** Runs `call` on the key's current route until it succeeds or attempts run out (then counts a failure). */
  private async withRetries<T>(key: SliceKey, call: (client: CacheClient) => Promise<T>): Promise<T | undefined> {
    let lastError: unknown;
    for (let attempt = 0; attempt < this.maxAttempts; attempt++) {
      if (attempt > 0) {
        this.retries += 1;
        await new Promise((resolve) => setTimeout(resolve, this.retryBackoffMs * 2 ** (attempt - 1)));
      }
      const route = this.clerk.routeForKey(key);
      if (route === undefined) {
        this.unrouted += 1;
        continue;
      }
      route.counter.begin();
      try {
        return await call(route.stub);
      } catch (err) {
        lastError = err;
      } finally {
        route.counter.end();
      }
    }
    this.failed += 1;
    this.log.warn({ err: (lastError as Error | undefined)?.message, key: key.toString() }, 'request failed after retries');
    return undefined;
  }

  /** Cumulative counters since start. */
  stats(nowMs: number = Date.now()): LoadGeneratorStats {
    return {
      kind: 'stats',
      role: 'load-generator',
      pid: process.pid,
      atMs: nowMs,
      sent: this.sent,
      succeeded: this.succeeded,
      failed: this.failed,
      retries: this.retries,
      misdirected: this.misdirected,
      unrouted: this.unrouted,
      hits: this.hits,
      misses: this.misses,
      inflight: this.inflight,
      hotKeyRequests: this.hotKeyRequests,
      hotKey: this.workload.hotKeyOn,
      rate: this.rate,
      generation: this.clerk.assignment?.generation.toString() ?? '',
    };
  }

  /** Stops sending, waits for requests in flight, closes the Clerk. */
  async close(): Promise<void> {
    this.setRate(0);
    if (this.inflight > 0) await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
    await this.clerk.close();
  }
}

/** Adapts a grpc-js unary callback call to a promise. */
function callUnary<T>(start: (callback: (err: Error | null, response?: T) => void) => void): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    start((err, response) => (err !== null || response === undefined ? reject(err ?? new Error('empty response')) : resolve(response)));
  });
}
