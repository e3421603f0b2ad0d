import { type Condition, Event, Patch, Secret } from "@operator-ts/runtime";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CassandraDatacenter, DECOMMISSION_ON_DELETE_ANNOTATION, K8ssandraCluster, Stargate } from "../src/api/index.ts";
import { type LocalEnvironment, OPERATOR_NAMESPACE, startLocalEnvironment } from "../src/dev/environment.ts";
import { cassOperatorCRDs } from "../../../test/support/paths.ts";
import { eventually } from "../../../test/support/eventually.ts";
import { gone } from "../../../test/support/gone.ts";
import { recordLogs } from "../../../test/support/logs.ts";

const NS = OPERATOR_NAMESPACE;
const { logger, lines: logLines } = recordLogs();
/** The log lines written while a data plane's API server was down and coming back. */
const outage = { start: 0, end: 0 };

function k8cManifest(name: string, dcs: { name: string; context: string; size: number }[]): K8ssandraCluster {
  return {
    apiVersion: K8ssandraCluster.apiVersion,
    kind: K8ssandraCluster.kind,
    metadata: { name, namespace: NS },
    spec: {
      cassandra: {
        serverVersion: "4.1.5",
        storageConfig: { cassandraDataVolumeClaimSpec: { storageClassName: "standard", accessModes: ["ReadWriteOnce"], resources: { requests: { storage: "5Gi" } } } },
        config: { jvmOptions: { heapSize: "512Mi" } },
        datacenters: dcs.map((dc) => ({ metadata: { name: dc.name }, k8sContext: dc.context, size: dc.size })),
      },
      stargate: { size: 1, heapSize: "256Mi" },
    },
  };
}

const condition = (k8c: K8ssandraCluster | undefined, type: string) => (k8c?.status?.conditions as Condition[] | undefined)?.find((c) => c.type === type);

