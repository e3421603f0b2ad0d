// Idle footprint (on the read-only scenarios' cluster, bench/lib/memory.ts): the RSS of a minimal operator, one
// controller whose cache holds nothing (bench/ts/idle.ts, runIdle in the Go baseline), once synced and settled: what
// an operator costs before it caches anything. The TS program runs from source and bundled as the operator ships.
import { setTimeout as delay } from "node:timers/promises";
import { abRunsBothWays, bundledMetric, metric, withProgram } from "./ab.ts";
import { bundledProgram } from "./bundle.ts";
import { type Context, type ScenarioOutcome, startProgram } from "./context.ts";
import type { Impl } from "./proc.ts";
import { median } from "./stats.ts";

export async function idleFootprint(ctx: Context, kubeconfig: string): Promise<ScenarioOutcome> {
  const t0 = Date.now();
  const { settleMs, windowMs } = ctx.config.footprint;
  const bundle = await bundledProgram(ctx, "idle");
  const once = (impl: Impl, bundlePath?: string) =>
    withProgram(startProgram(ctx, impl, "idle", [kubeconfig], {}, bundlePath), async (p) => {
      const ready = await p.waitFor("ready", ctx.timeoutMs);
      if (ready.objects !== 0) throw new Error(`${p.label}: its cache holds ${ready.objects} objects, not none`);
      await delay(settleMs);
      const rss: number[] = [];
      for (let waited = 0; waited < windowMs; waited += 1000) {
        await delay(1000);
        rss.push(p.rssBytes());
      }
      return { rssBytes: median(rss), peakRssBytes: p.peakRssBytes(), syncedMs: ready.syncedMs };
    });
  const runs = await abRunsBothWays(ctx, ctx.config.reps, "idle footprint", bundle, once);
  const s = "idle";
  const what = "minimal operator (one controller, empty cache) at idle";
  return {
    id: s,
    title: `Idle footprint: a manager with one controller on ConfigMaps, its cache restricted to a label no object has; RSS each second over ${windowMs / 1000} s, ${settleMs / 1000} s after its cache synced (median)`,
    runs,
    seconds: (Date.now() - t0) / 1000,
    metrics: [
      bundledMetric(s, "idle.bundle.rss", `${what}: RSS, TS bundled`, "bytes", runs, "rssBytes", { goal: 2.0 }),
      metric(s, "idle.rss", `${what}: RSS, TS from source`, "bytes", runs, "rssBytes", { goal: 2.0 }),
    ],
  };
}
