import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { KubeConfig } from "@kubernetes/client-node";
import { ConfigMap, handler, Namespace, Secret } from "@operator-ts/runtime";
import { startClusters, type TestCluster } from "@operator-ts/runtime/envtest";
import { stringify } from "yaml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type ClusterRequest,
  forCluster,
  KubeconfigFileProvider,
  kubeconfigSecretProvider,
  mcControllerManagedBy,
  MultiClusterManager,
  remoteClusters,
} from "../src/index.ts";
import { eventually } from "../../../test/support/eventually.ts";

const cm = (name: string): ConfigMap => ({ apiVersion: "v1", kind: "ConfigMap", metadata: { name, namespace: "default" } });

function yamlOf(kc: KubeConfig): string {
  return stringify(JSON.parse(kc.exportConfig()));
}

/** A kubeconfig for a cluster-admin service account of that cluster, with a freshly minted token. */
async function adminServiceAccountKubeconfig(cluster: TestCluster, name: string): Promise<KubeConfig> {
  const admin = await import("@operator-ts/runtime").then(({ RestClient }) => RestClient.fromKubeConfig(cluster.kubeconfig));
  try {
    await admin
      .create({
        apiVersion: "rbac.authorization.k8s.io/v1",
        kind: "ClusterRoleBinding",
        metadata: { name: `${name}-admin` },
        roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "cluster-admin" },
        subjects: [{ kind: "ServiceAccount", name, namespace: "default" }],
      } as never)
      .catch(() => undefined);
  } finally {
    await admin.close();
  }
  return cluster.serviceAccountKubeConfig("default", name);
}

describe("cluster providers on real API servers", () => {
  let home: TestCluster;
  let east: TestCluster;
  let west: TestCluster;
  let mcm: MultiClusterManager;
  const seen: ClusterRequest[] = [];
  const stop = new AbortController();
  let running: Promise<void>;

  beforeAll(async () => {
    [home, east, west] = (await startClusters(3, { names: ["prov-home", "prov-east", "prov-west"] })) as [TestCluster, TestCluster, TestCluster];
    mcm = await MultiClusterManager.create({ kubeconfig: home.kubeconfig });
    await mcControllerManagedBy(mcm)
      .named("provider-watcher")
      .watches(ConfigMap, forCluster(handler.enqueueRequestForObject<ConfigMap>()), { clusters: remoteClusters })
      .complete(async (req) => void seen.push(req));
    await mcm.manager.client.create<Namespace>({ apiVersion: "v1", kind: "Namespace", metadata: { name: "clusters" } });
    await mcm.manager.add(kubeconfigSecretProvider(mcm, { namespace: "clusters", labels: { "operator-ts.io/kubeconfig": "true" } }));
    running = mcm.start(stop.signal);
  });

  afterAll(async () => {
    stop.abort();
    await running;
    await Promise.all([home, east, west].map((c) => c?.stop()));
  });

  it("adds, re-credentials and removes clusters from kubeconfig Secrets while running", async () => {
    const first = await adminServiceAccountKubeconfig(east, "provider-v1");
    const secret: Secret = {
      apiVersion: "v1",
      kind: "Secret",
      metadata: { name: "east", namespace: "clusters", labels: { "operator-ts.io/kubeconfig": "true" } },
      stringData: { kubeconfig: yamlOf(first) },
    };
    await mcm.manager.client.create(secret);
    const added = await eventually(() => mcm.hasCluster("east") && mcm.getCluster("east"), "cluster east from its Secret");
    await added.client.create(cm("via-secret"));
    await eventually(() => seen.some((r) => r.cluster === "east" && r.name === "via-secret"), "east event");

    // A rotated credential: same cluster name and server, a new token. It is swapped into the running cluster: the
    // same Cluster, caches and watches, and nothing else touched.
    const unrelated = await mcm.addCluster("west", west.kubeconfig);
    const rotated = await adminServiceAccountKubeconfig(east, "provider-v2");
    const current = await mcm.manager.apiReader.get(Secret, { namespace: "clusters", name: "east" });
    await mcm.manager.client.update({ ...current, data: undefined, stringData: { kubeconfig: yamlOf(rotated) } });
    await eventually(() => mcm.getCluster("east").kubeconfig.getCurrentUser()?.token === rotated.getCurrentUser()?.token, "east's credential swapped in place");
    expect(mcm.getCluster("east")).toBe(added);
    expect(mcm.getCluster("west")).toBe(unrelated);
    await added.client.create(cm("after-rotation"));
    await eventually(() => seen.some((r) => r.cluster === "east" && r.name === "after-rotation"), "event over the new credential");
    // The old identity is gone: whatever the cluster does now, it does with the new one.
    const whoami = await added.transport.request<{ status: { userInfo: { username: string } } }>("POST", "/apis/authentication.k8s.io/v1/selfsubjectreviews", {
      body: { apiVersion: "authentication.k8s.io/v1", kind: "SelfSubjectReview" },
    });
    expect(whoami.status.userInfo.username).toBe("system:serviceaccount:default:provider-v2");

    // An unlabelled Secret is not a cluster.
    await mcm.manager.client.create<Secret>({
      apiVersion: "v1",
      kind: "Secret",
      metadata: { name: "not-a-cluster", namespace: "clusters" },
      stringData: { kubeconfig: yamlOf(first) },
    });

    await mcm.manager.client.delete(current);
    await eventually(() => !mcm.hasCluster("east"), "east removed with its Secret");
    expect(mcm.hasCluster("not-a-cluster")).toBe(false);
    expect(mcm.health.status("east")?.state).toBe("removed");
    await mcm.removeCluster("west");
  });

  it("keeps running, and says where, when a Secret holds no usable kubeconfig", async () => {
    await mcm.manager.client.create<Secret>({
      apiVersion: "v1",
      kind: "Secret",
      metadata: { name: "broken", namespace: "clusters", labels: { "operator-ts.io/kubeconfig": "true" } },
      stringData: { kubeconfig: "this: [is not a kubeconfig" },
    });
    const good = await adminServiceAccountKubeconfig(west, "provider-good");
    await mcm.manager.client.create<Secret>({
      apiVersion: "v1",
      kind: "Secret",
      metadata: { name: "good-west", namespace: "clusters", labels: { "operator-ts.io/kubeconfig": "true" } },
      stringData: { kubeconfig: yamlOf(good) },
    });
    await eventually(() => mcm.hasCluster("good-west"), "the good cluster still arrives");
    expect(mcm.hasCluster("broken")).toBe(false);
    expect(mcm.manager.isRunning()).toBe(true);
  });
});

