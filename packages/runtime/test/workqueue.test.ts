import { describe, expect, it, vi } from "vitest";
import { registry } from "../src/metrics/registry.ts";
import { newQueueMetrics } from "../src/metrics/workqueue.ts";
import {
  FakeClock,
  MAX_TIMER_DELAY_MS,
  Queue,
  RateLimitingQueue,
  bucketRateLimiter,
  defaultControllerRateLimiter,
  exponentialFailureRateLimiter,
  fastSlowRateLimiter,
  maxOfRateLimiter,
  realClock,
  type TimerHandle,
} from "../src/workqueue/index.ts";

/** A FakeClock that remembers every delay asked of it. */
class RecordingClock extends FakeClock {
  readonly delays: number[] = [];
  override setTimeout(fn: () => void, ms: number): TimerHandle {
    this.delays.push(ms);
    return super.setTimeout(fn, ms);
  }
}

// Generous: these tests share the machine with API servers; a condition that never holds still fails.
const poll = <T>(fn: () => T) => expect.poll(fn, { timeout: 15_000, interval: 5 });

const req = (name: string, namespace = "ns") => ({ namespace, name });

describe("Queue", () => {
  it("hands out a key added twice before processing once", async () => {
    const q = new Queue<{ namespace?: string; name: string }>();
    q.add(req("a"));
    q.add(req("a"));
    q.add(req("b"));
    expect(q.len()).toBe(2);
    expect(await q.get()).toEqual(req("a"));
    expect(await q.get()).toEqual(req("b"));
    expect(q.len()).toBe(0);
  });

  it("keys strings by themselves and other items by keyOf", async () => {
    const s = new Queue<string>();
    s.add("x");
    s.add("x");
    expect(s.len()).toBe(1);
    const k = new Queue<{ id: number; v: string }>({ keyOf: (i) => String(i.id) });
    k.add({ id: 1, v: "first" });
    k.add({ id: 1, v: "second" });
    k.add({ id: 2, v: "other" });
    expect(k.len()).toBe(2);
    expect(await k.get()).toEqual({ id: 1, v: "first" });
  });

  it("never hands a key to two workers at once, and re-adds during processing run after done", async () => {
    const q = new Queue<string>();
    q.add("a");
    const first = await q.get();
    expect(first).toBe("a");
    q.add("a");
    // The re-added key waits for done(): it is not in the FIFO.
    expect(q.len()).toBe(0);
    let second: string | undefined;
    void q.get().then((v) => (second = v));
    await Promise.resolve();
    expect(second).toBeUndefined();
    q.done("a");
    await poll(() => second).toBe("a");
    q.done("a");
    expect(q.inFlight()).toBe(0);
  });

  it("get() waits for an item and resolves in FIFO order of waiting", async () => {
    const q = new Queue<string>();
    const got: string[] = [];
    const w1 = q.get().then((v) => got.push(`w1:${v}`));
    const w2 = q.get().then((v) => got.push(`w2:${v}`));
    q.add("a");
    q.add("b");
    await Promise.all([w1, w2]);
    expect(got).toEqual(["w1:a", "w2:b"]);
  });

  it("shutDown releases waiting workers with undefined and ignores later adds", async () => {
    const q = new Queue<string>();
    const waiting = q.get();
    q.shutDown();
    expect(await waiting).toBeUndefined();
    q.add("a");
    expect(q.len()).toBe(0);
    expect(await q.get()).toBeUndefined();
    expect(q.shuttingDown()).toBe(true);
  });

  it("shutDownWithDrain resolves only after in-flight items are done", async () => {
    const q = new Queue<string>();
    q.add("a");
    q.add("b");
    const a = (await q.get())!;
    const b = (await q.get())!;
    let drained = false;
    const p = q.shutDownWithDrain().then(() => (drained = true));
    q.done(a);
    await Promise.resolve();
    await Promise.resolve();
    expect(drained).toBe(false);
    q.done(b);
    await p;
    expect(drained).toBe(true);
    await expect(new Queue<string>().shutDownWithDrain()).resolves.toBeUndefined();
  });

  it("keeps FIFO order across many items (compaction included)", async () => {
    const q = new Queue<string>();
    const n = 5000;
    for (let i = 0; i < n; i++) q.add(`k${i}`);
    for (let i = 0; i < n; i++) {
      const k = await q.get();
      expect(k).toBe(`k${i}`);
      q.done(k!);
      if (i === 3000) for (let j = n; j < n + 10; j++) q.add(`k${j}`);
    }
    for (let j = n; j < n + 10; j++) expect(await q.get()).toBe(`k${j}`);
  });
});

