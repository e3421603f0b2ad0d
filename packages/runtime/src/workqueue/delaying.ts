import { MAX_TIMER_DELAY_MS, type TimerHandle } from "./clock.ts";
import { type HeapEntry, MinHeap } from "./heap.ts";
import { Queue, type QueueOptions, type WorkQueue } from "./queue.ts";

export interface DelayingWorkQueue<T> extends WorkQueue<T> {
  /** Adds the item once ms have passed (at once if ms <= 0). If the key is already waiting, the earlier time wins. */
  addAfter(item: T, ms: number): void;
}

interface Waiting<T> extends HeapEntry {
  readonly key: string;
  item: T;
  readyAt: number;
}

/** Items waiting for their time sit in a heap ordered by ready time, served by a single timer set for the earliest. */
export class DelayingQueue<T> extends Queue<T> implements DelayingWorkQueue<T> {
  private readonly heap = new MinHeap<Waiting<T>>((a, b) => a.readyAt < b.readyAt);
  private readonly waiting = new Map<string, Waiting<T>>();
  private timer: TimerHandle | undefined;
  private timerDue = Infinity;

  constructor(opts: QueueOptions<T> = {}) {
    super(opts);
  }

  addAfter(item: T, ms: number): void {
    if (this.shuttingDown()) return;
    this.metrics.retry();
    if (!(ms > 0)) {
      this.add(item);
      return;
    }
    const key = this.keyOf(item);
    const readyAt = this.clock.now() + ms;
    const existing = this.waiting.get(key);
    if (existing) {
      if (readyAt < existing.readyAt) {
        existing.readyAt = readyAt;
        existing.item = item;
        this.heap.fix(existing);
        this.arm();
      }
      return;
    }
    const entry: Waiting<T> = { key, item, readyAt, index: -1 };
    this.waiting.set(key, entry);
    this.heap.push(entry);
    this.arm();
  }

  /** Number of items waiting for their time. */
  waitingLen(): number {
    return this.heap.size;
  }

  override shutDown(): void {
    if (this.shuttingDown()) return;
    super.shutDown();
    this.disarm();
    this.heap.clear();
    this.waiting.clear();
  }

  private arm(): void {
    const top = this.heap.peek();
    if (!top) {
      this.disarm();
      return;
    }
    if (this.timer !== undefined && this.timerDue <= top.readyAt) return;
    this.disarm();
    // A requeueAfter of weeks (certificate renewals) waits in steps a timer can take; fire() re-arms for the rest.
    const now = this.clock.now();
    const waitMs = Math.min(top.readyAt - now, MAX_TIMER_DELAY_MS);
    this.timerDue = now + waitMs;
    this.timer = this.clock.setTimeout(() => this.fire(), waitMs);
  }

  private disarm(): void {
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
    this.timerDue = Infinity;
  }

  private fire(): void {
    this.timer = undefined;
    this.timerDue = Infinity;
    const now = this.clock.now();
    for (;;) {
      const top = this.heap.peek();
      if (!top || top.readyAt > now) break;
      this.heap.pop();
      this.waiting.delete(top.key);
      this.add(top.item);
    }
    this.arm();
  }
}
