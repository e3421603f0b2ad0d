/**
 * The one-command local demo: three clusters on loopback (control plane, east, west), the operator and the
 * cass-operator simulator, a 2-DC K8ssandraCluster applied from config/samples, progress as the datacenters come up
 * one after the other, and the final state of every object in every cluster.
 */
import { createWriteStream } from "node:fs";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { type Client, type Condition, log, Secret } from "@operator-ts/runtime";
import { pino } from "pino";
import { parse } from "yaml";
import { CassandraDatacenter, ClientConfig, K8ssandraCluster, Stargate } from "../api/index.ts";
import { type LocalEnvironment, OPERATOR_NAMESPACE, startLocalEnvironment } from "./environment.ts";

const here = dirname(fileURLToPath(import.meta.url));
export const SAMPLE = resolve(here, "../../config/samples/k8ssandracluster-2dc.yaml");

export interface DemoOptions {
  /** Where the kubeconfigs and the operator's log go. */
  workDir: string;
  /** How long the simulated cass-operator keeps each datacenter Updating; default 3 s, so the order is visible. */
  readyDelayMs?: number;
  /** Tear down as soon as the cluster is Ready (for tests and CI) instead of waiting for Ctrl-C. */
  exitWhenReady?: boolean;
  timeoutMs?: number;
  print?: (line: string) => void;
}

function elapsed(start: number): string {
  return `${((Date.now() - start) / 1000).toFixed(1).padStart(5)}s`;
}

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) => `    ${r.map((c, i) => c.padEnd(widths[i]!)).join("  ")}`).join("\n");
}

async function clusterState(name: string, c: Client, withK8ssandra: boolean): Promise<string> {
  const lines = [`  cluster ${name}:`];
  if (withK8ssandra) {
    const k8cs = await c.list(K8ssandraCluster, { namespace: OPERATOR_NAMESPACE });
    const rows = [["K8SSANDRACLUSTER", "READY", "ERROR", "CONDITIONS"]];
    for (const k of k8cs.items) {
      const conds = ((k.status?.conditions ?? []) as Condition[]).map((x) => `${x.type}=${x.status}`).join(",");
      rows.push([k.metadata.name!, k.status?.readyDatacenters ?? "-", k.status?.error ?? "-", conds]);
    }
    lines.push(table(rows));
    const ccs = await c.list(ClientConfig, { namespace: OPERATOR_NAMESPACE });
    lines.push(table([["CLIENTCONFIG", "CONTEXT", "SECRET"], ...ccs.items.map((cc) => [cc.metadata.name!, cc.spec.contextName ?? "", cc.spec.kubeConfigSecret.name])]));
  } else {
    const dcs = await c.list(CassandraDatacenter, { namespace: OPERATOR_NAMESPACE });
    const rows = [["CASSANDRADATACENTER", "SIZE", "PROGRESS", "READY", "SEEDS"]];
    for (const d of dcs.items) {
      const ready = d.status?.conditions?.find((x) => x.type === "Ready")?.status ?? "-";
      rows.push([d.metadata.name!, String(d.spec.size), d.status?.cassandraOperatorProgress ?? "-", ready, (d.spec.additionalSeeds ?? []).join(",") || "-"]);
    }
    lines.push(table(rows));
    const sgs = await c.list(Stargate, { namespace: OPERATOR_NAMESPACE });
    lines.push(table([["STARGATE", "DC", "PROGRESS", "READY"], ...sgs.items.map((s) => [s.metadata.name!, s.spec.datacenterRef.name, s.status?.progress ?? "-", s.status?.readyReplicasRatio ?? "-"])]));
  }
  // Secrets by name and key only: their values never leave the cluster.
  const secrets = await c.list(Secret, { namespace: OPERATOR_NAMESPACE, labelSelector: "app.kubernetes.io/managed-by=k8ssandra-operator" });
  lines.push(table([["SECRET (values not shown)", "KEYS"], ...secrets.items.map((s) => [s.metadata!.name!, Object.keys(s.data ?? {}).join(",")])]));
  return lines.join("\n");
}