describe("DelayingQueue (addAfter)", () => {
  it("adds after the delay, in ready-time order, with one timer", () => {
    const clock = new FakeClock();
    const q = new RateLimitingQueue<string>({ clock });
    q.addAfter("late", 30);
    q.addAfter("early", 10);
    q.addAfter("mid", 20);
    q.addAfter("now", 0);
    expect(q.len()).toBe(1);
    expect(clock.pendingTimers()).toBe(1);
    expect(q.waitingLen()).toBe(3);
    clock.step(9);
    expect(q.len()).toBe(1);
    clock.step(1);
    expect(q.len()).toBe(2);
    clock.step(20);
    expect(q.len()).toBe(4);
    expect(clock.pendingTimers()).toBe(0);
  });

  it("waits out a requeueAfter past Node's timer limit (2^31 ms, ~25 days) in a few timers, not one a millisecond", () => {
    const clock = new RecordingClock();
    const q = new RateLimitingQueue<string>({ clock });
    const month = 30 * 24 * 3600_000;
    q.addAfter("renew-certificate", month);
    q.addAfter("soon", 2 ** 31);
    // Node turns a longer timer into 1 ms: no timer may ask for more than it takes.
    expect(clock.delays.every((ms) => ms > 0 && ms <= MAX_TIMER_DELAY_MS)).toBe(true);
    clock.step(2 ** 31 - 1);
    expect(q.len()).toBe(0);
    clock.step(1);
    expect(q.len()).toBe(1);
    clock.step(month - 2 ** 31 - 1);
    expect(q.len()).toBe(1);
    clock.step(1);
    expect(q.len()).toBe(2);
    expect(clock.delays.every((ms) => ms > 0 && ms <= MAX_TIMER_DELAY_MS)).toBe(true);
    // One timer per 24.8-day step and per item becoming ready: a handful for the month, none left.
    expect(clock.delays.length).toBeLessThanOrEqual(4);
    expect(clock.pendingTimers()).toBe(0);
  });

  it("the real clock never hands Node a delay it would turn into 1 ms", () => {
    const spy = vi.spyOn(globalThis, "setTimeout");
    try {
      const handle = realClock.setTimeout(() => {}, 40 * 24 * 3600_000);
      realClock.clearTimeout(handle);
      expect(spy.mock.calls.at(-1)?.[1]).toBe(MAX_TIMER_DELAY_MS);
    } finally {
      spy.mockRestore();
    }
  });

  it("an earlier addAfter of the same key wins; a later one does not postpone it", async () => {
    const clock = new FakeClock();
    const q = new RateLimitingQueue<string>({ clock });
    q.addAfter("a", 100);
    q.addAfter("a", 50);
    q.addAfter("a", 80);
    expect(q.waitingLen()).toBe(1);
    clock.step(49);
    expect(q.len()).toBe(0);
    clock.step(1);
    expect(q.len()).toBe(1);
    clock.step(100);
    expect(q.len()).toBe(1);
    expect(await q.get()).toBe("a");
  });

  it("orders many random delays correctly", async () => {
    const clock = new FakeClock();
    const q = new RateLimitingQueue<number>({ clock, keyOf: String });
    const delays = Array.from({ length: 500 }, (_, i) => ((i * 7919) % 1000) + 1);
    delays.forEach((d, i) => q.addAfter(i, d));
    clock.step(1000);
    const order: number[] = [];
    while (q.len() > 0) order.push((await q.get())!);
    const readyAt = order.map((i) => delays[i]!);
    expect(readyAt).toEqual([...readyAt].sort((a, b) => a - b));
    expect(order).toHaveLength(500);
  });

  it("shutDown cancels the timer and drops waiting items", () => {
    const clock = new FakeClock();
    const q = new RateLimitingQueue<string>({ clock });
    q.addAfter("a", 10);
    q.shutDown();
    expect(clock.pendingTimers()).toBe(0);
    clock.step(100);
    expect(q.len()).toBe(0);
  });
});

