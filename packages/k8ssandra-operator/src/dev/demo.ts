/**
 * The one-command local demo: three clusters on loopback (control plane, east, west), the operator and a cass-operator
 * stand-in in each data plane (real Cassandra, one JVM per node, when the machine has Java 17; the instant simulator
 * otherwise), a 2-DC K8ssandraCluster applied from config/samples, progress as the datacenters come up one after the
 * other, the final state of every object in every cluster, and with real Cassandra where to connect and a row
 * written in dc1 and read back in dc2.
 */
import { createWriteStream } from "node:fs";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { type Client, type Condition, log, type Reader, Secret } from "@operator-ts/runtime";
import { pino } from "pino";
import { parse } from "yaml";
import { CassandraDatacenter, ClientConfig, K8ssandraCluster, Stargate } from "../api/index.ts";
import { DEFAULT_CASSANDRA_VERSION, type RunningSimulator, superuserSecretName } from "../simulator/index.ts";
import { canLogIn, type Endpoint, rowAcrossDatacenters } from "./cross-dc.ts";
import { chooseSimulator, type SimulatorChoice } from "./data-plane.ts";
import { type LocalEnvironment, OPERATOR_NAMESPACE, startLocalEnvironment } from "./environment.ts";

const here = dirname(fileURLToPath(import.meta.url));
export const SAMPLE = resolve(here, "../../config/samples/k8ssandracluster-2dc.yaml");

export interface DemoOptions {
  /** Where the kubeconfigs and the operator's log go. */
  workDir: string;
  /** Real Cassandra, the instant simulator, or (default) real Cassandra when Java 17 or later and Maven are there. */
  simulator?: SimulatorChoice;
  /** How long the instant simulator keeps each datacenter Updating; default 3 s, so the order is visible. */
  readyDelayMs?: number;
  /** Tear down as soon as the cluster is Ready (for tests and CI) instead of waiting for Ctrl-C. */
  exitWhenReady?: boolean;
  /** Until the K8ssandraCluster is Ready; default 3 min with the instant simulator, 15 min with real Cassandra. */
  timeoutMs?: number;
  print?: (line: string) => void;
  /** Called once the demo has shown everything, before the teardown (tests look at the clusters here). */
  onReady?: (env: LocalEnvironment) => Promise<void>;
}

/**
 * The sample as this machine runs it with real Cassandra: one node per datacenter (each is a JVM of ~700 MiB here),
 * small heaps, and the Cassandra version the stand-in runs.
 */
export function localCassandraManifest(sample: K8ssandraCluster): K8ssandraCluster {
  const k = structuredClone(sample);
  const cassandra = k.spec.cassandra!;
  cassandra.serverVersion = DEFAULT_CASSANDRA_VERSION;
  cassandra.config = { ...cassandra.config, jvmOptions: { ...cassandra.config?.jvmOptions, heapSize: "256Mi" } };
  for (const dc of cassandra.datacenters ?? []) dc.size = 1;
  return k;
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
  let lastSaid = start;
  const say = (line: string) => {
    lastSaid = Date.now();
    print(`[${elapsed(start)}] ${line}`);
  };
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
    const chosen = await chooseSimulator(options.simulator ?? "auto");
    const real = chosen.kind === "cassandra";
    say(real
      ? `data plane: real Cassandra ${DEFAULT_CASSANDRA_VERSION}, one JVM per node on loopback (${chosen.reason})`
      : `data plane: the instant cass-operator simulator, no Cassandra runs (${chosen.reason})`);
    env = await startLocalEnvironment({ readyDelayMs: real ? 0 : (options.readyDelayMs ?? 3000), cassandra: real, logger, progress: say });
    const kubeconfigs = new Map<string, string>();
    for (const c of [env.controlPlane, ...env.dataPlanes]) {
      const file = join(options.workDir, `${c.name}.kubeconfig`);
      await writeFile(file, c.kubeconfigYaml, { mode: 0o600 });
      kubeconfigs.set(c.name, file);
      say(`  ${c.name.padEnd(13)} ${c.server}   kubectl --kubeconfig ${shown(file)} get k8c,cassdc,stargate -A`);
    }
    say(`operator log: ${logFile}`);
    const sample = parse(await readFile(SAMPLE, "utf8")) as K8ssandraCluster;
    const manifest = real ? localCassandraManifest(sample) : sample;
    say(`applying ${shown(SAMPLE)}: dc1 in east, dc2 in west${real ? `, as this machine runs it: 1 node per datacenter, serverVersion ${DEFAULT_CASSANDRA_VERSION}, heapSize 256Mi` : ""}`);
    await env.admin.create(manifest);

    const seen = new Map<string, string>();
    const deadline = Date.now() + (options.timeoutMs ?? (real ? 900_000 : 180_000));
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
      else {
        // Real nodes take tens of seconds each: a line now and then says the demo is still at it.
        if (Date.now() - lastSaid >= 15_000) say(`waiting for the K8ssandraCluster to be Ready: ${k8c.status?.readyDatacenters ?? "0"} datacenters so far`);
        await new Promise((r) => setTimeout(r, 250));
      }
    }
    if (ready) {
      print("\nFinal state of every object, in every cluster:");
      print(await clusterState(env.controlPlane.name, env.admin, true));
      for (const plane of env.dataPlanes) print(await clusterState(plane.name, env.operator.mcm.getCluster(plane.name).apiReader as Client, false));
      print("");
      const endpoints = await connections(env, kubeconfigs, print);
      if (real) {
        if (endpoints.length !== 2 || endpoints.some((e) => !e.contactPoint)) throw new Error("real Cassandra is Ready but not two datacenters with a node answering CQL");
        const credentials = await readSuperuser(endpoints[0]!.reader, endpoints[0]!.namespace, endpoints[0]!.secret);
        // The operator replicated system_auth to every datacenter and rebuilt the later ones before it called the
        // cluster Ready, so the superuser logs in everywhere.
        const access: Endpoint[] = endpoints.map((e) => ({ ...e, contactPoint: e.contactPoint! }));
        for (const dc of access) {
          const login = await canLogIn(dc, credentials);
          if (login !== true) throw new Error(`the K8ssandraCluster is Ready but the superuser cannot log in at ${dc.datacenter}: ${login}`);
        }
        say(`the superuser logs in at every datacenter: ${access.map((d) => d.datacenter).join(", ")}`);
        await rowAcrossDatacenters(access[0]!, access[1]!, credentials, say);
        print("");
      }
    }
    if (ready) await options.onReady?.(env);
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

