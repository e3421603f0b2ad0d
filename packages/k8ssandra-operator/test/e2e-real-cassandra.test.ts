import { type Condition, Event, Patch, RestClient, Secret } from "@operator-ts/runtime";
import { startClusters, stopClusters, type TestCluster } from "@operator-ts/runtime/envtest";
import cassandra from "cassandra-driver";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CassandraDatacenter, K8ssandraCluster } from "../src/api/index.ts";
import { DC_REPLICATION_ANNOTATION } from "../src/controllers/k8ssandracluster/index.ts";
import { OPERATOR_CRDS } from "../src/dev/environment.ts";
import { registerDataPlane } from "../src/dev/register.ts";
import { createOperator, type Operator } from "../src/operator.ts";
import { type RunningSimulator, startSimulator } from "../src/simulator/index.ts";
import { canLogIn, type Credentials, nodeClient, withSession } from "../src/simulator/cassandra/index.ts";
import { cassOperatorCRDs } from "../../../test/support/paths.ts";
import { eventually } from "../../../test/support/eventually.ts";
import { gone } from "../../../test/support/gone.ts";
import { recordLogs } from "../../../test/support/logs.ts";

/*
 * The K8ssandra operator against real Cassandra 5.0 (one JVM per node, 256 MiB heaps) on real API servers: a control
 * plane and two data planes, each with the cass-operator stand-in running real nodes. Slow by nature (a node takes
 * tens of seconds to answer CQL here); timings are logged, never asserted.
 */
const NS = "default";
const NODE_MS = 360_000;
const { logger, lines: operatorLines } = recordLogs("info");
const standInLines: string[] = [];

function manifest(name: string, dcs: { name: string; context: string }[], extra: Partial<K8ssandraCluster["spec"]> = {}): K8ssandraCluster {
  return {
    apiVersion: K8ssandraCluster.apiVersion,
    kind: K8ssandraCluster.kind,
    metadata: { name, namespace: NS },
    spec: {
      ...extra,
      cassandra: {
        serverVersion: "5.0.9",
        storageConfig: { cassandraDataVolumeClaimSpec: { accessModes: ["ReadWriteOnce"], resources: { requests: { storage: "1Gi" } } } },
        config: { jvmOptions: { heapSize: "256Mi" } },
        datacenters: dcs.map((dc) => ({ metadata: { name: dc.name }, k8sContext: dc.context, size: 1 })),
      },
    },
  };
}

const condition = (k8c: K8ssandraCluster | undefined, type: string) => (k8c?.status?.conditions as Condition[] | undefined)?.find((c) => c.type === type);

/** A client whose local datacenter is `dc`, at one node: LOCAL_* consistency levels mean that datacenter. */
function dcClient(address: string, dc: string, credentials?: Credentials): cassandra.Client {
  return new cassandra.Client({
    contactPoints: [`${address}:9042`],
    localDataCenter: dc,
    authProvider: credentials ? new cassandra.auth.PlainTextAuthProvider(credentials.username, credentials.password) : undefined,
    socketOptions: { connectTimeout: 5000, readTimeout: 30_000 },
  });
}

async function replicationOf(address: string, credentials: Credentials | undefined, keyspace: string): Promise<Record<string, string>> {
  return withSession(address, credentials, async (c) => {
    const rs = await c.execute("SELECT replication FROM system_schema.keyspaces WHERE keyspace_name = ?", [keyspace], { prepare: true });
    const { class: cls, ...dcs } = (rs.first()?.get("replication") ?? {}) as Record<string, string>;
    return { class: cls!.replace("org.apache.cassandra.locator.", ""), ...dcs };
  });
}

