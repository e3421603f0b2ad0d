/** The order in which waiting keys are handed out. */
export interface KeyFifo {
  push(key: string, shard: string): void;
  shift(): string | undefined;
  readonly length: number;
  clear(): void;
}

/** One FIFO: an array with a moving head, compacted now and then, for O(1) amortised push and shift. */
export class SimpleFifo implements KeyFifo {
  private items: string[] = [];
  private head = 0;

  get length(): number {
    return this.items.length - this.head;
  }

  push(key: string): void {
    this.items.push(key);
  }

  shift(): string | undefined {
    if (this.head >= this.items.length) return undefined;
    const key = this.items[this.head]!;
    this.items[this.head++] = "";
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return key;
  }

  clear(): void {
    this.items = [];
    this.head = 0;
  }
}

/**
 * A FIFO per shard (a cluster, a tenant), served round-robin: a burst of ten thousand keys in one shard waits its
 * turn behind one key of every other shard instead of starving them. Within a shard, order is first-in first-out.
 */
export class FairFifo implements KeyFifo {
  private readonly shards = new Map<string, SimpleFifo>();
  private ring: string[] = [];
  private next = 0;
  private size = 0;

  get length(): number {
    return this.size;
  }

  push(key: string, shard: string): void {
    let fifo = this.shards.get(shard);
    if (!fifo) {
      fifo = new SimpleFifo();
      this.shards.set(shard, fifo);
    }
    if (fifo.length === 0) this.ring.push(shard);
    fifo.push(key);
    this.size++;
  }

  shift(): string | undefined {
    if (this.size === 0) return undefined;
    if (this.next >= this.ring.length) this.next = 0;
    const shard = this.ring[this.next]!;
    const fifo = this.shards.get(shard)!;
    const key = fifo.shift()!;
    this.size--;
    if (fifo.length === 0) {
      this.ring.splice(this.next, 1);
      this.shards.delete(shard);
    } else {
      this.next++;
    }
    return key;
  }

  clear(): void {
    this.shards.clear();
    this.ring = [];
    this.next = 0;
    this.size = 0;
  }
}
