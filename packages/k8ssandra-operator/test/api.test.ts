import { request } from "node:https";
import { fileURLToPath } from "node:url";
import { loadYaml } from "@kubernetes/client-node";
import { isInvalid, Patch, RestClient } from "@operator-ts/runtime";
import { staleCRDs } from "@operator-ts/runtime/crd";
import { startCluster, type TestCluster } from "@operator-ts/runtime/envtest";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  CassandraDatacenter,
  ClientConfig,
  K8ssandraCluster,
  Stargate,
  unsupportedFields,
} from "../src/api/index.ts";
import { cassOperatorCRDs } from "../../../test/support/paths.ts";

const crdDir = fileURLToPath(new URL("../config/crd", import.meta.url));

// The multi-cluster example of K8ssandra's documentation, with a Reaper block this operator does not support.
const DOCS_MANIFEST = `
apiVersion: k8ssandra.io/v1alpha1
kind: K8ssandraCluster
metadata:
  name: demo
  namespace: default
spec:
  cassandra:
    serverVersion: "4.0.1"
    storageConfig:
      cassandraDataVolumeClaimSpec:
        storageClassName: standard
        accessModes:
          - ReadWriteOnce
        resources:
          requests:
            storage: 5Gi
    config:
      jvmOptions:
        heapSize: 512M
    networking:
      hostNetwork: true
    datacenters:
      - metadata:
          name: dc1
        k8sContext: east
        size: 3
        stargate:
          size: 1
          heapSize: 256M
      - metadata:
          name: dc2
        k8sContext: west
        size: 3
        stargate:
          size: 1
          heapSize: 256M
  reaper:
    autoScheduling:
      enabled: true
`;

function docsManifest(name = "demo"): K8ssandraCluster {
  const k8c = loadYaml<K8ssandraCluster>(DOCS_MANIFEST);
  k8c.metadata.name = name;
  return k8c;
}

/** `kubectl get` as the API server renders it: the Table of a list, with the CRD's printer columns. */
function getTable(cluster: TestCluster, path: string): Promise<{ columnDefinitions: { name: string }[]; rows: { cells: unknown[] }[] }> {
  const server = new URL(cluster.server);
  const user = cluster.kubeconfig.getCurrentUser()!;
  const ca = Buffer.from(cluster.kubeconfig.getCurrentCluster()!.caData!, "base64");
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: server.hostname,
        port: server.port,
        path,
        ca,
        headers: { authorization: `Bearer ${user.token}`, accept: "application/json;as=Table;v=v1;g=meta.k8s.io" },
      },
      (res) => {
        let body = "";
        res.on("data", (chunk: Buffer) => (body += chunk.toString()));
        res.on("end", () => (res.statusCode === 200 ? resolve(JSON.parse(body)) : reject(new Error(`${res.statusCode}: ${body}`))));
      },
    );
    req.on("error", reject);
    req.end();
  });
}

async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (err) {
    return err as Error;
  }
  throw new Error("the API server accepted it");
}

