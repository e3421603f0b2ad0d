import { ConfigMap, controllerManagedBy, handler, log, metadataOnly, metrics, Secret } from "@operator-ts/runtime";
import { startClusters, type TestCluster } from "@operator-ts/runtime/envtest";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { allClusters, type ClusterRequest, ClusterUnreachableError, forCluster, mcControllerManagedBy, MultiClusterManager } from "../src/index.ts";
import { eventually } from "../../../test/support/eventually.ts";
import { recordLogs } from "../../../test/support/logs.ts";

const cm = (name: string): ConfigMap => ({ apiVersion: "v1", kind: "ConfigMap", metadata: { name, namespace: "default" } });

function handles(): { sockets: number; timers: number } {
  const info = process.getActiveResourcesInfo();
  return { sockets: info.filter((r) => r === "TCPSocketWrap").length, timers: info.filter((r) => r === "Timeout").length };
}

describe("one manager, one queue, three real clusters", () => {
  let home: TestCluster;
  let east: TestCluster;
  let west: TestCluster;
  let mcm: MultiClusterManager;
  const seen: ClusterRequest[] = [];
  const stop = new AbortController();
  let running: Promise<void>;

  const saw = (cluster: string, name: string) => seen.some((r) => r.cluster === cluster && r.name === name);

  beforeAll(async () => {
    [home, east, west] = (await startClusters(3, { names: ["mc-home", "mc-east", "mc-west"] })) as [TestCluster, TestCluster, TestCluster];
    mcm = await MultiClusterManager.create({ kubeconfig: home.kubeconfig, health: { intervalMs: 200, timeoutMs: 1000 } });
    await mcm.addCluster("east", east.kubeconfig); // before start
    await mcControllerManagedBy(mcm)
      .named("configmap-watcher")
      .watches(ConfigMap, forCluster(handler.enqueueRequestForObject<ConfigMap>()), { clusters: allClusters })
      .complete(async (req) => void seen.push(req));
    running = mcm.start(stop.signal);
    await eventually(() => mcm.manager.isRunning(), "manager running");
  });

  afterAll(async () => {
    stop.abort();
    await running;
    await Promise.all([home, east, west].map((c) => c?.stop()));
  });

  it("delivers events from the home cluster and a cluster added before start, each named", async () => {
    await mcm.manager.client.create(cm("in-home"));
    await mcm.getCluster("east").client.create(cm("in-east"));
    await eventually(() => saw("", "in-home") && saw("east", "in-east"), "home and east events");
    expect(seen.some((r) => r.cluster === "east" && r.name === "in-home")).toBe(false);
  });

  it("names the home cluster in logs and metrics: home, not an empty string", async () => {
    const logs = recordLogs("info");
    await mcControllerManagedBy(mcm)
      .named("home-namer")
      .withOptions({ logger: logs.logger })
      .watches(ConfigMap, forCluster(handler.enqueueRequestForObject<ConfigMap>()), { clusters: allClusters })
      .complete(async (req) => void (req.name === "named-home" && log.fromContext().info("reconciled")));
    await mcm.manager.client.create(cm("named-home"));
    const line = await eventually(() => logs.lines.find((l) => l.includes('"msg":"reconciled"')), "the reconcile's log line");
    expect(JSON.parse(line)).toMatchObject({ cluster: "home", name: "named-home" });
    expect(await metrics.registry.getSingleMetricAsString("multicluster_cluster_reachable")).toMatch(/multicluster_cluster_reachable\{cluster="home"\} 1/);
  });

  it("engages the clusters already there when a controller is registered later", async () => {
    const late: ClusterRequest[] = [];
    await mcControllerManagedBy(mcm)
      .named("late-controller")
      .watches(ConfigMap, forCluster(handler.enqueueRequestForObject<ConfigMap>()), { clusters: allClusters })
      .complete(async (req) => void late.push(req));
    await mcm.getCluster("east").client.create(cm("for-the-late-controller"));
    await eventually(() => late.some((r) => r.cluster === "east" && r.name === "for-the-late-controller"), "late controller sees east");
    // It also got the objects that existed before it, from its informers' initial lists.
    await eventually(() => late.some((r) => r.cluster === "east" && r.name === "in-east"), "initial list replayed");
  });

  it("names controllers by the runtime builder's rule: valid and unique among all of the manager's controllers", async () => {
    const watching = () => mcControllerManagedBy(mcm).watches(ConfigMap, forCluster(handler.enqueueRequestForObject<ConfigMap>()));
    await expect(watching().named("configmap-watcher").complete(async () => {})).rejects.toThrow(/already exists in this manager/);
    await expect(watching().named("not a name").complete(async () => {})).rejects.toThrow(/DNS-1123-like/);
    await expect(watching().complete(async () => {})).rejects.toThrow(/needs for\(\) or named\(\)/);
    // The single-cluster builder of the same manager draws from the same names.
    expect(() => controllerManagedBy(mcm.manager).named("configmap-watcher").build(async () => {})).toThrow(/already exists/);
  });

  it("watches a cluster added after start, and stops watching it once removed, releasing its sockets and timers", async () => {
    const before = handles();
    await mcm.addCluster("west", west.kubeconfig); // resolves once its watches synced
    expect(mcm.clusterNames()).toEqual(["", "east", "west"]);
    await mcm.getCluster("west").client.create(cm("in-west"));
    await eventually(() => saw("west", "in-west"), "west event");

    const westClient = await import("@operator-ts/runtime").then(({ RestClient }) => RestClient.fromKubeConfig(west.kubeconfig));
    await mcm.removeCluster("west");
    expect(mcm.hasCluster("west")).toBe(false);
    expect(mcm.health.status("west")?.state).toBe("removed");
    await westClient.create(cm("after-removal"));
    await westClient.close();
    // East still flows after west's object was written: by then a west event would have arrived too.
    await mcm.getCluster("east").client.create(cm("east-after-west-removal"));
    await eventually(() => saw("east", "east-after-west-removal"), "east event after removal");
    expect(saw("west", "after-removal")).toBe(false);
    await eventually(() => {
      const now = handles();
      return now.sockets <= before.sockets && now.timers <= before.timers;
    }, `handles back to ${JSON.stringify(before)} (now ${JSON.stringify(handles())})`);
  });

  it("engages re-entrantly: the same kubeconfig again changes nothing, another replaces, calls for one name take turns", async () => {
    const first = await mcm.engage("again", west.kubeconfig);
    expect(await mcm.engage("again", west.kubeconfig)).toBe(first);
    // Both at once: the second waits for the first and finds its cluster engaged already.
    const [a, b] = await Promise.all([mcm.engage("twice", west.kubeconfig), mcm.engage("twice", west.kubeconfig)]);
    expect(b).toBe(a);

    const replaced = await mcm.engage("again", east.kubeconfig);
    expect(replaced).not.toBe(first);
    expect(mcm.getCluster("again")).toBe(replaced);
    expect(replaced.transport.server).toBe(mcm.getCluster("east").transport.server);

    await mcm.disengage("again");
    await mcm.disengage("again"); // not engaged any more: nothing to do, no error
    await mcm.disengage("twice");
    expect(mcm.hasCluster("again") || mcm.hasCluster("twice")).toBe(false);
  });

  it("owns() with metadataOnly: a remote cluster's owned objects are watched as metadata, and their changes reach the owner", async () => {
    const requests: ClusterRequest[] = [];
    const predicateSawData: boolean[] = [];
    await mcControllerManagedBy(mcm)
      .named("metadata-owner")
      .for(Secret, { clusters: allClusters })
      .owns(ConfigMap, { metadataOnly: true, predicates: [{ update: (e) => (predicateSawData.push("data" in e.objectNew), true) }] })
      .complete(async (req) => void requests.push(req));
    const eastClient = mcm.getCluster("east").client;
    const owner = await eastClient.create<Secret>({ apiVersion: "v1", kind: "Secret", metadata: { name: "md-owner", namespace: "default" } });
    const child = await eastClient.create<ConfigMap>({
      ...cm("md-child"),
      metadata: { name: "md-child", namespace: "default", ownerReferences: [{ apiVersion: "v1", kind: "Secret", name: "md-owner", uid: owner.metadata!.uid!, controller: true }] },
      data: { big: "x".repeat(10_000) },
    });
    await eventually(() => requests.some((r) => r.cluster === "east" && r.name === "md-owner"), "the owner's request");
    requests.length = 0;
    await eastClient.update<ConfigMap>({ ...child, data: { big: "y".repeat(10_000) } });
    await eventually(() => requests.some((r) => r.cluster === "east" && r.name === "md-owner"), "the owner's request after its ConfigMap changed");
    expect(predicateSawData.length).toBeGreaterThan(0);
    expect(predicateSawData.every((sawData) => !sawData)).toBe(true);
    const cached = await mcm.getCluster("east").cache.list(metadataOnly(ConfigMap), { namespace: "default" });
    const entry = cached.items.find((i) => i.metadata.name === "md-child");
    expect(entry).toBeDefined();
    expect(entry).not.toHaveProperty("data");
  });

  it("keeps reconciling the other clusters while one is unreachable, and catches up when it returns", async () => {
    await mcm.addCluster("west", west.kubeconfig);
    const whileUp = mcm.health.untilUnreachable("east");
    expect(whileUp.aborted).toBe(false);
    await east.stopApiServer();
    await eventually(() => mcm.health.status("east")?.state === "unreachable", "east unreachable");
    expect(mcm.health.status("east")?.lastError).toBeTruthy();
    // Work against east is told at once, with why.
    expect(whileUp.aborted).toBe(true);
    expect(whileUp.reason).toBeInstanceOf(ClusterUnreachableError);
    expect((whileUp.reason as Error).message).toMatch(/^cluster east is unreachable: /);
    expect(mcm.health.untilUnreachable("east").aborted).toBe(true);
    expect(mcm.health.untilUnreachable("west").aborted).toBe(false);

    await mcm.getCluster("west").client.create(cm("west-while-east-down"));
    await mcm.manager.client.create(cm("home-while-east-down"));
    await eventually(() => saw("west", "west-while-east-down") && saw("", "home-while-east-down"), "others keep flowing");

    await east.startApiServer();
    await eventually(() => mcm.health.isReachable("east"), "east reachable again");
    expect(mcm.health.untilUnreachable("east").aborted).toBe(false);
    await mcm.getCluster("east").client.create(cm("east-after-return"));
    await eventually(() => saw("east", "east-after-return"), "east watch resumed", 60_000);
  });
});

