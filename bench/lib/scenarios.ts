// The writing scenarios run on both sides: each repetition runs TS and Go back to back (order alternating), on fresh API
// servers. The read-only ones (memory, cold start, idle footprint) share one cluster: bench/lib/memory.ts.
import { abRuns, abRunsBothWays, brief, bundledMetric, latencyFields, metric, type Run, withClusters, withProgram } from "./ab.ts";
import { bundledProgram } from "./bundle.ts";
import { type Context, loadgen, type Metric, type ScenarioOutcome, startProgram } from "./context.ts";
import type { Event } from "./proc.ts";
import { summarize } from "./stats.ts";

/** Throughput, and latency under that load: N creates from the load generator, the controller patches each. */
export async function throughput(ctx: Context): Promise<ScenarioOutcome> {
  const t0 = Date.now();
  const { throughputCount: count, workers } = ctx.config;
  const bundle = await bundledProgram(ctx, "reconcile");
  const runs = await abRunsBothWays(ctx, ctx.config.reps, "throughput", bundle, (impl, bundlePath) =>
    withClusters(1, ([c]) =>
      withProgram(startProgram(ctx, impl, "reconcile", [c!.kubeconfigPath], { count, workers, mode: "load" }, bundlePath), async (p) => {
        await p.waitFor("ready", ctx.timeoutMs);
        const lg = await loadgen(ctx, c!.kubeconfigPath, { mode: "create", count });
        const r = await p.waitFor("result", ctx.timeoutMs);
        const totalMs = (r.lastMs as number) - lg.firstMs;
        return {
          totalMs,
          loadgenMs: lg.lastMs - lg.firstMs,
          perSecond: (count / totalMs) * 1000,
          ...latencyFields("load", r.latenciesUs as number[]),
          cpuSeconds: r.cpuSeconds,
          rssBytes: r.rssBytes,
          // The kernel's high-water mark of the process's RSS (VmHWM), read by the program itself once the run is
          // done: the harness could miss it, the program exits right after its result.
          peakRssBytes: r.peakRssBytes,
        };
      }),
    ),
  );
  const s = "throughput";
  return {
    id: s,
    title: `Throughput: ${count.toLocaleString("en")} ConfigMaps created (${ctx.config.concurrency} in flight), each patched by the controller (${workers} workers)`,
    runs,
    seconds: (Date.now() - t0) / 1000,
    metrics: [
      metric(s, "throughput.time", `${count.toLocaleString("en")} objects: first create -> last reconciled`, "ms", runs, "totalMs", { goal: 1.0 }),
      metric(s, "latency.load.p50", "event -> reconcile start under that load, p50", "ms", runs, "loadP50Ms"),
      metric(s, "latency.load.p99", "event -> reconcile start under that load, p99", "ms", runs, "loadP99Ms", { goal: 1.0 }),
      metric(s, "throughput.cpu", "controller CPU for the run", "cpu-s", runs, "cpuSeconds", { goal: 1.2 }),
      metric(s, "throughput.rss", "controller RSS at the end", "bytes", runs, "rssBytes"),
      metric(s, "throughput.peakRss", "controller peak RSS over the run (VmHWM)", "bytes", runs, "peakRssBytes", { goal: 1.5 }),
      // The same runs of the TS program built as the operator ships (bench/lib/bundle.ts), against the same Go runs.
      bundledMetric(s, "throughput.bundle.time", `${count.toLocaleString("en")} objects: first create -> last reconciled, TS bundled`, "ms", runs, "totalMs", { goal: 1.0 }),
      bundledMetric(s, "throughput.bundle.cpu", "controller CPU for the run, TS bundled", "cpu-s", runs, "cpuSeconds", { goal: 1.2 }),
      bundledMetric(s, "throughput.bundle.peakRss", "controller peak RSS over the run (VmHWM), TS bundled", "bytes", runs, "peakRssBytes", { goal: 1.5 }),
    ],
  };
}

/** Latency at idle: one create at a time at a steady rate; the controller notes reconcile start minus send time. */
export async function idleLatency(ctx: Context): Promise<ScenarioOutcome> {
  const t0 = Date.now();
  const { count, rate } = ctx.config.idle;
  const runs = await abRuns(ctx, ctx.config.reps, "idle latency", (impl) =>
    withClusters(1, ([c]) =>
      withProgram(startProgram(ctx, impl, "reconcile", [c!.kubeconfigPath], { count, workers: ctx.config.workers, mode: "idle" }), async (p) => {
        await p.waitFor("ready", ctx.timeoutMs);
        await loadgen(ctx, c!.kubeconfigPath, { mode: "paced", count, rate });
        const r = await p.waitFor("result", ctx.timeoutMs);
        return { ...latencyFields("idle", r.latenciesUs as number[]), cpuSeconds: r.cpuSeconds };
      }),
    ),
  );
  const s = "latency";
  return {
    id: s,
    title: `Latency at idle: ${count} creates one at a time at ${rate}/s; reconcile start minus the load generator's send stamp`,
    runs,
    seconds: (Date.now() - t0) / 1000,
    metrics: [
      metric(s, "latency.idle.p50", "event -> reconcile start at idle, p50", "ms", runs, "idleP50Ms"),
      metric(s, "latency.idle.p99", "event -> reconcile start at idle, p99", "ms", runs, "idleP99Ms", { goal: 1.0 }),
    ],
  };
}

