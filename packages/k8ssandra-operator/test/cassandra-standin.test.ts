import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { Manager, Pod, Secret } from "@operator-ts/runtime";
import { alive, cacheRoot, startCluster, type TestCluster } from "@operator-ts/runtime/envtest";
import cassandra from "cassandra-driver";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CassandraDatacenter, CONFIG_SECRET_KEY, datacenterCondition } from "../src/api/index.ts";
import { CassandraTask, type RunningSimulator, startSimulator, TASK_STATUS_LABEL } from "../src/simulator/index.ts";
import { canLogIn, withSession } from "../src/simulator/cassandra/index.ts";
import { cassOperatorCRDs } from "../../../test/support/paths.ts";
import { eventually } from "../../../test/support/eventually.ts";

/*
 * Real Cassandra (one JVM per node, 256 MiB heaps) under the cass-operator stand-in, on a real API server with
 * cass-operator's own CRDs. Slow by nature: the first run fetches Cassandra's jars from Maven Central (once per
 * machine), and each node takes tens of seconds to answer CQL on a small machine. Timings are logged, not asserted.
 */
const NODE_TIMEOUT_MS = 360_000;

function b64(text: string): string {
  return Buffer.from(text).toString("base64");
}

describe("cass-operator stand-in running real Cassandra", () => {
  const namespace = "default";
  const superuser = { username: "dba", password: `pw-${Math.random().toString(36).slice(2)}'"x` };
  let cluster: TestCluster;
  let mgr: Manager;
  let sim: RunningSimulator;
  const stop = new AbortController();
  let running: Promise<void>;
  const lines: string[] = [];

  beforeAll(async () => {
    cluster = await startCluster({ name: "cass-real", crds: [cassOperatorCRDs()] });
    mgr = await Manager.create({ kubeconfig: cluster.kubeconfig });
    running = mgr.start(stop.signal);
    const log = (line: string) => {
      lines.push(line);
      process.stderr.write(`${line}\n`);
    };
    sim = await startSimulator(cluster.kubeconfigYaml, { cassandra: { log } });
    const started = Date.now();
    await sim.simulator.cassandra!.prepare();
    log(`cassandra: jars ready in ${Date.now() - started} ms`);
  }, NODE_TIMEOUT_MS);

  afterAll(async () => {
    await sim?.stop();
    stop.abort();
    await running;
    await cluster?.stop();
  }, 120_000);

  const get = (name: string) => mgr.apiReader.get(CassandraDatacenter, { namespace, name });

  it("brings a 1-node datacenter up Ready: the pod at the node's address, its host ID, the superuser in and cassandra/cassandra out", async () => {
    await mgr.client.create<Secret>({ apiVersion: "v1", kind: "Secret", metadata: { name: "dba-secret", namespace }, data: { username: b64(superuser.username), password: b64(superuser.password) } });
    // The datacenter's config reaches the node: num_tokens from cassandra-yaml, the heap from jvm-server-options.
    const config = { "cassandra-yaml": { num_tokens: 4 }, "jvm-server-options": { initial_heap_size: 268435456, max_heap_size: 268435456 } };
    await mgr.client.create<Secret>({ apiVersion: "v1", kind: "Secret", metadata: { name: "dc1-config", namespace }, data: { [CONFIG_SECRET_KEY]: b64(JSON.stringify(config)) } });
    const created = Date.now();
    await mgr.client.create<CassandraDatacenter>({
      apiVersion: CassandraDatacenter.apiVersion,
      kind: CassandraDatacenter.kind,
      metadata: { name: "dc1", namespace },
      spec: { clusterName: "real", serverType: "cassandra", serverVersion: "5.0.9", size: 1, storageConfig: {}, configSecret: "dc1-config", superuserSecretName: "dba-secret" },
    });

    const dc = await eventually(async () => {
      const d = await get("dc1");
      return d.status?.cassandraOperatorProgress === "Ready" && d.status.observedGeneration === d.metadata.generation ? d : undefined;
    }, "dc1 Ready with real Cassandra", NODE_TIMEOUT_MS);
    process.stderr.write(`cassandra: dc1 created -> Ready in ${Date.now() - created} ms\n`);
    expect(datacenterCondition(dc, "Ready")).toMatchObject({ status: "True" });
    expect(datacenterCondition(dc, "Initialized")).toMatchObject({ status: "True" });
    expect(dc.metadata.finalizers).toContain("finalizer.cassandra.datastax.com");

    const podName = "real-dc1-default-sts-0";
    const pod = await mgr.apiReader.get(Pod, { namespace, name: podName });
    const ip = pod.status?.podIP;
    expect(ip).toMatch(/^127\.0\.\d+\.1$/);
    expect(pod.status?.conditions?.find((c) => c.type === "Ready")?.status).toBe("True");
    expect(dc.status?.nodeStatuses?.[podName]?.ip).toBe(ip);
    expect(await sim.simulator.contactPoints(namespace, "dc1")).toEqual([`${ip}:9042`]);

    const local = await withSession(ip!, superuser, async (c) => (await c.execute("SELECT host_id, tokens, data_center, rack FROM system.local")).first());
    expect(dc.status?.nodeStatuses?.[podName]?.hostID).toBe(String(local.get("host_id")));
    expect([local.get("data_center"), local.get("rack")]).toEqual(["dc1", "default"]);
    expect(local.get("tokens")).toHaveLength(4);
    expect(await canLogIn(ip!, { username: "cassandra", password: "cassandra" })).toBe(false);
    expect(await canLogIn(ip!, { ...superuser, password: "wrong" })).toBe(false);

    const node = (await sim.simulator.cassandra!.local(dc.metadata.uid!))!.node(podName)!;
    process.stderr.write(`cassandra: ${podName} RSS ${Math.round((await node.rssBytes())! / 2 ** 20)} MiB\n`);
    // No status, log line or Event carries the password.
    expect(JSON.stringify(dc.status)).not.toContain(superuser.password);
    expect(lines.join("\n")).not.toContain(superuser.password);
  }, NODE_TIMEOUT_MS);

  it("runs CassandraTasks with nodetool and writes their status as cass-operator does: cleanup completes, a rebuild from a missing datacenter fails", async () => {
    const task = (name: string, job: object) =>
      mgr.client.create<CassandraTask>({
        apiVersion: CassandraTask.apiVersion,
        kind: CassandraTask.kind,
        metadata: { name, namespace },
        spec: { datacenter: { name: "dc1", namespace }, jobs: [job as never] },
      });
    const finished = (name: string) =>
      eventually(async () => {
        const t = await mgr.apiReader.get(CassandraTask, { namespace, name });
        return t.status?.completionTime ? t : undefined;
      }, `task ${name} finished`, 180_000);

    await task("cleanup-dc1", { name: "cleanup", command: "cleanup", args: { keyspace_name: "system_auth" } });
    await task("rebuild-dc1", { name: "rebuild", command: "rebuild", args: { source_datacenter: "dc-nowhere" } });
    const pod = "real-dc1-default-sts-0";

    const cleanup = await finished("cleanup-dc1");
    expect(cleanup.metadata.labels?.[TASK_STATUS_LABEL]).toBe("completed");
    expect(cleanup.metadata.labels?.["cassandra.datastax.com/datacenter"]).toBe("dc1");
    expect(cleanup.metadata.ownerReferences?.[0]).toMatchObject({ kind: "CassandraDatacenter", name: "dc1", controller: true });
    expect(cleanup.status).toMatchObject({ active: 0, succeeded: 1, failed: 0 });
    expect(cleanup.status?.startTime).toBeDefined();
    expect(cleanup.status?.podStatuses?.[pod]?.status).toBe("COMPLETED");
    const conditions = Object.fromEntries((cleanup.status?.conditions ?? []).map((c) => [c.type, c.status]));
    expect(conditions).toEqual({ Running: "False", Complete: "True" });

    const rebuild = await finished("rebuild-dc1");
    expect(rebuild.status).toMatchObject({ succeeded: 0, failed: 1 });
    expect(rebuild.status?.podStatuses?.[pod]).toMatchObject({ status: "ERROR" });
    expect(rebuild.status?.podStatuses?.[pod]?.error).toMatch(/dc-nowhere/);
    expect(rebuild.status?.conditions?.find((c) => c.type === "Failed")).toMatchObject({ status: "True", message: "1 pods failed during processing" });
    expect(rebuild.status?.conditions?.find((c) => c.type === "Complete")?.status).toBe("True");
  }, 240_000);

  it("stops a datacenter (its pods go, its data stays) and resumes it with the same host ID and rows", async () => {
    const before = await get("dc1");
    const hostID = before.status!.nodeStatuses!["real-dc1-default-sts-0"]!.hostID;
    await withSession(before.status!.nodeStatuses!["real-dc1-default-sts-0"]!.ip!, superuser, async (c) => {
      await c.execute("CREATE KEYSPACE kept WITH replication = {'class': 'NetworkTopologyStrategy', 'dc1': 1}");
      await c.execute("CREATE TABLE kept.rows (id int PRIMARY KEY)");
      for (let id = 0; id < 20; id++) await c.execute("INSERT INTO kept.rows (id) VALUES (?)", [id], { prepare: true });
    });
    await mgr.client.patch(before, { type: "merge", data: { spec: { stopped: true } } });
    const stopped = await eventually(async () => {
      const d = await get("dc1");
      return d.status?.cassandraOperatorProgress === "Ready" && d.status.observedGeneration === d.metadata.generation ? d : undefined;
    }, "dc1 stopped", 120_000);
    expect(datacenterCondition(stopped, "Stopped")?.status).toBe("True");
    expect((await mgr.apiReader.list(Pod, { namespace, labelSelector: { "cassandra.datastax.com/datacenter": "dc1" } })).items).toEqual([]);
    expect(await sim.simulator.contactPoints(namespace, "dc1")).toEqual([]);

    await mgr.client.patch(stopped, { type: "merge", data: { spec: { stopped: false } } });
    const resumed = await eventually(async () => {
      const d = await get("dc1");
      return d.status?.cassandraOperatorProgress === "Ready" && d.status.observedGeneration === d.metadata.generation ? d : undefined;
    }, "dc1 resumed", NODE_TIMEOUT_MS);
    expect(datacenterCondition(resumed, "Ready")?.status).toBe("True");
    expect(resumed.status!.nodeStatuses!["real-dc1-default-sts-0"]!.hostID).toBe(hostID);
    const ip = resumed.status!.nodeStatuses!["real-dc1-default-sts-0"]!.ip!;
    const rows = await withSession(ip, superuser, async (c) => (await c.execute("SELECT id FROM kept.rows")).rows.length);
    expect(rows).toBe(20);
  }, NODE_TIMEOUT_MS + 120_000);
  it("joins a second datacenter through additionalSeeds, and rebuilds it from dc1 with a CassandraTask", async () => {
    const dc1 = await get("dc1");
    const dc1Ip = dc1.status!.nodeStatuses!["real-dc1-default-sts-0"]!.ip!;
    await withSession(dc1Ip, superuser, async (c) => {
      await c.execute("CREATE KEYSPACE app WITH replication = {'class': 'NetworkTopologyStrategy', 'dc1': 1}");
      await c.execute("CREATE TABLE app.rows (id int PRIMARY KEY, v text)");
      for (let id = 0; id < 20; id++) await c.execute("INSERT INTO app.rows (id, v) VALUES (?, ?)", [id, `row-${id}`], { prepare: true });
    });

    // What the K8ssandra operator is to do (section 2 of issue 10): system keyspaces on NetworkTopologyStrategy from
    // the first datacenter on, so a joining datacenter takes none of their ranges (auth reads at LOCAL_QUORUM), and
    // replicated to a new datacenter once the ring knows it; a rebuild then streams them and the user keyspace.
    const replicate = (dcs: string) =>
      withSession(dc1Ip, superuser, async (c) => {
        for (const ks of ["app", "system_auth", "system_distributed", "system_traces"]) {
          await c.execute(`ALTER KEYSPACE ${ks} WITH replication = {'class': 'NetworkTopologyStrategy', ${dcs}}`);
        }
      });
    await replicate("'dc1': 1");
    await mgr.client.create<CassandraDatacenter>({
      apiVersion: CassandraDatacenter.apiVersion,
      kind: CassandraDatacenter.kind,
      metadata: { name: "dc2", namespace },
      spec: { clusterName: "real", serverType: "cassandra", serverVersion: "5.0.9", size: 1, storageConfig: {}, configSecret: "dc1-config", superuserSecretName: "dba-secret", additionalSeeds: [dc1Ip] },
    });
    const dc2 = await eventually(async () => {
      const d = await get("dc2");
      return d.status?.cassandraOperatorProgress === "Ready" && d.status.observedGeneration === d.metadata.generation ? d : undefined;
    }, "dc2 Ready", NODE_TIMEOUT_MS);
    const dc2Ip = dc2.status!.nodeStatuses!["real-dc2-default-sts-0"]!.ip!;
    expect(dc2Ip.split(".")[2]).not.toBe(dc1Ip.split(".")[2]);
    const ring = await sim.simulator.cassandra!.local(dc1.metadata.uid!).then((l) => l!.node("real-dc1-default-sts-0")!.nodetool(["status"]));
    expect(ring).toMatch(/Datacenter: dc1/);
    expect(ring).toMatch(/Datacenter: dc2/);

    await replicate("'dc1': 1, 'dc2': 1");
    await mgr.client.create<CassandraTask>({
      apiVersion: CassandraTask.apiVersion,
      kind: CassandraTask.kind,
      metadata: { name: "rebuild-dc2", namespace },
      spec: { datacenter: { name: "dc2", namespace }, jobs: [{ name: "rebuild-dc2", command: "rebuild", args: { source_datacenter: "dc1" } }] },
    });
    const rebuilt = await eventually(async () => {
      const t = await mgr.apiReader.get(CassandraTask, { namespace, name: "rebuild-dc2" });
      return t.status?.completionTime ? t : undefined;
    }, "the rebuild of dc2 finished", 180_000);
    expect(rebuilt.status?.podStatuses?.["real-dc2-default-sts-0"]).toMatchObject({ status: "COMPLETED" });
    expect(rebuilt.status).toMatchObject({ succeeded: 1, failed: 0 });
    // Only dc2's own replica answers at LOCAL_ONE: the rows are there because the rebuild streamed them.
    const rows = await withSession(dc2Ip, superuser, async (c) =>
      (await c.execute("SELECT id FROM app.rows", [], { consistency: cassandra.types.consistencies.localOne })).rows.length,
    );
    expect(rows).toBe(20);

  }, 600_000);

});

