/**
 * The Clerk: the library a caller embeds to send each request to the pod that owns its key.
 *
 * It watches the target's assignment (from Slicelets by default, or from an Assigner), rebuilds an
 * allocation-free routing table once per new assignment, and answers `getStubForKey` from it:
 * slice lookup, replica choice, stub from a bounded cache. Routing is advisory: Slicelets check
 * ownership themselves (protocol.md §5).
 *
 * @see protocol.md §3.2, §3.3, §5; Dicer `Clerk.scala`, `ResourceRouter.scala`, `SliceLookup.scala`
 */
import { EventEmitter } from 'node:events';
import {
  type Assignment,
  ClosedError,
  type Generation,
  type Logger,
  type ResourceAddress,
  type SliceKey,
  UnavailableError,
  componentLogger,
} from '@dicer-ts/common';
import { type ClerkOptions, type ReplicaSelection, type ResolvedClerkOptions, resolveClerkOptions } from './clerk-options.js';
import { ReplicaRandom, pickReplicaIndex } from './replica-picker.js';
import { type RequestCounter, type RoutedResource, RoutingTable } from './routing-table.js';
import { StubCache, type StubCacheStats } from './stub-cache.js';
import { WatchRotation } from './watch-rotation.js';

/** Options of {@link Clerk.ready}. */
export interface ClerkReadyOptions {
  /** Give up after this long with an `UnavailableError`. @default wait until the first assignment or close */
  readonly timeoutMs?: number;
}

/** One routing decision: the chosen resource, its stub and its in-flight request counter. */
export interface ClerkRoute<Stub> {
  readonly stub: Stub;
  readonly resource: ResourceAddress;
  /** Count the request with `begin()`/`end()` for least-outstanding selection. */
  readonly counter: RequestCounter;
}

/** Payload of the Clerk's `'assignment'` event. */
export interface ClerkAssignmentEvent {
  /** The new assignment's generation. */
  readonly generation: Generation;
  /** Number of slices. */
  readonly slices: number;
  /** Every assigned resource address. */
  readonly resources: readonly ResourceAddress[];
}

/**
 * Health of a Clerk for metrics and status pages. The `…Total` fields only grow (Prometheus
 * counters); the rest are gauges.
 */
export interface ClerkStatus {
  /** An assignment has been received. */
  readonly ready: boolean;
  /** Generation routed on, as Dicer prints it; undefined before the first assignment. */
  readonly generation: string | undefined;
  /** The last watch request was answered. */
  readonly connected: boolean;
  /**
   * Routing on an assignment that no watch address currently confirms: ready, and the watch is
   * failing. The Clerk keeps routing on it and recovers on its own.
   */
  readonly stale: boolean;
  /** The watch address in use. */
  readonly watchAddress: string;
  /** Failed watch requests since the last answered one. */
  readonly consecutiveFailures: number;
  /** When a watch request was last answered (clock ms), if ever. */
  readonly lastSuccessAtMs: number | undefined;
  /** Watch requests sent. */
  readonly watchRequestsTotal: number;
  /** Watch failures seen (sampled every `monitorIntervalMs` and on each `status()` call). */
  readonly watchFailuresTotal: number;
  /** Times the watch went from answering to failing. */
  readonly outagesTotal: number;
  /** Moves to another watch address. */
  readonly addressSwitchesTotal: number;
  /** New assignments routed on. */
  readonly assignmentsTotal: number;
  /** The stub cache. */
  readonly stubs: StubCacheStats;
}

/** Events of a {@link Clerk}. */
export interface ClerkEvents {
  /** A newer assignment now routes requests (the table is already swapped). */
  assignment: [event: ClerkAssignmentEvent];
}

/**
 * Routes keys to the resources that own them.
 *
 * @typeParam Stub - what `stubFactory` makes per resource.
 * @example
 * ```ts
 * const clerk = await Clerk.create({
 *   target: 'demo-cache',
 *   watchAddresses: ['demo-cache:24510'],
 *   stubFactory: (resource) => new CacheClient(resource.uri, credentials),
 *   closeStub: (client) => client.close(),
 * });
 * await clerk.ready({ timeoutMs: 5_000 });
 * clerk.getStubForKey(SliceKey.fromApplicationKey('user-42'))?.get('user-42', callback);
 * await clerk.close();
 * ```
 */
export class Clerk<Stub> extends EventEmitter<ClerkEvents> {
  private readonly options: ResolvedClerkOptions<Stub>;
  private readonly logger: Logger;
  private readonly selection: ReplicaSelection;
  private readonly random: ReplicaRandom;
  private readonly stubs: StubCache<Stub>;
  private readonly watch: WatchRotation;
  /** The table routed on; replaced whole (never mutated) when a newer assignment arrives. */
  private table: RoutingTable | undefined;
  private assignmentsTotal = 0;
  private readyWaiters: { resolve: () => void; reject: (err: Error) => void }[] = [];
  private cancelMonitor: (() => void) | undefined;
  private closed = false;

