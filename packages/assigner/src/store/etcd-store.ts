/**
 * The durable {@link Store} on etcd (Dicer's `EtcdStore`): one versioned key per target in the
 * `<P>assignments` namespace, every write a compare-and-swap transaction on the target's version key
 * (and the namespace high-watermark), so that any number of Assigners writing at once produce one
 * linear history per target: each committed generation's predecessor is the previous committed one.
 *
 * Values are serialized `DiffAssignmentP`: a **full** assignment when the stored history is unknown
 * or stale, when the stored rows hold ≥ 5× the new assignment's slices, or ≥ 50 rows (then all
 * older rows are deleted in the same transaction); otherwise a **diff** against the predecessor
 * appended as a new row.
 *
 * Reading: per target one {@link KeySubscription} (read every row, fold them with
 * `Assignment.fromDiff`, surface the result once caught up, then watch; re-list and re-watch with
 * backoff on any failure or compaction). Watchers hear every newer generation; while etcd is
 * unreachable they keep the last one and writes fail with {@link UnavailableError}.
 *
 * The incarnation must be non-loose (even, > 0): only a durable store may promise a linear history.
 *
 * Deviations from Dicer (all only make recovery faster): a write that fails only because the
 * watermark had to be raised is retried at once inside the store instead of failing with INTERNAL
 * and waiting for the generator's next attempt; a missing watermark is a
 * {@link StoreNotBootstrappedError} rather than DATA_LOSS.
 *
 * @see store-ha.md §2.1–2.9
 */
import { Etcd3 } from 'etcd3';
import {
  Assignment,
  ClosedError,
  type Clock,
  DataLossError,
  DiffAssignment,
  Generation,
  InternalError,
  InvalidArgumentError,
  type Logger,
  type Random,
  SYSTEM_CLOCK,
  SYSTEM_RANDOM,
  type Target,
  componentLogger,
  createDefaultLogger,
  isNonLooseIncarnation,
  proto,
} from '@dicer-ts/common';
import { commitProposal } from './commit-proposal.js';
import { StoreNotBootstrappedError } from './etcd-errors.js';
import { createEtcdClient, type EtcdConnectionOptions } from './etcd-connection.js';
import { KeySubscription, type KeySubscriptionOptions } from './etcd-key-subscription.js';
import { namespacesFor } from './etcd-key-layout.js';
import { EtcdVersionedKv, type VersionedRow, type VersionedWriteResult } from './etcd-versioned-kv.js';
import type { CancelWatch, ProposedAssignment, Store, WriteAssignmentResult } from './store.js';

/** Write a full row when the stored rows hold at least this many times the new slice count. */
export const FULL_WRITE_SLICE_RATIO = 5;
/** Write a full row when this many rows are stored for the target. */
export const FULL_WRITE_MAX_ENTRIES = 50;

/** Why a stored row could not be used (Dicer's corruption codes). */
export type EtcdCorruptionCode = 'WATCH_VALUE_PARSE_ERROR' | 'DIFF_UNUSED_ERROR' | 'DIFF_GENERATION_ERROR';

/** Options of {@link EtcdStore.create}. */
export interface EtcdStoreOptions extends KeySubscriptionOptions {
  /** The etcd client to use (not closed by the store), or how to connect (then the store owns it). */
  readonly etcd: Etcd3 | EtcdConnectionOptions;
  /** The store incarnation; must be non-loose (even, > 0). */
  readonly storeIncarnation: bigint;
  /** Isolates deployments sharing one etcd: namespaces `<prefix>-assignments`, … @default '' */
  readonly storeNamespacePrefix?: string;
  /** Deadline of every etcd KV request. @default 10000 */
  readonly opTimeoutMs?: number;
  /** Largest value written. @default 1500000 */
  readonly maxValueBytes?: number;
  /** @default SYSTEM_CLOCK */
  readonly clock?: Clock;
  /** @default SYSTEM_RANDOM */
  readonly random?: Random;
  /** @default pino at warn */
  readonly logger?: Logger;
  /** Called for every unusable stored row (for the corruption counter). */
  readonly onCorruption?: (target: Target, code: EtcdCorruptionCode) => void;
}

/** How much the rows of a target hold, when known. */
interface StoredSize {
  readonly slices: number;
  readonly entries: number;
}

interface Fold {
  readonly assignment: Assignment;
  readonly size: StoredSize;
}

interface TargetState {
  readonly target: Target;
  readonly appKey: string;
  /** The newest assignment known from any source; only grows. */
  latest: Assignment | undefined;
  /** What the etcd rows up to `latest` hold; `undefined` = unknown (next write is full). */
  storedSize: StoredSize | undefined;
  readonly watchers: Set<(assignment: Assignment) => void>;
  /** Fold of the current subscription cycle's rows. */
  fold: Fold | undefined;
  /** True once the current cycle is caught up: folded rows may be surfaced. */
  causal: boolean;
  readonly subscription: KeySubscription;
}

