// K8ssandra with real Cassandra (TS only, as the k8ssandra scenario): the demo's setup, three clusters with the
// operator in both modes and the cass-operator stand-in running one Cassandra JVM per node; a 2-DC K8ssandraCluster
// (the sample with one node per datacenter, as `make demo` runs it), create -> Ready. Dominated by Cassandra starting
// and joining, one datacenter after the other; a fresh environment per repetition, so every node starts cold. The
// operator runs in this process, from the working tree (also with --at): the figure is wall-clock time, not the
// operator's CPU.
import { readFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { CassandraDatacenter, K8ssandraCluster } from "@operator-ts/k8ssandra-operator";
import { log } from "@operator-ts/runtime";
import { pino } from "pino";
import { parse } from "yaml";
import { chooseSimulator } from "../../packages/k8ssandra-operator/src/dev/data-plane.ts";
import { localCassandraManifest } from "../../packages/k8ssandra-operator/src/dev/demo.ts";
import { type LocalEnvironment, OPERATOR_NAMESPACE, startLocalEnvironment } from "../../packages/k8ssandra-operator/src/dev/environment.ts";
import { cassOperatorCRDs } from "../../test/support/paths.ts";
import type { Context, Metric, ScenarioOutcome } from "./context.ts";
import { untilReady } from "./k8ssandra.ts";
import { summarize } from "./stats.ts";

const ROOT = resolve(import.meta.dirname, "..", "..");
const SAMPLE = join(ROOT, "packages/k8ssandra-operator/config/samples/k8ssandracluster-2dc.yaml");
const READY_TIMEOUT_MS = 900_000;

/** Resident memory of every Cassandra node of the environment, by pod. */
async function nodeRss(env: LocalEnvironment): Promise<number[]> {
  const out: number[] = [];
  for (const [i, plane] of env.dataPlanes.entries()) {
    const real = env.simulators[i]!.simulator.cassandra;
    const dcs = await env.operator.mcm.getCluster(plane.name).apiReader.list(CassandraDatacenter, { namespace: OPERATOR_NAMESPACE });
    for (const dc of dcs.items) {
      const local = await real?.local(dc.metadata.uid!);
      for (const pod of Object.keys(dc.status?.nodeStatuses ?? {})) {
        const rss = await local?.node(pod)?.rssBytes();
        if (rss !== undefined) out.push(rss);
      }
    }
  }
  return out;
}

export async function k8ssandraCassandra(ctx: Context): Promise<ScenarioOutcome> {
  const t0 = Date.now();
  const s = "k8ssandra-cassandra";
  const title = "K8ssandra (TS only) with real Cassandra: a 2-DC K8ssandraCluster, one Cassandra node per datacenter (a JVM each), across two data planes, create -> Ready";
  const chosen = await chooseSimulator("auto");
  if (chosen.kind !== "cassandra") return { id: s, title, runs: [], metrics: [], seconds: 0, pending: `no real Cassandra on this machine: ${chosen.reason}` };
  const sample = localCassandraManifest(parse(await readFile(SAMPLE, "utf8")) as K8ssandraCluster);
  const logger = pino({ level: process.env.LOG_LEVEL ?? "warn" });
  // The stand-ins' managers log through the runtime's default logger: quiet like the scenario programs (LOG_LEVEL).
  log.setLogger(logger);
  const runs: Record<string, unknown>[] = [];
  const readyMs: number[] = [];
  const rss: number[] = [];
  const reps = ctx.config.k8ssandraCassandraReps;
  for (let rep = 0; rep < reps; rep++) {
    const env = await startLocalEnvironment({
      cassOperatorCRDs: cassOperatorCRDs(),
      cassandra: { log: (line) => ctx.say(`    ${line}`) },
      logger,
    });
    try {
      const k8c = structuredClone(sample);
      k8c.metadata = { ...k8c.metadata, name: `bench-cassandra-${rep + 1}`, namespace: OPERATOR_NAMESPACE };
      await env.admin.create(k8c);
      const ms = await untilReady(env.admin, [k8c.metadata.name!], READY_TIMEOUT_MS);
      const nodes = await nodeRss(env);
      readyMs.push(ms);
      rss.push(...nodes);
      runs.push({ impl: "ts", rep, readyMs: ms, nodeRssBytes: nodes });
      ctx.say(`  K8ssandra with real Cassandra create -> Ready rep ${rep + 1}/${reps}: ${(ms / 1000).toFixed(1)} s; node RSS ${nodes.map((b) => `${Math.round(b / 2 ** 20)} MiB`).join(", ")}`);
    } finally {
      await env.stop();
    }
  }
  const metrics: Metric[] = [
    { id: "k8ssandra.cassandra.ready", scenario: s, label: "2-DC K8ssandraCluster with real Cassandra (1 node per DC): create -> Ready", unit: "ms", ts: summarize(readyMs), kind: "ts-only" },
    { id: "k8ssandra.cassandra.nodeRss", scenario: s, label: "RSS of one Cassandra node (256 MiB heap) once Ready", unit: "bytes", ts: summarize(rss), kind: "ts-only" },
  ];
  return { id: s, title, runs, metrics, seconds: (Date.now() - t0) / 1000 };
}
