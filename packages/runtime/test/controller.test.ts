import { afterEach, describe, expect, it } from "vitest";
import type { KubeObject } from "../src/api/object.ts";
import { Controller, type ControllerOptions } from "../src/controller/index.ts";
import { enqueueRequestForObject } from "../src/handler/index.ts";
import { fromContext } from "../src/log/index.ts";
import { registry } from "../src/metrics/registry.ts";
import { type ReconcileFunc, type Request, type Result, TerminalError, requestKey } from "../src/reconcile/index.ts";
import { kind } from "../src/source/index.ts";
import { FakeClock, exponentialFailureRateLimiter } from "../src/workqueue/index.ts";
import { recordLogs } from "../../../test/support/logs.ts";
import { FakeInformerCache } from "./support/fake-informer.ts";

// Generous: these tests share the machine with API servers; a condition that never holds still fails.
const poll = <T>(fn: () => T) => expect.poll(fn, { timeout: 15_000, interval: 5 });

const Widget = { apiVersion: "example.com/v1", kind: "Widget" };
const widget = (name: string): KubeObject => ({ ...Widget, metadata: { namespace: "ns", name } });
const req = (name: string): Request => ({ namespace: "ns", name });

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve: () => void = () => {};
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

let seq = 0;
const running: { ac: AbortController; done: Promise<void> }[] = [];

afterEach(async () => {
  for (const r of running.splice(0)) {
    r.ac.abort();
    await r.done.catch(() => {});
  }
});

interface Harness<Req> {
  ctrl: Controller<Req>;
  lines: string[];
  ac: AbortController;
  start(): Promise<void>;
}

function harness<Req = Request>(opts: Omit<ControllerOptions<Req>, "name"> & { name?: string }): Harness<Req> {
  const { logger, lines } = recordLogs();
  const ctrl = new Controller<Req>({ logger, ...opts, name: opts.name ?? `test-${++seq}` });
  const ac = new AbortController();
  return {
    ctrl,
    lines,
    ac,
    start() {
      const done = ctrl.start(ac.signal);
      running.push({ ac, done });
      return done;
    },
  };
}

async function idle(ctrl: Controller<never> | Controller<Request>): Promise<void> {
  await poll(() => ctrl.queue.len() + ctrl.queue.inFlight() + ctrl.queue.waitingLen()).toBe(0);
}

async function metricValue(metric: string, labels: Record<string, string>): Promise<number | undefined> {
  const got = await registry.getSingleMetric(metric)!.get();
  return got.values.find(
    (v) => Object.entries(labels).every(([k, l]) => v.labels[k] === l) && !(v as { metricName?: string }).metricName?.endsWith("_bucket"),
  )?.value;
}