/**
 * The etcd-backed {@link Store}.
 *
 * @example
 * ```ts
 * const store = EtcdStore.create({ etcd: { endpoints: ['http://127.0.0.1:2379'] }, storeIncarnation: 2n });
 * store.watchAssignments(target, (a) => console.log(a.generation.toString()));
 * ```
 */
export class EtcdStore implements Store {
  readonly storeIncarnation: bigint;
  private readonly client: Etcd3;
  private readonly ownsClient: boolean;
  private readonly kv: EtcdVersionedKv;
  private readonly clock: Clock;
  private readonly random: Random;
  private readonly logger: Logger;
  private readonly subscriptionOptions: KeySubscriptionOptions;
  private readonly corruptionListeners = new Set<(target: Target, code: EtcdCorruptionCode) => void>();
  private readonly targets = new Map<string, TargetState>();
  /** Lower bound for generations of first writes, raised from every watermark etcd reports. */
  private initialLowerBound: Generation;
  private closed = false;

  private constructor(options: EtcdStoreOptions) {
    const inc = options.storeIncarnation;
    Generation.create(inc, 0n);
    if (!isNonLooseIncarnation(inc)) {
      throw new InvalidArgumentError(`storeIncarnation of the etcd store must be non-loose (even and positive), got ${inc}`);
    }
    this.storeIncarnation = inc;
    this.initialLowerBound = Generation.create(inc, 0n);
    if (options.etcd instanceof Etcd3) {
      this.client = options.etcd;
      this.ownsClient = false;
    } else {
      this.client = createEtcdClient(options.etcd);
      this.ownsClient = true;
    }
    this.kv = new EtcdVersionedKv(this.client, namespacesFor(options.storeNamespacePrefix ?? '').assignments, {
      ...(options.opTimeoutMs !== undefined ? { opTimeoutMs: options.opTimeoutMs } : {}),
      ...(options.maxValueBytes !== undefined ? { maxValueBytes: options.maxValueBytes } : {}),
    });
    this.clock = options.clock ?? SYSTEM_CLOCK;
    this.random = options.random ?? SYSTEM_RANDOM;
    this.logger = componentLogger(options.logger ?? createDefaultLogger(), 'store', { store: 'etcd', namespace: this.kv.layout.namespace });
    this.subscriptionOptions = {
      ...(options.retryMinDelayMs !== undefined ? { retryMinDelayMs: options.retryMinDelayMs } : {}),
      ...(options.retryMaxDelayMs !== undefined ? { retryMaxDelayMs: options.retryMaxDelayMs } : {}),
      ...(options.backupPollIntervalMs !== undefined ? { backupPollIntervalMs: options.backupPollIntervalMs } : {}),
    };
    if (options.onCorruption !== undefined) this.corruptionListeners.add(options.onCorruption);
  }

  /**
   * Creates the store. It does not wait for etcd: targets are read when first used, and an
   * unreachable etcd only delays them (see {@link EtcdStore.checkBootstrapped} for a start-up check).
   *
   * @throws {InvalidArgumentError} when the incarnation is loose or the prefix is invalid.
   */
  static create(options: EtcdStoreOptions): EtcdStore {
    return new EtcdStore(options);
  }

  /** The etcd namespace holding the assignments. */
  get namespace(): string {
    return this.kv.layout.namespace;
  }

  /**
   * Verifies that the namespace was bootstrapped, so a misconfigured Assigner fails at start-up
   * with a clear message instead of on its first write.
   *
   * @throws {StoreNotBootstrappedError} when the namespace has no watermark.
   * @throws {UnavailableError} when etcd cannot be reached in time.
   */
  async checkBootstrapped(): Promise<Generation> {
    const wm = await this.kv.readWatermark();
    if (wm === undefined) throw new StoreNotBootstrappedError(this.namespace);
    this.learnLowerBound(wm);
    return wm;
  }

  /** Calls `listener` for every unusable stored row (for the corruption counter); returns an unsubscribe function. */
  addCorruptionListener(listener: (target: Target, code: EtcdCorruptionCode) => void): () => void {
    this.corruptionListeners.add(listener);
    return () => this.corruptionListeners.delete(listener);
  }

  watchAssignments(target: Target, callback: (assignment: Assignment) => void): CancelWatch {
    this.checkOpen();
    const state = this.stateOf(target);
    state.watchers.add(callback);
    const latest = state.latest;
    if (latest !== undefined) {
      queueMicrotask(() => {
        if (state.watchers.has(callback) && state.latest === latest) callback(latest);
      });
    }
    return () => {
      state.watchers.delete(callback);
    };
  }

