/**
 * A self-healing subscription to the rows of one versioned etcd key (Dicer's `EtcdWatcher` plus the
 * re-watch loops of `EtcdStore` and `EtcdPreferredAssignerStore`):
 *
 * 1. `reset`, then a paged read of **all** rows, each handed to `onRow` in version order;
 * 2. `onCausal` ("caught up as of the read's revision");
 * 3. an etcd watch from the next revision, rows handed to `onRow` as they come;
 * 4. a backup poll every `backupPollIntervalMs` (etcd3 watches can stall silently, etcd3 #72/#78)
 *    that re-reads rows after the last one seen;
 * 5. optionally a bounded lifetime (`watchDurationMs`, the PA store's 5 min), after which the
 *    subscription restarts at once.
 *
 * Any failure (read error, stream error or disconnect, compacted revision, a row `onRow` rejects
 * as corrupt) restarts the whole cycle from step 1 after an exponential backoff (Dicer: 5 s → 30 s,
 * ±20 %), reset on every `onCausal`. Re-reading everything (instead of trusting etcd3's automatic
 * watch resume) is what makes compaction and long outages safe: nothing is inferred from a stream
 * that may have missed events.
 *
 * @see store-ha.md §2.5, §2.7, §3.3, §10
 */
import { Backoff, type Clock, type Logger, type Random } from '@dicer-ts/common';
import type { EtcdVersionedKv, VersionedRow } from './etcd-versioned-kv.js';
import type { Generation } from '@dicer-ts/common';

/** Dicer's watch retry backoff start. */
export const DEFAULT_WATCH_RETRY_MIN_DELAY_MS = 5_000;
/** Dicer's watch retry backoff cap. */
export const DEFAULT_WATCH_RETRY_MAX_DELAY_MS = 30_000;
/** Dicer's backup polling interval while watching. */
export const DEFAULT_BACKUP_POLL_INTERVAL_MS = 30_000;

/** What a subscription reports to its owner. */
export interface KeySubscriptionHandlers {
  /** A new cycle begins: forget any state folded from the previous cycle's rows. */
  onReset(): void;
  /** A row, in version order within a cycle; return an error to declare it corrupt (restarts). */
  onRow(row: VersionedRow): Error | undefined;
  /** The initial read is complete: state folded so far may be surfaced. */
  onCausal(): void;
  /** A cycle failed; the subscription retries after `retryInMs`. */
  onFailure?(err: Error, retryInMs: number): void;
}

/** Timing options of {@link KeySubscription}. */
export interface KeySubscriptionOptions {
  /** @default DEFAULT_WATCH_RETRY_MIN_DELAY_MS */
  readonly retryMinDelayMs?: number;
  /** @default DEFAULT_WATCH_RETRY_MAX_DELAY_MS */
  readonly retryMaxDelayMs?: number;
  /** @default DEFAULT_BACKUP_POLL_INTERVAL_MS */
  readonly backupPollIntervalMs?: number;
  /** Restart the cycle after this long; `undefined` = never. */
  readonly watchDurationMs?: number | undefined;
}

/** One running subscription; {@link KeySubscription.close} ends it. */
export class KeySubscription {
  private readonly backoff: Backoff;
  private readonly pollIntervalMs: number;
  private readonly watchDurationMs: number | undefined;
  /** Incremented on every cycle; callbacks of older cycles are ignored. */
  private cycle = 0;
  private closed = false;
  private cancelWatch: (() => void) | undefined;
  private cancelTimer: (() => void) | undefined;
  private cancelPoll: (() => void) | undefined;
  /** Aborts the current cycle's watch while it is still being created (see `watchRows`). */
  private watchCreation: AbortController | undefined;
  private lastVersion: Generation | undefined;
  /** When a read of the key last succeeded (clock ms), for liveness checks of the etcd link. */
  private lastContactAtMsValue: number | undefined;

  constructor(
    private readonly kv: EtcdVersionedKv,
    private readonly appKey: string,
    private readonly handlers: KeySubscriptionHandlers,
    private readonly clock: Clock,
    random: Random,
    private readonly logger: Logger,
    options: KeySubscriptionOptions = {},
  ) {
    this.backoff = new Backoff(random, {
      minDelayMs: options.retryMinDelayMs ?? DEFAULT_WATCH_RETRY_MIN_DELAY_MS,
      maxDelayMs: options.retryMaxDelayMs ?? DEFAULT_WATCH_RETRY_MAX_DELAY_MS,
      jitterFraction: 0.2,
    });
    this.pollIntervalMs = options.backupPollIntervalMs ?? DEFAULT_BACKUP_POLL_INTERVAL_MS;
    this.watchDurationMs = options.watchDurationMs;
  }