  private constructor(options: ResolvedClerkOptions<Stub>) {
    super();
    this.options = options;
    this.selection = options.replicaSelection;
    this.random = new ReplicaRandom(options.random);
    this.logger = componentLogger(options.logger, 'clerk', { target: options.target.toString() });
    this.stubs = new StubCache<Stub>({
      factory: options.stubFactory,
      close: options.closeStub,
      max: options.maxStubs,
      idleMs: options.stubIdleMs,
      clock: options.clock,
      logger: this.logger,
    });
    this.watch = new WatchRotation(options, this.logger, (a) => this.onAssignment(a));
    this.armMonitor();
  }

  /**
   * Starts a Clerk: the first watch request goes out at once. Resolves without waiting for an
   * assignment; use {@link Clerk.ready} for that.
   *
   * @throws {InvalidArgumentError} for a bad option (see `resolveClerkOptions`).
   */
  static create<Stub>(options: ClerkOptions<Stub>): Promise<Clerk<Stub>> {
    try {
      return Promise.resolve(new Clerk(resolveClerkOptions(options)));
    } catch (err) {
      return Promise.reject(err as Error);
    }
  }

  /**
   * Resolves once the first assignment has arrived (at once if it has).
   *
   * @throws {UnavailableError} when `timeoutMs` passes first.
   * @throws {ClosedError} when the Clerk is closed first.
   */
  ready(options: ClerkReadyOptions = {}): Promise<void> {
    if (this.table !== undefined) return Promise.resolve();
    if (this.closed) return Promise.reject(new ClosedError('Clerk is closed'));
    return new Promise<void>((resolve, reject) => {
      let cancel: (() => void) | undefined;
      const waiter = {
        resolve: () => {
          cancel?.();
          resolve();
        },
        reject: (err: Error) => {
          cancel?.();
          reject(err);
        },
      };
      this.readyWaiters.push(waiter);
      const { timeoutMs } = options;
      if (timeoutMs !== undefined) {
        cancel = this.options.clock.setTimer(timeoutMs, () => {
          this.readyWaiters = this.readyWaiters.filter((w) => w !== waiter);
          const status = this.watch.watchStatus();
          reject(
            new UnavailableError(
              `no assignment for target ${this.options.target.toString()} within ${timeoutMs} ms (watch ${status.address}, ${status.consecutiveFailures} consecutive failures)`,
            ),
          );
        });
      }
    });
  }

  /** Whether an assignment has arrived. */
  get isReady(): boolean {
    return this.table !== undefined;
  }

  /** The assignment routed on, undefined before the first. */
  get assignment(): Assignment | undefined {
    return this.table?.assignment;
  }

  /**
   * The stub of the resource chosen for `key`: the slice holding the key, then one of its
   * replicas (uniformly at random, or least outstanding), then the cached stub for that resource
   * (made by `stubFactory` on first use). Undefined before the first assignment. Synchronous; no
   * allocation once the stub exists.
   *
   * @throws {ClosedError} after {@link Clerk.close}.
   */
  getStubForKey(key: SliceKey): Stub | undefined {
    const resource = this.pick(key);
    return resource === undefined ? undefined : this.stubs.get(resource);
  }

  /**
   * {@link Clerk.getStubForKey} for `SliceKey.fromApplicationKey(applicationKey)`, without making
   * the SliceKey: FarmHash into registers and the table's prefix search, so nothing is allocated
   * (for ASCII strings of up to 85 characters).
   *
   * @throws {ClosedError} after {@link Clerk.close}.
   */
  getStubForApplicationKey(applicationKey: string | Uint8Array): Stub | undefined {
    this.checkOpen();
    const table = this.table;
    if (table === undefined) return undefined;
    const replicas = table.slices.entries[table.slices.lookupIndexForApplicationKey(applicationKey)]?.replicas;
    if (replicas === undefined) return undefined;
    return this.stubs.get(replicas[pickReplicaIndex(this.selection, replicas, this.random)] as RoutedResource);
  }

  /**
   * The address of the resource chosen for `key` (one replica choice, as `getStubForKey` makes),
   * or undefined before the first assignment.
   *
   * @throws {ClosedError} after {@link Clerk.close}.
   */
  resourceForKey(key: SliceKey): ResourceAddress | undefined {
    return this.pick(key)?.address;
  }

  /**
   * The resource chosen for `key` (one replica choice), its stub and its request counter, or
   * undefined before the first assignment. Allocates the result; `getStubForKey` does not.
   *
   * @throws {ClosedError} after {@link Clerk.close}.
   */
  routeForKey(key: SliceKey): ClerkRoute<Stub> | undefined {
    const resource = this.pick(key);
    if (resource === undefined) return undefined;
    return { stub: this.stubs.get(resource), resource: resource.address, counter: resource };
  }

