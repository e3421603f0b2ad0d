import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ConfigMap } from "../src/api/kinds.ts";
import { RESTMapper } from "../src/client/restmapper.ts";
import { InformerCache } from "../src/cache/index.ts";
import { RestTransport } from "../src/client/transport.ts";
import { startCluster, type TestCluster } from "../src/envtest/index.ts";
import {
  createConfigMap,
  createNamespace,
  deleteConfigMap,
  patchConfigMap,
  Recorder,
} from "./support/cache-helpers.ts";
import { eventually } from "../../../test/support/eventually.ts";
import { kubeconfigThrough, LoopbackProxy } from "./support/cache-proxy.ts";
import { StreamProxy } from "./support/cache-stream-proxy.ts";

// Quick retries keep the outages below short; production defaults start at 800 ms and double to 30 s.
const fastRetries = { backoff: { initialMs: 100, maxMs: 1000 } };

describe("InformerCache through API server outages, expired resourceVersions and stalled watches", () => {
  let cluster: TestCluster;
  const closers: (() => Promise<unknown>)[] = [];

  /** A fresh admin client: one made before a restart holds connections to the old process. */
  async function admin(): Promise<RestTransport> {
    const t = await RestTransport.fromKubeConfig(cluster.kubeconfig);
    closers.push(() => t.destroy());
    return t;
  }

  function run(cache: InformerCache): void {
    const stop = new AbortController();
    const done = cache.start(stop.signal);
    closers.unshift(async () => {
      stop.abort();
      await done;
    });
  }

  beforeAll(async () => {
    cluster = await startCluster({ name: "cache-resilience" });
    const t = await admin();
    for (const ns of ["restart", "gone", "stall"]) await createNamespace(t, ns);
  });

  afterAll(async () => {
    for (const close of closers) await close();
    await cluster?.stop();
  });

  it("survives an API server restart: updates made around it all arrive", async () => {
    const before = await admin();
    await createConfigMap(before, "restart", "kept", { v: "1" });
    await createConfigMap(before, "restart", "removed", { v: "1" });
    const cacheTransport = await admin();
    const cache = new InformerCache(cacheTransport, new RESTMapper(cacheTransport), { namespaces: ["restart"], reflector: fastRetries });
    const informer = await cache.getSharedInformer(ConfigMap);
    const seen = new Recorder();
    informer.addEventHandler(seen);
    run(cache);
    expect(await cache.waitForCacheSync(AbortSignal.timeout(20_000))).toBe(true);

    await patchConfigMap(before, "restart", "kept", { data: { v: "2" } });
    await eventually(() => seen.find("update", "restart/kept", (e) => (e.obj as ConfigMap).data?.v === "2"), "update before the outage");

    await cluster.stopApiServer();
    await eventually(() => informer.stats().errors > 0, "the reflector noticing the outage");
    // Reads are served from the store while the server is away.
    expect((await cache.get(ConfigMap, { namespace: "restart", name: "kept" })).data?.v).toBe("2");
    await cluster.startApiServer();

    const after = await admin();
    await patchConfigMap(after, "restart", "kept", { data: { v: "3" } });
    await deleteConfigMap(after, "restart", "removed");
    await createConfigMap(after, "restart", "created", { v: "1" });

    await eventually(() => seen.find("update", "restart/kept", (e) => (e.obj as ConfigMap).data?.v === "3"), "update after the restart");
    await eventually(() => seen.find("delete", "restart/removed"), "delete after the restart");
    await eventually(() => seen.find("add", "restart/created", (e) => !e.initial), "add after the restart");

    const server = await after.request<{ items: ConfigMap[] }>("GET", "/api/v1/namespaces/restart/configmaps");
    const cached = await cache.list(ConfigMap, { namespace: "restart" });
    const versions = (items: ConfigMap[]) => items.map((c) => `${c.metadata?.name}@${c.metadata?.resourceVersion}`).sort();
    expect(versions(cached.items)).toEqual(versions(server.items));
  });

  it("relists when its resourceVersion is gone (410), delivering missed updates and deletes with deleteStateUnknown", async () => {
    const proxy = await LoopbackProxy.start(cluster.ports.apiServer);
    closers.push(() => proxy.close());
    const viaProxy = await RestTransport.fromKubeConfig(kubeconfigThrough(cluster.kubeconfig, proxy.port));
    closers.push(() => viaProxy.destroy());
    const writer = await admin();
    for (const name of ["changed", "deleted", "untouched"]) await createConfigMap(writer, "gone", name, { v: "1" });

    const cache = new InformerCache(viaProxy, new RESTMapper(viaProxy), { namespaces: ["gone"], reflector: fastRetries });
    const informer = await cache.getSharedInformer(ConfigMap);
    const seen = new Recorder();
    informer.addEventHandler(seen);
    run(cache);
    expect(await cache.waitForCacheSync(AbortSignal.timeout(20_000))).toBe(true);
    const lastSeen = informer.lastSyncResourceVersion();
    seen.clear();

    // Keep the reflector away while the server forgets everything up to now: a restart empties the API server's watch
    // cache, and compaction removes the history from etcd, so the watch it resumes from lastSeen must fail with 410.
    proxy.block();
    await eventually(() => informer.stats().errors > 0, "the reflector noticing the outage");
    await cluster.restartApiServer();
    const after = await admin();
    await patchConfigMap(after, "gone", "changed", { data: { v: "2" } });
    await deleteConfigMap(after, "gone", "deleted");
    await createConfigMap(after, "gone", "created", { v: "1" });
    await cluster.compactEtcd();
    proxy.unblock();

    const update = await eventually(() => seen.find("update", "gone/changed"), "the missed update");
    expect((update.old as ConfigMap).data?.v).toBe("1");
    expect((update.obj as ConfigMap).data?.v).toBe("2");
    const deletion = await eventually(() => seen.find("delete", "gone/deleted"), "the missed delete");
    expect(deletion.unknown).toBe(true);
    const add = await eventually(() => seen.find("add", "gone/created"), "the missed create");
    expect(add.initial).toBe(false);

    const stats = informer.stats();
    expect(stats.relistsAfterGone).toBeGreaterThanOrEqual(1);
    expect(stats.lists).toBeGreaterThanOrEqual(2);
    // Unchanged objects are not reported again by the relist.
    expect(seen.of("gone/untouched")).toEqual([]);
    expect(informer.lastSyncResourceVersion()).not.toBe(lastSeen);
    expect((await cache.list(ConfigMap)).items.map((c) => c.metadata?.name).sort()).toEqual(["changed", "created", "untouched"]);
  });

  it("drops and re-establishes a watch that stays open but delivers nothing", async () => {
    const proxy = await StreamProxy.start(cluster);
    closers.push(() => proxy.close());
    const viaProxy = await RestTransport.fromKubeConfig(kubeconfigThrough(cluster.kubeconfig, proxy.port));
    closers.push(() => viaProxy.destroy());
    const writer = await admin();
    await createConfigMap(writer, "stall", "watched", { v: "1" });

    const cache = new InformerCache(viaProxy, new RESTMapper(viaProxy), {
      namespaces: ["stall"],
      reflector: { ...fastRetries, watchInactivityTimeoutMs: 2000 },
    });
    const informer = await cache.getSharedInformer(ConfigMap);
    const seen = new Recorder();
    informer.addEventHandler(seen);
    run(cache);
    expect(await cache.waitForCacheSync(AbortSignal.timeout(20_000))).toBe(true);
    await eventually(() => informer.stats().watching && proxy.openStreams > 0, "the watch being open");

    // The watch stream stays open on a healthy connection but carries nothing more: only the watchdog can notice.
    expect(proxy.stall()).toBe(1);
    await patchConfigMap(writer, "stall", "watched", { data: { v: "2" } });
    await eventually(() => seen.find("update", "stall/watched", (e) => (e.obj as ConfigMap).data?.v === "2"), "the update through a new watch");
    const stats = informer.stats();
    expect(stats.stalledWatches).toBeGreaterThanOrEqual(1);
    // Resumed from its resourceVersion, not relisted.
    expect(stats.lists).toBe(1);
  });

  it("drops only the stalled watch's own stream: other requests on the same connection carry on", async () => {
    const proxy = await StreamProxy.start(cluster);
    closers.push(() => proxy.close());
    const viaProxy = await RestTransport.fromKubeConfig(kubeconfigThrough(cluster.kubeconfig, proxy.port));
    closers.push(() => viaProxy.destroy());
    const writer = await admin();
    await createConfigMap(writer, "stall", "own-stream", { v: "1" });
    const cache = new InformerCache(viaProxy, new RESTMapper(viaProxy), {
      namespaces: ["stall"],
      reflector: { ...fastRetries, watchInactivityTimeoutMs: 2000 },
    });
    const informer = await cache.getSharedInformer(ConfigMap);
    run(cache);
    expect(await cache.waitForCacheSync(AbortSignal.timeout(20_000))).toBe(true);
    await eventually(() => informer.stats().watching && proxy.openStreams > 0, "the watch being open");
    expect(proxy.stall()).toBe(1);

    // Opened after the stall on the same transport, standing for lease renewals, writes and the other watches.
    const stop = new AbortController();
    closers.unshift(async () => stop.abort());
    const other: string[] = [];
    let otherEnded: unknown;
    const otherWatch = (async () => {
      try {
        for await (const batch of viaProxy.watch<{ metadata: { name: string } }>("/api/v1/namespaces/stall/secrets", {}, stop.signal)) {
          for (const e of batch) other.push(`${e.type} ${e.object.metadata.name}`);
        }
        otherEnded = "ended";
      } catch (err) {
        otherEnded = err;
      }
    })();
    await eventually(() => proxy.openStreams >= 2, "the other watch open");
    await eventually(() => informer.stats().stalledWatches >= 1, "the watchdog firing");
    await writer.request("POST", "/api/v1/namespaces/stall/secrets", {
      body: { apiVersion: "v1", kind: "Secret", metadata: { name: "after-the-stall", namespace: "stall" } },
    });
    await eventually(() => other.includes("ADDED after-the-stall"), "the other watch still delivering");
    expect(otherEnded).toBeUndefined();
    stop.abort();
    await otherWatch;
  });

  it("does not count an informer whose creation failed as synced", async () => {
    const t = await admin();
    const cache = new InformerCache(t, new RESTMapper(t));
    run(cache);
    const missing = { apiVersion: "nowhere.example.com/v1", kind: "Missing" };
    const creation = cache.getInformer(missing).catch((err: unknown) => err);
    // Asked while the creation is in flight: it fails (no such kind), so the cache is not synced.
    expect(await cache.waitForCacheSync(AbortSignal.timeout(20_000))).toBe(false);
    expect(String(await creation)).toMatch(/Missing/);
  });
});
