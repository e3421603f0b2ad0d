// Cold start (on the read-only scenarios' cluster, bench/lib/memory.ts): `count` ConfigMaps exist; manager start ->
// first reconcile (no worker starts before the caches synced) and -> all reconciled once, and the same from process
// spawn. The TS program runs from source (type stripping) and bundled as the operator ships (bench/lib/bundle.ts).
import { abRunsBothWays, bundledMetric, metric, withProgram } from "./ab.ts";
import { bundledProgram } from "./bundle.ts";
import { type Context, type ScenarioOutcome, startProgram } from "./context.ts";
import type { Impl } from "./proc.ts";

export async function coldStart(ctx: Context, kubeconfig: string): Promise<ScenarioOutcome> {
  const t0 = Date.now();
  const { coldStartCount: count, workers } = ctx.config;
  const bundle = await bundledProgram(ctx, "coldstart");
  const once = (impl: Impl, bundlePath?: string) =>
    withProgram(startProgram(ctx, impl, "coldstart", [kubeconfig], { count, workers }, bundlePath), async (p) => {
      const r = await p.waitFor("result", ctx.timeoutMs);
      return {
        syncedMs: (r.firstMs as number) - (r.startMs as number),
        allMs: (r.allMs as number) - (r.startMs as number),
        processMs: (r.firstMs as number) - p.spawnedMs,
        cpuSeconds: r.cpuSeconds,
        rssBytes: r.rssBytes,
      };
    });
  const runs = await abRunsBothWays(ctx, ctx.config.reps, `cold start ${count}`, bundle, once);
  const cs = "coldstart";
  const all = `manager start -> all ${count.toLocaleString("en")} reconciled once`;
  return {
    id: cs,
    title: `Cold start with ${count.toLocaleString("en")} existing ConfigMaps: manager start -> first reconcile (no worker starts before the caches synced); TS from source (node --conditions=operator-ts-source, type stripping) and bundled as the operator's image is (tsup.bundle.config.ts, plain node)`,
    runs,
    seconds: (Date.now() - t0) / 1000,
    metrics: [
      metric(cs, "coldstart.synced", "manager start -> caches synced (first reconcile), TS from source", "ms", runs, "syncedMs", { goal: 1.2 }),
      metric(cs, "coldstart.all", `${all}, TS from source`, "ms", runs, "allMs"),
      metric(cs, "coldstart.process", "process spawn -> caches synced (runtime and module loading included), TS from source", "ms", runs, "processMs"),
      bundledMetric(cs, "coldstart.bundle.synced", "manager start -> caches synced (first reconcile), TS bundled", "ms", runs, "syncedMs", { goal: 1.0 }),
      bundledMetric(cs, "coldstart.bundle.all", `${all}, TS bundled`, "ms", runs, "allMs"),
      bundledMetric(cs, "coldstart.bundle.process", "process spawn -> caches synced (runtime and module loading included), TS bundled", "ms", runs, "processMs", { goal: 1.5 }),
    ],
  };
}
