// How a scenario runs its programs: A/B repetitions (TS and Go alternating which goes first), fresh API servers or a
// program stopped whatever happens, and the per-side summaries a scenario's rows are made of.
import { startClusters, stopClusters, type TestCluster } from "@operator-ts/runtime/envtest";
import { type Context, type Metric, order } from "./context.ts";
import type { Impl, Program } from "./proc.ts";
import { percentile, summarize } from "./stats.ts";

export type Run = Record<string, unknown> & { impl: Impl; rep: number };

export async function withClusters<T>(n: number, fn: (clusters: TestCluster[]) => Promise<T>): Promise<T> {
  const clusters = await startClusters(n, { names: Array.from({ length: n }, (_, i) => `bench-${i + 1}`) });
  try {
    return await fn(clusters);
  } finally {
    await stopClusters(clusters);
  }
}

export async function withProgram<T>(p: Program, fn: (p: Program) => Promise<T>): Promise<T> {
  try {
    return await fn(p);
  } finally {
    await p.stop();
  }
}

/** Summaries of one field of the runs, per side. */
export function sides(runs: Run[], field: string): { ts?: ReturnType<typeof summarize>; go?: ReturnType<typeof summarize> } {
  const of = (impl: Impl) => summarize(runs.filter((r) => r.impl === impl && typeof r[field] === "number").map((r) => r[field] as number));
  return { ts: of("ts"), go: of("go") };
}

export function metric(scenario: string, id: string, label: string, unit: Metric["unit"], runs: Run[], field: string, extra: Partial<Metric> = {}): Metric {
  return { id, scenario, label, unit, ...sides(runs, field), kind: "ratio", ...extra };
}

export function latencyFields(prefix: string, latenciesUs: number[]): Record<string, number> {
  return {
    [`${prefix}P50Ms`]: percentile(latenciesUs, 50) / 1000,
    [`${prefix}P99Ms`]: percentile(latenciesUs, 99) / 1000,
    [`${prefix}Samples`]: latenciesUs.length,
  };
}

/** Runs `each` for every repetition and side, A/B alternating; a failed run is recorded and the others go on. */
export async function abRuns(ctx: Context, reps: number, label: string, each: (impl: Impl, rep: number) => Promise<Record<string, unknown>>): Promise<Run[]> {
  const runs: Run[] = [];
  for (let rep = 0; rep < reps; rep++) {
    for (const impl of order(rep)) {
      const t0 = Date.now();
      try {
        const r = await each(impl, rep);
        runs.push({ impl, rep, ...r });
        ctx.say(`  ${label} rep ${rep + 1}/${reps} ${impl}: ${brief(r)} (${((Date.now() - t0) / 1000).toFixed(0)} s)`);
      } catch (err) {
        runs.push({ impl, rep, error: (err as Error).message });
        ctx.say(`  ${label} rep ${rep + 1}/${reps} ${impl}: FAILED ${(err as Error).message}`);
      }
    }
  }
  return runs;
}

export function brief(r: Record<string, unknown>): string {
  return Object.entries(r)
    .filter(([, v]) => typeof v === "number")
    .slice(0, 4)
    .map(([k, v]) => `${k}=${Math.abs(v as number) >= 100 ? Math.round(v as number) : (v as number).toFixed(2)}`)
    .join(" ");
}


/** The name a field of the bundled TS run is stored under, beside the same field of the run from source. */
export function bundledField(field: string): string {
  return `bundle${field[0]!.toUpperCase()}${field.slice(1)}`;
}

/**
 * abRuns where the TS side runs twice in each repetition, from source and bundled (bench/lib/bundle.ts), in turn
 * first: the bundled run's fields come back under bundledField names, `bundleSyncedMs` beside `syncedMs`.
 */
export function abRunsBothWays(
  ctx: Context,
  reps: number,
  label: string,
  bundle: string,
  each: (impl: Impl, bundle?: string) => Promise<Record<string, unknown>>,
): Promise<Run[]> {
  return abRuns(ctx, reps, label, async (impl, rep) => {
    if (impl === "go") return each("go");
    const out: Record<string, unknown> = {};
    for (const bundled of rep % 2 === 0 ? [false, true] : [true, false]) {
      const r = await each("ts", bundled ? bundle : undefined);
      for (const [k, v] of Object.entries(r)) out[bundled ? bundledField(k) : k] = v;
    }
    return out;
  });
}

/** A row of the bundled TS program against the Go program. */
export function bundledMetric(scenario: string, id: string, label: string, unit: Metric["unit"], runs: Run[], field: string, extra: Partial<Metric> = {}): Metric {
  return metric(scenario, id, label, unit, runs, bundledField(field), { go: sides(runs, field).go, ...extra });
}
