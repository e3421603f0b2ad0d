import { fileURLToPath } from "node:url";
import { ConfigMap, type Client, Deployment, Event, Manager, type Reader, Secret, Service } from "@operator-ts/runtime";
import { startCluster, type TestCluster } from "@operator-ts/runtime/envtest";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CassandraDatacenter, CONFIG_SECRET_KEY, Stargate } from "../src/api/index.ts";
import { setupStargateController } from "../src/controllers/stargate.ts";
import { cassandraYamlOf } from "../src/controllers/stargate-resources.ts";
import { cassOperatorCRDs } from "../../../test/support/paths.ts";
import { eventually } from "../../../test/support/eventually.ts";
import { gone } from "../../../test/support/gone.ts";

const crdDir = fileURLToPath(new URL("../config/crd", import.meta.url));

async function startOperator(cluster: TestCluster) {
  const mgr = await Manager.create({ kubeconfig: cluster.kubeconfig });
  await setupStargateController(mgr);
  const stop = new AbortController();
  const running = mgr.start(stop.signal);
  return { mgr, stop: async () => (stop.abort(), await running) };
}

function datacenter(ns: string, name: string, racks: string[]): CassandraDatacenter {
  return {
    apiVersion: CassandraDatacenter.apiVersion,
    kind: CassandraDatacenter.kind,
    metadata: { name, namespace: ns },
    spec: {
      clusterName: "Demo Cluster",
      serverType: "cassandra",
      serverVersion: "4.1.5",
      size: 3,
      storageConfig: { cassandraDataVolumeClaimSpec: { accessModes: ["ReadWriteOnce"], resources: { requests: { storage: "1Gi" } } } },
      racks: racks.map((r) => ({ name: r })),
      // As the K8ssandraCluster controller writes it: the CRD types spec.config as bytes, configSecret is the usable form.
      configSecret: `${name}-config`,
    },
  };
}

function configSecret(ns: string, dc: string): Secret {
  const config = { "cassandra-yaml": { num_tokens: 16, native_transport_max_concurrent_connections: 100 } };
  return { apiVersion: "v1", kind: "Secret", metadata: { name: `${dc}-config`, namespace: ns }, stringData: { [CONFIG_SECRET_KEY]: JSON.stringify(config) } };
}

function stargate(ns: string, name: string, dc: string, size: number): Stargate {
  return {
    apiVersion: Stargate.apiVersion,
    kind: Stargate.kind,
    metadata: { name, namespace: ns },
    spec: { datacenterRef: { name: dc }, size, heapSize: "512Mi" },
  };
}

/** Stands in for kube-controller-manager and kubelets: the Deployment's pods are `ready` of `replicas`. */
async function setDeploymentStatus(client: Client, reader: Reader, ns: string, name: string, ready: number): Promise<Deployment> {
  const d = await reader.get(Deployment, { namespace: ns, name });
  const replicas = d.spec!.replicas!;
  d.status = { observedGeneration: d.metadata!.generation, replicas, readyReplicas: ready, availableReplicas: ready, updatedReplicas: replicas };
  return client.status().update(d);
}

const env = (d: Deployment) => Object.fromEntries((d.spec!.template.spec!.containers[0]!.env ?? []).map((e) => [e.name, e.value]));

describe("the datacenter configuration Stargate reads", () => {
  it("is found as an object, as JSON, and as base64 JSON (spec.config is bytes in the CRD)", () => {
    const config = { "cassandra-yaml": { rpc_keepalive: true } };
    expect(cassandraYamlOf(config)).toEqual({ rpc_keepalive: true });
    expect(cassandraYamlOf(JSON.stringify(config))).toEqual({ rpc_keepalive: true });
    expect(cassandraYamlOf(Buffer.from(JSON.stringify(config)).toString("base64"))).toEqual({ rpc_keepalive: true });
    expect(cassandraYamlOf("not json")).toBeUndefined();
    expect(cassandraYamlOf(undefined)).toBeUndefined();
  });
});

