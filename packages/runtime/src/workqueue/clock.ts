/** An opaque timer handle returned by Clock.setTimeout. */
export type TimerHandle = unknown;

/**
 * Where the work queue, rate limiters and controllers read time and set timers, so that tests can drive backoff and
 * requeueAfter with a FakeClock instead of waiting.
 */
export interface Clock {
  /** Milliseconds on a monotonic scale: only differences between readings mean anything. */
  now(): number;
  setTimeout(fn: () => void, ms: number): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
}

/**
 * The longest delay a Node timer takes (2^31 - 1 ms, about 24.8 days). Node turns a longer one into 1 ms, so a timer
 * meant for a month would fire at once, and again every millisecond if re-armed: callers wait in steps of at most this.
 */
export const MAX_TIMER_DELAY_MS = 2 ** 31 - 1;

/** Real time: performance.now() (monotonic, unaffected by wall-clock jumps) and Node's timers. */
export const realClock: Clock = {
  now: () => performance.now(),
  // Clamped, not wrapped: the callback fires early and the caller, seeing its time has not come, sets the next step.
  setTimeout: (fn, ms) => globalThis.setTimeout(fn, Math.min(Math.max(0, ms), MAX_TIMER_DELAY_MS)),
  clearTimeout: (handle) => globalThis.clearTimeout(handle as ReturnType<typeof globalThis.setTimeout>),
};

interface FakeTimer {
  readonly id: number;
  readonly due: number;
  readonly fn: () => void;
}

/**
 * Time that moves only when told to. step(ms) advances the clock and fires every timer that falls due on the way, in
 * due order, with now() reading each timer's due time while it runs (timers set by those callbacks fire too if they
 * fall within the step).
 */
export class FakeClock implements Clock {
  private time: number;
  private nextId = 1;
  // Few timers are ever pending at once (the delaying queue keeps one), so a sorted array is enough.
  private timers: FakeTimer[] = [];

  constructor(start = 0) {
    this.time = start;
  }

  now(): number {
    return this.time;
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    const timer: FakeTimer = { id: this.nextId++, due: this.time + Math.max(0, ms), fn };
    let i = this.timers.length;
    while (i > 0 && this.timers[i - 1]!.due > timer.due) i--;
    this.timers.splice(i, 0, timer);
    return timer.id;
  }

  clearTimeout(handle: TimerHandle): void {
    const i = this.timers.findIndex((t) => t.id === handle);
    if (i >= 0) this.timers.splice(i, 1);
  }

  /** Advances time by ms, firing the timers that fall due. */
  step(ms: number): void {
    const end = this.time + ms;
    for (;;) {
      const next = this.timers[0];
      if (!next || next.due > end) break;
      this.timers.shift();
      this.time = Math.max(this.time, next.due);
      next.fn();
    }
    this.time = end;
  }

  /** Moves to an absolute time (never backwards), firing the timers on the way. */
  setTime(t: number): void {
    if (t > this.time) this.step(t - this.time);
  }

  /** Number of timers not yet fired. */
  pendingTimers(): number {
    return this.timers.length;
  }

  /** When the earliest pending timer falls due, if any. */
  nextDue(): number | undefined {
    return this.timers[0]?.due;
  }
}
