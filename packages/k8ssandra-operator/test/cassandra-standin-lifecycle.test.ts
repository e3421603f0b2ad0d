import { Manager, Pod, Secret } from "@operator-ts/runtime";
import { startCluster, type TestCluster } from "@operator-ts/runtime/envtest";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CassandraDatacenter, CONFIG_SECRET_KEY, DECOMMISSION_ON_DELETE_ANNOTATION } from "../src/api/index.ts";
import { CassandraTask, type RunningSimulator, startSimulator, TASK_STATUS_LABEL } from "../src/simulator/index.ts";
import { withSession } from "../src/simulator/cassandra/index.ts";
import { cassOperatorCRDs } from "../../../test/support/paths.ts";
import { eventually } from "../../../test/support/eventually.ts";

/*
 * The lifecycle of a real-Cassandra datacenter under the cass-operator stand-in: a restart task, scale up (a node
 * bootstraps into the ring), scale down (it decommissions), and the deletion of a second datacenter with
 * decommission-on-delete. At most two JVMs at a time, 256 MiB heaps.
 * Timings are logged, not asserted.
 */
const NODE_TIMEOUT_MS = 360_000;

function b64(text: string): string {
  return Buffer.from(text).toString("base64");
}

/** The addresses `nodetool status` lists as Up and Normal. */
function upNormal(status: string): string[] {
  return [...status.matchAll(/^UN\s+(\d+\.\d+\.\d+\.\d+)/gm)].map((m) => m[1]!);
}

