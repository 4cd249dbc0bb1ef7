/**
 * The memoized readiness probe behind the heartbeat's `RUNNING` / `NOT_READY` state.
 *
 * Dicer memoizes the pod readiness probe and refreshes it asynchronously; the value starts as *not
 * ready*, so the first heartbeat usually says `NOT_READY`. The heartbeat never waits for the probe:
 * it reads the last answer. A probe that throws, rejects or answers anything but `true` counts as
 * not ready. Once a probe run said ready, {@link ReadinessProbe.hasBeenReady} stays true, because a
 * Slicelet never reports `NOT_READY` after `RUNNING` (protocol.md §8 item 14).
 *
 * @see protocol.md §3.6
 */
import type { Clock, Logger } from '@dicer-ts/common';

/** Answers whether this server is ready to take traffic (e.g. caches warmed, dependencies up). */
export type ReadinessCheck = () => boolean | Promise<boolean>;

/** How often the probe is re-run by default. */
export const DEFAULT_READINESS_REFRESH_INTERVAL_MS = 1_000;

/** Runs a {@link ReadinessCheck} now and then on an injected clock and remembers its answer. */
export class ReadinessProbe {
  private readonly check: ReadinessCheck;
  private readonly clock: Clock;
  private readonly intervalMs: number;
  private readonly logger: Logger;
  private ready = false;
  private everReady = false;
  private running = false;
  private closed = false;
  private cancelTimer: (() => void) | undefined;

  constructor(check: ReadinessCheck, clock: Clock, intervalMs: number, logger: Logger) {
    this.check = check;
    this.clock = clock;
    this.intervalMs = intervalMs;
    this.logger = logger;
  }

  /** The last answer (false until the first run completes). */
  get isReady(): boolean {
    return this.ready;
  }

  /** True once any run said ready. */
  get hasBeenReady(): boolean {
    return this.everReady;
  }

  /** Runs the check now and then every interval until {@link ReadinessProbe.close}. */
  start(): void {
    void this.refresh();
  }

  /**
   * Runs the check once (unless a run is already in progress) and schedules the next run.
   * Resolves when this run's answer is recorded; never rejects.
   */
  async refresh(): Promise<void> {
    if (this.closed || this.running) return;
    this.running = true;
    let answer = false;
    try {
      answer = (await this.check()) === true;
    } catch (err) {
      this.logger.warn({ err }, 'readiness check failed');
    } finally {
      this.running = false;
    }
    if (this.closed) return;
    if (answer !== this.ready) this.logger.info({ ready: answer }, 'readiness changed');
    this.ready = answer;
    if (answer) this.everReady = true;
    this.cancelTimer?.();
    this.cancelTimer = this.clock.setTimer(this.intervalMs, () => {
      this.cancelTimer = undefined;
      void this.refresh();
    });
  }

  /** Stops refreshing; the last answer stays readable. Idempotent. */
  close(): void {
    this.closed = true;
    this.cancelTimer?.();
    this.cancelTimer = undefined;
  }
}
