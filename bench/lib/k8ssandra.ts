// K8ssandra (TS only: the K8ssandra operator exists only in TS): a 2-DC K8ssandraCluster across two data-plane
// clusters, create -> Ready with the cass-operator simulator at zero delay; then the operator's CPU and memory while
// idle with many K8ssandraClusters. The measured process is the control-plane operator alone, built and run as its
// image does (bench/lib/bundle.ts): the bundle of its CLI, the image's node flags, `run` with the CLI's defaults.
import { readdir, readFile, stat } from "node:fs/promises";
import { join, resolve } from "node:path";
import { setTimeout as delay } from "node:timers/promises";
import { type Condition, Namespace, RestClient } from "@operator-ts/runtime";
import { claimPort, type PortClaim, startClusters, stopClusters, type TestCluster } from "@operator-ts/runtime/envtest";
import { K8ssandraCluster } from "@operator-ts/k8ssandra-operator";
import { parse } from "yaml";
import { OPERATOR_CRDS, OPERATOR_NAMESPACE } from "../../packages/k8ssandra-operator/src/dev/environment.ts";
import { registerDataPlane } from "../../packages/k8ssandra-operator/src/dev/register.ts";
import { cassOperatorCRDs } from "../../test/support/paths.ts";
import { builtOperator } from "./bundle.ts";
import type { Context, Metric, ScenarioOutcome } from "./context.ts";
import { type Event, Program } from "./proc.ts";
import { median, summarize } from "./stats.ts";

const ROOT = resolve(import.meta.dirname, "..", "..");
const SAMPLE = join(ROOT, "packages/k8ssandra-operator/config/samples/k8ssandracluster-2dc.yaml");


export function isReady(k: K8ssandraCluster): boolean {
  return ((k.status?.conditions ?? []) as Condition[]).some((c) => c.type === "Ready" && c.status === "True");
}

/** The sample with its own name and datacenter names (CassandraDatacenters share the namespace in each data plane). */
function manifest(sample: K8ssandraCluster, name: string): K8ssandraCluster {
  const k = structuredClone(sample);
  k.metadata = { ...k.metadata, name, namespace: OPERATOR_NAMESPACE };
  for (const dc of k.spec.cassandra?.datacenters ?? []) dc.metadata = { ...dc.metadata, name: `${name}-${dc.metadata.name}` };
  return k;
}

export async function untilReady(admin: RestClient, names: string[], timeoutMs: number): Promise<number> {
  const t0 = performance.now();
  const waiting = new Set(names);
  while (waiting.size) {
    if (performance.now() - t0 > timeoutMs) throw new Error(`${waiting.size} K8ssandraCluster(s) not Ready within ${timeoutMs / 1000} s`);
    const list = await admin.list(K8ssandraCluster, { namespace: OPERATOR_NAMESPACE });
    for (const k of list.items) if (isReady(k)) waiting.delete(k.metadata.name!);
    if (waiting.size) await delay(names.length === 1 ? 25 : 200);
  }
  return performance.now() - t0;
}