  /**
   * Every replica of the slice holding `key` (all owners), or undefined before the first
   * assignment.
   *
   * @throws {ClosedError} after {@link Clerk.close}.
   */
  resourcesForKey(key: SliceKey): ResourceAddress[] | undefined {
    this.checkOpen();
    const table = this.table;
    if (table === undefined) return undefined;
    return table.slices.lookup(key).replicas.map((r) => r.address);
  }

  /**
   * Runs `call` with the stub chosen for `key`, counting it as outstanding on that resource until
   * it settles (what least-outstanding selection reads).
   *
   * @throws {UnavailableError} before the first assignment (the call is not run).
   * @throws {ClosedError} after {@link Clerk.close}.
   */
  async withStubForKey<T>(key: SliceKey, call: (stub: Stub, resource: ResourceAddress) => Promise<T> | T): Promise<T> {
    const resource = this.pick(key);
    if (resource === undefined) throw new UnavailableError(`no assignment yet for target ${this.options.target.toString()}`);
    const stub = this.stubs.get(resource);
    resource.begin();
    try {
      return await call(stub, resource.address);
    } finally {
      resource.end();
    }
  }

  /**
   * Counts one request in flight to `resource` (for least-outstanding selection); pair with
   * {@link Clerk.endRequest}. Unknown resources (not in the assignment) are ignored.
   */
  beginRequest(resource: ResourceAddress): void {
    this.table?.resources.get(resource.uri)?.begin();
  }

  /** Ends a request counted by {@link Clerk.beginRequest}; never goes below zero. */
  endRequest(resource: ResourceAddress): void {
    this.table?.resources.get(resource.uri)?.end();
  }

  /** Requests counted in flight to `resource` (0 for an unassigned one). */
  outstandingRequests(resource: ResourceAddress): number {
    return this.table?.resources.get(resource.uri)?.outstanding ?? 0;
  }

  /** Health for metrics: readiness, staleness, watch failures, stub cache counters. */
  status(): ClerkStatus {
    const stats = this.watch.stats();
    const watch = this.watch.watchStatus();
    const ready = this.table !== undefined;
    return {
      ready,
      generation: this.table?.assignment.generation.toString(),
      connected: watch.connected,
      // Not `consecutiveFailures > 0`: a watch just moved to another address has no failure yet
      // but has not confirmed anything either.
      stale: ready && !watch.connected,
      watchAddress: watch.address,
      consecutiveFailures: watch.consecutiveFailures,
      lastSuccessAtMs: watch.lastSuccessAtMs,
      watchRequestsTotal: stats.watchRequestsTotal,
      watchFailuresTotal: stats.watchFailuresTotal,
      outagesTotal: stats.outagesTotal,
      addressSwitchesTotal: stats.addressSwitchesTotal,
      assignmentsTotal: this.assignmentsTotal,
      stubs: this.stubs.stats(),
    };
  }

  /**
   * Stops watching, closes every stub and rejects pending `ready()` calls with `ClosedError`.
   * Idempotent.
   */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.cancelMonitor?.();
    this.cancelMonitor = undefined;
    for (const w of this.readyWaiters.splice(0)) w.reject(new ClosedError('Clerk is closed'));
    await this.watch.close();
    this.stubs.clear();
  }

  /** Slice lookup then replica choice; allocation-free. */
  private pick(key: SliceKey): RoutedResource | undefined {
    this.checkOpen();
    const table = this.table;
    if (table === undefined) return undefined;
    const replicas = table.slices.entries[table.slices.lookupIndex(key)]?.replicas;
    if (replicas === undefined) return undefined;
    return replicas[pickReplicaIndex(this.selection, replicas, this.random)];
  }

  private checkOpen(): void {
    if (this.closed) throw new ClosedError('Clerk is closed');
  }

  private onAssignment(assignment: Assignment): void {
    if (this.closed) return;
    const previous = this.table;
    // The watch publishes strictly newer generations, but a moved watch starts from a copy.
    if (previous !== undefined && assignment.generation.compare(previous.assignment.generation) <= 0) return;
    const table = RoutingTable.build(assignment, previous);
    this.table = table;
    this.assignmentsTotal++;
    this.stubs.retainOnly(table.resources);
    this.logger.debug({ generation: assignment.generation.toString(), slices: table.slices.size, resources: table.resources.size }, 'routing on new assignment');
    for (const w of this.readyWaiters.splice(0)) w.resolve();
    if (this.listenerCount('assignment') > 0) {
      this.emit('assignment', {
        generation: assignment.generation,
        slices: table.slices.size,
        resources: [...table.resources.values()].map((r) => r.address),
      });
    }
  }

  private armMonitor(): void {
    this.cancelMonitor = this.options.clock.setTimer(this.options.monitorIntervalMs, () => {
      if (this.closed) return;
      this.watch.tick();
      this.stubs.purgeStale();
      this.armMonitor();
    });
  }
}
