import type { Clock } from '@dicer-ts/common';
import type { EventQueue } from './event-queue.js';

/**
 * A {@link Clock} whose time is the simulation's virtual time and whose timers are events in the
 * simulation's {@link EventQueue}, so that any component written against `Clock` runs unchanged
 * in virtual time.
 */
export class VirtualClock implements Clock {
  constructor(private readonly queue: EventQueue) {}

  /** The current virtual time (ms). */
  nowMs(): number {
    return this.queue.nowMs;
  }

  /** Runs `callback` `delayMs` of virtual time from now; returns a function that cancels it. */
  setTimer(delayMs: number, callback: () => void): () => void {
    let cancelled = false;
    this.queue.scheduleIn(Math.max(0, delayMs), () => {
      if (!cancelled) callback();
    });
    return () => {
      cancelled = true;
    };
  }
}