  /**
   * When etcd last answered a read of this key (the initial read or a backup poll), in clock ms;
   * `undefined` before the first. With a short `backupPollIntervalMs` this tells whether the etcd
   * link works, which an idle watch stream cannot (etcd3 watches can stall silently).
   */
  get lastContactAtMs(): number | undefined {
    return this.lastContactAtMsValue;
  }

  /** Starts the first cycle (asynchronously). */
  start(): void {
    void this.runCycle();
  }

  /** Restarts at once (e.g. the owner knows the stream is stale). */
  restartNow(): void {
    if (this.closed) return;
    this.stopCycle();
    void this.runCycle();
  }

  /** Ends the subscription; idempotent. */
  close(): void {
    this.closed = true;
    this.stopCycle();
  }

  private stopCycle(): void {
    this.cycle++;
    this.watchCreation?.abort();
    this.watchCreation = undefined;
    this.cancelWatch?.();
    this.cancelWatch = undefined;
    this.cancelTimer?.();
    this.cancelTimer = undefined;
    this.cancelPoll?.();
    this.cancelPoll = undefined;
  }

  private async runCycle(): Promise<void> {
    const cycle = ++this.cycle;
    const current = () => cycle === this.cycle && !this.closed;
    try {
      this.handlers.onReset();
      this.lastVersion = undefined;
      const { rows, revision } = await this.kv.readRows(this.appKey, undefined);
      if (!current()) return;
      this.lastContactAtMsValue = this.clock.nowMs();
      for (const row of rows) {
        const err = this.handlers.onRow(row);
        if (err !== undefined) throw err;
        this.lastVersion = row.version;
      }
      this.handlers.onCausal();
      this.backoff.reset();
      const creation = new AbortController();
      this.watchCreation = creation;
      const cancel = await this.kv.watchRows(this.appKey, this.lastVersion, revision + 1n, {
        onRow: (row) => {
          if (!current()) return;
          this.acceptLiveRow(cycle, row);
        },
        onFailure: (err) => {
          if (current()) this.fail(cycle, err);
        },
      }, creation.signal);
      if (this.watchCreation === creation) this.watchCreation = undefined;
      if (!current()) {
        cancel();
        return;
      }
      this.cancelWatch = cancel;
      this.schedulePoll(cycle);
      if (this.watchDurationMs !== undefined) {
        this.cancelTimer = this.clock.setTimer(this.watchDurationMs, () => {
          if (current()) this.restartNow();
        });
      }
    } catch (err) {
      if (current()) this.fail(cycle, err as Error);
    }
  }

  private acceptLiveRow(cycle: number, row: VersionedRow): void {
    if (this.lastVersion !== undefined && row.version.compare(this.lastVersion) <= 0) return;
    const err = this.handlers.onRow(row);
    if (err !== undefined) {
      this.fail(cycle, err);
      return;
    }
    this.lastVersion = row.version;
  }

  private schedulePoll(cycle: number): void {
    this.cancelPoll = this.clock.setTimer(this.pollIntervalMs, () => {
      if (cycle !== this.cycle || this.closed) return;
      void this.poll(cycle);
    });
  }

  private async poll(cycle: number): Promise<void> {
    try {
      const { rows } = await this.kv.readRows(this.appKey, this.lastVersion);
      if (cycle !== this.cycle || this.closed) return;
      this.lastContactAtMsValue = this.clock.nowMs();
      if (rows.length > 0) this.logger.warn({ appKey: this.appKey, rows: rows.length }, 'backup poll found rows the etcd watch missed');
      for (const row of rows) {
        this.acceptLiveRow(cycle, row);
        if (cycle !== this.cycle) return;
      }
    } catch (err) {
      // Backup polls fail silently (Dicer): the watch itself reports real trouble.
      this.logger.debug({ appKey: this.appKey, err }, 'backup poll failed');
    }
    if (cycle === this.cycle && !this.closed) this.schedulePoll(cycle);
  }

  private fail(cycle: number, err: Error): void {
    if (cycle !== this.cycle || this.closed) return;
    this.stopCycle();
    const delayMs = this.backoff.next();
    this.handlers.onFailure?.(err, delayMs);
    const retryCycle = this.cycle;
    this.cancelTimer = this.clock.setTimer(delayMs, () => {
      if (retryCycle === this.cycle && !this.closed) void this.runCycle();
    });
  }
}