describe("fairness between clusters in the shared queue", () => {
  it("serves a quiet cluster's request right after the in-flight one, ahead of another cluster's burst", async () => {
    const [home, east, west] = (await startClusters(3, { names: ["fair-home", "fair-east", "fair-west"] })) as [TestCluster, TestCluster, TestCluster];
    const mcm = await MultiClusterManager.create({ kubeconfig: home.kubeconfig });
    const stop = new AbortController();
    let running: Promise<void> | undefined;
    try {
      await mcm.addCluster("east", east.kubeconfig);
      await mcm.addCluster("west", west.kubeconfig);
      let openGate!: () => void;
      const gate = new Promise<void>((resolve) => (openGate = resolve));
      const order: string[] = [];
      const controller = await mcControllerManagedBy(mcm)
        .named("fairness")
        .watches(ConfigMap, forCluster(handler.enqueueRequestForObject<ConfigMap>()), { clusters: (n) => n !== "" })
        .withEventFilter({ create: (e) => e.object.metadata?.name?.startsWith("f-") ?? false })
        .withOptions({ maxConcurrentReconciles: 1 })
        .complete(async (req) => {
          await gate;
          order.push(`${req.cluster}/${req.name}`);
        });
      running = mcm.start(stop.signal);
      const eastClient = mcm.getCluster("east").client;
      const burst = 200;
      for (let i = 0; i < burst; i += 20) {
        await Promise.all(Array.from({ length: 20 }, (_, j) => eastClient.create(cm(`f-east-${i + j}`))));
      }
      await eventually(() => controller.queue.len() >= burst - 1, "east burst queued behind the first in flight");
      await mcm.getCluster("west").client.create(cm("f-west"));
      await eventually(() => controller.queue.len() >= burst, "west request queued");
      openGate();
      await eventually(() => order.length === burst + 1, "all reconciled");
      // The first east request was already in flight; west's comes right after it, not after 199 more.
      expect(order.indexOf("west/f-west")).toBeLessThanOrEqual(2);
    } finally {
      stop.abort();
      await running;
      await Promise.all([home, east, west].map((c) => c.stop()));
    }
  });
});