  async writeAssignment(target: Target, shouldFreeze: boolean, proposal: ProposedAssignment): Promise<WriteAssignmentResult> {
    this.checkOpen();
    const state = this.stateOf(target);
    const predecessor = proposal.predecessor;
    if (predecessor !== undefined && predecessor.generation.incarnation !== this.storeIncarnation) {
      throw new InvalidArgumentError(
        `predecessor ${predecessor.generation} is not in the store incarnation ${this.storeIncarnation}`,
      );
    }
    // Up to three attempts: a first write below the watermark, or an overwrite of a lower
    // incarnation that had to raise the watermark, succeeds on the immediate retry.
    let previousOverride: Generation | undefined;
    for (let attempt = 0; ; attempt++) {
      const previous = previousOverride ?? predecessor?.generation;
      // A lower-incarnation record being superseded gives no bound in our incarnation.
      const lowerBound = previous !== undefined && previous.incarnation === this.storeIncarnation ? previous : this.initialLowerBound;
      const generation = Generation.createForCurrentTime(this.storeIncarnation, Math.floor(this.clock.nowMs()), lowerBound);
      const assignment = commitProposal(proposal, generation, shouldFreeze);
      const incremental = previousOverride === undefined && this.canAppendDiff(state, predecessor, assignment);
      const diff = incremental && predecessor !== undefined ? assignment.toDiff(predecessor.generation) : assignment.toDiff(Generation.EMPTY);
      const value = proto.toBinary(proto.DiffAssignmentPSchema, diff.toProto());
      let result: VersionedWriteResult;
      try {
        result = await this.kv.write(state.appKey, generation, value, previous, incremental);
      } catch (err) {
        if (err instanceof InternalError && attempt < 2) {
          this.logger.info({ target: target.toString(), err }, 'watermark raised; retrying the write');
          continue;
        }
        this.logger.warn({ target: target.toString(), err }, 'assignment write failed');
        throw err;
      }
      switch (result.kind) {
        case 'committed': {
          if (result.newKeyLowerBound !== undefined) this.learnLowerBound(result.newKeyLowerBound);
          const size = incremental && state.storedSize !== undefined
            ? { slices: state.storedSize.slices + diffSliceCount(diff), entries: state.storedSize.entries + 1 }
            : { slices: assignment.sliceAssignments.length, entries: 1 };
          this.offer(state, assignment, size);
          this.logger.info(
            { target: target.toString(), generation: generation.toString(), slices: assignment.sliceAssignments.length, full: !incremental },
            'assignment committed',
          );
          return { kind: 'committed', assignment };
        }
        case 'occ-present': {
          this.learnLowerBound(result.lowerBound);
          if (predecessor === undefined && previousOverride === undefined && result.actual.incarnation < this.storeIncarnation && attempt < 2) {
            // A record of a lower (or loose) incarnation: supersede it (store-ha §2.7).
            previousOverride = result.actual;
            continue;
          }
          if (predecessor !== undefined && result.actual.compare(predecessor.generation) < 0) {
            this.logger.error(
              { target: target.toString(), known: predecessor.generation.toString(), stored: result.actual.toString() },
              'ASSIGNER_KNOWS_GREATER_ASSIGNMENT_GENERATION_THAN_DURABLE_STORE',
            );
          }
          return { kind: 'occ-failure', existingGeneration: result.actual };
        }
        case 'occ-absent': {
          this.learnLowerBound(result.lowerBound);
          if (previous === undefined && attempt < 2) continue;
          if (previous !== undefined) {
            this.logger.error(
              { target: target.toString(), known: previous.toString() },
              'ASSIGNER_KNOWS_GREATER_ASSIGNMENT_GENERATION_THAN_DURABLE_STORE',
            );
            return { kind: 'occ-failure', existingGeneration: Generation.EMPTY };
          }
          throw new InternalError(`generation ${generation} of '${state.appKey}' is not above the namespace high-watermark ${result.lowerBound}`);
        }
      }
    }
  }

  informAssignment(target: Target, assignment: Assignment): void {
    if (this.closed) return;
    if (assignment.generation.incarnation !== this.storeIncarnation) return;
    const state = this.stateOf(target);
    if (state.latest !== undefined && state.latest.generation.compare(assignment.generation) >= 0) return;
    this.offer(state, assignment, undefined);
  }