describe("K8ssandra operator on real Cassandra across two data planes", () => {
  let clusters: TestCluster[];
  let admin: RestClient;
  let operator: Operator;
  const stop = new AbortController();
  let running: Promise<void>;
  const simulators: RunningSimulator[] = [];
  const started = Date.now();
  const elapsed = () => `${Math.round((Date.now() - started) / 1000)} s`;
  const say = (line: string) => process.stderr.write(`[e2e-real-cassandra ${elapsed()}] ${line}\n`);
  const plane = (context: string) => operator.mcm.getCluster(context);
  const dcIn = (context: string, name: string) => plane(context).apiReader.get(CassandraDatacenter, { namespace: NS, name });
  const k8c = (name: string) => admin.get(K8ssandraCluster, { namespace: NS, name });
  const ipOf = async (context: string, name: string) => Object.values((await dcIn(context, name)).status?.nodeStatuses ?? {})[0]!.ip!;
  const readyK8c = (name: string, what: string, check: (c: K8ssandraCluster) => boolean = () => true) =>
    eventually(async () => {
      const c = await k8c(name);
      return condition(c, "Ready")?.status === "True" && c.status?.observedGeneration === c.metadata.generation && check(c) ? c : undefined;
    }, what, NODE_MS).catch(async (err: Error) => {
      // What the operator last said is the first thing to read when this fails.
      const { conditions, error, datacenters } = (await k8c(name)).status ?? {};
      const summary = { conditions, error, rebuild: Object.fromEntries(Object.entries(datacenters ?? {}).map(([dc, e]) => [dc, e.rebuildProgress])) };
      throw new Error(`${err.message}; status: ${JSON.stringify(summary)}`);
    });

  beforeAll(async () => {
    clusters = await startClusters(3, { names: ["control-plane", "east", "west"] });
    const [controlPlane, east, west] = clusters as [TestCluster, TestCluster, TestCluster];
    await controlPlane.installCRDs([OPERATOR_CRDS]);
    await Promise.all([east, west].map((c) => c.installCRDs([OPERATOR_CRDS, cassOperatorCRDs()])));
    admin = await RestClient.fromKubeConfig(controlPlane.kubeconfig);
    operator = await createOperator({ kubeconfig: controlPlane.kubeconfig, controlPlane: true, clientConfigNamespace: NS, clusterProbeIntervalMs: 1000, logger, cql: true });
    running = operator.start(stop.signal);
    const log = (line: string) => {
      standInLines.push(line);
      process.stderr.write(`${line}\n`);
    };
    for (const c of [east, west]) simulators.push(await startSimulator(c.kubeconfig, { cassandra: { log } }));
    await simulators[0]!.simulator.cassandra!.prepare();
    for (const c of [east, west]) await registerDataPlane(controlPlane, c, NS);
    await eventually(() => operator.mcm.hasCluster("east") && operator.mcm.hasCluster("west"), "data planes registered");
    say("clusters, stand-ins and the operator are up");
  }, NODE_MS);

  afterAll(async () => {
    stop.abort();
    await running?.catch(() => {});
    await Promise.allSettled(simulators.map((s) => s.stop()));
    await admin?.close();
    if (clusters) await stopClusters(clusters);
  }, 180_000);

  it("builds a correct 2-DC cluster: replication, rebuild, logins across datacenters, and a removal refused while data lives there", async () => {
    await admin.create(manifest("real", [{ name: "dc1", context: "east" }]));
    const first = await readyK8c("real", "real Ready with dc1");
    say("dc1 Ready");
    expect(first.status?.readyDatacenters).toBe("1/1");
    expect(condition(first, "CassandraReachable")?.status).toBe("True");
    const secret = await admin.get(Secret, { namespace: NS, name: "real-superuser" });
    const superuser = {
      username: Buffer.from(secret.data!.username!, "base64").toString(),
      password: Buffer.from(secret.data!.password!, "base64").toString(),
    };
    const dc1Ip = await ipOf("east", "dc1");
    expect(await replicationOf(dc1Ip, superuser, "system_auth")).toEqual({ class: "NetworkTopologyStrategy", dc1: "1" });

    await withSession(dc1Ip, superuser, async (c) => {
      await c.execute("CREATE KEYSPACE app WITH replication = {'class': 'NetworkTopologyStrategy', 'dc1': 1}");
      await c.execute("CREATE TABLE app.rows (id int PRIMARY KEY, v text)");
      for (let id = 0; id < 20; id++) await c.execute("INSERT INTO app.rows (id, v) VALUES (?, ?)", [id, `row-${id}`], { prepare: true });
    });

    const live = await k8c("real");
    await admin.patch(
      live,
      Patch.merge({
        metadata: { annotations: { [DC_REPLICATION_ANNOTATION]: JSON.stringify({ dc2: { app: 1 } }) } },
        spec: { cassandra: { datacenters: [...live.spec.cassandra!.datacenters!, { metadata: { name: "dc2" }, k8sContext: "west", size: 1 }] } },
      }),
    );
    const both = await readyK8c("real", "real Ready with dc1 and dc2", (c) => c.status?.readyDatacenters === "2/2");
    say("dc2 Ready, rebuilt");
    expect(both.status?.datacenters?.dc2?.rebuildProgress).toMatch(/^Completed: rebuilt from dc1/);
    const dc2Ip = await ipOf("west", "dc2");
    for (const ks of ["system_auth", "system_distributed", "system_traces"]) {
      expect(await replicationOf(dc1Ip, superuser, ks)).toEqual({ class: "NetworkTopologyStrategy", dc1: "1", dc2: "1" });
    }
    expect(await replicationOf(dc1Ip, superuser, "app")).toEqual({ class: "NetworkTopologyStrategy", dc1: "1", dc2: "1" });
    // Seeds flow both ways: each datacenter knows the other's nodes.
    expect((await dcIn("west", "dc2")).spec.additionalSeeds).toEqual([dc1Ip]);
    await eventually(async () => (await dcIn("east", "dc1")).spec.additionalSeeds?.includes(dc2Ip), "dc1 seeded with dc2's node");

    // Only dc2's replica answers at LOCAL_ONE with dc2 local: the rows are there because the rebuild streamed them.
    const atDc2 = dcClient(dc2Ip, "dc2", superuser);
    try {
      const rs = await atDc2.execute("SELECT id, v FROM app.rows", [], { consistency: cassandra.types.consistencies.localOne });
      expect(rs.rows.map((r) => Number(r.get("id"))).sort((a, b) => a - b)).toEqual([...Array(20).keys()]);
      const tokens = (await atDc2.execute("SELECT tokens FROM system.local")).first()!.get("tokens") as string[];
      expect(tokens).toHaveLength(16);
    } finally {
      await atDc2.shutdown();
    }
    expect(await canLogIn(dc2Ip, { username: "cassandra", password: "cassandra" })).toBe(false);

    // dc2 may not go while app replicates there.
    const withTwo = await k8c("real");
    await admin.patch(withTwo, Patch.merge({ spec: { cassandra: { datacenters: [withTwo.spec.cassandra!.datacenters![0]!] } } }));
    const refused = await eventually(async () => {
      const c = condition(await k8c("real"), "DatacentersRemovable");
      return c?.status === "False" ? c : undefined;
    }, "DatacentersRemovable=False", 60_000);
    expect(refused.reason).toBe("KeyspacesReplicated");
    expect(refused.message).toMatch(/datacenter dc2 still holds replicas of keyspace app/);
    await eventually(
      async () => (await admin.list(Event, { namespace: NS })).items.some((e) => e.reason === "DatacenterRemovalRefused" && e.type === "Warning"),
      "DatacenterRemovalRefused Event",
    );
    const kept = await dcIn("west", "dc2");
    expect(kept.metadata.deletionTimestamp).toBeUndefined();

    // With dc1's node down, the superuser still logs in at dc2: its role is replicated there.
    const east = simulators[0]!.simulator.cassandra!;
    const dc1 = await dcIn("east", "dc1");
    const dc1Local = (await east.local(dc1.metadata.uid!))!;
    await dc1Local.node("real-dc1-default-sts-0")!.stop();
    say("dc1's node stopped");
    expect(await canLogIn(dc2Ip, superuser)).toBe(true);
    await dc1Local.restart("real-dc1-default-sts-0");
    say("dc1's node started again");

    // Moved off dc2 and the annotation dropped: dc2 is decommissioned, and the system keyspaces leave it.
    await withSession(dc1Ip, superuser, (c) => c.execute("ALTER KEYSPACE app WITH replication = {'class': 'NetworkTopologyStrategy', 'dc1': 1}"));
    await admin.patch(await k8c("real"), Patch.merge({ metadata: { annotations: { [DC_REPLICATION_ANNOTATION]: null } } }));
    await eventually(async () => (await k8c("real")).status?.datacenters?.dc2 === undefined, "dc2 removed", NODE_MS);
    say("dc2 removed");
    expect(await gone(dcIn("west", "dc2"))).toBe(true);
    const after = await readyK8c("real", "real Ready with dc1 only");
    expect(condition(after, "DatacentersRemovable")).toBeUndefined();
    expect(await replicationOf(dc1Ip, superuser, "system_auth")).toEqual({ class: "NetworkTopologyStrategy", dc1: "1" });

    // No credential in any log line, Event or status.
    const events = JSON.stringify((await admin.list(Event, { namespace: NS })).items);
    for (const text of [operatorLines.join("\n"), standInLines.join("\n"), events, JSON.stringify(after.status)]) expect(text).not.toContain(superuser.password);
  }, 3 * NODE_MS);

  it("with auth: false, lets an anonymous client in", async () => {
    await admin.create(manifest("open", [{ name: "solo", context: "west" }], { auth: false }));
    await readyK8c("open", "open Ready");
    say("open Ready");
    const ip = await ipOf("west", "solo");
    const anonymous = nodeClient(ip);
    try {
      await anonymous.connect();
      const rs = await anonymous.execute("SELECT data_center FROM system.local");
      expect(rs.first()!.get("data_center")).toBe("solo");
    } finally {
      await anonymous.shutdown();
    }
  }, NODE_MS);
});