describe("cass-operator stand-in with real Cassandra: restart, scale up, scale down, datacenter deletion", () => {
  const namespace = "default";
  const superuser = { username: "dba", password: `pw-${Math.random().toString(36).slice(2)}` };
  const pod0 = "life-dc1-default-sts-0";
  const pod1 = "life-dc1-default-sts-1";
  let cluster: TestCluster;
  let mgr: Manager;
  let sim: RunningSimulator;
  const stop = new AbortController();
  let running: Promise<void>;

  beforeAll(async () => {
    cluster = await startCluster({ name: "cass-life", crds: [cassOperatorCRDs()] });
    mgr = await Manager.create({ kubeconfig: cluster.kubeconfig });
    running = mgr.start(stop.signal);
    sim = await startSimulator(cluster.kubeconfigYaml, { cassandra: true });
    await sim.simulator.cassandra!.prepare();
  }, NODE_TIMEOUT_MS);

  afterAll(async () => {
    const started = Date.now();
    await sim?.stop();
    process.stderr.write(`cassandra: stand-in shut down in ${Date.now() - started} ms\n`);
    stop.abort();
    await running;
    await cluster?.stop();
  }, 120_000);

  const get = () => mgr.apiReader.get(CassandraDatacenter, { namespace, name: "dc1" });
  const ready = (what: string) =>
    eventually(async () => {
      const d = await get();
      return d.status?.cassandraOperatorProgress === "Ready" && d.status.observedGeneration === d.metadata.generation ? d : undefined;
    }, what, NODE_TIMEOUT_MS);
  const local = async () => (await sim.simulator.cassandra!.local((await get()).metadata.uid!))!;
  const ringSeenBy = async (pod: string) => (await local()).node(pod)!.nodetool(["status"]);

  it("restarts a node for a restart CassandraTask: a new JVM with the same host ID, the task's status as cass-operator writes it", async () => {
    await mgr.client.create<Secret>({ apiVersion: "v1", kind: "Secret", metadata: { name: "dba-secret", namespace }, data: { username: b64(superuser.username), password: b64(superuser.password) } });
    const config = { "cassandra-yaml": { num_tokens: 4 }, "jvm-server-options": { initial_heap_size: 268435456, max_heap_size: 268435456 } };
    await mgr.client.create<Secret>({ apiVersion: "v1", kind: "Secret", metadata: { name: "dc1-config", namespace }, data: { [CONFIG_SECRET_KEY]: b64(JSON.stringify(config)) } });
    await mgr.client.create<CassandraDatacenter>({
      apiVersion: CassandraDatacenter.apiVersion,
      kind: CassandraDatacenter.kind,
      metadata: { name: "dc1", namespace },
      spec: { clusterName: "life", serverType: "cassandra", serverVersion: "5.0.9", size: 1, storageConfig: {}, configSecret: "dc1-config", superuserSecretName: "dba-secret" },
    });
    const dc = await ready("dc1 Ready");
    const hostID = dc.status!.nodeStatuses![pod0]!.hostID!;
    const node = (await local()).node(pod0)!;
    const pidBefore = node.pid;
    expect(pidBefore).toBeDefined();

    const started = Date.now();
    await mgr.client.create<CassandraTask>({
      apiVersion: CassandraTask.apiVersion,
      kind: CassandraTask.kind,
      metadata: { name: "restart-dc1", namespace },
      spec: { datacenter: { name: "dc1", namespace }, jobs: [{ name: "restart-dc1", command: "restart" }] },
    });
    const task = await eventually(async () => {
      const t = await mgr.apiReader.get(CassandraTask, { namespace, name: "restart-dc1" });
      return t.status?.completionTime ? t : undefined;
    }, "the restart task finished", NODE_TIMEOUT_MS);
    process.stderr.write(`cassandra: restart task took ${Date.now() - started} ms\n`);

    expect(task.metadata.labels?.[TASK_STATUS_LABEL]).toBe("completed");
    expect(task.metadata.ownerReferences?.[0]).toMatchObject({ kind: "CassandraDatacenter", name: "dc1", controller: true });
    expect(task.status).toMatchObject({ active: 0, succeeded: 1, failed: 0 });
    expect(task.status?.podStatuses?.[pod0]?.status).toBe("COMPLETED");
    const conditions = Object.fromEntries((task.status?.conditions ?? []).map((c) => [c.type, c.status]));
    expect(conditions).toEqual({ Running: "False", Complete: "True" });

    expect(node.isReady).toBe(true);
    expect(node.pid).toBeDefined();
    expect(node.pid).not.toBe(pidBefore);
    expect(await node.hostIdFromNodetool()).toBe(hostID);
    expect((await get()).status!.nodeStatuses![pod0]!.hostID).toBe(hostID);
  }, 2 * NODE_TIMEOUT_MS);

  it("scales 1 -> 2: the second node bootstraps into the ring, both Up and Normal, two host IDs in nodeStatuses", async () => {
    const started = Date.now();
    await mgr.client.patch(await get(), { type: "merge", data: { spec: { size: 2 } } });
    const dc = await ready("dc1 Ready with 2 nodes");
    process.stderr.write(`cassandra: scale 1 -> 2 took ${Date.now() - started} ms\n`);
    const statuses = dc.status!.nodeStatuses!;
    expect(Object.keys(statuses).sort()).toEqual([pod0, pod1]);
    expect(new Set([statuses[pod0]!.hostID, statuses[pod1]!.hostID]).size).toBe(2);
    const ring = await ringSeenBy(pod0);
    expect(upNormal(ring).sort()).toEqual([statuses[pod0]!.ip, statuses[pod1]!.ip].sort());
    const pods = await mgr.apiReader.list(Pod, { namespace, labelSelector: { "cassandra.datastax.com/datacenter": "dc1" } });
    expect(pods.items.map((p) => p.metadata?.name).sort()).toEqual([pod0, pod1]);
  }, NODE_TIMEOUT_MS);

  it("scales 2 -> 1: the removed node decommissions (it leaves the ring) and its pod goes", async () => {
    const before = await get();
    const gone = before.status!.nodeStatuses![pod1]!;
    const started = Date.now();
    await mgr.client.patch(before, { type: "merge", data: { spec: { size: 1 } } });
    const dc = await ready("dc1 Ready with 1 node");
    process.stderr.write(`cassandra: scale 2 -> 1 took ${Date.now() - started} ms\n`);
    expect(Object.keys(dc.status!.nodeStatuses!)).toEqual([pod0]);
    const ring = await ringSeenBy(pod0);
    // Decommissioned, not just stopped: a stopped node would still be listed (DN) with its host ID.
    expect(upNormal(ring)).toEqual([dc.status!.nodeStatuses![pod0]!.ip]);
    expect(ring).not.toContain(gone.ip!);
    expect(ring).not.toContain(gone.hostID!);
    await eventually(async () => {
      const pods = await mgr.apiReader.list(Pod, { namespace, labelSelector: { "cassandra.datastax.com/datacenter": "dc1" } });
      return pods.items.length === 1 && pods.items[0]!.metadata?.name === pod0;
    }, "the removed node's pod gone", 60_000);
  }, NODE_TIMEOUT_MS);

  it("deletes a second datacenter with decommission-on-delete: its node leaves the ring before the object goes", async () => {
    const dc1 = await get();
    const dc1Ip = dc1.status!.nodeStatuses![pod0]!.ip!;
    // As the K8ssandra operator sets them before a datacenter joins: system keyspaces on NetworkTopologyStrategy, so
    // the joining node takes none of their ranges.
    await withSession(dc1Ip, superuser, async (c) => {
      for (const ks of ["system_auth", "system_distributed", "system_traces"]) {
        await c.execute(`ALTER KEYSPACE ${ks} WITH replication = {'class': 'NetworkTopologyStrategy', 'dc1': 1}`);
      }
    });
    const started = Date.now();
    await mgr.client.create<CassandraDatacenter>({
      apiVersion: CassandraDatacenter.apiVersion,
      kind: CassandraDatacenter.kind,
      metadata: { name: "dc2", namespace, annotations: { [DECOMMISSION_ON_DELETE_ANNOTATION]: "true" } },
      spec: { clusterName: "life", serverType: "cassandra", serverVersion: "5.0.9", size: 1, storageConfig: {}, configSecret: "dc1-config", superuserSecretName: "dba-secret", additionalSeeds: [dc1Ip] },
    });
    const dc2 = await eventually(async () => {
      const d = await mgr.apiReader.get(CassandraDatacenter, { namespace, name: "dc2" });
      return d.status?.cassandraOperatorProgress === "Ready" && d.status.observedGeneration === d.metadata.generation ? d : undefined;
    }, "dc2 Ready", NODE_TIMEOUT_MS);
    process.stderr.write(`cassandra: dc2 created -> Ready in ${Date.now() - started} ms\n`);
    const dc2Ip = dc2.status!.nodeStatuses!["life-dc2-default-sts-0"]!.ip!;
    expect(await ringSeenBy(pod0)).toMatch(/^Datacenter: dc2$/m);

    const deleted = Date.now();
    await mgr.client.delete(dc2);
    await eventually(
      async () => !(await mgr.apiReader.list(CassandraDatacenter, { namespace })).items.some((d) => d.metadata.name === "dc2"),
      "dc2 deleted",
      NODE_TIMEOUT_MS,
    );
    process.stderr.write(`cassandra: dc2 deleted (decommissioned) in ${Date.now() - deleted} ms\n`);
    const ring = await ringSeenBy(pod0);
    expect(ring).not.toMatch(/^Datacenter: dc2$/m);
    expect(ring).not.toContain(dc2Ip);
    expect(upNormal(ring)).toEqual([dc1Ip]);
  }, 2 * NODE_TIMEOUT_MS);
});
