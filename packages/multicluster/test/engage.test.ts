import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { KubeConfig } from "@kubernetes/client-node";
import { ConfigMap, handler, RestClient, type Secret } from "@operator-ts/runtime";
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
import { recordLogs } from "../../../test/support/logs.ts";

const cm = (name: string): ConfigMap => ({ apiVersion: "v1", kind: "ConfigMap", metadata: { name, namespace: "default" } });

describe("engaging a cluster is retried end to end", () => {
  let home: TestCluster;
  let remote: TestCluster;
  let other: TestCluster;
  let mcm: MultiClusterManager;
  let dir: string;
  const { logger, lines } = recordLogs();
  const seen: ClusterRequest[] = [];
  const stop = new AbortController();
  let running: Promise<void>;
  const saw = (cluster: string, name: string) => seen.some((r) => r.cluster === cluster && r.name === name);

  beforeAll(async () => {
    [home, remote, other] = (await startClusters(3, { names: ["eng-home", "eng-remote", "eng-other"] })) as [TestCluster, TestCluster, TestCluster];
    dir = await mkdtemp(join(tmpdir(), "engage-"));
    mcm = await MultiClusterManager.create({ kubeconfig: home.kubeconfig, health: { intervalMs: 200, timeoutMs: 1000 }, logger });
    await mcControllerManagedBy(mcm)
      .named("engage-watcher")
      .watches(ConfigMap, forCluster(handler.enqueueRequestForObject<ConfigMap>()), { clusters: remoteClusters })
      .complete(async (req) => void seen.push(req));
    await mcm.manager.add(kubeconfigSecretProvider(mcm, { namespace: "default", labels: { "engage.test/cluster": "true" } }));
    running = mcm.start(stop.signal);
    await eventually(() => mcm.manager.isRunning(), "manager running");
  });

  afterAll(async () => {
    stop.abort();
    await running;
    await Promise.all([home, remote, other].map((c) => c?.stop()));
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("watches a cluster that was down when it was added, once its API server is started", async () => {
    const admin = await RestClient.fromKubeConfig(remote.kubeconfig);
    await admin.create(cm("before-the-outage"));
    await admin.close();
    await remote.stopApiServer();
    const from = lines.length;
    await mcm.addCluster("remote", remote.kubeconfig, { waitForSync: false });
    // Its watch cannot start while the server is down: retried, each time with a fresh source.
    await eventually(() => lines.slice(from).filter((l) => l.includes("could not start a watch on a cluster")).length >= 2, "retries of the watch");
    await eventually(() => mcm.health.status("remote")?.state === "unreachable", "remote marked unreachable");

    await remote.startApiServer();
    const answering = Date.now();
    await eventually(() => saw("remote", "before-the-outage"), "the object from before the outage", 60_000);
    const engagedMs = Date.now() - answering;
    await mcm.getCluster("remote").client.create(cm("after-the-outage"));
    await eventually(() => saw("remote", "after-the-outage"), "a new object");
    expect(lines.slice(from).filter((l) => l.includes("already started"))).toEqual([]);
    // The figure the issue asks for; the goal (5 s) is not asserted here, the fix is: without it this never happens.
    console.info(`engaged ${engagedMs} ms after the API server answered`);
  });

  /** A kubeconfig for `other` whose token is read from a file: one that is not there yet fails the add. */
  async function tokenFileKubeconfig(tokenFile: string, context: string): Promise<{ yaml: string; token: string }> {
    const sa = await other.serviceAccountKubeConfig("default", "default");
    const kc = new KubeConfig();
    kc.loadFromOptions({
      clusters: [sa.getCurrentCluster()!],
      users: [{ name: "file-user", authProvider: { name: "file", config: { tokenFile } } }],
      contexts: [{ name: context, cluster: sa.getCurrentCluster()!.name, user: "file-user" }],
      currentContext: context,
    });
    return { yaml: stringify(JSON.parse(kc.exportConfig())), token: sa.getCurrentUser()!.token! };
  }

  it("adds a cluster again whose add failed, when the same kubeconfig works later", async () => {
    // A token file that is not there yet (a projected token not yet mounted): building the connection fails.
    const tokenFile = join(dir, "token");
    const { yaml, token } = await tokenFileKubeconfig(tokenFile, "file-ctx");
    await mcm.manager.client.create<Secret>({
      apiVersion: "v1",
      kind: "Secret",
      metadata: { name: "file-token-cluster", namespace: "default", labels: { "engage.test/cluster": "true" } },
      stringData: { kubeconfig: yaml },
    } as Secret);
    await eventually(() => lines.some((l) => l.includes("file-token-cluster") && l.includes("Reconciler error")), "the failed add");
    expect(mcm.hasCluster("file-token-cluster")).toBe(false);

    await writeFile(tokenFile, token);
    await eventually(() => mcm.hasCluster("file-token-cluster"), "the cluster added on a retry", 60_000);
    expect(lines.join("")).not.toContain(token);
  });

  it("has the kubeconfig file provider add a context again whose add failed", async () => {
    const tokenFile = join(dir, "file-provider-token");
    const { yaml, token } = await tokenFileKubeconfig(tokenFile, "from-file");
    const path = join(dir, "kubeconfig.yaml");
    await writeFile(path, yaml);
    const provider = new KubeconfigFileProvider(mcm, { path });
    await expect(provider.sync()).rejects.toThrow(/from-file/);
    expect(mcm.hasCluster("from-file")).toBe(false);
    await writeFile(tokenFile, token);
    await provider.sync();
    expect(mcm.hasCluster("from-file")).toBe(true);
    await mcm.removeCluster("from-file");
  });
});