export async function k8ssandra(ctx: Context): Promise<ScenarioOutcome> {
  const t0 = Date.now();
  const s = "k8ssandra";
  const title = `K8ssandra (TS only), the operator as its image runs it (bundled, the image's node flags): a 2-DC K8ssandraCluster across two data planes, create -> Ready (cass-operator simulator, no delay); then ${ctx.config.k8ssandra.idleClusters.join(", then ")} K8ssandraClusters at idle`;
  // cass-operator's own CRDs when they are beside the repository (as the figures so far were taken), else the shipped ones.
  const crds = cassOperatorCRDs();
  const { idleClusters, idleWindowMs } = ctx.config.k8ssandra;
  const runs: Record<string, unknown>[] = [];
  const clusters = await startClusters(3, { names: ["control-plane", "east", "west"] });
  const [controlPlane, ...dataPlanes] = clusters as [TestCluster, TestCluster, TestCluster];
  let support: Program | undefined;
  let operator: Program | undefined;
  let ports: PortClaim[] = [];
  const admin = await RestClient.fromKubeConfig(controlPlane.kubeconfig);
  try {
    await controlPlane.installCRDs([OPERATOR_CRDS]);
    await Promise.all(dataPlanes.map((c) => c.installCRDs([OPERATOR_CRDS, crds])));
    for (const c of clusters) {
      const rc = await RestClient.fromKubeConfig(c.kubeconfig);
      await rc.create<Namespace>({ apiVersion: "v1", kind: "Namespace", metadata: { name: OPERATOR_NAMESPACE } }).catch(() => undefined);
      await rc.close();
    }
    support = new Program(
      "ts k8ssandra-dataplanes",
      process.execPath,
      ["--conditions=operator-ts-source", join(ctx.tsRoot, "bench", "ts", "k8ssandra-dataplanes.ts"), "--kubeconfig", dataPlanes.map((c) => c.kubeconfigPath).join(",")],
      { LOG_LEVEL: process.env.LOG_LEVEL ?? "warn" },
    );
    await support.waitFor("ready", ctx.timeoutMs);
    for (const plane of dataPlanes) await registerDataPlane(controlPlane, plane, OPERATOR_NAMESPACE);
    ports = [await claimPort(), await claimPort()];
    operator = await startOperator(ctx, controlPlane.kubeconfigPath, dataPlanes.map((c) => c.name), ports.map((c) => c.port));
    const metricsUrl = `http://127.0.0.1:${ports[0]!.port}/metrics`;
    await operator.waitFor("ready", ctx.timeoutMs);
    const sample = parse(await readFile(SAMPLE, "utf8")) as K8ssandraCluster;

    const readyMs: number[] = [];
    for (let rep = 0; rep < ctx.config.heavyReps; rep++) {
      const name = `bench-${rep + 1}`;
      await admin.create(manifest(sample, name));
      const ms = await untilReady(admin, [name], ctx.timeoutMs);
      readyMs.push(ms);
      runs.push({ impl: "ts", rep, readyMs: ms });
      ctx.say(`  K8ssandra create -> Ready rep ${rep + 1}/${ctx.config.heavyReps}: ${Math.round(ms)} ms`);
    }

    const metrics: Metric[] = [{ id: "k8ssandra.ready", scenario: s, label: "2-DC K8ssandraCluster: create -> Ready", unit: "ms", ts: summarize(readyMs), kind: "ts-only" }];
    let present = ctx.config.heavyReps;
    for (const total of idleClusters) {
      const more = Array.from({ length: total - present }, (_, i) => `bench-${present + i + 1}`);
      const idle = await createThenIdle(ctx, admin, operator, sample, more, metricsUrl);
      present = total;
      runs.push({ impl: "ts", rep: 0, ...idle, k8ssandraClusters: total });
      const mib = (b: number | undefined) => (b === undefined ? "?" : (b / 2 ** 20).toFixed(1));
      const spaces = Object.entries(idle.heap.spaces).map(([space, v]) => `${space} ${mib(v.used)}/${mib(v.size)}`).join(", ");
      ctx.say(`  K8ssandra idle with ${total} K8ssandraClusters: CPU ${idle.idleCpuPercent.toFixed(2)} % of a core, RSS ${(idle.idleRssBytes / 2 ** 20).toFixed(0)} MiB`);
      ctx.say(`    RSS anonymous ${mib(idle.heap.rss.anon)} MiB (brk heap ${mib(idle.heap.rss.brk)}, largest mappings ${idle.heap.rss.largestAnon.map(mib).join(" ")}), files ${mib(idle.heap.rss.file)} MiB; V8 heap used/size MiB: ${spaces}; external ${mib(idle.heap.external)}`);
      const one = (v: number) => summarize([v]);
      metrics.push(
        { id: `k8ssandra.${total}.allReady`, scenario: s, label: `${more.length} more K8ssandraClusters created at once -> all Ready (${total} in all)`, unit: "ms", ts: one(idle.allReadyMs), kind: "ts-only" },
        { id: `k8ssandra.${total}.idleCpu`, scenario: s, label: `operator CPU at idle, ${total} K8ssandraClusters (share of one core over ${idleWindowMs / 1000} s)`, unit: "%", ts: one(idle.idleCpuPercent), kind: "ts-only" },
        {
          id: `k8ssandra.${total}.idleRss`,
          scenario: s,
          label: `operator RSS at idle, ${total} K8ssandraClusters`,
          unit: "bytes",
          ts: one(idle.idleRssBytes),
          kind: "ts-only",
          // The Deployment's memory request (config/manager/manager.yaml) is 128Mi, sized on this row.
          ...(total === 50 ? { under: 128 * 2 ** 20 } : {}),
        },
      );
    }
    return { id: s, title, runs, metrics, seconds: (Date.now() - t0) / 1000 };
  } finally {
    await operator?.stop();
    for (const p of ports) p.release();
    await support?.stop();
    await admin.close();
    await stopClusters(clusters);
  }
}

/**
 * The built operator in control-plane mode, with the image's command and the Deployment's arguments (its probes and
 * metrics on ports of their own); "ready" once its log says each data plane of `clusters` was added (from its
 * ClientConfig).
 */