/** The API server alone, no controller: N creates, then N merge patches, from the load generator. */
export async function apiLimit(ctx: Context): Promise<ScenarioOutcome> {
  const t0 = Date.now();
  const count = ctx.config.throughputCount;
  const runs: Run[] = [];
  for (let rep = 0; rep < ctx.config.reps; rep++) {
    try {
      const r = await withClusters(1, async ([c]) => {
        const created = await loadgen(ctx, c!.kubeconfigPath, { mode: "create", count });
        const patched = await loadgen(ctx, c!.kubeconfigPath, { mode: "patch", count });
        const createMs = created.lastMs - created.firstMs;
        const patchMs = patched.lastMs - patched.firstMs;
        return { createMs, patchMs, totalMs: createMs + patchMs };
      });
      runs.push({ impl: "ts", rep, ...r }, { impl: "go", rep, ...r });
      ctx.say(`  API server limit rep ${rep + 1}/${ctx.config.reps}: ${brief(r)}`);
    } catch (err) {
      ctx.say(`  API server limit rep ${rep + 1}: FAILED ${(err as Error).message}`);
    }
  }
  // Stored under both sides so that the report can set each framework's time against the same reference.
  const ref = (field: string) => summarize(runs.filter((r) => r.impl === "ts").map((r) => r[field] as number));
  const s = "limit";
  return {
    id: s,
    title: `API server limit: the load generator alone creates ${count.toLocaleString("en")} ConfigMaps, then patches each (${ctx.config.concurrency} in flight)`,
    runs: runs.filter((r) => r.impl === "ts").map(({ impl: _impl, ...r }) => r as Run),
    seconds: (Date.now() - t0) / 1000,
    metrics: [
      { id: "limit.create", scenario: s, label: `${count.toLocaleString("en")} creates, no controller`, unit: "ms", ts: ref("createMs"), kind: "reference" },
      { id: "limit.patch", scenario: s, label: `${count.toLocaleString("en")} patches, no controller`, unit: "ms", ts: ref("patchMs"), kind: "reference" },
      { id: "limit.total", scenario: s, label: "creates, then patches: the throughput row's writes without a controller", unit: "ms", ts: ref("totalMs"), kind: "reference" },
    ],
  };
}

/** One manager, K clusters x M objects: K-2 clusters added at idle, the last one added under load. */
export async function multicluster(ctx: Context): Promise<ScenarioOutcome[]> {
  const out: ScenarioOutcome[] = [];
  for (const { clusters: k, perCluster: count } of ctx.config.multicluster) {
    const t0 = Date.now();
    const runs = await abRuns(ctx, ctx.config.reps, `multi-cluster ${k}x${count}`, (impl) =>
      withClusters(k, (clusters) => {
        const paths = clusters.map((c) => c.kubeconfigPath);
        return withProgram(startProgram(ctx, impl, "multicluster", paths, { count, workers: ctx.config.workers, lateAddFraction: 0.25 }), async (p) => {
          await p.waitFor("ready", ctx.timeoutMs);
          const perLoadgen = Math.max(1, Math.ceil(ctx.config.concurrency / k));
          const lgs = await Promise.all(paths.map((kc) => loadgen(ctx, kc, { mode: "create", count, concurrency: perLoadgen })));
          const r: Event = await p.waitFor("result", ctx.timeoutMs);
          const firstMs = Math.min(...lgs.map((l) => l.firstMs));
          const totalMs = (r.lastMs as number) - firstMs;
          const lateName = `cluster-${k}`;
          const extra = r.extraClusters as number;
          const addIdle = r.addIdleMs as number[];
          return {
            totalMs,
            msPer1000: (totalMs / (k * count)) * 1000,
            ...latencyFields("load", r.latenciesUs as number[]),
            addUnderLoadMs: r.addUnderLoadMs,
            lateCatchUpMs: ((r.clusterLastMs as Record<string, number>)[lateName] ?? Number.NaN) - (r.lateAddedAtMs as number),
            ...(addIdle.length ? { addIdleMs: addIdle.reduce((a, b) => a + b, 0) / addIdle.length } : {}),
            ...(extra > 0 ? { perClusterBytes: ((r.rssAfterExtra as number) - (r.rssBeforeExtra as number)) / extra } : {}),
            cpuSeconds: r.cpuSeconds,
            rssBytes: r.rssBytes,
          };
        });
      }),
    );
    const s = `multicluster-${k}`;
    const metrics: Metric[] = [
      metric(s, `mc.${k}.time`, `${k} clusters x ${count.toLocaleString("en")}: first create -> last reconciled`, "ms", runs, "totalMs", { goal: 1.0 }),
      metric(s, `mc.${k}.per1000`, `${k} clusters: time per 1,000 objects (linearity)`, "ms", runs, "msPer1000"),
      metric(s, `mc.${k}.p99`, `${k} clusters: event -> reconcile start, p99`, "ms", runs, "loadP99Ms"),
      metric(s, `mc.${k}.addLoad`, `${k} clusters: add a cluster under load -> its watch synced`, "ms", runs, "addUnderLoadMs"),
      metric(s, `mc.${k}.catchUp`, `${k} clusters: cluster added under load -> its objects all reconciled`, "ms", runs, "lateCatchUpMs"),
    ];
    if (k > 2) {
      metrics.push(metric(s, `mc.${k}.addIdle`, `${k} clusters: add a cluster at idle -> its watch synced`, "ms", runs, "addIdleMs"));
      metrics.push(metric(s, `mc.${k}.perCluster`, `${k} clusters: RSS per extra (empty) cluster`, "bytes", runs, "perClusterBytes"));
    }
    metrics.push(metric(s, `mc.${k}.cpu`, `${k} clusters: controller CPU for the run`, "cpu-s", runs, "cpuSeconds"));
    out.push({
      id: s,
      title: `Multi-cluster: one manager, ${k} clusters x ${count.toLocaleString("en")} ConfigMaps (${Math.ceil(ctx.config.concurrency / k)} in flight per cluster); cluster ${k} added once 25% are reconciled`,
      runs,
      seconds: (Date.now() - t0) / 1000,
      metrics,
    });
  }
  return out;
}
