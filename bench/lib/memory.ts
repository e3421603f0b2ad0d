// The read-only scenarios, on one cluster that holds the objects: memory per cached object (with and without a
// transform dropping managedFields), cold start (bench/lib/coldstart.ts) and the idle footprint (bench/lib/idle.ts).
// They only read, so TS and Go see the same data, and the objects are written once.
import { abRuns, metric, type Run, withClusters, withProgram } from "./ab.ts";
import { coldStart } from "./coldstart.ts";
import { type Context, loadgen, type Metric, type ScenarioOutcome, startProgram } from "./context.ts";
import { idleFootprint } from "./idle.ts";

export type ReadOnlyPart = "memory" | "coldstart" | "idle";

/** The parts asked for (all three in a whole run), in the order memory, cold start, idle footprint. */
export async function readOnlyScenarios(ctx: Context, parts: ReadOnlyPart[]): Promise<ScenarioOutcome[]> {
  const t0 = Date.now();
  const memoryCounts = parts.includes("memory") ? ctx.config.memoryCounts : [];
  const coldStartCount = parts.includes("coldstart") ? ctx.config.coldStartCount : undefined;
  const memoryRuns: Run[] = [];
  let cold: ScenarioOutcome | undefined;
  let idle: ScenarioOutcome | undefined;
  await withClusters(1, async ([c]) => {
    const kc = c!.kubeconfigPath;
    // First, while the cluster is still empty: its label selector would keep the objects out of its cache anyway.
    if (parts.includes("idle")) idle = await idleFootprint(ctx, kc);
    let present = 0;
    const counts = [...new Set([...(coldStartCount === undefined ? [] : [coldStartCount]), ...memoryCounts])].sort((a, b) => a - b);
    for (const count of counts) {
      const t = Date.now();
      await loadgen(ctx, kc, { mode: "create", count: count - present, start: present });
      ctx.say(`  ${count.toLocaleString("en")} ConfigMaps in place (${((Date.now() - t) / 1000).toFixed(0)} s)`);
      present = count;
      const reps = count > 20_000 ? ctx.config.heavyReps : ctx.config.reps;
      if (memoryCounts.includes(count)) {
        for (const transform of [false, true]) {
          const runs = await abRuns(ctx, reps, `memory ${count} ${transform ? "transform" : "raw"}`, (impl) =>
            withProgram(startProgram(ctx, impl, "memory", [kc], { transform }), async (p) => {
              const r = await p.waitFor("result", ctx.timeoutMs);
              const objects = r.objects as number;
              return {
                perObjectBytes: ((r.rssAfter as number) - (r.rssBefore as number)) / objects,
                heapPerObjectBytes: ((r.heapAfter as number) - (r.heapBefore as number)) / objects,
                syncMs: r.syncMs,
                objects,
                rssBefore: r.rssBefore,
                rssAfter: r.rssAfter,
                rssAtSync: r.rssAtSync,
              };
            }),
          );
          memoryRuns.push(...runs.map((r) => ({ ...r, count, transform })));
        }
      }
      if (count === coldStartCount) cold = await coldStart(ctx, kc);
    }
  });
  const m = "memory";
  const memMetrics: Metric[] = [];
  for (const count of memoryCounts) {
    for (const transform of [false, true]) {
      const runs = memoryRuns.filter((r) => r.count === count && r.transform === transform);
      const tag = `${count / 1000}k.${transform ? "transform" : "raw"}`;
      const what = `${count.toLocaleString("en")} objects, ${transform ? "managedFields dropped" : "no transform"}`;
      memMetrics.push(metric(m, `memory.${tag}`, `RSS growth per cached object, ${what}`, "bytes", runs, "perObjectBytes", { goal: transform ? 1.0 : 1.5 }));
      memMetrics.push(metric(m, `memory.${tag}.heap`, `heap growth per cached object, ${what}`, "bytes", runs, "heapPerObjectBytes"));
      memMetrics.push(metric(m, `memory.${tag}.sync`, `informer list + sync, ${what}`, "ms", runs, "syncMs"));
    }
  }
  const memory: ScenarioOutcome = {
    id: m,
    title: "Memory: RSS before the ConfigMap informer starts and after it synced, both after full GC (Go: runtime.GC + debug.FreeOSMemory; Node: gc())",
    runs: memoryRuns,
    seconds: (Date.now() - t0) / 1000 - (cold?.seconds ?? 0) - (idle?.seconds ?? 0),
    metrics: memMetrics,
  };
  return [...(memoryCounts.length ? [memory] : []), ...(cold ? [cold] : []), ...(idle ? [idle] : [])];
}