  getLatestKnownAssignment(target: Target): Assignment | undefined {
    return this.targets.get(target.toString())?.latest;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const state of this.targets.values()) {
      state.subscription.close();
      state.watchers.clear();
    }
    if (this.ownsClient) this.client.close();
  }

  /** Whether the next write of `assignment` after `predecessor` may append a diff row. */
  private canAppendDiff(state: TargetState, predecessor: Assignment | undefined, assignment: Assignment): boolean {
    if (predecessor === undefined || state.latest === undefined || state.storedSize === undefined) return false;
    if (!state.latest.generation.equals(predecessor.generation)) return false; // history stale or unknown
    if (state.storedSize.entries >= FULL_WRITE_MAX_ENTRIES) return false;
    return state.storedSize.slices < FULL_WRITE_SLICE_RATIO * assignment.sliceAssignments.length;
  }

  private learnLowerBound(bound: Generation): void {
    if (bound.incarnation === this.storeIncarnation && bound.compare(this.initialLowerBound) > 0) this.initialLowerBound = bound;
  }

  /** Adopts `assignment` when newer (or the same with a size where ours is unknown); tells watchers. */
  private offer(state: TargetState, assignment: Assignment, size: StoredSize | undefined): void {
    const order = state.latest === undefined ? 1 : assignment.generation.compare(state.latest.generation);
    if (order < 0) return;
    if (order === 0) {
      if (state.storedSize === undefined && size !== undefined) state.storedSize = size;
      return;
    }
    state.latest = assignment;
    state.storedSize = size;
    const watchers = [...state.watchers];
    queueMicrotask(() => {
      if (state.latest !== assignment) return;
      for (const w of watchers) if (state.watchers.has(w)) w(assignment);
    });
  }

  private stateOf(target: Target): TargetState {
    const key = target.toString();
    const existing = this.targets.get(key);
    if (existing !== undefined) return existing;
    const log = this.logger.child({ target: key });
    const handlers = {
      onReset: () => {
        state.fold = undefined;
        state.causal = false;
      },
      onRow: (row: VersionedRow) => this.foldRow(state, row),
      onCausal: () => {
        state.causal = true;
        if (state.fold !== undefined) this.offer(state, state.fold.assignment, state.fold.size);
        log.debug({ generation: state.fold?.assignment.generation.toString() }, 'caught up with etcd');
      },
      onFailure: (err: Error, retryInMs: number) => {
        log.warn({ err, retryInMs: Math.round(retryInMs) }, 'etcd watch failed; re-reading after backoff');
      },
    };
    const state: TargetState = {
      target,
      appKey: key,
      latest: undefined,
      storedSize: undefined,
      watchers: new Set(),
      fold: undefined,
      causal: false,
      subscription: new KeySubscription(this.kv, key, handlers, this.clock, this.random, log, this.subscriptionOptions),
    };
    this.targets.set(key, state);
    state.subscription.start();
    return state;
  }

  /** Folds one stored row into the cycle's state; returns an error for an unusable row. */
  private foldRow(state: TargetState, row: VersionedRow): Error | undefined {
    let diff: DiffAssignment;
    try {
      diff = DiffAssignment.fromProto(proto.fromBinary(proto.DiffAssignmentPSchema, row.value));
      if (!diff.generation.equals(row.version)) {
        throw new DataLossError(`row version ${row.version} holds generation ${diff.generation}`);
      }
    } catch (err) {
      return this.corruption(state, 'WATCH_VALUE_PARSE_ERROR', row, err);
    }
    const known = state.fold?.assignment;
    if (diff.sliceMap.kind === 'partial' && (known === undefined || !known.generation.equals(diff.sliceMap.diffGeneration))) {
      return this.corruption(state, known === undefined ? 'DIFF_UNUSED_ERROR' : 'DIFF_GENERATION_ERROR', row, undefined);
    }
    const result = Assignment.fromDiff(known, diff);
    if (result.kind !== 'applied') return this.corruption(state, 'DIFF_UNUSED_ERROR', row, result.kind);
    const size =
      diff.sliceMap.kind === 'full' || state.fold === undefined
        ? { slices: result.assignment.sliceAssignments.length, entries: 1 }
        : { slices: state.fold.size.slices + diffSliceCount(diff), entries: state.fold.size.entries + 1 };
    state.fold = { assignment: result.assignment, size };
    if (state.causal) this.offer(state, result.assignment, size);
    return undefined;
  }

  private corruption(state: TargetState, code: EtcdCorruptionCode, row: VersionedRow, cause: unknown): Error {
    this.logger.error(
      { target: state.appKey, version: row.version.toString(), code, err: cause },
      'ETCD_ASSIGNMENT_STORE_CORRUPTION',
    );
    for (const l of [...this.corruptionListeners]) l(state.target, code);
    return new DataLossError(`unusable etcd row ${row.version} of '${state.appKey}': ${code}`, { cause });
  }

  private checkOpen(): void {
    if (this.closed) throw new ClosedError('the store is closed');
  }
}

function diffSliceCount(diff: DiffAssignment): number {
  return diff.sliceAssignments().length;
}
