import { type Clock, realClock } from "./clock.ts";

/** Decides how long an item waits before it is retried. Items are identified by their queue keys. */
export interface RateLimiter {
  /** Milliseconds to wait before the item's next attempt; records the attempt. */
  when(key: string): number;
  /** Stops tracking the item (it succeeded, or was given up on). */
  forget(key: string): void;
  /** Failures recorded for the item since it was last forgotten. */
  numRequeues(key: string): number;
}

/** Per item: baseMs * 2^failures, capped at maxMs. controller-runtime's default is 5 ms up to 1000 s. */
export function exponentialFailureRateLimiter(baseMs = 5, maxMs = 1_000_000): RateLimiter {
  const failures = new Map<string, number>();
  return {
    when(key) {
      const exp = failures.get(key) ?? 0;
      failures.set(key, exp + 1);
      const backoff = baseMs * 2 ** exp;
      return Number.isFinite(backoff) && backoff < maxMs ? backoff : maxMs;
    },
    forget(key) {
      failures.delete(key);
    },
    numRequeues(key) {
      return failures.get(key) ?? 0;
    },
  };
}

/** Per item: fastMs for the first maxFastAttempts failures, slowMs after. */
export function fastSlowRateLimiter(fastMs: number, slowMs: number, maxFastAttempts: number): RateLimiter {
  const failures = new Map<string, number>();
  return {
    when(key) {
      const n = (failures.get(key) ?? 0) + 1;
      failures.set(key, n);
      return n <= maxFastAttempts ? fastMs : slowMs;
    },
    forget(key) {
      failures.delete(key);
    },
    numRequeues(key) {
      return failures.get(key) ?? 0;
    },
  };
}

export interface BucketOptions {
  /** Tokens added per second. */
  qps: number;
  /** Bucket size: how many items may go through at once after a quiet spell. */
  burst: number;
  clock?: Clock;
}

/**
 * One token bucket for all items (golang.org/x/time/rate's reservation semantics): each call takes a token, and when
 * the bucket is empty the delay is the time until the token taken is refilled. Not per item, so forget does nothing.
 */
export function bucketRateLimiter(opts: BucketOptions): RateLimiter {
  const { qps, burst } = opts;
  const clock = opts.clock ?? realClock;
  if (!(qps > 0) || !(burst >= 1)) throw new Error(`bucketRateLimiter: qps must be > 0 and burst >= 1 (got qps ${qps}, burst ${burst})`);
  let tokens = burst;
  let last = clock.now();
  return {
    when() {
      const now = clock.now();
      if (now > last) {
        tokens = Math.min(burst, tokens + ((now - last) * qps) / 1000);
        last = now;
      }
      tokens -= 1;
      return tokens >= 0 ? 0 : (-tokens * 1000) / qps;
    },
    forget() {},
    numRequeues() {
      return 0;
    },
  };
}

/** The longest delay of all the limiters (each records the attempt); numRequeues is the largest of theirs. */
export function maxOfRateLimiter(...limiters: RateLimiter[]): RateLimiter {
  return {
    when(key) {
      let max = 0;
      for (const l of limiters) max = Math.max(max, l.when(key));
      return max;
    },
    forget(key) {
      for (const l of limiters) l.forget(key);
    },
    numRequeues(key) {
      let max = 0;
      for (const l of limiters) max = Math.max(max, l.numRequeues(key));
      return max;
    },
  };
}

export interface ControllerRateLimiterOptions {
  /** Per-item exponential backoff's first delay (default 5 ms). */
  baseDelayMs?: number;
  /** Per-item exponential backoff's cap (default 1000 s). */
  maxDelayMs?: number;
  /** The overall token bucket (default 10 qps, burst 100); false leaves it out. */
  bucket?: { qps: number; burst: number } | false;
  clock?: Clock;
}

/**
 * DefaultTypedControllerRateLimiter: the larger of per-item exponential backoff (5 ms .. 1000 s) and an overall
 * 10 qps / burst 100 token bucket.
 */
export function defaultControllerRateLimiter(opts: ControllerRateLimiterOptions = {}): RateLimiter {
  const exp = exponentialFailureRateLimiter(opts.baseDelayMs ?? 5, opts.maxDelayMs ?? 1_000_000);
  const bucket = opts.bucket ?? { qps: 10, burst: 100 };
  if (bucket === false) return exp;
  return maxOfRateLimiter(exp, bucketRateLimiter({ ...bucket, clock: opts.clock }));
}
