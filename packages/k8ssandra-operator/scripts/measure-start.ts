// Cold start and memory of built operator entry points, side by side: process spawn -> caches synced (the last
// controller's "Starting workers"), RSS when idle, and RSS with some K8ssandraClusters reconciled to Ready (the
// instant cass-operator stand-in runs in this process). One test-kit cluster, entries alternating run by run.
// Not a benchmark suite (that is `npm run bench`): a quick before/after check for changes to how the operator loads.
//
//   scripts/with-node node --conditions=operator-ts-source packages/k8ssandra-operator/scripts/measure-start.ts \
//     [--runs 3] [--clusters 5] [--load-every-run] "label=[node flags...] path/to/main.js" ...
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { type Condition, log, RestClient } from "@operator-ts/runtime";
import { claimPort, startCluster } from "@operator-ts/runtime/envtest";
import { K8ssandraCluster } from "../src/api/index.ts";
import { CASS_OPERATOR_CRDS, OPERATOR_CRDS } from "../src/dev/environment.ts";
import { startSimulator } from "../src/simulator/index.ts";

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    runs: { type: "string", default: "3" },
    clusters: { type: "string", default: "5" },
    // RSS with clusters on every run, not only the last (slower; the figures then have a median too).
    "load-every-run": { type: "boolean", default: false },
  },
});
const runs = Number(values.runs);
const clusters = Number(values.clusters);
const entries = positionals.map((p) => {
  const at = p.indexOf("=");
  if (at <= 0) throw new Error(`expected "label=[node flags...] path/to/main.js", not ${p}`);
  const words = p.slice(at + 1).trim().split(/\s+/);
  return { label: p.slice(0, at), main: words.at(-1)!, nodeArgs: words.slice(0, -1) };
});
if (entries.length === 0) throw new Error('name at least one "label=[node flags...] path/to/main.js"');