export async function runDemo(options: DemoOptions): Promise<void> {
  const print = options.print ?? ((line: string) => process.stdout.write(`${line}\n`));
  const start = Date.now();
  const say = (line: string) => print(`[${elapsed(start)}] ${line}`);
  await mkdir(options.workDir, { recursive: true });
  const logFile = join(options.workDir, "operator.log");
  const logger = pino({ level: "info" }, createWriteStream(logFile));
  // Every manager of the demo (operator, simulators) logs to the file; the terminal shows the story.
  log.setLogger(logger);
  let env: LocalEnvironment | undefined;
  let interrupted = false;
  const onSignal = () => {
    interrupted = true;
    say("interrupted: tearing everything down");
  };
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  try {
    env = await startLocalEnvironment({ readyDelayMs: options.readyDelayMs ?? 3000, logger, progress: say });
    for (const c of [env.controlPlane, ...env.dataPlanes]) {
      const file = join(options.workDir, `${c.name}.kubeconfig`);
      await writeFile(file, c.kubeconfigYaml, { mode: 0o600 });
      say(`  ${c.name.padEnd(13)} ${c.server}   kubectl --kubeconfig ${file} get k8c,cassdc,stargate -A`);
    }
    say(`operator log: ${logFile}`);
    const manifest = parse(await readFile(SAMPLE, "utf8")) as K8ssandraCluster;
    say(`applying ${SAMPLE}: dc1 in east, dc2 in west`);
    await env.admin.create(manifest);

    const seen = new Map<string, string>();
    const deadline = Date.now() + (options.timeoutMs ?? 180_000);
    let ready = false;
    while (!interrupted && !ready) {
      if (Date.now() > deadline) throw new Error("the K8ssandraCluster did not become Ready in time; see the operator log");
      for (const plane of env.dataPlanes) {
        const client = env.operator.mcm.hasCluster(plane.name) ? env.operator.mcm.getCluster(plane.name).apiReader : undefined;
        if (!client) continue;
        const dcs = await client.list(CassandraDatacenter, { namespace: OPERATOR_NAMESPACE }).catch(() => undefined);
        for (const dc of dcs?.items ?? []) {
          const state = `${dc.status?.cassandraOperatorProgress ?? "Pending"}${dc.status?.cassandraOperatorProgress === "Ready" ? "" : ` (size ${dc.spec.size})`}`;
          const key = `${plane.name}/${dc.metadata.name}`;
          if (seen.get(key) !== state) {
            if (!seen.has(key)) say(`${dc.metadata.name} created in ${plane.name}${dc.spec.additionalSeeds?.length ? ` with seeds ${dc.spec.additionalSeeds.join(", ")}` : ""}`);
            say(`${dc.metadata.name} (${plane.name}): ${state}`);
            seen.set(key, state);
          }
        }
      }
      const k8c = await env.admin.get(K8ssandraCluster, { namespace: OPERATOR_NAMESPACE, name: manifest.metadata.name! });
      ready = ((k8c.status?.conditions ?? []) as Condition[]).some((c) => c.type === "Ready" && c.status === "True");
      if (ready) say(`K8ssandraCluster ${k8c.metadata.name} is Ready: ${k8c.status?.readyDatacenters} datacenters`);
      else await new Promise((r) => setTimeout(r, 250));
    }
    if (ready) {
      print("\nFinal state of every object, in every cluster:");
      print(await clusterState(env.controlPlane.name, env.admin, true));
      for (const plane of env.dataPlanes) print(await clusterState(plane.name, env.operator.mcm.getCluster(plane.name).apiReader as Client, false));
      print("");
    }
    if (ready && !options.exitWhenReady && !interrupted) {
      say("the clusters keep running: press Ctrl-C to tear everything down");
      await new Promise<void>((resolve) => {
        const check = setInterval(() => {
          if (interrupted) {
            clearInterval(check);
            resolve();
          }
        }, 200);
      });
    }
  } finally {
    process.removeListener("SIGINT", onSignal);
    process.removeListener("SIGTERM", onSignal);
    await env?.stop();
    say("all clusters stopped and removed");
  }
}
