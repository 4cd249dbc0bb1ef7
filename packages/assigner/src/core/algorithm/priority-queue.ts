/**
 * A binary min-heap ordered by a caller-supplied comparison. The comparison must be a total order
 * (break every tie explicitly) so that pops are deterministic; the algorithm never relies on the
 * heap's internal layout.
 */
export class PriorityQueue<T> {
  private readonly items: T[] = [];

  /** @param compare negative when `a` must pop before `b`. */
  constructor(private readonly compare: (a: T, b: T) => number) {}

  /** The number of queued items. */
  get size(): number {
    return this.items.length;
  }

  /** Adds an item. */
  push(item: T): void {
    const items = this.items;
    items.push(item);
    let i = items.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (this.compare(items[i] as T, items[parent] as T) >= 0) break;
      swap(items, i, parent);
      i = parent;
    }
  }

  /** Removes and returns the first item, or `undefined` when empty. */
  pop(): T | undefined {
    const items = this.items;
    if (items.length === 0) return undefined;
    const top = items[0] as T;
    const last = items.pop() as T;
    if (items.length > 0) {
      items[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < items.length && this.compare(items[l] as T, items[m] as T) < 0) m = l;
        if (r < items.length && this.compare(items[r] as T, items[m] as T) < 0) m = r;
        if (m === i) break;
        swap(items, i, m);
        i = m;
      }
    }
    return top;
  }
}

function swap<T>(items: T[], i: number, j: number): void {
  const t = items[i] as T;
  items[i] = items[j] as T;
  items[j] = t;
}
