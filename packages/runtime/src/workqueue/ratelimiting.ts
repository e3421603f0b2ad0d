import { DelayingQueue, type DelayingWorkQueue } from "./delaying.ts";
import type { QueueOptions } from "./queue.ts";
import { type RateLimiter, defaultControllerRateLimiter } from "./ratelimiter.ts";

export interface RateLimitingWorkQueue<T> extends DelayingWorkQueue<T> {
  /** Adds the item after the rate limiter's delay for it (recording a failure). */
  addRateLimited(item: T): void;
  /** Clears the item's failure history: call it once the item succeeded or was given up on. */
  forget(item: T): void;
  numRequeues(item: T): number;
}

export interface RateLimitingQueueOptions<T> extends QueueOptions<T> {
  /** Default: defaultControllerRateLimiter on the queue's clock. */
  rateLimiter?: RateLimiter;
}

/** The queue controllers use: dedup, per-key serialisation, delays and rate-limited retries. */
export class RateLimitingQueue<T> extends DelayingQueue<T> implements RateLimitingWorkQueue<T> {
  readonly rateLimiter: RateLimiter;

  constructor(opts: RateLimitingQueueOptions<T> = {}) {
    super(opts);
    this.rateLimiter = opts.rateLimiter ?? defaultControllerRateLimiter({ clock: this.clock });
  }

  addRateLimited(item: T): void {
    if (this.shuttingDown()) return;
    this.addAfter(item, this.rateLimiter.when(this.keyOf(item)));
  }

  forget(item: T): void {
    this.rateLimiter.forget(this.keyOf(item));
  }

  numRequeues(item: T): number {
    return this.rateLimiter.numRequeues(this.keyOf(item));
  }
}
