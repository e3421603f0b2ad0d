/** An entry of a MinHeap: the heap keeps `index` current so entries can be re-prioritised in O(log n). */
export interface HeapEntry {
  index: number;
}

/** A binary min-heap ordered by `less`. */
export class MinHeap<E extends HeapEntry> {
  private readonly items: E[] = [];
  private readonly less: (a: E, b: E) => boolean;

  constructor(less: (a: E, b: E) => boolean) {
    this.less = less;
  }

  get size(): number {
    return this.items.length;
  }

  peek(): E | undefined {
    return this.items[0];
  }

  push(e: E): void {
    e.index = this.items.length;
    this.items.push(e);
    this.up(e.index);
  }

  pop(): E | undefined {
    const items = this.items;
    const top = items[0];
    if (top === undefined) return undefined;
    const last = items.pop()!;
    if (items.length > 0) {
      items[0] = last;
      last.index = 0;
      this.down(0);
    }
    top.index = -1;
    return top;
  }

  /** Restores the order after e's priority changed. */
  fix(e: E): void {
    if (!this.down(e.index)) this.up(e.index);
  }

  clear(): void {
    for (const e of this.items) e.index = -1;
    this.items.length = 0;
  }

  private up(i: number): void {
    const items = this.items;
    const e = items[i]!;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const p = items[parent]!;
      if (!this.less(e, p)) break;
      items[i] = p;
      p.index = i;
      i = parent;
    }
    items[i] = e;
    e.index = i;
  }

  /** Returns whether the entry moved. */
  private down(start: number): boolean {
    const items = this.items;
    const n = items.length;
    const e = items[start]!;
    let i = start;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      let c = l;
      if (r < n && this.less(items[r]!, items[l]!)) c = r;
      const child = items[c]!;
      if (!this.less(child, e)) break;
      items[i] = child;
      child.index = i;
      i = c;
    }
    items[i] = e;
    e.index = i;
    return i !== start;
  }
}