describe("K8ssandra operator API on a real API server", () => {
  let cluster: TestCluster;
  let client: RestClient;

  beforeAll(async () => {
    cluster = await startCluster({ name: "k8ssandra-api", crds: [crdDir, cassOperatorCRDs()] });
    client = await RestClient.fromKubeConfig(cluster.kubeconfig);
  });

  afterAll(async () => {
    await client?.close();
    await cluster?.stop();
  });

  it("ships CRD files that match the TypeScript definitions", async () => {
    expect(await staleCRDs(crdDir, [K8ssandraCluster, ClientConfig, Stargate])).toEqual([]);
  });

  it("applies K8ssandra's documented multi-cluster manifest unchanged, and reports its Reaper block", async () => {
    const manifest = docsManifest();
    const applied = await client.patch(manifest, Patch.apply(manifest), { fieldManager: "kubectl", force: true });
    const stored = await client.get(K8ssandraCluster, { namespace: "default", name: "demo" });
    expect(stored.metadata.uid).toBe(applied.metadata.uid);
    // Nothing pruned: every field of the manifest is stored as written (defaults may add fields).
    expect(stored.spec).toMatchObject(manifest.spec);
    expect(stored.spec.reaper).toEqual({ autoScheduling: { enabled: true } });
    expect(stored.spec.cassandra?.config?.jvmOptions?.heapSize).toBe("512M");
    expect(stored.spec.cassandra?.storageConfig?.cassandraDataVolumeClaimSpec?.resources?.requests).toEqual({ storage: "5Gi" });
    // Defaults as K8ssandra's CRD gives them.
    expect(stored.spec.auth).toBe(true);
    expect(stored.spec.secretsProvider).toBe("internal");
    expect(stored.spec.cassandra?.serverType).toBe("cassandra");
    expect(stored.spec.cassandra?.datacenters?.map((dc) => [dc.metadata.name, dc.k8sContext, dc.stopped])).toEqual([
      ["dc1", "east", false],
      ["dc2", "west", false],
    ]);
    expect(unsupportedFields(stored)).toEqual(["spec.reaper"]);
  });

  it("keeps whatever else K8ssandra accepts, and reports each such field by its path", async () => {
    const k8c = docsManifest("extras");
    const spec = k8c.spec as Record<string, unknown> & typeof k8c.spec;
    spec.medusa = { storageProperties: { storageType: "s3" } };
    spec.secretsProvider = "external";
    spec.externalDatacenters = ["old-dc"];
    const cassandra = spec.cassandra as Record<string, unknown>;
    cassandra.softPodAntiAffinity = true;
    cassandra.metadata = { commonLabels: { team: "storage" } };
    // dseYaml, gc and the additional options are acted on; G1 tuning is not.
    cassandra.config = {
      cassandraYaml: { num_tokens: 16 },
      dseYaml: { a: 1 },
      jvmOptions: { heapSize: "1Gi", gc: "G1GC", additionalJvmServerOptions: ["-Dx"], gc_g1_max_gc_pause_ms: 600 },
    };
    const dc1 = spec.cassandra!.datacenters![0]! as Record<string, unknown>;
    dc1.telemetry = { prometheus: { enabled: true } };
    // Racks go to cass-operator as written, affinity included.
    dc1.racks = [{ name: "r1", nodeAffinityLabels: { zone: "a" }, affinity: { nodeAffinity: {} } }];
    (dc1.metadata as Record<string, unknown>).pods = { labels: { a: "b" } };
    // The Stargate controller honours probes (timings); it mounts its own ConfigMap, not a user's.
    (dc1.stargate as Record<string, unknown>).livenessProbe = { initialDelaySeconds: 30 };
    (dc1.stargate as Record<string, unknown>).cassandraConfigMapRef = { name: "cassandra-config" };
    dc1["weird.key"] = "x";

    await client.create(k8c);
    const stored = await client.get(K8ssandraCluster, { namespace: "default", name: "extras" });
    expect(stored.spec).toMatchObject(k8c.spec);
    expect(unsupportedFields(stored).sort()).toEqual(
      [
        "spec.cassandra.config.jvmOptions.gc_g1_max_gc_pause_ms",
        "spec.cassandra.datacenters[0].metadata.pods",
        "spec.cassandra.datacenters[0].stargate.cassandraConfigMapRef",
        "spec.cassandra.datacenters[0].telemetry",
        'spec.cassandra.datacenters[0]["weird.key"]',
        "spec.cassandra.metadata",
        "spec.cassandra.softPodAntiAffinity",
        "spec.externalDatacenters",
        "spec.medusa",
        "spec.reaper",
        "spec.secretsProvider",
      ].sort(),
    );
    expect(unsupportedFields({ spec: { cassandra: { datacenters: [{ metadata: { name: "dc1" }, size: 1 }] }, externalDatacenters: [] } })).toEqual([]);
  });

  it("rejects specs that K8ssandra rejects: size 0, an unknown serverType, a DC name that is no DNS-1035 label", async () => {
    const cases: [string, (k8c: K8ssandraCluster) => void, RegExp][] = [
      ["size0", (k) => (k.spec.cassandra!.datacenters![0]!.size = 0), /datacenters\[0\]\.size/],
      ["badtype", (k) => ((k.spec.cassandra as { serverType?: string }).serverType = "scylla"), /serverType/],
      ["badname", (k) => (k.spec.cassandra!.datacenters![1]!.metadata.name = "DC_2"), /datacenters\[1\]\.metadata\.name/],
      ["badversion", (k) => (k.spec.cassandra!.serverVersion = "latest"), /serverVersion/],
      ["nosize", (k) => delete (k.spec.cassandra!.datacenters![0] as { size?: number }).size, /datacenters\[0\]\.size/],
      // K8ssandra's enum of collectors.
      ["badgc", (k) => ((k.spec.cassandra!.config!.jvmOptions as { gc?: string }).gc = "ParallelGC"), /jvmOptions\.gc/],
    ];
    for (const [name, mutate, field] of cases) {
      const k8c = docsManifest(name);
      mutate(k8c);
      const err = await rejection(client.create(k8c));
      expect(isInvalid(err), `${name}: ${err.message}`).toBe(true);
      expect(err.message, name).toMatch(field);
    }
  });

  it("stores the status the controller writes, with the datacenters' statuses copied verbatim, and shows it in kubectl get", async () => {
    const k8c = await client.get(K8ssandraCluster, { namespace: "default", name: "demo" });
    const now = new Date().toISOString().replace(/\.\d+Z$/, "Z");
    k8c.status = {
      conditions: [{ type: "CassandraInitialized", status: "True", reason: "AllDatacentersReady", message: "", lastTransitionTime: now }],
      datacenters: {
        dc1: {
          contextName: "east",
          cassandra: {
            cassandraOperatorProgress: "Ready",
            conditions: [{ type: "Ready", status: "True", reason: "", message: "", lastTransitionTime: now }],
            nodeStatuses: { "demo-dc1-default-sts-0": { hostID: "c0ffee", ip: "10.0.0.1", rack: "default" } },
            observedGeneration: 1,
          },
          stargate: { progress: "Running", replicas: 1, readyReplicas: 1, updatedReplicas: 1, availableReplicas: 1 },
        },
      },
      readyDatacenters: "1/2",
      observedGeneration: 1,
    };
    const written = await client.status().update(k8c);
    expect(written.status?.datacenters?.dc1).toEqual(k8c.status.datacenters!.dc1);
    expect(written.status?.error).toBe("None");

    const table = await getTable(cluster, "/apis/k8ssandra.io/v1alpha1/namespaces/default/k8ssandraclusters");
    const columns = table.columnDefinitions.map((c) => c.name);
    expect(columns).toEqual(["Name", "Ready", "Error", "Initialized", "Age"]);
    const demo = table.rows.find((r) => r.cells[0] === "demo");
    expect(demo?.cells.slice(1, 4)).toEqual(["1/2", "None", "True"]);
  });

  it("serves ClientConfig and Stargate as K8ssandra's manifests write them", async () => {
    const cc = await client.create<ClientConfig>({
      apiVersion: ClientConfig.apiVersion,
      kind: ClientConfig.kind,
      metadata: { name: "east", namespace: "default" },
      spec: { contextName: "east", kubeConfigSecret: { name: "east-config" } },
    });
    expect(cc.spec.kubeConfigSecret.name).toBe("east-config");
    const missingSecret = await rejection(
      client.create({ apiVersion: ClientConfig.apiVersion, kind: ClientConfig.kind, metadata: { name: "west", namespace: "default" }, spec: {} }),
    );
    expect(isInvalid(missingSecret)).toBe(true);

    const sg = await client.create<Stargate>({
      apiVersion: Stargate.apiVersion,
      kind: Stargate.kind,
      metadata: { name: "demo-dc1-stargate", namespace: "default" },
      spec: { datacenterRef: { name: "dc1" }, containerImage: { repository: "stargateio", tag: "v1.0.77" }, affinity: {} } as Stargate["spec"],
    });
    expect(sg.spec).toMatchObject({ size: 1, heapSize: "256Mi", auth: true, affinity: {} });
    sg.status = {
      progress: "Running",
      readyReplicasRatio: "1/1",
      replicas: 1,
      readyReplicas: 1,
      updatedReplicas: 1,
      availableReplicas: 1,
      deploymentRefs: ["demo-dc1-default-stargate-deployment"],
      serviceRef: "demo-dc1-stargate-service",
      conditions: [{ type: "Ready", status: "True", reason: "Running", message: "1/1 replicas ready", lastTransitionTime: new Date().toISOString().replace(/\.\d+Z$/, "Z") }],
    };
    expect((await client.status().update(sg)).status?.progress).toBe("Running");
    const table = await getTable(cluster, "/apis/stargate.k8ssandra.io/v1alpha1/namespaces/default/stargates");
    expect(table.rows[0]?.cells.slice(0, 6)).toEqual(["demo-dc1-stargate", "dc1", "Running", "1/1", 1, 1]);

    const noRef = await rejection(
      client.create({ apiVersion: Stargate.apiVersion, kind: Stargate.kind, metadata: { name: "x", namespace: "default" }, spec: { size: 1 } }),
    );
    expect(noRef.message).toMatch(/datacenterRef/);
  });

  it("writes CassandraDatacenters the real cass-operator CRD accepts: configuration in configSecret, not as an object in config", async () => {
    const spec: CassandraDatacenter["spec"] = {
      clusterName: "demo",
      serverType: "cassandra",
      serverVersion: "4.0.1",
      size: 3,
      storageConfig: { cassandraDataVolumeClaimSpec: { accessModes: ["ReadWriteOnce"], resources: { requests: { storage: "5Gi" } } } },
      networking: { hostNetwork: true },
      superuserSecretName: "demo-superuser",
      additionalSeeds: ["10.1.0.1"],
      racks: [{ name: "r1", nodeAffinityLabels: { zone: "a" } }],
      resources: { requests: { cpu: "1", memory: "2Gi" } },
      datacenterName: "DC One",
    };
    const config = { "cassandra-yaml": { num_tokens: 16 }, "jvm-server-options": { initial_heap_size: 536870912, max_heap_size: 536870912 } };
    const meta = (name: string) => ({ apiVersion: CassandraDatacenter.apiVersion, kind: CassandraDatacenter.kind, metadata: { name, namespace: "default" } });

    // The CRD declares config `format: byte`: this API server turns the object down (k8ssandra/cass-operator#837).
    // The type says so too (a byte string): the object is forced in, as a hand-written manifest would put it.
    const asObject = await rejection(client.create<CassandraDatacenter>({ ...meta("dc-object"), spec: { ...spec, config: config as unknown as string } }));
    expect(asObject.message).toMatch(/spec\.config.*must be of type byte/);

    const dc = await client.create<CassandraDatacenter>({ ...meta("dc1"), spec: { ...spec, configSecret: "demo-dc1-config" } });
    expect(dc.spec).toEqual({ ...spec, configSecret: "demo-dc1-config" });
  });
});