const rssMiB = (pid: number, field = "VmRSS") => {
  const line = readFileSync(`/proc/${pid}/status`, "utf8").split("\n").find((l) => l.startsWith(field + ":"));
  return Number(line?.match(/(\d+)/)?.[1] ?? NaN) / 1024;
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** A loopback port no other test worker holds (envtest's claim), for the operator's probes and metrics. */
const freePort = async (): Promise<number> => (await claimPort()).port;

async function until<T>(what: string, f: () => Promise<T | undefined> | T | undefined, timeoutMs = 120_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await f();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

process.stderr.write("measure-start: starting a test cluster\n");
const cluster = await startCluster({ name: "measure", crds: [OPERATOR_CRDS, CASS_OPERATOR_CRDS] });
const admin = await RestClient.fromKubeConfig(cluster.kubeconfig);
const results = new Map<string, { synced: number[]; idle: number[]; loaded: number[]; peak: number[] }>();
let controllers = 0;

/** One operator process: spawn -> synced, idle RSS; with `load`, also RSS once `clusters` K8ssandraClusters are Ready. */
async function once(entry: (typeof entries)[number], load: boolean) {
  const port = await freePort();
  const started = performance.now();
  const child = spawn(
    process.execPath,
    [...entry.nodeArgs, entry.main, "run", "--kubeconfig", cluster.kubeconfigPath, "--metrics-bind-address", "0", "--health-probe-bind-address", `127.0.0.1:${port}`, "--log-level", "info"],
    { env: { PATH: process.env.PATH, HOME: process.env.HOME, NODE_ENV: "production", K8SSANDRA_CONTROL_PLANE: "true" }, stdio: ["ignore", "pipe", "inherit"] },
  );
  let workers = 0;
  let lastWorkers = 0;
  let buffered = "";
  child.stdout.on("data", (d: Buffer) => {
    buffered += d.toString();
    const lines = buffered.split("\n");
    buffered = lines.pop()!;
    for (const line of lines) if (line.includes('"Starting workers"')) (workers++, (lastWorkers = performance.now()));
  });
  const exited = new Promise<number | null>((r) => child.once("exit", r));
  try {
    // The first run learns how many controllers start (no new one for 3 s after readyz); later runs wait for that many.
    if (controllers === 0) {
      await until("readyz", async () => (await fetch(`http://127.0.0.1:${port}/readyz`).catch(() => undefined))?.status === 200 || undefined);
      await until("controllers", () => (workers > 0 && performance.now() - lastWorkers > 3000) || undefined);
      controllers = workers;
      process.stderr.write(`measure-start: ${controllers} controllers start workers\n`);
    } else await until("synced", () => workers >= controllers || undefined);
    const synced = lastWorkers - started;
    await sleep(5000);
    const r = results.get(entry.label) ?? { synced: [], idle: [], loaded: [], peak: [] };
    r.synced.push(synced);
    r.idle.push(rssMiB(child.pid!));
    results.set(entry.label, r);
    if (load) {
      const names = Array.from({ length: clusters }, (_, i) => `m${i}`);
      for (const name of names) {
        await admin.create<K8ssandraCluster>({
          apiVersion: K8ssandraCluster.apiVersion,
          kind: K8ssandraCluster.kind,
          metadata: { name, namespace: "default" },
          spec: {
            cassandra: {
              serverVersion: "4.1.5",
              storageConfig: { cassandraDataVolumeClaimSpec: { accessModes: ["ReadWriteOnce"], resources: { requests: { storage: "1Gi" } } } },
              datacenters: [{ metadata: { name: `${name}-dc1` }, size: 3 }],
            },
          },
        });
      }
      await until("every K8ssandraCluster Ready", async () => {
        const list = await admin.list(K8ssandraCluster, { namespace: "default" });
        const ready = list.items.filter((k) => (k.status?.conditions as Condition[] | undefined)?.some((c) => c.type === "Ready" && c.status === "True"));
        return ready.length === clusters || undefined;
      });
      await sleep(5000);
      r.loaded.push(rssMiB(child.pid!));
      r.peak.push(rssMiB(child.pid!, "VmHWM"));
      await admin.deleteAllOf(K8ssandraCluster, { namespace: "default" });
      await until("K8ssandraClusters gone", async () => (await admin.list(K8ssandraCluster, { namespace: "default" })).items.length === 0 || undefined);
    }
    process.stderr.write(`measure-start: ${entry.label}: synced after ${synced.toFixed(0)} ms, idle ${r.idle.at(-1)!.toFixed(1)} MiB${load ? `, ${clusters} clusters ${r.loaded.at(-1)!.toFixed(1)} MiB (peak ${r.peak.at(-1)!.toFixed(1)})` : ""}\n`);
  } finally {
    child.kill("SIGTERM");
    await exited;
  }
}

// The stand-in shares this process's logger; only the operators' output is of interest.
log.getLogger().level = "warn";
const simulator = await startSimulator(cluster.kubeconfigYaml);
try {
  for (let run = 0; run < runs; run++) {
    const order = run % 2 === 0 ? entries : [...entries].reverse();
    for (const entry of order) await once(entry, clusters > 0 && (values["load-every-run"] || run === runs - 1));
  }
} finally {
  await simulator.stop();
  await admin.close();
  await cluster.stop();
}
console.log(`| entry | spawn -> synced (median of ${runs}, ms) | idle RSS (MiB) | RSS with ${clusters} clusters Ready (MiB) | peak RSS (MiB) |`);
console.log("| --- | --- | --- | --- | --- |");
for (const [label, r] of results) {
  console.log(`| ${label} | ${median(r.synced).toFixed(0)} (${r.synced.map((s) => s.toFixed(0)).join(", ")}) | ${median(r.idle).toFixed(1)} | ${r.loaded.length ? median(r.loaded).toFixed(1) : "-"} | ${r.peak.length ? median(r.peak).toFixed(1) : "-"} |`);
}