async function startOperator(ctx: Context, kubeconfig: string, clusters: string[], [metrics, health]: number[]): Promise<Program> {
  const op = await builtOperator(ctx);
  const waiting = new Set(clusters);
  const translate = (line: string): Event | undefined => {
    if (!line.includes('"cluster added"')) return undefined;
    try {
      waiting.delete(String((JSON.parse(line) as { cluster?: string }).cluster));
    } catch {
      return undefined;
    }
    return waiting.size === 0 ? { event: "ready" } : undefined;
  };
  // With --profile, a CPU profile of the whole run and a heap snapshot at each idle point (SIGUSR2, see heapSnapshot).
  const profile = ctx.profileDir
    ? ["--cpu-prof", `--cpu-prof-dir=${ctx.profileDir}`, "--heapsnapshot-signal=SIGUSR2", `--diagnostic-dir=${ctx.profileDir}`]
    : [];
  // The Deployment's arguments (config/manager/manager.yaml: leader election, metrics and probes on), and what this
  // setup needs besides: where the ClientConfigs are, and no CQL (the simulator runs no Cassandra).
  const argv = ["run", "--kubeconfig", kubeconfig, "--control-plane", "--clientconfig-namespace", OPERATOR_NAMESPACE, "--no-cql"];
  argv.push("--leader-elect", "--leader-election-namespace", OPERATOR_NAMESPACE);
  argv.push("--metrics-bind-address", `127.0.0.1:${metrics}`, "--health-probe-bind-address", `127.0.0.1:${health}`);
  return new Program("ts k8ssandra-operator (built)", process.execPath, [...op.nodeArgs, ...profile, op.main, ...argv], { ...op.env, LOG_LEVEL: "info" }, translate);
}

/** Creates the K8ssandraClusters at once, waits until all are Ready, then the operator's CPU, RSS and V8 heap at idle. */
async function createThenIdle(ctx: Context, admin: RestClient, operator: Program, sample: K8ssandraCluster, names: string[], metricsUrl: string) {
  const { settleMs, idleWindowMs } = ctx.config.k8ssandra;
  const cpuBefore = operator.cpuSeconds();
  const tAll = performance.now();
  await Promise.all(names.map((name) => admin.create(manifest(sample, name))));
  const allReadyMs = await untilReady(admin, names, ctx.timeoutMs);
  const createCpuSeconds = operator.cpuSeconds() - cpuBefore;
  ctx.say(`  K8ssandra: ${names.length} more K8ssandraClusters Ready in ${Math.round(performance.now() - tAll)} ms`);
  await delay(settleMs);
  const rss: number[] = [];
  const cpu0 = operator.cpuSeconds();
  const w0 = performance.now();
  for (let waited = 0; waited < idleWindowMs; waited += 1000) {
    await delay(1000);
    rss.push(operator.rssBytes());
  }
  const idleCpuPercent = ((operator.cpuSeconds() - cpu0) / ((performance.now() - w0) / 1000)) * 100;
  // Where the RSS goes, as the operator's own /metrics tells it (prom-client's default metrics): V8's spaces and the
  // memory outside the heap. Read after the window, so that the scrape's own work is not in the idle CPU.
  const heap = { ...(await heapFigures(metricsUrl)), rss: operator.rssParts() };
  if (ctx.profileDir) await heapSnapshot(ctx.profileDir, operator);
  return { allReadyMs, createCpuSeconds, idleCpuPercent, idleRssBytes: median(rss), peakRssBytes: operator.peakRssBytes(), heap };
}

interface HeapFigures {
  spaces: Record<string, { used?: number; size?: number }>;
  external?: number;
}

async function heapFigures(metricsUrl: string): Promise<HeapFigures> {
  const text = await (await fetch(metricsUrl)).text();
  const figures: HeapFigures = { spaces: {} };
  for (const m of text.matchAll(/^nodejs_heap_space_size_(used|total)_bytes\{space="([a-z_]+)"\} (\d+)/gm)) {
    const space = (figures.spaces[m[2]!] ??= {});
    space[m[1] === "used" ? "used" : "size"] = Number(m[3]);
  }
  const external = /^nodejs_external_memory_bytes (\d+)/m.exec(text);
  if (external) figures.external = Number(external[1]);
  return figures;
}

/** Asks the operator for a heap snapshot (--heapsnapshot-signal) and waits until V8 has written it. */
async function heapSnapshot(dir: string, operator: Program): Promise<void> {
  const snapshots = async () => (await readdir(dir)).filter((f) => f.endsWith(".heapsnapshot"));
  const before = new Set(await snapshots());
  process.kill(operator.pid!, "SIGUSR2");
  for (let size = -1, waited = 0; waited < 120_000; waited += 500) {
    await delay(500);
    const file = (await snapshots()).find((f) => !before.has(f));
    if (!file) continue;
    const now = (await stat(join(dir, file))).size;
    if (now > 0 && now === size) return;
    size = now;
  }
}
