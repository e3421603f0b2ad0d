import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  Cluster,
  ConfigMap,
  controllerManagedBy,
  Controller,
  Event,
  handler,
  Manager,
  type Request,
  runnableFunc,
  source,
} from "../src/index.ts";
import { startClusters, type TestCluster } from "../src/envtest/index.ts";
import { eventually } from "../../../test/support/eventually.ts";

const cm = (name: string, data: Record<string, string> = {}): ConfigMap => ({
  apiVersion: "v1",
  kind: "ConfigMap",
  metadata: { name, namespace: "default" },
  data,
});

describe("Manager on real API servers", () => {
  let home: TestCluster;
  let other: TestCluster;

  beforeAll(async () => {
    [home, other] = (await startClusters(2, { names: ["mgr-home", "mgr-other"] })) as [TestCluster, TestCluster];
  });

  afterAll(async () => {
    await Promise.all([home?.stop(), other?.stop()]);
  });

  it("starts a runnable and a Cluster added after it is running; the new cluster's events reach a controller", async () => {
    const mgr = await Manager.create({ kubeconfig: home.kubeconfig });
    const stop = new AbortController();
    const running = mgr.start(stop.signal);
    let lateRunnableSignal: AbortSignal | undefined;
    try {
      await eventually(() => mgr.isRunning(), "manager running");

      await mgr.add(runnableFunc(async (signal) => {
        lateRunnableSignal = signal;
        await new Promise((resolve) => signal.addEventListener("abort", resolve, { once: true }));
      }));
      await eventually(() => lateRunnableSignal, "late runnable started");

      const second = await Cluster.create(other.kubeconfig);
      await mgr.add(second); // resolves once its cache has synced

      const seen: Request[] = [];
      const controller = new Controller<Request>({
        name: "late-cluster-watcher",
        needLeaderElection: false,
        reconciler: { reconcile: async (req) => void seen.push(req) },
      });
      await controller.watch(source.kind(second.cache, ConfigMap, handler.enqueueRequestForObject()));
      await mgr.add(controller);

      await second.client.create(cm("from-the-other-cluster"));
      await eventually(() => seen.find((r) => r.name === "from-the-other-cluster"), "event from the late cluster");
      expect(lateRunnableSignal!.aborted).toBe(false);
    } finally {
      stop.abort();
      await running;
    }
    expect(lateRunnableSignal!.aborted).toBe(true);
  });

  it("stops with the error of a failing runnable, after stopping the others", async () => {
    const mgr = await Manager.create({ kubeconfig: home.kubeconfig });
    let otherStopped = false;
    await mgr.add(runnableFunc(async (signal) => {
      await new Promise((resolve) => signal.addEventListener("abort", resolve, { once: true }));
      otherStopped = true;
    }));
    await mgr.add(runnableFunc(async () => {
      throw new Error("runnable exploded");
    }));
    await expect(mgr.start()).rejects.toThrow("runnable exploded");
    expect(otherStopped).toBe(true);
  });

  it("waits for in-flight reconciles on shutdown and aborts their signal", async () => {
    const mgr = await Manager.create({ kubeconfig: home.kubeconfig });
    let entered!: () => void;
    const inReconcile = new Promise<void>((resolve) => (entered = resolve));
    let finished = false;
    let sawAbort = false;
    await controllerManagedBy(mgr)
      .for(ConfigMap)
      .named("slow")
      .withEventFilter({ create: (e) => e.object.metadata?.name === "slow-one" })
      .complete(async (_req, signal) => {
        entered();
        await new Promise((resolve) => signal.addEventListener("abort", resolve, { once: true }));
        sawAbort = signal.aborted;
        // Work that finishes after the abort, as a careful reconciler's cleanup would.
        await new Promise((resolve) => setImmediate(resolve));
        finished = true;
      });
    const stop = new AbortController();
    const running = mgr.start(stop.signal);
    await mgr.client.create(cm("slow-one"));
    await inReconcile;
    stop.abort();
    await running;
    expect(sawAbort).toBe(true);
    expect(finished).toBe(true);
  });

  it("gives a reconcile's writes its signal: once the manager stops, a write that passes none is abandoned", async () => {
    const mgr = await Manager.create({ kubeconfig: home.kubeconfig });
    let entered!: () => void;
    const inReconcile = new Promise<void>((resolve) => (entered = resolve));
    let lateWrite: unknown;
    let lateRead: unknown;
    await controllerManagedBy(mgr)
      .for(ConfigMap)
      .named("late-writer")
      .withEventFilter({ create: (e) => e.object.metadata?.name === "late-writer-trigger" })
      .complete(async (req, signal) => {
        entered();
        await new Promise((resolve) => signal.addEventListener("abort", resolve, { once: true }));
        lateWrite = await mgr.client.create(cm("late-writer-output")).then(() => "written", (err: unknown) => err);
        // Reads are not tied to it (an informer started from a reconcile outlives it).
        lateRead = await mgr.apiReader.get(ConfigMap, req).then(() => "read", (err: unknown) => err);
      });
    const stop = new AbortController();
    const running = mgr.start(stop.signal);
    await mgr.client.create(cm("late-writer-trigger"));
    await inReconcile;
    const reason = new Error("stopping for the test");
    stop.abort(reason);
    await running;
    expect((lateWrite as Error).name).toBe("AbortError");
    expect(lateRead).toBe("read");
    const reader = await Cluster.create(home.kubeconfig);
    await expect(reader.apiReader.get(ConfigMap, { namespace: "default", name: "late-writer-output" })).rejects.toThrow(/not found/);
    await reader.transport.destroy();
  });

  it("serves metrics and probes over HTTP", async () => {
    const mgr = await Manager.create({
      kubeconfig: home.kubeconfig,
      metricsBindAddress: "127.0.0.1:0",
      healthProbeBindAddress: "127.0.0.1:0",
    });
    let ready = false;
    mgr.addHealthzCheck("ping", () => {});
    mgr.addReadyzCheck("warmed-up", () => {
      if (!ready) throw new Error("not warmed up yet");
    });
    await controllerManagedBy(mgr).for(ConfigMap).named("metrics-probe").complete(async () => {});
    const stop = new AbortController();
    const running = mgr.start(stop.signal);
    try {
      const metricsAt = await eventually(() => mgr.metricsAddress(), "metrics server");
      const probesAt = await eventually(() => mgr.probeAddress(), "probe server");
      await mgr.client.create(cm("metrics-probe-object"));
      const body = await eventually(async () => {
        const text = await (await fetch(`http://127.0.0.1:${metricsAt.port}/metrics`)).text();
        return /controller_runtime_reconcile_total\{controller="metrics-probe",result="success"\} [1-9]/.test(text) ? text : undefined;
      }, "a successful reconcile in /metrics");
      for (const name of ["workqueue_adds_total", "workqueue_depth", "controller_runtime_active_workers", "rest_client_requests_total", "controller_runtime_reconcile_time_seconds",
        // Process metrics, on by default.
        "process_cpu_user_seconds_total", "process_resident_memory_bytes", "nodejs_eventloop_lag_seconds"]) {
        expect(body).toContain(name);
      }
      const healthz = await fetch(`http://127.0.0.1:${probesAt.port}/healthz`);
      expect(healthz.status).toBe(200);
      const notReady = await fetch(`http://127.0.0.1:${probesAt.port}/readyz?verbose`);
      expect(notReady.status).toBe(500);
      expect(await notReady.text()).toContain("[-]warmed-up failed: not warmed up yet");
      ready = true;
      const nowReady = await fetch(`http://127.0.0.1:${probesAt.port}/readyz`);
      expect(nowReady.status).toBe(200);
    } finally {
      stop.abort();
      await running;
    }
  });

  it("records Events and aggregates repeats into one Event with a count", async () => {
    const mgr = await Manager.create({ kubeconfig: home.kubeconfig });
    const obj = await mgr.client.create(cm("event-target"));
    const recorder = mgr.getEventRecorderFor("test-component");
    for (let i = 0; i < 3; i++) recorder.event(obj, "Warning", "SomethingOdd", "the same thing happened again");
    recorder.event(obj, "Normal", "AllGood", "a different event");
    const events = await eventually(async () => {
      const list = await mgr.apiReader.list(Event, { namespace: "default" });
      const mine = list.items.filter((e) => e.involvedObject?.name === "event-target");
      const odd = mine.find((e) => e.reason === "SomethingOdd");
      return odd?.count === 3 && mine.some((e) => e.reason === "AllGood") ? mine : undefined;
    }, "aggregated events");
    expect(events.filter((e) => e.reason === "SomethingOdd")).toHaveLength(1);
    expect(events.find((e) => e.reason === "SomethingOdd")?.source?.component).toBe("test-component");
  });
});