describe("rate limiters", () => {
  it("per-item exponential backoff doubles from 5 ms, caps, and forget resets it", () => {
    const l = exponentialFailureRateLimiter(5, 1000);
    expect([1, 2, 3, 4, 5, 6, 7, 8].map(() => l.when("a"))).toEqual([5, 10, 20, 40, 80, 160, 320, 640]);
    expect(l.when("a")).toBe(1000);
    expect(l.when("a")).toBe(1000);
    expect(l.numRequeues("a")).toBe(10);
    expect(l.when("b")).toBe(5);
    l.forget("a");
    expect(l.numRequeues("a")).toBe(0);
    expect(l.when("a")).toBe(5);
    const huge = exponentialFailureRateLimiter();
    for (let i = 0; i < 2000; i++) huge.when("x");
    expect(huge.when("x")).toBe(1_000_000);
  });

  it("addRateLimited waits 5 ms, 10 ms, 20 ms ... on the fake clock; forget resets", async () => {
    const clock = new FakeClock();
    const q = new RateLimitingQueue<string>({ clock, rateLimiter: defaultControllerRateLimiter({ clock, maxDelayMs: 40 }) });
    for (const expected of [5, 10, 20, 40, 40]) {
      q.addRateLimited("a");
      clock.step(expected - 1);
      expect(q.len()).toBe(0);
      clock.step(1);
      expect(q.len()).toBe(1);
      q.done((await q.get())!);
    }
    expect(q.numRequeues("a")).toBe(5);
    q.forget("a");
    expect(q.numRequeues("a")).toBe(0);
    q.addRateLimited("a");
    clock.step(5);
    expect(q.len()).toBe(1);
  });

  it("token bucket lets a burst through, then spaces items by 1/qps", () => {
    const clock = new FakeClock();
    const b = bucketRateLimiter({ qps: 10, burst: 3, clock });
    expect([b.when("a"), b.when("b"), b.when("c")]).toEqual([0, 0, 0]);
    expect(b.when("d")).toBeCloseTo(100);
    expect(b.when("e")).toBeCloseTo(200);
    clock.step(1000);
    // 1 s refills 10 tokens, of which 2 repay the debt and the bucket holds at most 3.
    expect([b.when("f"), b.when("g"), b.when("h")]).toEqual([0, 0, 0]);
    expect(b.when("i")).toBeCloseTo(100);
    expect(b.numRequeues("i")).toBe(0);
    expect(() => bucketRateLimiter({ qps: 0, burst: 1 })).toThrow(/qps/);
  });

  it("the default controller limiter is the max of backoff and the 10 qps / 100 burst bucket; the bucket can be left out", () => {
    const clock = new FakeClock();
    const d = defaultControllerRateLimiter({ clock });
    const delays = Array.from({ length: 101 }, (_, i) => d.when(`k${i}`));
    expect(delays.slice(0, 100).every((x) => x === 5)).toBe(true);
    expect(delays[100]).toBeCloseTo(100);
    const noBucket = defaultControllerRateLimiter({ clock, bucket: false });
    expect(Array.from({ length: 200 }, (_, i) => noBucket.when(`k${i}`)).every((x) => x === 5)).toBe(true);
  });

  it("maxOf takes the longest delay and the most requeues; fastSlow switches after n attempts", () => {
    const fs = fastSlowRateLimiter(1, 100, 2);
    expect([fs.when("a"), fs.when("a"), fs.when("a")]).toEqual([1, 1, 100]);
    const m = maxOfRateLimiter(exponentialFailureRateLimiter(1, 1000), fastSlowRateLimiter(3, 50, 1));
    expect([m.when("a"), m.when("a"), m.when("a")]).toEqual([3, 50, 50]);
    expect(m.numRequeues("a")).toBe(3);
    m.forget("a");
    expect(m.numRequeues("a")).toBe(0);
  });
});

const nameOf = (v: object): string | undefined => (v as { metricName?: string }).metricName;

describe("workqueue metrics", () => {
  async function value(metric: string, labels: Record<string, string>): Promise<number | undefined> {
    const m = registry.getSingleMetric(metric);
    if (!m) throw new Error(`${metric} not registered`);
    const got = await m.get();
    return got.values.find((v) => Object.entries(labels).every(([k, l]) => v.labels[k] === l))?.value;
  }

  it("records client-go's metrics with name and controller labels", async () => {
    const clock = new FakeClock();
    const q = new RateLimitingQueue<string>({ name: "wq-metrics", clock, metricsProvider: newQueueMetrics });
    const labels = { name: "wq-metrics", controller: "wq-metrics" };
    q.add("a");
    q.add("a");
    q.add("b");
    expect(await value("workqueue_adds_total", labels)).toBe(2);
    expect(await value("workqueue_depth", labels)).toBe(2);
    clock.step(2000);
    const a = (await q.get())!;
    expect(await value("workqueue_depth", labels)).toBe(1);
    clock.step(3000);
    expect(await value("workqueue_unfinished_work_seconds", labels)).toBe(3);
    expect(await value("workqueue_longest_running_processor_seconds", labels)).toBe(3);
    q.done(a);
    q.addRateLimited("c");
    q.addAfter("d", 10);
    expect(await value("workqueue_retries_total", labels)).toBe(2);

    const queued = await registry.getSingleMetric("workqueue_queue_duration_seconds")!.get();
    const qCount = queued.values.find((v) => nameOf(v) === "workqueue_queue_duration_seconds_count" && v.labels.name === "wq-metrics");
    const qSum = queued.values.find((v) => nameOf(v) === "workqueue_queue_duration_seconds_sum" && v.labels.name === "wq-metrics");
    expect(qCount?.value).toBe(1);
    expect(qSum?.value).toBe(2);
    const work = await registry.getSingleMetric("workqueue_work_duration_seconds")!.get();
    const wSum = work.values.find((v) => nameOf(v) === "workqueue_work_duration_seconds_sum" && v.labels.controller === "wq-metrics");
    expect(wSum?.value).toBe(3);

    const text = await registry.metrics();
    expect(text).toContain('workqueue_depth{name="wq-metrics",controller="wq-metrics"} 1');
    q.shutDown();
    expect(await value("workqueue_depth", labels)).toBeUndefined();
  });

  it("records nothing for an unnamed queue", async () => {
    const before = (await registry.getSingleMetric("workqueue_adds_total")!.get()).values.length;
    const q = new Queue<string>({ metricsProvider: newQueueMetrics });
    q.add("x");
    expect((await registry.getSingleMetric("workqueue_adds_total")!.get()).values.length).toBe(before);
  });
});