describe("Stargate controller on a real API server", () => {
  let cluster: TestCluster;
  let op: Awaited<ReturnType<typeof startOperator>>;
  let client: Client;
  let reader: Reader;
  const ns = "default";
  const r1 = "democluster-dc1-r1-stargate-deployment";
  const r2 = "democluster-dc1-r2-stargate-deployment";
  const svcName = "democluster-dc1-stargate-service";

  beforeAll(async () => {
    cluster = await startCluster({ name: "stargate", crds: [crdDir, cassOperatorCRDs()] });
    op = await startOperator(cluster);
    client = op.mgr.client;
    reader = op.mgr.apiReader;
  });

  afterAll(async () => {
    await op?.stop();
    await cluster?.stop();
  });

  const getSg = () => reader.get(Stargate, { namespace: ns, name: "sg" });

  it("stays Pending, with Ready=False, while its CassandraDatacenter does not exist", async () => {
    await client.create(stargate(ns, "sg", "dc1", 3));
    const sg = await eventually(async () => ((await getSg()).status?.progress === "Pending" ? getSg() : undefined), "Pending status", 60_000);
    expect(sg.status).toMatchObject({ readyReplicasRatio: "0/3", replicas: 0, readyReplicas: 0, updatedReplicas: 0, availableReplicas: 0 });
    expect(sg.status?.conditions).toEqual([
      expect.objectContaining({ type: "Ready", status: "False", reason: "DatacenterNotFound", observedGeneration: sg.metadata.generation }),
    ]);
    expect((await reader.list(Deployment, { namespace: ns })).items).toEqual([]);
    expect((await reader.list(Service, { namespace: ns })).items.filter((s) => s.metadata?.name !== "kubernetes")).toEqual([]);
  });

  it("creates one Deployment per rack, the Service and the ConfigMap once the datacenter exists, all owned by the Stargate", async () => {
    await client.create(configSecret(ns, "dc1"));
    await client.create(datacenter(ns, "dc1", ["r1", "r2"]));
    const sg = await getSg();
    const [d1, d2] = await eventually(async () => {
      const list = await reader.list(Deployment, { namespace: ns });
      const byName = new Map(list.items.map((d) => [d.metadata!.name!, d]));
      return byName.has(r1) && byName.has(r2) ? [byName.get(r1)!, byName.get(r2)!] : undefined;
    }, "both rack Deployments", 60_000);
    // cass-operator's splitRacks: 3 over 2 racks is 2 + 1.
    expect(d1.spec?.replicas).toBe(2);
    expect(d2.spec?.replicas).toBe(1);
    const owner = { apiVersion: Stargate.apiVersion, kind: "Stargate", name: "sg", uid: sg.metadata.uid, controller: true, blockOwnerDeletion: true };
    for (const d of [d1, d2]) {
      expect(d.metadata?.ownerReferences).toEqual([owner]);
      expect(d.metadata?.labels).toMatchObject({ "k8ssandra.io/stargate": "sg", "app.kubernetes.io/component": "stargate" });
      expect(d.spec?.template.metadata?.labels).toMatchObject({ "k8ssandra.io/stargate": "sg", "k8ssandra.io/stargate-deployment": d.metadata!.name });
      const container = d.spec!.template.spec!.containers[0]!;
      expect(container.image).toBe("docker.io/stargateio/stargate-4_0:v1.0.77");
      expect(env(d)).toMatchObject({
        CLUSTER_NAME: "Demo Cluster",
        CLUSTER_VERSION: "4.0",
        DATACENTER_NAME: "dc1",
        SEED: "democluster-seed-service.default.svc",
        ENABLE_AUTH: "true",
      });
      expect(env(d).JAVA_OPTS).toContain("-Xms536870912 -Xmx536870912");
      expect(container.resources).toEqual({ requests: { cpu: "200m", memory: "1Gi" }, limits: { cpu: "1", memory: "2Gi" } });
      expect(d.spec!.template.spec!.volumes).toEqual([expect.objectContaining({ configMap: expect.objectContaining({ name: "democluster-dc1-cassandra-config" }) })]);
    }
    expect(env(d1).RACK_NAME).toBe("r1");
    expect(env(d2).RACK_NAME).toBe("r2");

    const svc = await eventually(() => reader.get(Service, { namespace: ns, name: svcName }), "Service", 60_000);
    expect(svc.metadata?.ownerReferences).toEqual([owner]);
    expect(svc.spec?.selector).toEqual({ "k8ssandra.io/stargate": "sg" });
    expect(Object.fromEntries(svc.spec!.ports!.map((p) => [p.name, p.port]))).toMatchObject({
      graphql: 8080, authorization: 8081, rest: 8082, health: 8084, metrics: 8085, cassandra: 9042,
    });
    const cm = await eventually(() => reader.get(ConfigMap, { namespace: ns, name: "democluster-dc1-cassandra-config" }), "ConfigMap", 60_000);
    expect(cm.metadata?.ownerReferences).toEqual([owner]);
    expect(cm.data?.["stargate-cql.yaml"]).toContain("native_transport_max_concurrent_connections: 100");
    expect(cm.data?.["stargate-cql.yaml"]).not.toContain("num_tokens");

    const status = await eventually(async () => {
      const s = await getSg();
      return s.status?.progress === "Deploying" && s.status.serviceRef ? s.status : undefined;
    }, "Deploying status", 60_000);
    expect(status).toMatchObject({ deploymentRefs: [r1, r2], serviceRef: svcName, readyReplicasRatio: "0/3" });
    expect(status.conditions).toEqual([expect.objectContaining({ type: "Ready", status: "False", reason: "ReplicasNotReady" })]);

    const reasons = await eventually(async () => {
      const events = (await reader.list(Event, { namespace: ns })).items.filter((e) => e.involvedObject?.name === "sg");
      const got = events.map((e) => `${e.reason}: ${e.message}`);
      return got.some((r) => r.startsWith("CreatedService")) && got.filter((r) => r.startsWith("CreatedDeployment")).length === 2 ? got : undefined;
    }, "Created events", 60_000);
    expect(reasons).toContain(`CreatedDeployment: Created Deployment ${r1}`);
  });

  it("sums the Deployments' status and turns Running with Ready=True once every replica is ready", async () => {
    await setDeploymentStatus(client, reader, ns, r1, 2);
    const partial = await eventually(async () => ((await getSg()).status?.readyReplicas === 2 ? getSg() : undefined), "2 ready", 60_000);
    expect(partial.status).toMatchObject({ progress: "Deploying", readyReplicasRatio: "2/3", replicas: 2, updatedReplicas: 2, availableReplicas: 2 });

    await setDeploymentStatus(client, reader, ns, r2, 1);
    const sg = await eventually(async () => ((await getSg()).status?.progress === "Running" ? getSg() : undefined), "Running", 60_000);
    expect(sg.status).toMatchObject({ readyReplicasRatio: "3/3", replicas: 3, readyReplicas: 3, updatedReplicas: 3, availableReplicas: 3 });
    expect(sg.status?.conditions).toEqual([
      expect.objectContaining({ type: "Ready", status: "True", reason: "AllReplicasReady", observedGeneration: sg.metadata.generation }),
    ]);
  });

  it("updates only the Deployment whose size changed when the Stargate is resized, and sets back a hand-scaled one", async () => {
    const before = {
      d1: (await reader.get(Deployment, { namespace: ns, name: r1 })).metadata!.resourceVersion,
      svc: (await reader.get(Service, { namespace: ns, name: svcName })).metadata!.resourceVersion,
      cm: (await reader.get(ConfigMap, { namespace: ns, name: "democluster-dc1-cassandra-config" })).metadata!.resourceVersion,
    };
    const sg = await getSg();
    sg.spec.size = 4;
    await client.update(sg);
    await eventually(async () => (await reader.get(Deployment, { namespace: ns, name: r2 })).spec?.replicas === 2, "rack r2 scaled to 2", 60_000);
    const status = await eventually(async () => {
      const s = await getSg();
      return s.status?.readyReplicasRatio === "3/4" ? s : undefined;
    }, "3/4 ready", 60_000);
    expect(status.status?.progress).toBe("Deploying");
    expect(status.status?.conditions?.[0]).toMatchObject({ status: "False", observedGeneration: status.metadata.generation });
    expect((await reader.get(Deployment, { namespace: ns, name: r1 })).metadata!.resourceVersion).toBe(before.d1);
    expect((await reader.get(Service, { namespace: ns, name: svcName })).metadata!.resourceVersion).toBe(before.svc);
    expect((await reader.get(ConfigMap, { namespace: ns, name: "democluster-dc1-cassandra-config" })).metadata!.resourceVersion).toBe(before.cm);

    const d2 = await reader.get(Deployment, { namespace: ns, name: r2 });
    d2.spec!.replicas = 7;
    await client.update(d2);
    await eventually(async () => (await reader.get(Deployment, { namespace: ns, name: r2 })).spec?.replicas === 2, "hand-scaled Deployment set back", 60_000);
  });

  it("follows the datacenter: a rack removed from it loses its Deployment", async () => {
    const dc = await reader.get(CassandraDatacenter, { namespace: ns, name: "dc1" });
    dc.spec.racks = [{ name: "r1" }];
    await client.update(dc);
    await eventually(() => gone(reader.get(Deployment, { namespace: ns, name: r2 })), "rack r2 Deployment deleted", 60_000);
    const d1 = await eventually(async () => {
      const d = await reader.get(Deployment, { namespace: ns, name: r1 });
      return d.spec?.replicas === 4 ? d : undefined;
    }, "rack r1 takes all 4 replicas", 60_000);
    expect(d1.metadata?.ownerReferences?.[0]?.name).toBe("sg");
    await eventually(async () => {
      const s = await getSg();
      return s.status?.deploymentRefs?.length === 1 && s.status.deploymentRefs[0] === r1;
    }, "deploymentRefs updated", 60_000);
  });

  it("leaves its objects to the garbage collector when deleted: nothing is recreated, owner references name the Stargate", async () => {
    const sg = await getSg();
    await client.delete(sg);
    await eventually(() => gone(getSg()), "Stargate deleted", 60_000);
    // No kube-controller-manager runs here: the dependents stay, pointing at an owner that no longer exists.
    const d1 = await reader.get(Deployment, { namespace: ns, name: r1 });
    expect(d1.metadata?.ownerReferences).toEqual([expect.objectContaining({ kind: "Stargate", name: "sg", uid: sg.metadata.uid, controller: true })]);
    const svc = await reader.get(Service, { namespace: ns, name: svcName });
    expect(svc.metadata?.ownerReferences?.[0]?.uid).toBe(sg.metadata.uid);
  });
});

