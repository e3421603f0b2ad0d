import { setTimeout as delay } from "node:timers/promises";

export interface BackoffOptions {
  /** First delay; default 800 ms. */
  initialMs?: number;
  /** Ceiling of the doubling; default 30 s. */
  maxMs?: number;
  /** A failure this long after the previous one starts again from initialMs; default 60 s. */
  resetAfterMs?: number;
}

/**
 * Exponential delays with jitter for retries after failures. The sequence only starts over after a quiet period, not
 * after one success, so a server that accepts a list and fails every watch is not hammered.
 */
export class Backoff {
  private readonly initialMs: number;
  private readonly maxMs: number;
  private readonly resetAfterMs: number;
  private attempt = 0;
  private lastFailure = 0;

  constructor(options: BackoffOptions = {}) {
    this.initialMs = options.initialMs ?? 800;
    this.maxMs = options.maxMs ?? 30_000;
    this.resetAfterMs = options.resetAfterMs ?? 60_000;
  }

  /** Starts the sequence over: the next failure waits initialMs again (the server is known to answer now). */
  reset(): void {
    this.attempt = 0;
    this.lastFailure = 0;
  }

  /** Records a failure and returns how long to wait before the next attempt. */
  next(now = Date.now()): number {
    if (now - this.lastFailure > this.resetAfterMs) this.attempt = 0;
    this.lastFailure = now;
    const base = Math.min(this.maxMs, this.initialMs * 2 ** this.attempt);
    if (base < this.maxMs) this.attempt++;
    // ±20 % so that many informers failing together do not retry together.
    return Math.round(Math.min(this.maxMs, base * (0.8 + Math.random() * 0.4)));
  }
}

/** Waits, unless the signal aborts first; never throws and leaves no timer behind. */
export async function sleep(ms: number, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return;
  try {
    await delay(ms, undefined, { signal });
  } catch {
    // aborted
  }
}