/** A path as the user would type it from here: relative inside the working directory, absolute outside. */
function shown(path: string): string {
  const rel = relative(process.cwd(), path);
  return rel && !rel.startsWith("..") ? rel : path;
}

interface Connection {
  /** The index of its data plane. */
  plane: number;
  /** The CassandraDatacenter's name, and its datacenter's name in Cassandra. */
  name: string;
  datacenter: string;
  contactPoint?: string;
  namespace: string;
  secret: string;
  reader: Reader;
}

/**
 * For each datacenter: where CQL answers and how to read the superuser's credentials from its Secret in that data
 * plane. Only the commands are printed: the password itself never reaches the terminal.
 */
async function connections(env: LocalEnvironment, kubeconfigs: Map<string, string>, print: (line: string) => void): Promise<Connection[]> {
  const out: Connection[] = [];
  print("Connecting to each datacenter (the superuser's password stays in its Secret; the commands print it):");
  for (const [i, plane] of env.dataPlanes.entries()) {
    const reader = env.operator.mcm.getCluster(plane.name).apiReader;
    const simulator: RunningSimulator = env.simulators[i]!;
    const kubectl = `kubectl --kubeconfig ${shown(kubeconfigs.get(plane.name)!)} -n ${OPERATOR_NAMESPACE}`;
    for (const dc of (await reader.list(CassandraDatacenter, { namespace: OPERATOR_NAMESPACE })).items) {
      const secret = superuserSecretName(dc);
      const datacenter = dc.spec.datacenterName || dc.metadata.name!;
      const points = await simulator.simulator.contactPoints(OPERATOR_NAMESPACE, dc.metadata.name!);
      print(`  ${datacenter} (cluster ${plane.name}): CQL at ${points.length ? points.join(", ") : "none (the instant simulator runs no Cassandra)"}`);
      for (const key of ["username", "password"]) {
        print(`    ${key.padEnd(8)}  ${kubectl} get secret ${secret} -o jsonpath='{.data.${key}}' | base64 -d`);
      }
      out.push({ plane: i, name: dc.metadata.name!, datacenter, contactPoint: points[0], namespace: OPERATOR_NAMESPACE, secret, reader });
    }
  }
  return out;
}

async function readSuperuser(reader: Reader, namespace: string, name: string): Promise<{ username: string; password: string }> {
  const secret = await reader.get(Secret, { namespace, name });
  const value = (key: string) => {
    const v = secret.data?.[key];
    if (!v) throw new Error(`superuser Secret ${namespace}/${name} has no ${key}`);
    return Buffer.from(v, "base64").toString("utf8");
  };
  return { username: value("username"), password: value("password") };
}