describe("cass-operator stand-in: a killed test process", () => {
  it("leaves no Cassandra behind: the envtest reaper kills the JVM and removes its folder and subnet claim", async () => {
    const fixture = new URL("./fixtures/cassandra-and-hang.ts", import.meta.url).pathname;
    const child = spawn(process.execPath, ["--conditions=operator-ts-source", fixture], { stdio: ["ignore", "pipe", "inherit"] });
    const [line] = await Promise.race([
      createInterface({ input: child.stdout! })[Symbol.asyncIterator]().next().then((r) => [r.value as string]),
      new Promise<never>((_, reject) => child.once("exit", (code) => reject(new Error(`fixture exited with ${code}`)))),
    ]);
    const started = JSON.parse(line!) as { pid: number; root: string; address: string };
    const claim = join(cacheRoot(), "cassandra", "subnets", started.address.split(".")[2]!);
    expect(alive(started.pid)).toBe(true);
    expect(existsSync(started.root)).toBe(true);
    expect(existsSync(claim)).toBe(true);

    child.kill("SIGKILL");

    await eventually(() => !alive(started.pid), "the reaper killing the Cassandra JVM", 30_000);
    await eventually(() => !existsSync(started.root), "the reaper removing the Cassandra folder", 30_000);
    await eventually(() => !existsSync(claim), "the reaper removing the subnet claim", 30_000);
  }, 120_000);
});