describe("kubeconfig file provider", () => {
  it("follows the contexts of a file: new ones added, unchanged ones kept, vanished ones removed", async () => {
    const [home, east, west] = (await startClusters(3, { names: ["file-home", "file-east", "file-west"] })) as [TestCluster, TestCluster, TestCluster];
    const dir = await mkdtemp(join(tmpdir(), "kubeconfig-provider-"));
    const path = join(dir, "clusters.yaml");
    const mcm = await MultiClusterManager.create({ kubeconfig: home.kubeconfig });
    const provider = new KubeconfigFileProvider(mcm, { path, exclude: ["file-home"] });
    const stop = new AbortController();
    const running = mcm.start(stop.signal);
    try {
      const merged = new KubeConfig();
      merged.loadFromString(home.kubeconfigYaml);
      merged.mergeConfig(east.kubeconfig);
      await writeFile(path, yamlOf(merged));
      await provider.sync();
      expect(mcm.clusterNames()).toEqual(["", "file-east"]);
      const eastBefore = mcm.getCluster("file-east");

      merged.mergeConfig(west.kubeconfig);
      await writeFile(path, yamlOf(merged));
      await provider.sync();
      expect(mcm.clusterNames().sort()).toEqual(["", "file-east", "file-west"]);
      expect(mcm.getCluster("file-east")).toBe(eastBefore);

      const onlyWest = new KubeConfig();
      onlyWest.loadFromString(west.kubeconfigYaml);
      await writeFile(path, yamlOf(onlyWest));
      await provider.sync();
      expect(mcm.clusterNames()).toEqual(["", "file-west"]);
    } finally {
      stop.abort();
      await running;
      await rm(dir, { recursive: true, force: true });
      await Promise.all([home, east, west].map((c) => c.stop()));
    }
  });
});
