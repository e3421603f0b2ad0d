import { type QueueMetrics, type QueueMetricsProvider, noopQueueMetrics } from "./metrics.ts";
import { type Clock, realClock } from "./clock.ts";
import { FairFifo, type KeyFifo, SimpleFifo } from "./fifo.ts";

/**
 * client-go's work queue: a key added several times before a worker takes it is handed out once; a key is never
 * handed to two workers at once; a key added while a worker holds it is handed out again after done().
 */
export interface WorkQueue<T> {
  add(item: T): void;
  /** Items waiting to be taken (not counting those re-added while in flight). */
  len(): number;
  /** The next item, once there is one; undefined once the queue shuts down. Pair every item with done(). */
  get(): Promise<T | undefined>;
  done(item: T): void;
  /** Stops handing out items and ignores later adds; workers waiting in get() receive undefined. */
  shutDown(): void;
  /** shutDown(), then resolves once every item handed out has been marked done. */
  shutDownWithDrain(): Promise<void>;
  shuttingDown(): boolean;
}

export interface QueueOptions<T> {
  /** Names the queue in metrics; a queue without a name, or without a metrics provider, records none. */
  name?: string;
  /** Where a named queue's metrics go (the controller passes the Prometheus one of metrics/). */
  metricsProvider?: QueueMetricsProvider;
  /** The metrics' controller label (default: the name). */
  controller?: string;
  /**
   * The identity of an item: items with equal keys are the same work. Default: the string itself for strings, else
   * defaultKeyOf's canonical JSON (equal fields, equal key, as Go compares struct items).
   */
  keyOf?: (item: T) => string;
  /**
   * Serve items round-robin across the shards this names (e.g. the cluster of a multi-cluster request), so that a
   * burst in one shard cannot starve the others. Default: one FIFO for all.
   */
  fairnessKeyOf?: (item: T) => string;
  clock?: Clock;
}

/** A string as itself; any other item as JSON with its object keys sorted, so equal fields give equal keys. */
export function defaultKeyOf<T>(item: T): string {
  if (typeof item === "string") return item;
  return JSON.stringify(item, (_key, value: unknown) =>
    value !== null && typeof value === "object" && !Array.isArray(value)
      ? Object.fromEntries(Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : value,
  );
}

export class Queue<T> implements WorkQueue<T> {
  protected readonly keyOf: (item: T) => string;
  protected readonly clock: Clock;
  protected readonly metrics: QueueMetrics;
  /** Keys waiting to be handed out, including those re-added while in flight (not yet in the FIFO). */
  private readonly dirty = new Map<string, T>();
  private readonly processing = new Set<string>();
  private readonly fifo: KeyFifo;
  private readonly shardOf: ((item: T) => string) | undefined;
  private readonly waiters: ((item: T | undefined) => void)[] = [];
  private drained: (() => void)[] = [];
  private shutting = false;

  constructor(opts: QueueOptions<T> = {}) {
    this.keyOf = opts.keyOf ?? defaultKeyOf;
    this.shardOf = opts.fairnessKeyOf;
    this.fifo = opts.fairnessKeyOf ? new FairFifo() : new SimpleFifo();
    this.clock = opts.clock ?? realClock;
    this.metrics = opts.name && opts.metricsProvider
      ? opts.metricsProvider({ name: opts.name, controller: opts.controller, clock: this.clock, depth: () => this.dirty.size })
      : noopQueueMetrics;
  }

  add(item: T): void {
    if (this.shutting) return;
    const key = this.keyOf(item);
    if (this.dirty.has(key)) return;
    this.metrics.add(key);
    this.dirty.set(key, item);
    if (this.processing.has(key)) return;
    this.enqueue(key);
  }

  len(): number {
    return this.fifo.length;
  }

  get(): Promise<T | undefined> {
    if (this.shutting) return Promise.resolve(undefined);
    const key = this.fifo.shift();
    if (key !== undefined) return Promise.resolve(this.take(key));
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  done(item: T): void {
    const key = this.keyOf(item);
    if (!this.processing.delete(key)) return;
    this.metrics.done(key);
    if (this.shutting) {
      if (this.processing.size === 0) this.notifyDrained();
      return;
    }
    if (this.dirty.has(key)) this.enqueue(key);
  }

  shutDown(): void {
    if (this.shutting) return;
    this.shutting = true;
    this.metrics.shutDown();
    for (const w of this.waiters.splice(0)) w(undefined);
    this.fifo.clear();
    this.dirty.clear();
    if (this.processing.size === 0) this.notifyDrained();
  }

  shutDownWithDrain(): Promise<void> {
    this.shutDown();
    if (this.processing.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.drained.push(resolve));
  }

  shuttingDown(): boolean {
    return this.shutting;
  }

  /** Number of items handed out and not yet done. */
  inFlight(): number {
    return this.processing.size;
  }

  private enqueue(key: string): void {
    const waiter = this.waiters.shift();
    // A waiting worker only exists while the FIFO is empty, so handing the key straight over keeps FIFO order.
    if (waiter) waiter(this.take(key));
    else this.fifo.push(key, this.shardOf ? this.shardOf(this.dirty.get(key) as T) : "");
  }

  private take(key: string): T {
    const item = this.dirty.get(key) as T;
    this.dirty.delete(key);
    this.processing.add(key);
    this.metrics.get(key);
    return item;
  }

  private notifyDrained(): void {
    for (const d of this.drained.splice(0)) d();
  }
}
