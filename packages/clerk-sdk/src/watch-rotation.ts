/**
 * The Clerk's watch: one {@link WatchClient} at a time on one of the configured addresses, moved to
 * the next address when the current one keeps failing, plus metric-friendly counters sampled on a
 * timer. The assignment survives every move and every outage (Dicer keeps serving the last
 * assignment forever, protocol.md §5).
 *
 * Why rotate at all: grpc-js resolves one `host:port` per channel, so a Clerk given a list of
 * Slicelet or Assigner addresses needs to leave a dead one itself. Each move starts a fresh watch
 * that offers its assignment to the new server (protocol.md §3.3 rule 1), so a Slicelet that is
 * behind learns it. A full round of addresses without success doubles the next watch's first
 * retry delay (up to the maximum), so a Clerk whose every address is down retries no faster than
 * one with a single address.
 */
import {
  type Assignment,
  type BackoffOptions,
  DEFAULT_MAX_RETRY_DELAY_MS,
  DEFAULT_MIN_RETRY_DELAY_MS,
  type Logger,
  WatchClient,
  type WatchClientStatus,
} from '@dicer-ts/common';
import type { ResolvedClerkOptions } from './clerk-options.js';

/** The Clerk options the watch uses. */
export type WatchRotationOptions = Pick<
  ResolvedClerkOptions<unknown>,
  | 'target'
  | 'watchAddresses'
  | 'failoverAfterFailures'
  | 'hostName'
  | 'credentials'
  | 'channelOptions'
  | 'initialWatchTimeoutMs'
  | 'backoff'
  | 'clock'
  | 'random'
  | 'logger'
>;

/** Watch health counters; `…Total` fields only grow. */
export interface WatchRotationStats {
  /** Watch requests sent (exact: counted as each request is built). */
  readonly watchRequestsTotal: number;
  /** Watch failures seen (sampled: failures between two samples that a success hides are missed). */
  readonly watchFailuresTotal: number;
  /** Times the watch went from answering to failing. */
  readonly outagesTotal: number;
  /** Moves to another watch address. */
  readonly addressSwitchesTotal: number;
}

let clerkCount = 0;

/** A Clerk's subscriber payload: empty `clerk_fields` (protocol.md §5). */
const CLERK_SUBSCRIBER = { kind: 'clerk' } as const;

/** Drives the watch of one Clerk over its addresses. */
export class WatchRotation {
  private readonly options: WatchRotationOptions;
  private readonly logger: Logger;
  private readonly debugName: string;
  private readonly onAssignment: (assignment: Assignment) => void;
  private client: WatchClient;
  private addressIndex = 0;
  /** Moves since the last success; a multiple of the address count means a whole round failed. */
  private switchesSinceSuccess = 0;
  private lastFailures = 0;
  private wasConnected = true;
  private watchRequestsTotal = 0;
  private watchFailuresTotal = 0;
  private outagesTotal = 0;
  private addressSwitchesTotal = 0;
  private closed = false;

  constructor(options: WatchRotationOptions, logger: Logger, onAssignment: (assignment: Assignment) => void) {
    this.options = options;
    this.logger = logger;
    this.onAssignment = onAssignment;
    this.debugName = `C${clerkCount++}-${options.target.name}-${options.hostName}`;
    this.client = this.startClient(undefined, options.backoff);
  }

  /** The newest assignment received, kept through outages and address moves. */
  get latestAssignment(): Assignment | undefined {
    return this.client.latestAssignment;
  }

  /** The current watch's status (address, connected, consecutive failures, last success). */
  watchStatus(): WatchClientStatus {
    return this.client.status();
  }

  /** The counters, sampled now. */
  stats(): WatchRotationStats {
    this.sample();
    return {
      watchRequestsTotal: this.watchRequestsTotal,
      watchFailuresTotal: this.watchFailuresTotal,
      outagesTotal: this.outagesTotal,
      addressSwitchesTotal: this.addressSwitchesTotal,
    };
  }

  /** Stops the timer and the watch. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.client.close();
  }

  /** One monitor step: samples the counters and moves on from a failing address (the Clerk's timer calls it). */
  tick(): void {
    if (this.closed) return;
    const status = this.sample();
    const addresses = this.options.watchAddresses;
    if (status.connected) {
      this.switchesSinceSuccess = 0;
      return;
    }
    if (addresses.length > 1 && status.consecutiveFailures >= this.options.failoverAfterFailures) this.moveToNextAddress();
  }

  private sample(): WatchClientStatus {
    const status = this.client.status();
    const failures = status.consecutiveFailures;
    // A drop (back to 0, or a fresh client) means the earlier count was already added.
    if (failures > this.lastFailures) this.watchFailuresTotal += failures - this.lastFailures;
    else if (failures < this.lastFailures) this.watchFailuresTotal += failures;
    this.lastFailures = failures;
    const connected = failures === 0;
    if (this.wasConnected && !connected) this.outagesTotal++;
    this.wasConnected = connected;
    return status;
  }

  private moveToNextAddress(): void {
    const latest = this.client.latestAssignment;
    const from = this.client.status().address;
    void this.client.close();
    this.addressIndex = (this.addressIndex + 1) % this.options.watchAddresses.length;
    this.switchesSinceSuccess++;
    this.addressSwitchesTotal++;
    const rounds = Math.floor(this.switchesSinceSuccess / this.options.watchAddresses.length);
    this.client = this.startClient(latest, this.backoffAfterRounds(rounds));
    // The new client's failures count from zero; the old ones are already in the total.
    this.lastFailures = 0;
    const data = { from, to: this.options.watchAddresses[this.addressIndex], rounds };
    // Warn once per outage; the moves that follow until a success are debug noise.
    if (this.switchesSinceSuccess === 1) this.logger.warn(data, 'watch address failing; moving on');
    else this.logger.debug(data, 'watch address failing; moving on');
  }

  private backoffAfterRounds(rounds: number): BackoffOptions | undefined {
    if (rounds === 0) return this.options.backoff;
    const base = this.options.backoff ?? {};
    const min = base.minDelayMs ?? DEFAULT_MIN_RETRY_DELAY_MS;
    const max = base.maxDelayMs ?? DEFAULT_MAX_RETRY_DELAY_MS;
    return { ...base, minDelayMs: Math.min(max, min * 2 ** Math.min(rounds, 20)) };
  }

  private startClient(initialAssignment: Assignment | undefined, backoff: BackoffOptions | undefined): WatchClient {
    const o = this.options;
    return WatchClient.start({
      address: o.watchAddresses[this.addressIndex] as string,
      target: o.target,
      subscriberDebugName: this.debugName,
      // Called once per request, so it also counts them.
      subscriber: () => {
        this.watchRequestsTotal++;
        return CLERK_SUBSCRIBER;
      },
      onAssignment: this.onAssignment,
      clock: o.clock,
      random: o.random,
      logger: o.logger,
      ...(o.credentials === undefined ? {} : { credentials: o.credentials }),
      ...(o.channelOptions === undefined ? {} : { channelOptions: o.channelOptions }),
      ...(o.initialWatchTimeoutMs === undefined ? {} : { initialWatchTimeoutMs: o.initialWatchTimeoutMs }),
      ...(backoff === undefined ? {} : { backoff }),
      ...(initialAssignment === undefined ? {} : { initialAssignment }),
    });
  }
}
