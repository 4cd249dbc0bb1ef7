/**
 * A source of time. Pure logic takes instants as arguments; drivers read them from a `Clock`, so
 * that tests and the simulator can substitute a {@link ManualClock}.
 */
export interface Clock {
  /** Milliseconds since the Unix epoch (may be fractional on a manual clock). */
  nowMs(): number;
  /** Runs `callback` after `delayMs`; returns a function that cancels it. */
  setTimer(delayMs: number, callback: () => void): () => void;
}

/**
 * The longest delay one Node timer can hold: anything above 2^31 − 1 ms fires at once (with a
 * warning), so {@link SYSTEM_CLOCK} re-arms in steps of at most this much.
 */
export const MAX_TIMER_DELAY_MS = 2 ** 31 - 1;

/**
 * The real clock: `Date.now()` and `setTimeout`. Timers are unref'd so they never hold a process
 * open, and delays longer than {@link MAX_TIMER_DELAY_MS} are re-armed rather than firing early.
 */
export const SYSTEM_CLOCK: Clock = {
  nowMs: () => Date.now(),
  setTimer(delayMs, callback) {
    const dueAtMs = Date.now() + Math.max(0, delayMs);
    let handle: NodeJS.Timeout;
    const arm = (): void => {
      const remainingMs = dueAtMs - Date.now();
      if (remainingMs > MAX_TIMER_DELAY_MS) {
        handle = setTimeout(arm, MAX_TIMER_DELAY_MS);
      } else {
        handle = setTimeout(callback, Math.max(0, remainingMs));
      }
      handle.unref();
    };
    arm();
    return () => clearTimeout(handle);
  },
};

interface PendingTimer {
  readonly atMs: number;
  readonly seq: number;
  readonly callback: () => void;
}

/**
 * A clock that moves only when told to. Timers fire in order of due time, then of creation, during
 * {@link ManualClock.advance}.
 */
export class ManualClock implements Clock {
  private now: number;
  private seq = 0;
  private timers: PendingTimer[] = [];

  constructor(startMs = 0) {
    this.now = startMs;
  }

  nowMs(): number {
    return this.now;
  }

  setTimer(delayMs: number, callback: () => void): () => void {
    const timer: PendingTimer = { atMs: this.now + Math.max(0, delayMs), seq: this.seq++, callback };
    this.timers.push(timer);
    return () => {
      this.timers = this.timers.filter((t) => t !== timer);
    };
  }

  /** Moves time forward by `ms`, firing every timer that falls due on the way, in order. */
  advance(ms: number): void {
    if (!(ms >= 0)) throw new RangeError(`advance takes a non-negative duration, got ${ms}`);
    const target = this.now + ms;
    for (;;) {
      const next = this.nextDue(target);
      if (next === undefined) break;
      this.timers = this.timers.filter((t) => t !== next);
      this.now = next.atMs;
      next.callback();
    }
    this.now = target;
  }

  /** Number of timers not yet fired. */
  get pendingTimers(): number {
    return this.timers.length;
  }

  private nextDue(limitMs: number): PendingTimer | undefined {
    let best: PendingTimer | undefined;
    for (const t of this.timers) {
      if (t.atMs > limitMs) continue;
      if (best === undefined || t.atMs < best.atMs || (t.atMs === best.atMs && t.seq < best.seq)) best = t;
    }
    return best;
  }
}
