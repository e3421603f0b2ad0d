// `npm run bench` (full, under ~30 min) and `npm run bench:quick` (a few minutes): every scenario with operator-ts and
// with Go controller-runtime, against API servers from the test kit, A/B alternating; see docs/benchmarks.md.
//   --quick             the quick sizes
//   --only a,b          only these scenarios (limit, throughput, latency, memory, coldstart, idle, multicluster,
//                       k8ssandra, k8ssandra-cassandra, admission); the results go to bench/results/<timestamp>.json
//                       only, not to latest.json or the doc
//   --reps N            repetitions per A/B pair
//   --profile           run the TS programs under node --cpu-prof (profiles in bench/results/profiles/)
//   --at REV            run the TS programs from that commit (a snapshot under ~/.cache), not the working tree
//   --bundle-node-flags="F"  node flags for the bundled TS programs (an experiment with V8's settings; the report
//                       says so), such as "--max-semi-space-size=4 --optimize-for-size" as the operator's image runs
//   --report-from FILE  run nothing: write the doc, latest files and chart again from a results JSON
import { execFileSync } from "node:child_process";
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { DEFAULT_ETCD_VERSION, DEFAULT_KUBERNETES_VERSION, ensureAssets } from "@operator-ts/runtime/envtest";
import { type Config, type Context, FULL, QUICK, type ScenarioOutcome, WORKING_TREE } from "./lib/context.ts";
import { ensureGoBaseline } from "./lib/go-build.ts";
import { admission } from "./lib/admission.ts";
import { k8ssandra } from "./lib/k8ssandra.ts";
import { k8ssandraCassandra } from "./lib/k8ssandra-cassandra.ts";
import { backgroundBusy, busyMeter, describeMachine, loadAverage } from "./lib/machine.ts";
import { markdownTable, type Report, RESULTS_DIR, writeReport } from "./lib/report.ts";
import { snapshotTree } from "./lib/snapshot.ts";
import { type ReadOnlyPart, readOnlyScenarios } from "./lib/memory.ts";
import { apiLimit, idleLatency, multicluster, throughput } from "./lib/scenarios.ts";

const SCENARIOS = ["limit", "throughput", "latency", "memory", "coldstart", "idle", "multicluster", "k8ssandra", "k8ssandra-cassandra", "admission"] as const;
type ScenarioName = (typeof SCENARIOS)[number];

const { values } = parseArgs({
  options: {
    quick: { type: "boolean", default: false },
    only: { type: "string" },
    reps: { type: "string" },
    profile: { type: "boolean", default: false },
    at: { type: "string" },
    "bundle-node-flags": { type: "string", default: "" },
    "report-from": { type: "string" },
  },
});

if (values["report-from"]) {
  const { readFile } = await import("node:fs/promises");
  const saved = JSON.parse(await readFile(values["report-from"], "utf8")) as Report;
  const { json, svg } = await writeReport(saved);
  console.log(`${saved.mode} results of ${saved.startedAt} written again: ${json}, ${svg}, docs/benchmarks.md`);
  process.exit(0);
}

const started = new Date();
const t0 = Date.now();
function say(line: string): void {
  const s = Math.round((Date.now() - t0) / 1000);
  process.stdout.write(`[${String(Math.floor(s / 60)).padStart(2, "0")}:${String(s % 60).padStart(2, "0")}] ${line}\n`);
}

const config: Config = structuredClone(values.quick ? QUICK : FULL);
if (values.reps) config.reps = config.heavyReps = Number(values.reps);
const only = values.only?.split(",").map((s) => s.trim()) as ScenarioName[] | undefined;
for (const name of only ?? []) if (!SCENARIOS.includes(name)) throw new Error(`unknown scenario "${name}"; known: ${SCENARIOS.join(", ")}`);
const wanted = (name: ScenarioName) => !only || only.includes(name);

say(`operator-ts benchmarks, ${config.mode} mode; measuring how busy the machine is before starting`);
const noiseBefore = { backgroundBusyBefore: await backgroundBusy(), loadAverageBefore: loadAverage() };
const meter = busyMeter();
say(`background: ${Math.round(noiseBefore.backgroundBusyBefore * 100)} % of the cores busy, load average ${noiseBefore.loadAverageBefore.join(" / ")}`);

