/**
 * Counts the heartbeats (watch requests) a Slicelet sends and how many of them failed, for
 * metrics. The watch client exposes only its consecutive-failure count, so failures are counted
 * from that count's increases: every request builds its heartbeat first, so each failure is seen
 * by the next heartbeat (or scrape) before a success can reset the count.
 */
export class HeartbeatCounters {
  private sentCount = 0;
  private failedCount = 0;
  private lastConsecutiveFailures = 0;

  /** Heartbeats built for watch requests. */
  get sent(): number {
    return this.sentCount;
  }

  /** Watch requests that failed (errors and local deadlines). */
  get failed(): number {
    return this.failedCount;
  }

  /** Records one heartbeat about to be sent, with the watch's consecutive-failure count now. */
  onSend(consecutiveFailures: number): void {
    this.sentCount++;
    this.observe(consecutiveFailures);
  }

  /**
   * Folds in the watch's consecutive-failure count: an increase adds the difference; after a reset
   * (a success in between) the whole count is new.
   */
  observe(consecutiveFailures: number): void {
    if (consecutiveFailures > this.lastConsecutiveFailures) this.failedCount += consecutiveFailures - this.lastConsecutiveFailures;
    else if (consecutiveFailures < this.lastConsecutiveFailures) this.failedCount += consecutiveFailures;
    this.lastConsecutiveFailures = consecutiveFailures;
  }

  /** Forgets the last count: the Slicelet replaced its watch client (a drain), whose count starts at 0. */
  onWatchReplaced(): void {
    this.lastConsecutiveFailures = 0;
  }
}