describe("Stargate objects and kube-controller-manager's garbage collector", () => {
  let cluster: TestCluster;
  let op: Awaited<ReturnType<typeof startOperator>>;

  beforeAll(async () => {
    cluster = await startCluster({ name: "stargate-gc", controllerManager: true, crds: [crdDir, cassOperatorCRDs()] });
    op = await startOperator(cluster);
  });

  afterAll(async () => {
    await op?.stop();
    await cluster?.stop();
  });

  it("removes the Deployments, Service and ConfigMap once the Stargate is deleted", async () => {
    const { client, apiReader: reader } = op.mgr;
    await client.create(datacenter("default", "dc1", []));
    const sg = await client.create(stargate("default", "sg", "dc1", 1));
    const name = "democluster-dc1-default-stargate-deployment";
    await eventually(() => reader.get(Deployment, { namespace: "default", name }), "Deployment", 60_000);
    await eventually(() => reader.get(Service, { namespace: "default", name: "democluster-dc1-stargate-service" }), "Service", 60_000);
    await client.delete(sg);
    await eventually(() => gone(reader.get(Deployment, { namespace: "default", name })), "Deployment collected", 60_000);
    await eventually(() => gone(reader.get(Service, { namespace: "default", name: "democluster-dc1-stargate-service" })), "Service collected", 60_000);
    await eventually(() => gone(reader.get(ConfigMap, { namespace: "default", name: "democluster-dc1-cassandra-config" })), "ConfigMap collected", 60_000);
  });
});
