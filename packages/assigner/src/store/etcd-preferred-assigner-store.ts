/**
 * The preferred-assigner record in etcd (Dicer's `EtcdPreferredAssignerStore`): the versioned key
 * `<P>preferred-assigner/_preferred_assigner_`, whose version is the PA generation and whose value
 * is a `PreferredAssignerSpecP`. Always written whole (older versions deleted), every write a
 * compare-and-swap on the predecessor generation, so two Assigners can never both commit on the
 * same record: the generation history of the record is linear.
 *
 * Caches the newest value, accepting only strictly greater generations (of any incarnation) from
 * its etcd subscription (5 min lifetime, re-watch with backoff), its own commits and
 * {@link EtcdPreferredAssignerStore.inform} (values learned from heartbeats).
 *
 * No lease, TTL or etcd3 election is used: etcd3's election elected two leaders after etcd restarts
 * (microsoft/etcd3#158, #176); liveness here comes from heartbeats between Assigners, safety from
 * the compare-and-swap.
 *
 * @see store-ha.md §3.1, §3.3
 */
import type { Etcd3 } from 'etcd3';
import {
  type Clock,
  DataLossError,
  Generation,
  InternalError,
  InvalidArgumentError,
  type Logger,
  type Random,
  SYSTEM_CLOCK,
  SYSTEM_RANDOM,
  componentLogger,
  createDefaultLogger,
  isNonLooseIncarnation,
  proto,
} from '@dicer-ts/common';
import { type AssignerInfo, type PreferredAssignerValue, describeValue, fromSpecProto, toSpecProto } from '../core/preferred-assigner-value.js';
import { KeySubscription, type KeySubscriptionOptions } from './etcd-key-subscription.js';
import { PREFERRED_ASSIGNER_APP_KEY, namespacesFor } from './etcd-key-layout.js';
import { EtcdVersionedKv, type VersionedRow, type VersionedWriteResult } from './etcd-versioned-kv.js';

/** Dicer's PA watch lifetime: the subscription is re-created every 5 minutes. */
export const PREFERRED_ASSIGNER_WATCH_DURATION_MS = 300_000;

/** The outcome of {@link EtcdPreferredAssignerStore.write}. */
export type PreferredAssignerWriteResult =
  | { readonly kind: 'committed'; readonly value: PreferredAssignerValue }
  | { readonly kind: 'occ-failure'; readonly existingGeneration: Generation };

/** Options of {@link EtcdPreferredAssignerStore}. */
export interface EtcdPreferredAssignerStoreOptions extends KeySubscriptionOptions {
  /** A connected etcd client (not closed by the store). */
  readonly client: Etcd3;
  /** The PA-store incarnation; must be non-loose. */
  readonly incarnation: bigint;
  /** @default '' */
  readonly storeNamespacePrefix?: string;
  /** @default 10000 */
  readonly opTimeoutMs?: number;
  /** @default SYSTEM_CLOCK */
  readonly clock?: Clock;
  /** @default SYSTEM_RANDOM */
  readonly random?: Random;
  /** @default pino at warn */
  readonly logger?: Logger;
}

/** The PA record store. */
export class EtcdPreferredAssignerStore {
  readonly incarnation: bigint;
  private readonly kv: EtcdVersionedKv;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly subscription: KeySubscription;
  private readonly listeners = new Set<(value: PreferredAssignerValue) => void>();
  private latestValue: PreferredAssignerValue | undefined;
  private fold: PreferredAssignerValue | undefined;
  private causal = false;
  private initialLowerBound: Generation;
  private closed = false;

  /** @throws {InvalidArgumentError} when the incarnation is loose. */
  constructor(options: EtcdPreferredAssignerStoreOptions) {
    if (!isNonLooseIncarnation(options.incarnation)) {
      throw new InvalidArgumentError(`preferred-assigner incarnation must be non-loose (even and positive), got ${options.incarnation}`);
    }
    this.incarnation = options.incarnation;
    this.initialLowerBound = Generation.create(options.incarnation, 0n);
    this.kv = new EtcdVersionedKv(options.client, namespacesFor(options.storeNamespacePrefix ?? '').preferredAssigner, {
      ...(options.opTimeoutMs !== undefined ? { opTimeoutMs: options.opTimeoutMs } : {}),
    });
    this.clock = options.clock ?? SYSTEM_CLOCK;
    this.logger = componentLogger(options.logger ?? createDefaultLogger(), 'preferred-assigner', { namespace: this.kv.layout.namespace });
    this.subscription = new KeySubscription(
      this.kv,
      PREFERRED_ASSIGNER_APP_KEY,
      {
        onReset: () => {
          this.fold = undefined;
          this.causal = false;
        },
        onRow: (row) => this.onRow(row),
        onCausal: () => {
          this.causal = true;
          if (this.fold !== undefined) this.accept(this.fold, 'etcd');
        },
        onFailure: (err, retryInMs) => this.logger.warn({ err, retryInMs: Math.round(retryInMs) }, 'preferred-assigner watch failed; re-reading after backoff'),
      },
      this.clock,
      options.random ?? SYSTEM_RANDOM,
      this.logger,
      { watchDurationMs: PREFERRED_ASSIGNER_WATCH_DURATION_MS, ...options },
    );
  }

