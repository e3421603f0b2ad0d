// K8ssandra (TS only: the K8ssandra operator exists only in TS): a 2-DC K8ssandraCluster across two data-plane
// clusters, create -> Ready with the cass-operator simulator at zero delay; then the operator's CPU and memory while
// idle with many K8ssandraClusters. The measured process holds the control-plane operator alone.
import { readFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { setTimeout as delay } from "node:timers/promises";
import { type Condition, Namespace, RestClient } from "@operator-ts/runtime";
import { startClusters, stopClusters, type TestCluster } from "@operator-ts/runtime/envtest";
import { K8ssandraCluster } from "@operator-ts/k8ssandra-operator";
import { parse } from "yaml";
import { OPERATOR_CRDS, OPERATOR_NAMESPACE } from "../../packages/k8ssandra-operator/src/dev/environment.ts";
import { registerDataPlane } from "../../packages/k8ssandra-operator/src/dev/register.ts";
import { cassOperatorCRDs } from "../../test/support/paths.ts";
import { type Context, type Metric, type ScenarioOutcome, startProgram } from "./context.ts";
import { Program } from "./proc.ts";
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
  const title = `K8ssandra (TS only): a 2-DC K8ssandraCluster across two data planes, create -> Ready (cass-operator simulator, no delay); then ${ctx.config.k8ssandra.idleClusters} K8ssandraClusters at idle`;
  // cass-operator's own CRDs when they are beside the repository (as the figures so far were taken), else the shipped ones.
  const crds = cassOperatorCRDs();
  const { idleClusters, settleMs, idleWindowMs } = ctx.config.k8ssandra;
  const runs: Record<string, unknown>[] = [];
  const clusters = await startClusters(3, { names: ["control-plane", "east", "west"] });
  const [controlPlane, ...dataPlanes] = clusters as [TestCluster, TestCluster, TestCluster];
  let support: Program | undefined;
  let operator: Program | undefined;
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
    operator = startProgram(ctx, "ts", "k8ssandra", [controlPlane.kubeconfigPath], {
      namespace: OPERATOR_NAMESPACE,
      clusters: dataPlanes.map((c) => c.name),
    });
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

    const rest = Array.from({ length: idleClusters - ctx.config.heavyReps }, (_, i) => `bench-${ctx.config.heavyReps + i + 1}`);
    const cpuBefore = operator.cpuSeconds();
    const tAll = performance.now();
    await Promise.all(rest.map((name) => admin.create(manifest(sample, name))));
    const allReadyMs = await untilReady(admin, rest, ctx.timeoutMs);
    const createCpu = operator.cpuSeconds() - cpuBefore;
    ctx.say(`  K8ssandra: ${rest.length} more K8ssandraClusters Ready in ${Math.round(performance.now() - tAll)} ms`);

    await delay(settleMs);
    const rss: number[] = [];
    const cpu0 = operator.cpuSeconds();
    const w0 = performance.now();
    for (let waited = 0; waited < idleWindowMs; waited += 1000) {
      await delay(1000);
      rss.push(operator.rssBytes());
    }
    const idleCpuPercent = ((operator.cpuSeconds() - cpu0) / ((performance.now() - w0) / 1000)) * 100;
    const idle = { allReadyMs, createCpuSeconds: createCpu, idleCpuPercent, idleRssBytes: median(rss), k8ssandraClusters: idleClusters };
    runs.push({ impl: "ts", rep: 0, ...idle });
    ctx.say(`  K8ssandra idle with ${idleClusters} K8ssandraClusters: CPU ${idleCpuPercent.toFixed(2)} % of a core, RSS ${(median(rss) / 2 ** 20).toFixed(0)} MiB`);
    const one = (v: number) => summarize([v]);
    const metrics: Metric[] = [
      { id: "k8ssandra.ready", scenario: s, label: "2-DC K8ssandraCluster: create -> Ready", unit: "ms", ts: summarize(readyMs), kind: "ts-only" },
      { id: "k8ssandra.allReady", scenario: s, label: `${rest.length} more K8ssandraClusters created at once -> all Ready`, unit: "ms", ts: one(allReadyMs), kind: "ts-only" },
      { id: "k8ssandra.idleCpu", scenario: s, label: `operator CPU at idle, ${idleClusters} K8ssandraClusters (share of one core over ${idleWindowMs / 1000} s)`, unit: "%", ts: one(idleCpuPercent), kind: "ts-only" },
      { id: "k8ssandra.idleRss", scenario: s, label: `operator RSS at idle, ${idleClusters} K8ssandraClusters`, unit: "bytes", ts: one(median(rss)), kind: "ts-only" },
    ];
    return { id: s, title, runs, metrics, seconds: (Date.now() - t0) / 1000 };
  } finally {
    await operator?.stop();
    await support?.stop();
    await admin.close();
    await stopClusters(clusters);
  }
}
