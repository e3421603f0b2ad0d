import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ConfigMap, Secret } from "../src/api/kinds.ts";
import type { KubeObject } from "../src/api/object.ts";
import { RESTMapper } from "../src/client/restmapper.ts";
import { RestTransport } from "../src/client/transport.ts";
import { METADATA_ACCEPT, METADATA_LIST_ACCEPT } from "../src/client/metadata.ts";
import { InformerCache, metadataOnly } from "../src/cache/index.ts";
import { Cluster, controllerManagedBy, Manager } from "../src/index.ts";
import { startCluster, type TestCluster } from "../src/envtest/index.ts";
import { createConfigMap, createNamespace, deleteConfigMap, patchConfigMap, Recorder } from "./support/cache-helpers.ts";
import { eventually } from "../../../test/support/eventually.ts";

const BIG = "x".repeat(200_000);

describe("metadata-only watches on a real API server", () => {
  let cluster: TestCluster;
  let transport: RestTransport;
  let mapper: RESTMapper;
  const stops: AbortController[] = [];
  const running: Promise<void>[] = [];

  beforeAll(async () => {
    cluster = await startCluster({ name: "metadata-only" });
    transport = await RestTransport.fromKubeConfig(cluster.kubeconfig);
    mapper = new RESTMapper(transport);
    for (const ns of ["meta", "meta-ctl"]) await createNamespace(transport, ns);
  });

  afterAll(async () => {
    for (const s of stops) s.abort();
    await Promise.all(running);
    await transport?.close();
    await cluster?.stop();
  });

  it("the server answers the Accept headers with PartialObjectMetadata, for lists and watch events", async () => {
    await createConfigMap(transport, "meta", "probe", { big: BIG });
    const list = await transport.request<{ kind: string; items: KubeObject[] }>("GET", "/api/v1/namespaces/meta/configmaps", {
      accept: METADATA_LIST_ACCEPT,
    });
    expect(list.kind).toBe("PartialObjectMetadataList");
    expect(list.items[0]).toMatchObject({ apiVersion: "meta.k8s.io/v1", kind: "PartialObjectMetadata" });
    expect(list.items[0]).not.toHaveProperty("data");
    const stop = new AbortController();
    const watch = transport.watch<KubeObject>("/api/v1/namespaces/meta/configmaps", { timeoutSeconds: 5 }, stop.signal, METADATA_ACCEPT);
    const first = await watch.next();
    stop.abort();
    await watch.return(undefined);
    const event = (first.value as { object: KubeObject }[])[0]!;
    expect(event.object).toMatchObject({ kind: "PartialObjectMetadata", metadata: { name: "probe" } });
    expect(event.object).not.toHaveProperty("data");
    await deleteConfigMap(transport, "meta", "probe");
  });

  it("the REST client gets and lists metadataOnly(Kind) as PartialObjectMetadata typed as the kind", async () => {
    const reader = await Cluster.create(cluster.kubeconfig);
    await createConfigMap(transport, "meta", "direct", { big: BIG });
    const one = await reader.apiReader.get(metadataOnly(ConfigMap), { namespace: "meta", name: "direct" });
    expect(one).toEqual({ apiVersion: "v1", kind: "ConfigMap", metadata: expect.objectContaining({ name: "direct" }) });
    const list = await reader.apiReader.list(metadataOnly(ConfigMap), { namespace: "meta" });
    expect(list.kind).toBe("ConfigMapList");
    expect(list.items.find((o) => o.metadata.name === "direct")).toEqual(one);
    await deleteConfigMap(transport, "meta", "direct");
    await reader.transport.destroy();
  });

  it("a metadata-only informer holds no data, sees adds, updates and deletes, and is separate from the full one", async () => {
    for (let i = 0; i < 5; i++) await createConfigMap(transport, "meta", `big-${i}`, { big: BIG }, { set: "big" });
    const cache = new InformerCache(transport, mapper, { namespaces: ["meta"] });
    const stop = new AbortController();
    stops.push(stop);
    running.push(cache.start(stop.signal));
    const informer = await cache.getSharedInformer(metadataOnly(ConfigMap));
    const recorder = new Recorder();
    informer.addEventHandler(recorder);
    expect(await informer.waitForSync()).toBe(true);

    const listed = await cache.list(metadataOnly(ConfigMap), { namespace: "meta", labelSelector: { set: "big" } });
    expect(listed.items).toHaveLength(5);
    for (const item of informer.store.values()) {
      expect(Object.keys(item).sort()).toEqual(["apiVersion", "kind", "metadata"]);
      expect(item).toMatchObject({ apiVersion: "v1", kind: "ConfigMap" });
    }
    expect(JSON.stringify(informer.store.list()).length).toBeLessThan(BIG.length);

    await createConfigMap(transport, "meta", "later", { big: BIG });
    await eventually(() => recorder.find("add", "meta/later", (e) => !e.initial), "the add of meta/later");
    await patchConfigMap(transport, "meta", "later", { metadata: { labels: { touched: "yes" } } });
    const update = await eventually(() => recorder.find("update", "meta/later"), "the update of meta/later");
    expect(update.obj.metadata?.labels).toEqual({ touched: "yes" });
    expect(update.obj).not.toHaveProperty("data");
    await deleteConfigMap(transport, "meta", "later");
    await eventually(() => recorder.find("delete", "meta/later"), "the delete of meta/later");
    await expect(cache.get(metadataOnly(ConfigMap), { namespace: "meta", name: "later" })).rejects.toThrow(/not found/);

    const got = await cache.get(metadataOnly(ConfigMap), { namespace: "meta", name: "big-0" });
    expect(got.metadata.name).toBe("big-0");
    // The full informer is another one, with the data.
    const full = await cache.get(ConfigMap, { namespace: "meta", name: "big-0" });
    expect(full.data?.big).toBe(BIG);
    expect(await cache.getSharedInformer(ConfigMap)).not.toBe(informer);
  });

  it("streams a metadata-only initial list through a watch when streaming lists are on", async () => {
    for (let i = 0; i < 3; i++) await createConfigMap(transport, "meta-ctl", `streamed-${i}`, { big: BIG });
    const cache = new InformerCache(transport, mapper, { namespaces: ["meta-ctl"], reflector: { streamingLists: true } });
    const stop = new AbortController();
    stops.push(stop);
    running.push(cache.start(stop.signal));
    const informer = await cache.getSharedInformer(metadataOnly(ConfigMap));
    expect(await informer.waitForSync()).toBe(true);
    expect(informer.stats()).toMatchObject({ listPages: 0, lists: 1 });
    const names = informer.listAll().map((o) => o.metadata.name);
    expect(names).toEqual(expect.arrayContaining(["streamed-0", "streamed-1", "streamed-2"]));
    for (const item of informer.listAll()) expect(item).not.toHaveProperty("data");
    for (let i = 0; i < 3; i++) await deleteConfigMap(transport, "meta-ctl", `streamed-${i}`);
  });

  it("owns(ConfigMap, { metadataOnly: true }) reconciles the owner when an owned ConfigMap changes", async () => {
    const mgr = await Manager.create({ kubeconfig: cluster.kubeconfig });
    const reconciled: string[] = [];
    const updatesSeen: string[] = [];
    await controllerManagedBy(mgr)
      .for(Secret)
      .owns(ConfigMap, {
        metadataOnly: true,
        // Typed PartialObjectMetadata<ConfigMap>: metadata is always there, data never.
        predicates: [{ update: (e) => (updatesSeen.push(`${e.objectNew.metadata.name}:${"data" in e.objectNew}`), true) }],
      })
      .named("meta-owner")
      .complete(async (req) => {
        if (req.namespace === "meta-ctl") reconciled.push(req.name);
      });
    const stop = new AbortController();
    const run = mgr.start(stop.signal);
    try {
      const owner = await mgr.client.create<Secret>({ apiVersion: "v1", kind: "Secret", metadata: { name: "owner", namespace: "meta-ctl" } });
      await eventually(() => reconciled.includes("owner"), "the owner's first reconcile");
      await mgr.client.create<ConfigMap>({
        apiVersion: "v1",
        kind: "ConfigMap",
        metadata: {
          name: "owned",
          namespace: "meta-ctl",
          ownerReferences: [{ apiVersion: "v1", kind: "Secret", name: "owner", uid: owner.metadata!.uid!, controller: true }],
        },
        data: { big: BIG },
      });
      const informer = await (mgr.cache as InformerCache).getSharedInformer(metadataOnly(ConfigMap));
      await eventually(() => informer.getByKey({ namespace: "meta-ctl", name: "owned" }), "the owned ConfigMap in the cache");
      expect(informer.getByKey({ namespace: "meta-ctl", name: "owned" })).not.toHaveProperty("data");
      const before = reconciled.length;
      await patchConfigMap(transport, "meta-ctl", "owned", { data: { big: "changed" } });
      await eventually(() => reconciled.length > before && reconciled.slice(before).includes("owner"), "a reconcile of the owner after the change");
      expect(updatesSeen).toContain("owned:false");
    } finally {
      stop.abort();
      await run;
    }
  });
});