  /** The etcd namespace of the record. */
  get namespace(): string {
    return this.kv.layout.namespace;
  }

  /** The newest value known, if any. */
  get latest(): PreferredAssignerValue | undefined {
    return this.latestValue;
  }

  /** When etcd last answered a read of the record (clock ms); see `KeySubscription.lastContactAtMs`. */
  get lastEtcdContactAtMs(): number | undefined {
    return this.subscription.lastContactAtMs;
  }

  /** Starts watching the record. */
  start(): void {
    this.subscription.start();
  }

  /** Calls `listener` (asynchronously) with every newer value; returns an unsubscribe function. */
  subscribe(listener: (value: PreferredAssignerValue) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Feeds a value learned from a heartbeat; kept only if strictly newer. */
  inform(value: PreferredAssignerValue): void {
    this.accept(value, 'heartbeat');
  }

  /**
   * Compare-and-swap: commits `proposal` (an Assigner, or `undefined` for NoAssigner) if the record's
   * generation is `predecessor` (`undefined`: no record, or one of a lower incarnation). A write
   * that only had to raise the watermark is retried at once.
   *
   * @throws {StoreNotBootstrappedError} when the namespace was not bootstrapped.
   * @throws {UnavailableError} when etcd cannot be reached in time.
   */
  async write(predecessor: Generation | undefined, proposal: AssignerInfo | undefined): Promise<PreferredAssignerWriteResult> {
    if (predecessor !== undefined && predecessor.incarnation !== this.incarnation) {
      throw new InvalidArgumentError(`predecessor ${predecessor} is not in the PA incarnation ${this.incarnation}`);
    }
    let previous = predecessor;
    for (let attempt = 0; ; attempt++) {
      const lowerBound = previous !== undefined && previous.incarnation === this.incarnation ? previous : this.initialLowerBound;
      const generation = Generation.createForCurrentTime(this.incarnation, Math.floor(this.clock.nowMs()), lowerBound);
      const value: PreferredAssignerValue =
        proposal === undefined ? { kind: 'no-assigner', generation } : { kind: 'some-assigner', info: proposal, generation };
      const bytes = proto.toBinary(proto.PreferredAssignerSpecPSchema, toSpecProto(value));
      let result: VersionedWriteResult;
      try {
        result = await this.kv.write(PREFERRED_ASSIGNER_APP_KEY, generation, bytes, previous, false);
      } catch (err) {
        if (err instanceof InternalError && attempt < 2) continue;
        throw err;
      }
      switch (result.kind) {
        case 'committed':
          if (result.newKeyLowerBound !== undefined) this.learn(result.newKeyLowerBound);
          this.accept(value, 'own write');
          return { kind: 'committed', value };
        case 'occ-present':
          this.learn(result.lowerBound);
          if (predecessor === undefined && previous === undefined && result.actual.incarnation < this.incarnation && attempt < 2) {
            previous = result.actual; // supersede an older PA incarnation (store-ha §3.3)
            continue;
          }
          if (predecessor !== undefined && result.actual.compare(predecessor) < 0) {
            this.logger.error({ known: predecessor.toString(), stored: result.actual.toString() }, 'ASSIGNER_KNOWS_LATER_PREFERRED_ASSIGNER_VALUE_THAN_DURABLE_STORE');
          }
          return { kind: 'occ-failure', existingGeneration: result.actual };
        case 'occ-absent':
          this.learn(result.lowerBound);
          if (previous === undefined && attempt < 2) continue;
          if (previous !== undefined) {
            this.logger.error({ known: previous.toString() }, 'ASSIGNER_KNOWS_LATER_PREFERRED_ASSIGNER_VALUE_THAN_DURABLE_STORE');
            return { kind: 'occ-failure', existingGeneration: Generation.EMPTY };
          }
          throw new InternalError(`PA generation ${generation} is not above the watermark ${result.lowerBound}`);
      }
    }
  }

  /** Stops watching; idempotent. */
  close(): void {
    this.closed = true;
    this.subscription.close();
    this.listeners.clear();
  }

  private learn(bound: Generation): void {
    if (bound.incarnation === this.incarnation && bound.compare(this.initialLowerBound) > 0) this.initialLowerBound = bound;
  }

  private onRow(row: VersionedRow): Error | undefined {
    try {
      const spec = proto.fromBinary(proto.PreferredAssignerSpecPSchema, row.value);
      this.fold = fromSpecProto(spec, row.version);
    } catch (err) {
      this.logger.error({ version: row.version.toString(), err }, 'PREFERRED_ASSIGNER_STORE_CORRUPTED');
      return new DataLossError(`unusable preferred-assigner row ${row.version}`, { cause: err });
    }
    if (this.causal) this.accept(this.fold, 'etcd');
    return undefined;
  }

  private accept(value: PreferredAssignerValue, source: string): void {
    if (this.closed) return;
    if (this.latestValue !== undefined && value.generation.compare(this.latestValue.generation) <= 0) return;
    this.latestValue = value;
    this.logger.debug({ value: describeValue(value), source }, 'preferred-assigner value learned');
    const listeners = [...this.listeners];
    queueMicrotask(() => {
      if (this.latestValue !== value) return;
      for (const l of listeners) if (this.listeners.has(l)) l(value);
    });
  }
}