await ensureAssets({ withControllerManager: false });
// Scenarios without a Go side need no Go build (minutes on a cold cache) when they are all that runs.
const TS_ONLY: readonly ScenarioName[] = ["k8ssandra", "k8ssandra-cassandra", "admission"];
const goBinary = only?.every((name) => TS_ONLY.includes(name)) ? "" : await ensureGoBaseline(say);
let profileDir: string | undefined;
if (values.profile) {
  profileDir = join(RESULTS_DIR, "profiles", started.toISOString().replace(/[:.]/g, "-"));
  await mkdir(profileDir, { recursive: true });
  say(`CPU profiles of the TS programs go to ${profileDir}`);
}
const tsRoot = values.at ? await snapshotTree(values.at, say) : WORKING_TREE;
const git = (...a: string[]) => execFileSync("git", a, { cwd: WORKING_TREE, encoding: "utf8" }).trim();
const treeSource = values.at
  ? `commit ${git("rev-parse", "--short=12", `${values.at}^{commit}`)}`
  : `working tree at ${git("rev-parse", "--short=12", "HEAD")}${git("status", "--porcelain", "--", "packages") ? " with uncommitted changes in packages/" : ""}`;
const bundleNodeFlags = values["bundle-node-flags"]!.split(/\s+/).filter(Boolean);
const tsSource = `${treeSource}${bundleNodeFlags.length ? `; bundled programs run with node ${bundleNodeFlags.join(" ")}` : ""}`;
const ctx: Context = { config, goBinary, say, profileDir, tsRoot, bundleNodeFlags, timeoutMs: config.mode === "quick" ? 300_000 : 900_000 };

const outcomes: ScenarioOutcome[] = [];
async function step(name: ScenarioName, title: string, fn: () => Promise<ScenarioOutcome | ScenarioOutcome[]>): Promise<void> {
  if (!wanted(name)) return;
  say(`== ${title}`);
  const s0 = Date.now();
  try {
    const r = await fn();
    outcomes.push(...(Array.isArray(r) ? r : [r]));
  } catch (err) {
    say(`   ${name} failed: ${(err as Error).stack ?? err}`);
    outcomes.push({ id: name, title, runs: [], metrics: [], seconds: (Date.now() - s0) / 1000, pending: `failed: ${(err as Error).message.split("\n")[0]}` });
  }
  say(`   ${name} took ${Math.round((Date.now() - s0) / 1000)} s`);
}

await step("limit", "API server limit (load generator alone)", () => apiLimit(ctx));
await step("throughput", "throughput and latency under load", () => throughput(ctx));
await step("latency", "latency at idle", () => idleLatency(ctx));
// Memory, cold start and the idle footprint share one cluster holding the objects (they only read).
const readOnly = (["memory", "coldstart", "idle"] as const satisfies readonly ReadOnlyPart[]).filter(wanted);
if (readOnly.length) await step(readOnly[0]!, `${readOnly.join(", ")} (one cluster holding the objects)`, () => readOnlyScenarios(ctx, readOnly));
await step("multicluster", "multi-cluster", () => multicluster(ctx));
await step("k8ssandra", "K8ssandra (TS only)", () => k8ssandra(ctx));
await step("k8ssandra-cassandra", "K8ssandra with real Cassandra (TS only)", () => k8ssandraCassandra(ctx));
await step("admission", "admission webhooks (TS only)", () => admission(ctx));

const report: Report = {
  mode: config.mode,
  startedAt: started.toISOString(),
  finishedAt: new Date().toISOString(),
  durationSeconds: (Date.now() - t0) / 1000,
  machine: describeMachine({ kubernetes: DEFAULT_KUBERNETES_VERSION, etcd: DEFAULT_ETCD_VERSION }),
  noise: { ...noiseBefore, busyDuringRun: meter(), loadAverageAfter: loadAverage() },
  config,
  tsSource,
  scenarios: outcomes,
};
console.log(`\n${markdownTable(report)}\n`);
if (only) {
  const { writeFile } = await import("node:fs/promises");
  const file = join(RESULTS_DIR, `${started.toISOString().replace(/[:.]/g, "-")}-partial.json`);
  await mkdir(RESULTS_DIR, { recursive: true });
  await writeFile(file, `${JSON.stringify(report, null, 2)}\n`);
  say(`partial run (--only): results in ${file}; latest.json and docs/benchmarks.md left as they were`);
} else {
  const { json, svg } = await writeReport(report);
  say(`results: ${json}, ${svg}, bench/results/latest.json, docs/benchmarks.md`);
}
say(`done in ${Math.round((Date.now() - t0) / 60_000)} min`);
