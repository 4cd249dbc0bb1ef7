/** An entry of a {@link DeadlineHeap}: anything with a due time. */
export interface Deadline {
  /** When the entry falls due, ms on the owner's clock. */
  readonly atMs: number;
}

/**
 * A binary min-heap of deadlines, so a server holding thousands of parked calls needs one timer
 * (for the earliest) instead of one per call. Removal is lazy: the owner marks entries done and
 * skips them when they surface, and rebuilds with {@link DeadlineHeap.retain} when too many dead
 * entries pile up.
 */
export class DeadlineHeap<T extends Deadline> {
  private items: T[] = [];

  /** Number of entries held, live or not. */
  get size(): number {
    return this.items.length;
  }

  /** Adds an entry. */
  push(item: T): void {
    const a = this.items;
    a.push(item);
    let i = a.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if ((a[parent] as T).atMs <= item.atMs) break;
      a[i] = a[parent] as T;
      i = parent;
    }
    a[i] = item;
  }

  /** The earliest entry, without removing it. */
  peek(): T | undefined {
    return this.items[0];
  }

  /** Removes and returns the earliest entry. */
  pop(): T | undefined {
    const a = this.items;
    const top = a[0];
    const last = a.pop();
    if (top === undefined || last === undefined || a.length === 0) return top;
    let i = 0;
    const n = a.length;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      const child = r < n && (a[r] as T).atMs < (a[l] as T).atMs ? r : l;
      if ((a[child] as T).atMs >= last.atMs) break;
      a[i] = a[child] as T;
      i = child;
    }
    a[i] = last;
    return top;
  }

  /** Keeps only the entries `keep` accepts (rebuilds the heap). */
  retain(keep: (item: T) => boolean): void {
    const live = this.items.filter(keep);
    this.items = [];
    for (const item of live) this.push(item);
  }

  /** Drops every entry. */
  clear(): void {
    this.items = [];
  }
}