describe("K8ssandra operator end to end on three real clusters", () => {
  let env: LocalEnvironment;
  const east = () => env.dataPlanes[0]!;
  const west = () => env.dataPlanes[1]!;
  const dcIn = (plane: number, name: string) => env.operator.mcm.getCluster(["east", "west"][plane]!).apiReader.get(CassandraDatacenter, { namespace: NS, name });
  const k8c = (name = "demo") => env.admin.get(K8ssandraCluster, { namespace: NS, name });

  beforeAll(async () => {
    // Every operator runs as its service account with the shipped RBAC; data planes are registered with create-clientconfig.
    env = await startLocalEnvironment({ cassOperatorCRDs: cassOperatorCRDs(), readyDelayMs: 200, logger, clusterProbeIntervalMs: 300, asServiceAccount: true });
    // The ClientConfigs were created after the operator started: it picks the clusters up without a restart.
    await eventually(() => env.operator.mcm.hasCluster("east") && env.operator.mcm.hasCluster("west"), "data planes registered");
  });

  afterAll(async () => {
    await env?.stop();
  });

  it("creates dc1, waits for it to be Ready, then creates dc2 with dc1's seeds; the cluster becomes Ready", async () => {
    await env.admin.create(k8cManifest("demo", [{ name: "dc1", context: "east", size: 3 }, { name: "dc2", context: "west", size: 3 }]));

    const dc1 = await eventually(() => dcIn(0, "dc1"), "dc1 in east");
    expect(dc1.metadata.labels).toMatchObject({ "k8ssandra.io/cluster-name": "demo", "k8ssandra.io/cluster-namespace": NS });
    expect(dc1.spec).toMatchObject({ clusterName: "demo", serverVersion: "4.1.5", size: 3, superuserSecretName: "demo-superuser" });
    const config = await env.operator.mcm.getCluster("east").apiReader.get(Secret, { namespace: NS, name: dc1.spec.configSecret! });
    expect(JSON.parse(Buffer.from(config.data!.config!, "base64").toString())["jvm-server-options"]).toMatchObject({
      initial_heap_size: 512 * 2 ** 20,
      max_heap_size: 512 * 2 ** 20,
    });
    // One at a time: dc2 waits while dc1 is still Updating.
    if (dc1.status?.cassandraOperatorProgress !== "Ready") expect(await gone(dcIn(1, "dc2"))).toBe(true);

    const dc2 = await eventually(() => dcIn(1, "dc2"), "dc2 in west");
    const dc1Ready = await dcIn(0, "dc1");
    const dc1Ips = Object.values(dc1Ready.status?.nodeStatuses ?? {}).map((n) => n.ip);
    expect(dc2.spec.additionalSeeds?.length).toBeGreaterThan(0);
    expect(dc1Ips).toEqual(expect.arrayContaining(dc2.spec.additionalSeeds!));
    expect(dc2.metadata.annotations?.["cassandra.datastax.com/skip-user-creation"]).toBe("true");

    const ready = await eventually(async () => {
      const c = await k8c();
      return condition(c, "Ready")?.status === "True" ? c : undefined;
    }, "K8ssandraCluster Ready");
    expect(ready.status?.readyDatacenters).toBe("2/2");
    expect(condition(ready, "CassandraInitialized")?.status).toBe("True");
    expect(ready.status?.datacenters?.dc1?.contextName).toBe("east");
    expect(ready.status?.datacenters?.dc2?.cassandra?.cassandraOperatorProgress).toBe("Ready");
    expect(ready.status?.error).toBe("None");

    // The superuser Secret exists in the control plane and is replicated to both data planes.
    const superuser = await env.admin.get(Secret, { namespace: NS, name: "demo-superuser" });
    expect(Buffer.from(superuser.data!.username!, "base64").toString()).toBe("demo-superuser");
    for (const plane of ["east", "west"]) {
      const copy = await env.operator.mcm.getCluster(plane).apiReader.get(Secret, { namespace: NS, name: "demo-superuser" });
      expect(copy.data).toEqual(superuser.data);
    }
    // Stargate follows each datacenter once it is Ready.
    await eventually(() => env.operator.mcm.getCluster("east").apiReader.get(Stargate, { namespace: NS, name: "demo-dc1-stargate" }), "stargate in east");
    await eventually(() => env.operator.mcm.getCluster("west").apiReader.get(Stargate, { namespace: NS, name: "demo-dc2-stargate" }), "stargate in west");
    // The data-plane operators run the Stargates; their status comes back into the K8ssandraCluster's.
    await eventually(async () => (await k8c()).status?.datacenters?.dc2?.stargate?.progress === "Running", "Stargate Running in status");
  });

  it("scales a datacenter, adds a third one, and removes it with cass-operator's decommission annotation", async () => {
    const current = await k8c();
    const spec = structuredClone(current.spec);
    spec.cassandra!.datacenters![0]!.size = 4;
    await env.admin.patch(current, Patch.merge({ spec }));
    await eventually(async () => (await dcIn(0, "dc1")).spec.size === 4, "dc1 scaled to 4");

    const withDc3 = await k8c();
    const spec3 = structuredClone(withDc3.spec);
    spec3.cassandra!.datacenters!.push({ metadata: { name: "dc3" }, k8sContext: "east", size: 1 });
    await env.admin.patch(withDc3, Patch.merge({ spec: spec3 }));
    const dc3 = await eventually(() => dcIn(0, "dc3"), "dc3 created");
    await eventually(async () => (await k8c()).status?.readyDatacenters === "3/3", "3/3 ready");

    // cass-operator holds a finalizer while it decommissions; hold one too, to see what the operator does meanwhile.
    const eastClient = env.operator.mcm.getCluster("east").client;
    await eastClient.patch(dc3, { type: "merge", data: { metadata: { finalizers: ["finalizer.cassandra.datastax.com"] } } });
    const beforeRemoval = await k8c();
    const spec4 = structuredClone(beforeRemoval.spec);
    spec4.cassandra!.datacenters = spec4.cassandra!.datacenters!.filter((d) => d.metadata.name !== "dc3");
    await env.admin.patch(beforeRemoval, Patch.merge({ spec: spec4 }));
    const deleting = await eventually(async () => {
      const d = await dcIn(0, "dc3");
      return d.metadata.deletionTimestamp ? d : undefined;
    }, "dc3 being deleted");
    expect(deleting.metadata.annotations?.[DECOMMISSION_ON_DELETE_ANNOTATION]).toBe("true");
    await eventually(async () => (await k8c()).status?.datacenters?.dc3?.decommissionProgress === "Decommissioning", "dc3 decommissioning in status");
    await eastClient.patch(deleting, { type: "merge", data: { metadata: { finalizers: null } } });
    await eventually(async () => (await k8c()).status?.datacenters?.dc3 === undefined, "status forgets dc3");
    expect(await gone(dcIn(0, "dc3"))).toBe(true);
  });

  it("keeps reconciling the reachable datacenters while a data plane is cut off, and catches up when it returns", async () => {
    outage.start = logLines.length;
    await west().stopApiServer();
    try {
      await eventually(async () => condition(await k8c(), "ClustersReachable")?.status === "False", "unreachable condition");
      const degraded = await k8c();
      expect(condition(degraded, "ClustersReachable")?.message).toMatch(/cluster west unreachable/);
      const spec = structuredClone(degraded.spec);
      spec.cassandra!.datacenters![0]!.size = 5;
      await env.admin.patch(degraded, Patch.merge({ spec }));
      await eventually(async () => (await dcIn(0, "dc1")).spec.size === 5, "east still reconciled");
    } finally {
      await west().startApiServer();
    }
    await eventually(async () => condition(await k8c(), "ClustersReachable")?.status === "True", "west reachable again", 60_000);
    await eventually(async () => condition(await k8c(), "Ready")?.status === "True", "Ready again", 60_000);
    outage.end = logLines.length;
  });

  it("reports invalid specs with a condition and an Event, and the schema rejects what it can", async () => {
    // No serverVersion in the cluster nor in the datacenter: a relation between fields, which only the operator checks.
    const unversioned = k8cManifest("invalid", [{ name: "nover", context: "east", size: 1 }]);
    delete unversioned.spec.cassandra!.serverVersion;
    await env.admin.create(unversioned);
    const invalid = await eventually(async () => {
      const c = await k8c("invalid");
      return condition(c, "SpecValid")?.status === "False" ? c : undefined;
    }, "SpecValid False");
    expect(condition(invalid, "SpecValid")?.message).toMatch(/serverVersion is required/);
    await eventually(async () => {
      const events = await env.admin.list(Event, { namespace: NS });
      return events.items.some((e) => e.involvedObject?.name === "invalid" && e.reason === "InvalidSpec" && e.type === "Warning");
    }, "InvalidSpec event");
    expect(await gone(env.operator.mcm.getCluster("east").apiReader.get(CassandraDatacenter, { namespace: NS, name: "nover" }))).toBe(true);

    // Two datacenters of one name: the CRD's CEL rule refuses it before the operator sees it.
    const duplicate = await env.admin.create(k8cManifest("dup", [{ name: "dup", context: "east", size: 1 }, { name: "dup", context: "west", size: 1 }])).catch((e: unknown) => e);
    expect((duplicate as Error).message).toMatch(/datacenter names \(metadata.name\) must be unique/);

    await env.admin.create(k8cManifest("elsewhere", [{ name: "far", context: "north", size: 1 }]));
    await eventually(async () => condition(await k8c("elsewhere"), "ClustersReachable")?.reason === "UnknownContext", "unknown context reported");

    const rejected = await env.admin.create(k8cManifest("zero", [{ name: "z", context: "east", size: 0 }])).catch((e: unknown) => e);
    expect((rejected as Error).message).toMatch(/size/);
    for (const name of ["invalid", "elsewhere"]) await env.admin.delete(await k8c(name));
  });

  it("never shows the superuser password in logs, Events or status", async () => {
    const superuser = await env.admin.get(Secret, { namespace: NS, name: "demo-superuser" });
    const password = Buffer.from(superuser.data!.password!, "base64").toString();
    expect(password).toHaveLength(20);
    const events = await env.admin.list(Event, { namespace: NS });
    expect(JSON.stringify(events.items)).not.toContain(password);
    expect(JSON.stringify((await k8c()).status)).not.toContain(password);
    expect(logLines.length).toBeGreaterThan(0);
    expect(logLines.join("")).not.toContain(password);
    expect(logLines.join("")).not.toContain(superuser.data!.password!);
    // Running as service accounts with the shipped RBAC, nothing the operators did was refused. (A restarted API server
    // answers 403 for a moment while its RBAC caches fill: the outage test's window is left out.)
    expect(outage.end).toBeGreaterThan(outage.start);
    const outsideOutage = [...logLines.slice(0, outage.start), ...logLines.slice(outage.end)];
    expect(outsideOutage.filter((l) => /forbidden/i.test(l))).toEqual([]);
  });

  it("deletes every child in every cluster before the K8ssandraCluster goes", async () => {
    await env.admin.delete(await k8c());
    await eventually(() => gone(k8c()), "K8ssandraCluster gone", 60_000);
    for (const plane of ["east", "west"]) {
      const c = env.operator.mcm.getCluster(plane).apiReader;
      expect((await c.list(CassandraDatacenter, { namespace: NS })).items).toEqual([]);
      expect((await c.list(Stargate, { namespace: NS })).items).toEqual([]);
      expect(await gone(c.get(Secret, { namespace: NS, name: "demo-superuser" }))).toBe(true);
    }
    expect(await gone(env.admin.get(Secret, { namespace: NS, name: "demo-superuser" }))).toBe(true);
  });
});