describe("Controller", () => {
  it("reconciles a key added twice before processing once", async () => {
    const calls: string[] = [];
    const h = harness({ reconciler: async (r: Request) => void calls.push(requestKey(r)) });
    h.ctrl.queue.add(req("a"));
    h.ctrl.queue.add(req("a"));
    h.ctrl.queue.add(req("b"));
    void h.start();
    await poll(() => calls.length).toBe(2);
    await idle(h.ctrl);
    expect(calls.sort()).toEqual(["ns/a", "ns/b"]);
  });

  it("never reconciles a key twice at once under concurrency, and every add during a reconcile leads to another run", async () => {
    const keys = Array.from({ length: 12 }, (_, i) => `k${i}`);
    const active = new Set<string>();
    let maxActive = 0;
    let violations = 0;
    let clock = 0;
    const lastAdd = new Map<string, number>();
    const lastStart = new Map<string, number>();
    let rand = 42;
    const random = (n: number): number => {
      rand = (rand * 1103515245 + 12345) & 0x7fffffff;
      return rand % n;
    };
    const h = harness({
      maxConcurrentReconciles: 4,
      reconciler: async (r: Request) => {
        const k = r.name;
        if (active.has(k)) violations++;
        active.add(k);
        maxActive = Math.max(maxActive, active.size);
        lastStart.set(k, ++clock);
        for (let i = random(4); i > 0; i--) await tick();
        active.delete(k);
      },
    });
    void h.start();
    for (let round = 0; round < 150; round++) {
      for (let i = 0; i < 8; i++) {
        const k = keys[random(keys.length)]!;
        lastAdd.set(k, ++clock);
        h.ctrl.queue.add(req(k));
      }
      await tick();
    }
    await idle(h.ctrl);
    expect(violations).toBe(0);
    expect(maxActive).toBeGreaterThan(1);
    expect(maxActive).toBeLessThanOrEqual(4);
    for (const [k, added] of lastAdd) expect(lastStart.get(k), k).toBeGreaterThan(added);
  });

  it("runs maxConcurrentReconciles reconciles at once and reports them as active workers", async () => {
    const gate = deferred();
    let active = 0;
    const h = harness({
      maxConcurrentReconciles: 4,
      reconciler: async () => {
        active++;
        await gate.promise;
        active--;
      },
    });
    for (let i = 0; i < 6; i++) h.ctrl.queue.add(req(`r${i}`));
    void h.start();
    await poll(() => active).toBe(4);
    expect(await metricValue("controller_runtime_active_workers", { controller: h.ctrl.name })).toBe(4);
    expect(await metricValue("controller_runtime_max_concurrent_reconciles", { controller: h.ctrl.name })).toBe(4);
    gate.resolve();
    await idle(h.ctrl);
    expect(await metricValue("controller_runtime_active_workers", { controller: h.ctrl.name })).toBe(0);
  });

  it("reconciles a key re-added while in flight again after the first run", async () => {
    const gate = deferred();
    let calls = 0;
    const h = harness({
      reconciler: async () => {
        if (++calls === 1) await gate.promise;
      },
    });
    h.ctrl.queue.add(req("a"));
    void h.start();
    await poll(() => calls).toBe(1);
    h.ctrl.queue.add(req("a"));
    await tick();
    expect(calls).toBe(1);
    gate.resolve();
    await poll(() => calls).toBe(2);
    await idle(h.ctrl);
    expect(calls).toBe(2);
  });

  it("retries failures with exponential backoff from 5 ms on the fake clock; success forgets the failures", async () => {
    const clock = new FakeClock();
    const times: number[] = [];
    let fail = true;
    const h = harness({
      clock,
      reconciler: async () => {
        times.push(clock.now());
        if (fail) throw new Error("transient");
      },
    });
    const q = h.ctrl.queue;
    q.add(req("a"));
    void h.start();
    for (const delay of [5, 10, 20, 40]) {
      await poll(() => q.waitingLen()).toBe(1);
      const n = times.length;
      clock.step(delay - 1);
      expect(q.waitingLen()).toBe(1);
      clock.step(1);
      await poll(() => times.length).toBe(n + 1);
    }
    expect(times).toEqual([0, 5, 15, 35, 75]);
    await poll(() => q.waitingLen()).toBe(1);
    expect(q.numRequeues(req("a"))).toBe(5);
    fail = false;
    clock.step(80);
    await poll(() => times.length).toBe(6);
    await idle(h.ctrl);
    expect(q.numRequeues(req("a"))).toBe(0);
    expect(h.lines.join("")).toMatch(/"msg":"Reconciler error"/);
    expect(h.lines.join("")).toMatch(/transient/);
  });

  it("retries sync throws and thrown non-Error values", async () => {
    const clock = new FakeClock();
    const calls: string[] = [];
    const reconciler = ((r: Request) => {
      calls.push(r.name);
      if (r.name === "sync") throw new Error("thrown synchronously");
      return Promise.reject("a bare string");
    }) as ReconcileFunc;
    const h = harness({ clock, reconciler, maxConcurrentReconciles: 2 });
    h.ctrl.queue.add(req("sync"));
    h.ctrl.queue.add(req("value"));
    void h.start();
    await poll(() => h.ctrl.queue.waitingLen()).toBe(2);
    clock.step(5);
    await poll(() => calls.length).toBe(4);
    const logs = h.lines.join("");
    expect(logs).toMatch(/thrown synchronously/);
    expect(logs).toMatch(/non-Error value thrown: a bare string/);
    expect(await metricValue("controller_runtime_reconcile_errors_total", { controller: h.ctrl.name })).toBeGreaterThanOrEqual(4);
  });

  it("does not retry terminal errors (also wrapped as a cause), counts and forgets them", async () => {
    const clock = new FakeClock();
    const calls: string[] = [];
    const h = harness({
      clock,
      reconciler: async (r: Request) => {
        calls.push(r.name);
        if (r.name === "direct") throw new TerminalError("invalid spec");
        throw new Error("wrapped", { cause: new TerminalError("invalid spec deep down") });
      },
    });
    h.ctrl.queue.add(req("direct"));
    h.ctrl.queue.add(req("wrapped"));
    void h.start();
    await poll(() => metricValue("controller_runtime_terminal_reconcile_errors_total", { controller: h.ctrl.name })).toBe(2);
    await idle(h.ctrl);
    clock.step(10_000);
    await tick();
    expect(calls).toEqual(["direct", "wrapped"]);
    expect(h.ctrl.queue.numRequeues(req("direct"))).toBe(0);
    expect(await metricValue("controller_runtime_reconcile_errors_total", { controller: h.ctrl.name })).toBe(2);
    expect(h.lines.join("")).toMatch(/invalid spec/);
  });

  it("requeueAfter reconciles again after that delay, without backoff", async () => {
    const clock = new FakeClock();
    const times: number[] = [];
    const h = harness({
      clock,
      reconciler: async (): Promise<Result> => {
        times.push(clock.now());
        return times.length === 1 ? { requeueAfter: 1000 } : {};
      },
    });
    h.ctrl.queue.add(req("a"));
    void h.start();
    await poll(() => h.ctrl.queue.waitingLen()).toBe(1);
    expect(h.ctrl.queue.numRequeues(req("a"))).toBe(0);
    clock.step(999);
    expect(h.ctrl.queue.waitingLen()).toBe(1);
    clock.step(1);
    await poll(() => times).toEqual([0, 1000]);
    expect(await metricValue("controller_runtime_reconcile_total", { controller: h.ctrl.name, result: "requeue_after" })).toBe(1);
  });

  it("requeue: true goes through the rate limiter", async () => {
    const clock = new FakeClock();
    let calls = 0;
    const h = harness({ clock, reconciler: async (): Promise<Result> => (++calls === 1 ? { requeue: true } : {}) });
    h.ctrl.queue.add(req("a"));
    void h.start();
    await poll(() => h.ctrl.queue.waitingLen()).toBe(1);
    expect(h.ctrl.queue.numRequeues(req("a"))).toBe(1);
    clock.step(5);
    await poll(() => calls).toBe(2);
    await idle(h.ctrl);
    expect(h.ctrl.queue.numRequeues(req("a"))).toBe(0);
    expect(await metricValue("controller_runtime_reconcile_total", { controller: h.ctrl.name, result: "requeue" })).toBe(1);
    expect(await metricValue("controller_runtime_reconcile_total", { controller: h.ctrl.name, result: "success" })).toBe(1);
  });

  it("on shutdown aborts the reconciler's signal and returns only after in-flight reconciles finish", async () => {
    const gate = deferred();
    let seen: AbortSignal | undefined;
    let calls = 0;
    const h = harness({
      reconciler: async (_r: Request, signal: AbortSignal) => {
        calls++;
        seen = signal;
        await gate.promise;
      },
    });
    h.ctrl.queue.add(req("a"));
    let finished = false;
    const done = h.start().then(() => (finished = true));
    await poll(() => seen).toBeDefined();
    expect(seen!.aborted).toBe(false);
    h.ac.abort();
    expect(seen!.aborted).toBe(true);
    h.ctrl.queue.add(req("after-shutdown"));
    await tick();
    expect(finished).toBe(false);
    gate.resolve();
    await done;
    expect(finished).toBe(true);
    expect(calls).toBe(1);
    expect(h.ctrl.queue.shuttingDown()).toBe(true);
  });

  it("waits for its sources to sync before reconciling, and detaches them when stopped", async () => {
    const cache = new FakeInformerCache({ synced: false });
    const inf = cache.informer(Widget);
    inf.add(widget("early"));
    const calls: string[] = [];
    const h = harness({ reconciler: async (r: Request) => void calls.push(requestKey(r)) });
    await h.ctrl.watch(kind(cache, Widget, enqueueRequestForObject()));
    expect(inf.handlerCount()).toBe(0);
    const done = h.start();
    await poll(() => h.ctrl.queue.len()).toBe(1);
    await tick();
    await tick();
    expect(calls).toEqual([]);
    inf.markSynced();
    await poll(() => calls).toEqual(["ns/early"]);
    expect(inf.handlerCount()).toBe(1);
    h.ac.abort();
    await done;
    expect(inf.handlerCount()).toBe(0);
  });

  it("fails start() with a clear error when the sources do not sync in time, and detaches them", async () => {
    const clock = new FakeClock();
    const cache = new FakeInformerCache({ synced: false });
    const h = harness({ clock, cacheSyncTimeoutMs: 5000, reconciler: async () => {} });
    await h.ctrl.watch(kind(cache, Widget, enqueueRequestForObject()));
    const done = h.start();
    await poll(() => clock.pendingTimers()).toBe(1);
    clock.step(5000);
    await expect(done).rejects.toThrow(/timed out after 5000 ms waiting for kind source: example.com\/v1, Kind=Widget to sync/);
    expect(cache.informer(Widget).handlerCount()).toBe(0);
  });

  it("returns without error when stopped while waiting for sync", async () => {
    const cache = new FakeInformerCache({ synced: false });
    const h = harness({ reconciler: async () => {} });
    await h.ctrl.watch(kind(cache, Widget, enqueueRequestForObject()));
    const done = h.start();
    await poll(() => cache.informer(Widget).handlerCount()).toBe(1);
    h.ac.abort();
    await expect(done).resolves.toBeUndefined();
  });

  it("reports a source that fails to start", async () => {
    const h = harness({ reconciler: async () => {} });
    await h.ctrl.watch(kind({ getInformer: () => Promise.reject(new Error("no matches for kind Widget")) }, Widget, enqueueRequestForObject()));
    await expect(h.start()).rejects.toThrow(/starting kind source: example.com\/v1, Kind=Widget failed: no matches for kind Widget/);
  });

  it("starts a source watched after start at once (how new clusters engage)", async () => {
    const cache = new FakeInformerCache();
    cache.informer(Widget).add(widget("existing"));
    const calls: string[] = [];
    const h = harness({ reconciler: async (r: Request) => void calls.push(requestKey(r)) });
    void h.start();
    await h.ctrl.watch(kind(cache, Widget, enqueueRequestForObject()));
    await poll(() => calls).toEqual(["ns/existing"]);
    cache.informer(Widget).add(widget("created"));
    await poll(() => calls).toEqual(["ns/existing", "ns/created"]);
  });

  it("runs once: a second start rejects and a watch after stop does nothing", async () => {
    const h = harness({ reconciler: async () => {} });
    const done = h.start();
    await expect(h.ctrl.start(new AbortController().signal)).rejects.toThrow(/already started/);
    h.ac.abort();
    await done;
    const cache = new FakeInformerCache();
    await h.ctrl.watch(kind(cache, Widget, enqueueRequestForObject()));
    expect(cache.getInformerCalls).toBe(0);
    expect(() => new Controller({ name: "bad", reconciler: async () => {}, maxConcurrentReconciles: 0 })).toThrow(/positive integer/);
    expect(h.ctrl.needLeaderElection()).toBe(true);
    expect(new Controller({ name: "no-le", reconciler: async () => {}, needLeaderElection: false }).needLeaderElection()).toBe(false);
  });

  it("runs each reconcile with a logger carrying controller, namespace, name and a fresh reconcileID", async () => {
    let calls = 0;
    const h = harness({
      reconciler: async () => {
        fromContext().info("inside reconcile");
        calls++;
      },
    });
    h.ctrl.queue.add(req("a"));
    void h.start();
    await poll(() => calls).toBe(1);
    h.ctrl.queue.add(req("a"));
    await poll(() => calls).toBe(2);
    const inside = h.lines.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l.msg === "inside reconcile");
    expect(inside).toHaveLength(2);
    for (const l of inside) {
      expect(l).toMatchObject({ controller: h.ctrl.name, namespace: "ns", name: "a" });
      expect(l.reconcileID).toMatch(/^[0-9a-f-]{36}$/);
    }
    expect(inside[0]!.reconcileID).not.toBe(inside[1]!.reconcileID);
  });

  it("supports other request types with keyOf", async () => {
    interface ClusterRequest {
      cluster: string;
      name: string;
    }
    const calls: string[] = [];
    const h = harness<ClusterRequest>({
      keyOf: (r) => `${r.cluster}#${r.name}`,
      logValues: (r) => ({ cluster: r.cluster, name: r.name }),
      reconciler: async (r) => void calls.push(`${r.cluster}#${r.name}`),
    });
    h.ctrl.queue.add({ cluster: "one", name: "x" });
    h.ctrl.queue.add({ cluster: "two", name: "x" });
    h.ctrl.queue.add({ cluster: "one", name: "x" });
    void h.start();
    await poll(() => calls.length).toBe(2);
    expect(calls.sort()).toEqual(["one#x", "two#x"]);
  });

  it("keeps its workers alive when its own plumbing throws (a throwing logValues)", async () => {
    const clock = new FakeClock();
    const calls: string[] = [];
    let broken = true;
    const h = harness({
      clock,
      logValues: (r: Request) => {
        if (broken && r.name === "a") throw new Error("logValues bug");
        return { name: r.name };
      },
      reconciler: async (r: Request) => void calls.push(r.name),
    });
    h.ctrl.queue.add(req("a"));
    h.ctrl.queue.add(req("b"));
    void h.start();
    await poll(() => calls).toEqual(["b"]);
    await poll(() => h.ctrl.queue.waitingLen()).toBe(1);
    expect(h.lines.join("")).toMatch(/logValues bug/);
    broken = false;
    clock.step(5);
    await poll(() => calls).toEqual(["b", "a"]);
  });

  it("exports controller-runtime's metrics under their names and labels", async () => {
    const clock = new FakeClock();
    const h = harness({
      clock,
      name: "metrics-ctrl",
      maxConcurrentReconciles: 3,
      // Failures must not come back within the test's clock steps.
      rateLimiter: exponentialFailureRateLimiter(3_600_000, 3_600_000),
      reconciler: async (r: Request): Promise<Result> => {
        clock.step(20);
        if (r.name === "err") throw new Error("x");
        if (r.name === "term") throw new TerminalError("y");
        if (r.name === "after") return { requeueAfter: 60_000 };
        return {};
      },
    });
    for (const n of ["ok", "err", "term", "after"]) h.ctrl.queue.add(req(n));
    void h.start();
    const c = { controller: "metrics-ctrl" };
    await poll(() => metricValue("controller_runtime_reconcile_total", { ...c, result: "success" })).toBe(1);
    await poll(() => metricValue("controller_runtime_reconcile_total", { ...c, result: "error" })).toBe(2);
    await poll(() => metricValue("controller_runtime_reconcile_total", { ...c, result: "requeue_after" })).toBe(1);
    expect(await metricValue("controller_runtime_reconcile_total", { ...c, result: "requeue" })).toBe(0);
    expect(await metricValue("controller_runtime_reconcile_errors_total", c)).toBe(2);
    expect(await metricValue("controller_runtime_terminal_reconcile_errors_total", c)).toBe(1);
    expect(await metricValue("controller_runtime_max_concurrent_reconciles", c)).toBe(3);
    const time = await registry.getSingleMetric("controller_runtime_reconcile_time_seconds")!.get();
    const count = time.values.find(
      (v) => (v as { metricName?: string }).metricName === "controller_runtime_reconcile_time_seconds_count" && v.labels.controller === "metrics-ctrl",
    );
    expect(count?.value).toBe(4);
    const text = await registry.metrics();
    expect(text).toContain('controller_runtime_reconcile_total{controller="metrics-ctrl",result="success"} 1');
    expect(text).toContain('workqueue_adds_total{name="metrics-ctrl",controller="metrics-ctrl"}');
    expect(text).toMatch(/workqueue_retries_total\{name="metrics-ctrl",controller="metrics-ctrl"\} [1-9]/);
    expect(text).toContain('controller_runtime_active_workers{controller="metrics-ctrl"}');
  });
});
