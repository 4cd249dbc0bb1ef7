import { InvalidArgumentError } from '@dicer-ts/common';

/**
 * One scheduled action of the simulation: runs at `atMs` of virtual time. Events due at the same
 * instant run in the order they were scheduled (FIFO), which keeps every run deterministic.
 */
interface QueuedEvent {
  readonly atMs: number;
  readonly seq: number;
  readonly run: () => void;
}

/**
 * The discrete-event queue of the simulator: a binary min-heap ordered by (time, insertion
 * order), with the virtual clock it advances. Time only moves forward, and only when an event is
 * taken, so nothing in the simulation depends on wall time.
 *
 * @example
 * const queue = new EventQueue();
 * queue.schedule(5_000, () => console.log(queue.nowMs)); // prints 5000
 * queue.runUntil(10_000);
 */
export class EventQueue {
  private readonly heap: QueuedEvent[] = [];
  private seqCounter = 0;
  private now = 0;

  /** @param startMs the initial virtual time. */
  constructor(startMs = 0) {
    this.now = startMs;
  }

  /** The current virtual time (ms): the time of the event being run, or of the last one run. */
  get nowMs(): number {
    return this.now;
  }

  /** Number of events waiting. */
  get size(): number {
    return this.heap.length;
  }

  /**
   * Schedules `run` at virtual time `atMs`; a time in the past runs at the current time (still
   * after the events already due now).
   */
  schedule(atMs: number, run: () => void): void {
    if (!Number.isFinite(atMs)) throw new InvalidArgumentError(`event time must be finite, got ${atMs}`);
    const event: QueuedEvent = { atMs: Math.max(atMs, this.now), seq: this.seqCounter++, run };
    const heap = this.heap;
    heap.push(event);
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(event, heap[parent] as QueuedEvent)) break;
      heap[i] = heap[parent] as QueuedEvent;
      i = parent;
    }
    heap[i] = event;
  }

  /** Schedules `run` `delayMs` after the current time. */
  scheduleIn(delayMs: number, run: () => void): void {
    this.schedule(this.now + delayMs, run);
  }

  /** The time of the next event, or `undefined` when the queue is empty. */
  peekTimeMs(): number | undefined {
    return this.heap[0]?.atMs;
  }

  /**
   * Runs every event due at or before `endMs` in order (events scheduled while running are
   * included when due), then sets the clock to `endMs`.
   */
  runUntil(endMs: number): void {
    for (;;) {
      const top = this.heap[0];
      if (top === undefined || top.atMs > endMs) break;
      this.pop();
      this.now = top.atMs;
      top.run();
    }
    if (endMs > this.now) this.now = endMs;
  }

  private pop(): void {
    const heap = this.heap;
    const last = heap.pop() as QueuedEvent;
    if (heap.length === 0) return;
    let i = 0;
    const n = heap.length;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      const child = r < n && before(heap[r] as QueuedEvent, heap[l] as QueuedEvent) ? r : l;
      if (!before(heap[child] as QueuedEvent, last)) break;
      heap[i] = heap[child] as QueuedEvent;
      i = child;
    }
    heap[i] = last;
  }
}

function before(a: QueuedEvent, b: QueuedEvent): boolean {
  return a.atMs < b.atMs || (a.atMs === b.atMs && a.seq < b.seq);
}
