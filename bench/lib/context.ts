// What every scenario of the harness is given: the mode's sizes, the programs to run, and where to say things.
import { join } from "node:path";
import { type Impl, Program } from "./proc.ts";
import type { Summary } from "./stats.ts";

export interface Config {
  mode: "quick" | "full";
  /** Repetitions of each A/B pair. */
  reps: number;
  /** Repetitions where one repetition is expensive (100,000-object memory readings, K8ssandra create -> Ready). */
  heavyReps: number;
  workers: number;
  concurrency: number;
  throughputCount: number;
  idle: { count: number; rate: number };
  memoryCounts: number[];
  coldStartCount: number;
  multicluster: { clusters: number; perCluster: number }[];
  /** The idle footprint of a minimal operator: RSS read each second over the window, after a settle once synced. */
  footprint: { settleMs: number; windowMs: number };
  /** The K8ssandra operator at idle with each of these numbers of K8ssandraClusters, in turn. */
  k8ssandra: { idleClusters: number[]; settleMs: number; idleWindowMs: number };
  /** Repetitions of the 2-DC create -> Ready with real Cassandra (each starts two JVMs, a minute or two). */
  k8ssandraCassandraReps: number;
}

export const QUICK: Config = {
  mode: "quick",
  reps: 3,
  heavyReps: 2,
  workers: 8,
  concurrency: 32,
  throughputCount: 2000,
  idle: { count: 100, rate: 20 },
  memoryCounts: [10_000],
  coldStartCount: 10_000,
  multicluster: [{ clusters: 3, perCluster: 500 }],
  footprint: { settleMs: 5_000, windowMs: 5_000 },
  k8ssandra: { idleClusters: [50], settleMs: 5_000, idleWindowMs: 15_000 },
  k8ssandraCassandraReps: 1,
};

export const FULL: Config = {
  mode: "full",
  reps: 5,
  heavyReps: 3,
  workers: 8,
  concurrency: 32,
  throughputCount: 10_000,
  idle: { count: 400, rate: 20 },
  memoryCounts: [10_000, 100_000],
  coldStartCount: 10_000,
  multicluster: [
    { clusters: 2, perCluster: 2000 },
    { clusters: 5, perCluster: 2000 },
  ],
  footprint: { settleMs: 10_000, windowMs: 10_000 },
  k8ssandra: { idleClusters: [50, 500], settleMs: 10_000, idleWindowMs: 30_000 },
  k8ssandraCassandraReps: 2,
};

/** One figure of the report, measured on one or both sides. */
export interface Metric {
  id: string;
  scenario: string;
  label: string;
  unit: "µs" | "ms" | "s" | "bytes" | "objects/s" | "%" | "cpu-s" | "count";
  ts?: Summary;
  go?: Summary;
  /** TS/Go ratio at or below which the goal is met. */
  goal?: number;
  /** For a TS-only figure: the value (in the metric's unit) the TS median must stay under. */
  under?: number;
  /** Shown in the table's notes column. */
  note?: string;
  /** Figures that have no TS/Go ratio: the API server's own limit, TS-only rows. */
  kind?: "ratio" | "ts-only" | "reference";
}

export interface ScenarioOutcome {
  id: string;
  title: string;
  runs: Record<string, unknown>[];
  metrics: Metric[];
  /** Why the scenario (or part of it) could not run. */
  pending?: string;
  seconds: number;
}

export interface Context {
  config: Config;
  goBinary: string;
  say: (line: string) => void;
  /** node --cpu-prof into this folder for the TS programs, when profiling. */
  profileDir?: string;
  /** Per-program deadline. */
  timeoutMs: number;
  /** The tree the TS programs run from: the working tree, or a commit's snapshot (--at). */
  tsRoot: string;
  /** node flags for the bundled TS programs (--bundle-node-flags); none by default, as `node bundle.js`. */
  bundleNodeFlags: string[];
}

/** The working tree, where the TS programs run from unless --at names a commit. */
export const WORKING_TREE = join(import.meta.dirname, "..", "..");

/**
 * Starts a scenario program of one side: the cached binary for Go; for TS, node on the program's source (its own
 * process, gc exposed), or with `bundle` (bench/lib/bundle.ts) plain `node bundle.js`, as a built operator runs.
 */
export function startProgram(ctx: Context, impl: Impl, scenario: string, kubeconfigs: string[], params: Record<string, unknown>, bundle?: string): Program {
  const argv = ["--kubeconfig", kubeconfigs.join(","), "--params", JSON.stringify(params)];
  if (impl === "go") return new Program(`go ${scenario}`, ctx.goBinary, [scenario, ...argv]);
  // With --profile the TS program profiles its measured phase itself (bench/ts/common.ts startProfile).
  if (ctx.profileDir) argv[3] = JSON.stringify({ ...params, profileDir: ctx.profileDir });
  const node = bundle ? [...ctx.bundleNodeFlags, bundle] : ["--conditions=operator-ts-source", "--expose-gc", join(ctx.tsRoot, "bench", "ts", `${scenario}.ts`)];
  return new Program(`ts ${scenario}${bundle ? " (bundle)" : ""}`, process.execPath, [...node, ...argv], { LOG_LEVEL: process.env.LOG_LEVEL ?? "warn" });
}

export interface LoadgenResult {
  firstMs: number;
  lastMs: number;
  count: number;
  errors: number;
  firstError?: string;
}

/** The shared load generator (a Go process of its own); resolves with its report once it has sent everything. */
export async function loadgen(ctx: Context, kubeconfig: string, params: Record<string, unknown>): Promise<LoadgenResult> {
  const p = new Program("loadgen", ctx.goBinary, ["loadgen", "--kubeconfig", kubeconfig, "--params", JSON.stringify({ concurrency: ctx.config.concurrency, ...params })]);
  try {
    const r = (await p.waitFor("result", ctx.timeoutMs)) as unknown as LoadgenResult;
    if (r.errors > 0) throw new Error(`load generator: ${r.errors} of ${r.count} requests failed (first: ${r.firstError})`);
    return r;
  } finally {
    await p.stop();
  }
}

/** A/B order of repetition i: TS first on even repetitions, Go first on odd ones. */
export function order(i: number): Impl[] {
  return i % 2 === 0 ? ["ts", "go"] : ["go", "ts"];
}
