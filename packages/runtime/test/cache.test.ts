import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ConfigMap, Secret } from "../src/api/kinds.ts";
import { RESTMapper } from "../src/client/restmapper.ts";
import {
  CacheNotStartedError,
  InformerCache,
  MissingIndexError,
  UnknownNamespaceError,
  transformStripManagedFields,
} from "../src/cache/index.ts";
import { isNotFound } from "../src/client/errors.ts";
import { registry } from "../src/metrics/registry.ts";
import { RestTransport } from "../src/client/transport.ts";
import { startCluster, type TestCluster } from "../src/envtest/index.ts";
import {
  createConfigMap,
  createNamespace,
  deleteConfigMap,
  forEachLimit,
  patchConfigMap,
  Recorder,
} from "./support/cache-helpers.ts";
import { eventually } from "../../../test/support/eventually.ts";

const owner = (cm: ConfigMap) => (cm.data?.owner ? [cm.data.owner] : []);

describe("InformerCache on a real API server", () => {
  let cluster: TestCluster;
  let transport: RestTransport;
  let mapper: RESTMapper;
  const stops: AbortController[] = [];
  const running: Promise<void>[] = [];

  /** A started cache that the file's teardown stops. */
  function started(cache: InformerCache): InformerCache {
    const stop = new AbortController();
    stops.push(stop);
    running.push(cache.start(stop.signal));
    return cache;
  }

  beforeAll(async () => {
    cluster = await startCluster({ name: "cache" });
    transport = await RestTransport.fromKubeConfig(cluster.kubeconfig);
    mapper = new RESTMapper(transport);
    for (const ns of ["big", "events", "team-a", "team-b", "team-c", "idx-1", "idx-2"]) await createNamespace(transport, ns);
  });

  afterAll(async () => {
    for (const s of stops) s.abort();
    await Promise.all(running);
    await transport?.close();
    await cluster?.stop();
  });

  it("streams the initial list through one watch when asked, ending it at the end-of-list bookmark", async () => {
    for (let i = 0; i < 30; i++) await createConfigMap(transport, "team-c", `streamed-${i}`, { n: String(i) });
    const cache = new InformerCache(transport, mapper, { namespaces: ["team-c"], reflector: { streamingLists: true } });
    const informer = await cache.getSharedInformer(ConfigMap);
    const recorder = new Recorder();
    informer.addEventHandler(recorder);
    started(cache);
    expect(await cache.waitForCacheSync(AbortSignal.timeout(30_000))).toBe(true);
    expect(informer.stats().lists).toBe(1);
    expect(informer.stats().listPages).toBe(0);
    const initial = recorder.events.filter((e) => e.type === "add" && e.key.startsWith("team-c/streamed-"));
    expect(initial).toHaveLength(30);
    expect(initial.every((e) => e.type === "add" && e.initial)).toBe(true);
    // The same request goes on as the watch.
    await createConfigMap(transport, "team-c", "streamed-after", { n: "after" });
    await eventually(() => recorder.find("add", "team-c/streamed-after", (e) => !e.initial), "add after the list");
    expect(informer.stats().watches).toBe(1);
  });

  it("lists 1,200 ConfigMaps in pages of 500, then streams adds, updates and deletes to handlers", async () => {
    const names = Array.from({ length: 1200 }, (_, i) => `cm-${String(i).padStart(4, "0")}`);
    await forEachLimit(names, 24, (name) => createConfigMap(transport, "big", name, { n: name }));

    const cache = new InformerCache(transport, mapper);
    const informer = await cache.getSharedInformer(ConfigMap);
    expect(await cache.getInformer(ConfigMap)).toBe(informer);
    const early = new Recorder();
    const registration = informer.addEventHandler(early);
    expect(registration.hasSynced()).toBe(false);
    // Created but not run before start.
    expect(informer.isRunning).toBe(false);
    await expect(cache.get(ConfigMap, { namespace: "big", name: "cm-0000" })).rejects.toBeInstanceOf(CacheNotStartedError);

    started(cache);
    expect(await cache.waitForCacheSync(AbortSignal.timeout(30_000))).toBe(true);
    expect(registration.hasSynced()).toBe(true);
    expect(informer.stats().listPages).toBeGreaterThanOrEqual(3);
    expect(informer.stats().lists).toBe(1);

    const initial = early.events.filter((e) => e.type === "add" && e.key.startsWith("big/"));
    expect(initial).toHaveLength(1200);
    expect(initial.every((e) => e.type === "add" && e.initial)).toBe(true);
    const list = await cache.list(ConfigMap, { namespace: "big" });
    expect(list.items).toHaveLength(1200);
    expect(list.kind).toBe("ConfigMapList");
    expect(list.metadata.resourceVersion).toBeTruthy();
    expect(list.items.every((cm) => cm.apiVersion === "v1" && cm.kind === "ConfigMap")).toBe(true);
    const gauge = await registry.getSingleMetricAsString("informer_cache_objects");
    expect(Number(/informer_cache_objects\{kind="v1\/ConfigMap"\} (\d+)/.exec(gauge)?.[1])).toBeGreaterThanOrEqual(1200);

    early.clear();
    await createConfigMap(transport, "events", "ev", { v: "1" });
    await eventually(() => early.find("add", "events/ev", (e) => !e.initial), "add event");
    await patchConfigMap(transport, "events", "ev", { data: { v: "2" } });
    const update = await eventually(() => early.find("update", "events/ev"), "update event");
    expect((update.old as ConfigMap).data?.v).toBe("1");
    expect((update.obj as ConfigMap).data?.v).toBe("2");
    await deleteConfigMap(transport, "events", "ev");
    const deletion = await eventually(() => early.find("delete", "events/ev"), "delete event");
    expect(deletion.unknown).toBe(false);
    expect(early.of("events/ev").map((e) => e.type)).toEqual(["add", "update", "delete"]);
    await expect(cache.get(ConfigMap, { namespace: "events", name: "ev" })).rejects.toSatisfy(isNotFound);

    // A handler added to a running informer is first given everything as initial adds, then the stream.
    const late = new Recorder();
    const lateRegistration = informer.addEventHandler(late);
    expect(lateRegistration.hasSynced()).toBe(true);
    expect(late.events.filter((e) => e.key.startsWith("big/"))).toHaveLength(1200);
    expect(late.events.every((e) => e.type === "add" && e.initial)).toBe(true);
    late.clear();
    await patchConfigMap(transport, "big", "cm-0001", { data: { n: "changed" } });
    await eventually(() => late.find("update", "big/cm-0001"), "update to the late handler");

    // A removed handler hears nothing more, while the others do.
    lateRegistration.remove();
    late.clear();
    await patchConfigMap(transport, "big", "cm-0002", { data: { n: "changed" } });
    await eventually(() => early.find("update", "big/cm-0002"), "update after removal");
    expect(late.events).toEqual([]);
  });

  it("keeps delivering to other handlers when one throws", async () => {
    const cache = started(new InformerCache(transport, mapper, { namespaces: ["events"] }));
    const informer = await cache.getInformer(ConfigMap);
    informer.addEventHandler({
      onAdd: () => {
        throw new Error("handler bug");
      },
      onUpdate: async () => {
        throw new Error("async handler bug");
      },
    });
    const good = new Recorder();
    informer.addEventHandler(good);
    expect(await informer.waitForSync(AbortSignal.timeout(20_000))).toBe(true);
    await createConfigMap(transport, "events", "after-throw", { v: "1" });
    await eventually(() => good.find("add", "events/after-throw"), "add despite a throwing handler");
    await patchConfigMap(transport, "events", "after-throw", { data: { v: "2" } });
    await eventually(() => good.find("update", "events/after-throw"), "update despite a throwing handler");
  });

  it("restricts by namespaces and label selector, per kind, with a transform", async () => {
    for (const ns of ["team-a", "team-b", "team-c"]) {
      await createConfigMap(transport, ns, "web", {}, { app: "web" });
      await createConfigMap(transport, ns, "db", {}, { app: "db" });
      await createConfigMap(transport, ns, "skipped", {}, { app: "web", skip: "yes" });
      await transport.request("POST", `/api/v1/namespaces/${ns}/secrets`, {
        body: { apiVersion: "v1", kind: "Secret", metadata: { name: "s", namespace: ns }, stringData: { k: "v" } },
      });
    }
    const cache = started(
      new InformerCache(transport, mapper, {
        namespaces: ["team-a", "team-b"],
        defaultTransform: transformStripManagedFields(),
        byObject: [{ type: ConfigMap, options: { labelSelector: "app in (web,db),!skip" } }],
      }),
    );
    const cms = await cache.list(ConfigMap);
    expect(cms.items.map((c) => `${c.metadata?.namespace}/${c.metadata?.name}`).sort()).toEqual([
      "team-a/db",
      "team-a/web",
      "team-b/db",
      "team-b/web",
    ]);
    expect(cms.items.every((c) => c.metadata?.managedFields === undefined)).toBe(true);
    expect((await cache.list(ConfigMap, { namespace: "team-b", labelSelector: { app: "web" } })).items).toHaveLength(1);
    expect((await cache.list(ConfigMap, { labelSelector: "app!=web" })).items.map((c) => c.metadata?.name)).toEqual(["db", "db"]);
    await expect(cache.list(ConfigMap, { namespace: "team-c" })).rejects.toBeInstanceOf(UnknownNamespaceError);
    await expect(cache.get(Secret, { namespace: "team-c", name: "s" })).rejects.toBeInstanceOf(UnknownNamespaceError);
    // Secrets are read lazily: the first read starts their informer (one reflector per namespace) and waits for it.
    expect((await cache.list(Secret)).items.map((s) => s.metadata?.namespace).sort()).toEqual(["team-a", "team-b"]);
    const secret = await cache.get(Secret, { namespace: "team-a", name: "s" });
    expect(secret.data?.k).toBe(Buffer.from("v").toString("base64"));
    expect(secret.metadata?.managedFields).toBeUndefined();

    // Objects entering and leaving the selector arrive as adds and deletes.
    const informer = await cache.getInformer(ConfigMap);
    const seen = new Recorder();
    informer.addEventHandler(seen);
    seen.clear();
    await patchConfigMap(transport, "team-a", "skipped", { metadata: { labels: { skip: null } } });
    await eventually(() => seen.find("add", "team-a/skipped"), "object entering the selector");
    await patchConfigMap(transport, "team-a", "web", { metadata: { labels: { skip: "now" } } });
    await eventually(() => seen.find("delete", "team-a/web"), "object leaving the selector");
    await createConfigMap(transport, "team-c", "web2", {}, { app: "web" });
    await createConfigMap(transport, "team-b", "web2", {}, { app: "web" });
    await eventually(() => seen.find("add", "team-b/web2"), "add in a watched namespace");
    expect(seen.of("team-c/web2")).toEqual([]);
  });

  it("answers matchingFields from per-namespace field indexes and keeps them current", async () => {
    const cache = new InformerCache(transport, mapper, { namespaces: ["idx-1", "idx-2"] });
    await cache.indexField(ConfigMap, "data.owner", owner);
    await expect(cache.indexField(ConfigMap, "data.owner", owner)).rejects.toThrow(/already indexed/);
    started(cache);
    for (const ns of ["idx-1", "idx-2"]) {
      await createConfigMap(transport, ns, "a", { owner: "alice" });
      await createConfigMap(transport, ns, "b", { owner: "bob" });
    }
    await createConfigMap(transport, "idx-1", "c", { owner: "alice" });
    const keys = async (opts: Parameters<InformerCache["list"]>[1]) =>
      (await cache.list(ConfigMap, opts)).items.map((c) => `${c.metadata?.namespace}/${c.metadata?.name}`).sort();

    await eventually(async () => (await keys({ matchingFields: { "data.owner": "alice" } })).length === 3, "indexed objects");
    expect(await keys({ matchingFields: { "data.owner": "alice" } })).toEqual(["idx-1/a", "idx-1/c", "idx-2/a"]);
    expect(await keys({ namespace: "idx-2", matchingFields: { "data.owner": "alice" } })).toEqual(["idx-2/a"]);
    expect(await keys({ namespace: "idx-1", fieldSelector: "data.owner=bob" })).toEqual(["idx-1/b"]);
    expect(await keys({ fieldSelector: { "metadata.name": "c" } })).toEqual(["idx-1/c"]);
    await expect(cache.list(ConfigMap, { matchingFields: { "data.other": "x" } })).rejects.toBeInstanceOf(MissingIndexError);

    await patchConfigMap(transport, "idx-1", "c", { data: { owner: "bob" } });
    await eventually(async () => (await keys({ namespace: "idx-1", matchingFields: { "data.owner": "bob" } })).length === 2, "re-indexed update");
    expect(await keys({ namespace: "idx-1", matchingFields: { "data.owner": "alice" } })).toEqual(["idx-1/a"]);
    await deleteConfigMap(transport, "idx-1", "a");
    await eventually(async () => (await keys({ matchingFields: { "data.owner": "alice" } })).length === 1, "index after delete");

    // The informer's own index API sees the same namespaced values.
    const informer = await cache.getInformer(ConfigMap);
    expect(informer.byIndex("field:data.owner", "idx-2/bob").map((c) => c.metadata?.name)).toEqual(["b"]);
  });

  it("returns deep copies unless told not to", async () => {
    await createConfigMap(transport, "events", "copy-me", { v: "1" });
    const safe = started(new InformerCache(transport, mapper, { namespaces: ["events"] }));
    const unsafe = started(new InformerCache(transport, mapper, { namespaces: ["events"], unsafeDisableDeepCopy: true }));
    const key = { namespace: "events", name: "copy-me" };
    const got = await safe.get(ConfigMap, key);
    got.data!.v = "mutated";
    expect((await safe.get(ConfigMap, key)).data?.v).toBe("1");
    const listed = (await safe.list(ConfigMap)).items.find((c) => c.metadata?.name === "copy-me")!;
    expect(listed).not.toBe(await safe.get(ConfigMap, key));
    const shared = await unsafe.get(ConfigMap, key);
    expect(await unsafe.get(ConfigMap, key)).toBe(shared);
    expect(shared).toBe((await unsafe.getInformer(ConfigMap)).getByKey(key));
  });

  it("removeInformer stops the kind's watch, and a later read starts a new informer", async () => {
    const own = await RestTransport.fromKubeConfig(cluster.kubeconfig);
    const cache = new InformerCache(own, new RESTMapper(own), { namespaces: ["events"] });
    const stop = new AbortController();
    const done = cache.start(stop.signal);
    try {
      const first = await cache.getSharedInformer(ConfigMap);
      expect(await first.waitForSync(AbortSignal.timeout(20_000))).toBe(true);
      await eventually(() => first.stats().watching, "watch open");
      await cache.removeInformer(ConfigMap);
      expect(first.isStopped).toBe(true);
      expect(first.stats().watching).toBe(false);
      const seen = new Recorder();
      first.addEventHandler(seen);
      seen.clear();

      const second = await cache.getSharedInformer(ConfigMap);
      expect(second).not.toBe(first);
      await createConfigMap(transport, "events", "after-remove", {});
      await eventually(async () => (await cache.get(ConfigMap, { namespace: "events", name: "after-remove" })).metadata?.uid, "new informer");
      expect(seen.events).toEqual([]);
      await cache.removeInformer(ConfigMap);
      // With no informer left, no request is in flight: close() would wait forever for an open watch.
      await Promise.race([
        own.close(),
        new Promise((_, reject) => setTimeout(() => reject(new Error("a request is still open")), 10_000).unref()),
      ]);
    } finally {
      stop.abort();
      await done;
      await own.destroy();
    }
  });

  it("leaves no timer or socket behind once stopped", async () => {
    const counts = () => {
      const out: Record<string, number> = {};
      for (const r of process.getActiveResourcesInfo()) out[r] = (out[r] ?? 0) + 1;
      return { timers: out.Timeout ?? 0, sockets: (out.TCPSocketWrap ?? 0) + (out.TLSWrap ?? 0) };
    };
    const baseline = counts();
    const own = await RestTransport.fromKubeConfig(cluster.kubeconfig);
    const cache = new InformerCache(own, new RESTMapper(own), {
      namespaces: ["events", "team-a"],
      reflector: { watchTimeoutSeconds: { min: 60, max: 90 } },
    });
    await cache.indexField(ConfigMap, "data.owner", owner);
    const stop = new AbortController();
    const done = cache.start(stop.signal);
    const seen = new Recorder();
    (await cache.getInformer(ConfigMap)).addEventHandler(seen);
    await cache.list(Secret);
    expect(await cache.waitForCacheSync(AbortSignal.timeout(20_000))).toBe(true);
    await createConfigMap(transport, "events", "leak-check", {});
    await eventually(() => seen.find("add", "events/leak-check"), "event before stop");
    expect(counts().sockets).toBeGreaterThan(baseline.sockets);

    stop.abort();
    await done;
    await own.close();
    const after = await eventually(() => {
      const c = counts();
      if (c.timers > baseline.timers || c.sockets > baseline.sockets) {
        throw new Error(`now ${JSON.stringify(c)}, baseline ${JSON.stringify(baseline)}`);
      }
      return c;
    }, "timers and sockets back to baseline", 10_000);
    expect(after.sockets).toBeLessThanOrEqual(baseline.sockets);
  });
});
