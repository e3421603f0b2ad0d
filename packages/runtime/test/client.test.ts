import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ClusterRole, ConfigMap, Deployment, Secret } from "../src/api/kinds.ts";
import { type KubeObject, type ObjectKey, type ObjectList, type ResourceType, resourceType } from "../src/api/object.ts";
import {
  ApiError,
  ignoreNotFound,
  isAlreadyExists,
  isConflict,
  isForbidden,
  isInvalid,
  isNoMatch,
  isNotFound,
  mergeFrom,
  newClient,
  NoKindMatchError,
  Patch,
  type Reader,
  RestClient,
  unstructuredType,
} from "../src/client/index.ts";
import { startCluster, type TestCluster } from "../src/envtest/index.ts";
import { FakeClientBuilder } from "../src/fake/index.ts";
import { kubeconfigThrough, LoopbackProxy } from "./support/cache-proxy.ts";

interface Widget extends KubeObject {
  spec?: { size?: number; color?: string };
  status?: { phase?: string; observedGeneration?: number };
}
const Widget = resourceType<Widget>("test.operator-ts.dev/v1", "Widget");

const widgetCRD = {
  apiVersion: "apiextensions.k8s.io/v1",
  kind: "CustomResourceDefinition",
  metadata: { name: "widgets.test.operator-ts.dev" },
  spec: {
    group: "test.operator-ts.dev",
    names: { kind: "Widget", listKind: "WidgetList", plural: "widgets", singular: "widget" },
    scope: "Namespaced",
    versions: [
      {
        name: "v1",
        served: true,
        storage: true,
        subresources: { status: {} },
        schema: {
          openAPIV3Schema: {
            type: "object",
            properties: {
              spec: {
                type: "object",
                properties: { size: { type: "integer", minimum: 0 }, color: { type: "string" } },
              },
              status: {
                type: "object",
                properties: { phase: { type: "string" }, observedGeneration: { type: "integer" } },
              },
            },
          },
        },
      },
    ],
  },
};

const cm = (name: string, data: Record<string, string> = {}, labels?: Record<string, string>, namespace = "default"): ConfigMap => ({
  apiVersion: "v1",
  kind: "ConfigMap",
  metadata: { name, namespace, ...(labels ? { labels } : {}) },
  data,
});

const deployment = (name: string, containers: { name: string; image: string }[]): Deployment => ({
  apiVersion: "apps/v1",
  kind: "Deployment",
  metadata: { name, namespace: "default" },
  spec: {
    replicas: 1,
    selector: { matchLabels: { app: name } },
    template: { metadata: { labels: { app: name } }, spec: { containers } },
  },
});

async function createNamespace(client: RestClient, name: string): Promise<void> {
  await client.create({ apiVersion: "v1", kind: "Namespace", metadata: { name } });
}

describe("RestClient on a real API server", () => {
  let cluster: TestCluster;
  let client: RestClient;
  let dir: string;

  beforeAll(async () => {
    cluster = await startCluster({ name: "client" });
    dir = await mkdtemp(join(tmpdir(), "operator-ts-client-test-"));
    await writeFile(join(dir, "widgets.json"), JSON.stringify(widgetCRD));
    await cluster.installCRDs([dir]);
    client = await RestClient.fromKubeConfig(cluster.kubeconfig, { fieldManager: "client-test" });
  });

  afterAll(async () => {
    await client?.close();
    await cluster?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("creates, reads, lists, updates and deletes ConfigMaps", async () => {
    const created = await client.create(cm("crud", { a: "1" }, { app: "crud" }));
    expect(created.apiVersion).toBe("v1");
    expect(created.kind).toBe("ConfigMap");
    expect(created.metadata?.uid).toMatch(/[0-9a-f-]{36}/);
    expect(created.data).toEqual({ a: "1" });

    const got = await client.get(ConfigMap, { namespace: "default", name: "crud" });
    expect(got.metadata?.resourceVersion).toBe(created.metadata?.resourceVersion);
    expect(got.kind).toBe("ConfigMap");

    const updated = await client.update({ ...got, data: { a: "2" } });
    expect(updated.data).toEqual({ a: "2" });
    expect(updated.metadata?.resourceVersion).not.toBe(got.metadata?.resourceVersion);

    const stale = await client.update({ ...got, data: { a: "3" } }).catch((e: unknown) => e);
    expect(isConflict(stale)).toBe(true);

    const again = await client.create(cm("crud")).catch((e: unknown) => e);
    expect(isAlreadyExists(again)).toBe(true);
    expect(isConflict(again)).toBe(false);

    await client.delete(updated);
    const gone = await client.get(ConfigMap, { namespace: "default", name: "crud" }).catch((e: unknown) => e);
    expect(isNotFound(gone)).toBe(true);
    expect(gone).toBeInstanceOf(ApiError);
    expect(await client.get(ConfigMap, { namespace: "default", name: "crud" }).catch(ignoreNotFound)).toBeUndefined();
    await expect(client.get(ConfigMap, { name: "x", namespace: "default" }).then(() => 1, () => 2)).resolves.toBe(2);
  });

  it("fills apiVersion and kind on list items and honours selectors, namespaces and pages", async () => {
    await createNamespace(client, "lists");
    for (let i = 0; i < 5; i++) {
      await client.create(cm(`item-${i}`, {}, { app: "lists", parity: i % 2 ? "odd" : "even" }, "lists"));
    }
    await client.create(cm("elsewhere", {}, { app: "lists" }));

    const all = await client.list(ConfigMap, { namespace: "lists", labelSelector: { app: "lists" } });
    expect(all.kind).toBe("ConfigMapList");
    expect(all.items.map((i) => i.metadata?.name)).toEqual(["item-0", "item-1", "item-2", "item-3", "item-4"]);
    for (const item of all.items) {
      expect(item.apiVersion).toBe("v1");
      expect(item.kind).toBe("ConfigMap");
    }
    const everywhere = await client.list(ConfigMap, { labelSelector: "app=lists" });
    expect(everywhere.items).toHaveLength(6);

    const odd = await client.list(ConfigMap, { namespace: "lists", labelSelector: "app=lists,parity in (odd)" });
    expect(odd.items.map((i) => i.metadata?.name)).toEqual(["item-1", "item-3"]);

    const byField = await client.list(ConfigMap, { namespace: "lists", fieldSelector: { "metadata.name": "item-2" } });
    expect(byField.items.map((i) => i.metadata?.name)).toEqual(["item-2"]);
    const byMatching = await client.list(ConfigMap, { namespace: "lists", matchingFields: { "metadata.name": "item-3" } });
    expect(byMatching.items.map((i) => i.metadata?.name)).toEqual(["item-3"]);

    const names: string[] = [];
    let page: ObjectList<ConfigMap> | undefined;
    let pages = 0;
    do {
      page = await client.list(ConfigMap, { namespace: "lists", limit: 2, continue: page?.metadata.continue });
      pages++;
      names.push(...page.items.map((i) => i.metadata?.name ?? ""));
    } while (page.metadata.continue);
    expect(pages).toBe(3);
    expect(names).toEqual(["item-0", "item-1", "item-2", "item-3", "item-4"]);
  });

  it("does not persist dry-run writes", async () => {
    const dry = await client.create(cm("dry", { a: "1" }), { dryRun: true });
    expect(dry.metadata?.name).toBe("dry");
    expect(isNotFound(await client.get(ConfigMap, { namespace: "default", name: "dry" }).catch((e: unknown) => e))).toBe(true);
  });

  it("turns invalid objects into isInvalid errors", async () => {
    const err = await client.create(cm("Not_A_Valid_Name")).catch((e: unknown) => e);
    expect(isInvalid(err)).toBe(true);
    const widget = await client
      .create<Widget>({ apiVersion: Widget.apiVersion, kind: Widget.kind, metadata: { name: "neg", namespace: "default" }, spec: { size: -1 } })
      .catch((e: unknown) => e);
    expect(isInvalid(widget)).toBe(true);
  });

  it("creates, updates and patches Deployments, strategic merges by container name", async () => {
    const created = await client.create(deployment("web", [{ name: "app", image: "nginx:1" }, { name: "sidecar", image: "envoy:1" }]));
    expect(created.kind).toBe("Deployment");
    expect(created.metadata?.generation).toBe(1);

    const strategic = await client.patch(created, Patch.strategic({ spec: { template: { spec: { containers: [{ name: "app", image: "nginx:2" }] } } } }));
    expect(strategic.spec?.template.spec?.containers.map((c) => `${c.name}=${c.image}`)).toEqual(["app=nginx:2", "sidecar=envoy:1"]);
    expect(strategic.metadata?.generation).toBe(2);

    const merged = await client.patch(created, Patch.merge({ spec: { template: { spec: { containers: [{ name: "only", image: "busybox" }] } } } }));
    expect(merged.spec?.template.spec?.containers.map((c) => c.name)).toEqual(["only"]);

    const fetched = await client.get(Deployment, { namespace: "default", name: "web" });
    const updated = await client.update({ ...fetched, spec: { ...fetched.spec!, replicas: 3 } });
    expect(updated.spec?.replicas).toBe(3);
    expect(updated.apiVersion).toBe("apps/v1");
    await client.delete(updated, { propagationPolicy: "Foreground" });
  });

  it("applies merge patches, JSON patches and mergeFrom with an optimistic lock", async () => {
    const base = await client.create(cm("patches", { a: "1", b: "2" }));
    const merged = await client.patch(base, Patch.merge({ data: { b: null, c: "3" } }));
    expect(merged.data).toEqual({ a: "1", c: "3" });

    const jsonPatched = await client.patch(
      base,
      Patch.json([
        { op: "test", path: "/data/a", value: "1" },
        { op: "replace", path: "/data/a", value: "10" },
        { op: "add", path: "/metadata/labels", value: { patched: "yes" } },
      ]),
    );
    expect(jsonPatched.data).toEqual({ a: "10", c: "3" });
    expect(jsonPatched.metadata?.labels).toEqual({ patched: "yes" });

    const failedTest = await client.patch(base, Patch.json([{ op: "test", path: "/data/a", value: "nope" }])).catch((e: unknown) => e);
    expect(failedTest).toBeInstanceOf(ApiError);
    expect(isInvalid(failedTest)).toBe(true);

    const modified = { ...jsonPatched, data: { ...jsonPatched.data, d: "4" } };
    const locked = await client.patch(modified, mergeFrom(jsonPatched, modified, { optimisticLock: true }));
    expect(locked.data).toEqual({ a: "10", c: "3", d: "4" });
    const staleLock = await client
      .patch(modified, mergeFrom(jsonPatched, { ...modified, data: { e: "5" } }, { optimisticLock: true }))
      .catch((e: unknown) => e);
    expect(isConflict(staleLock)).toBe(true);
  });

  it("server-side applies with field managers: conflicts, force, the client's default manager", async () => {
    const applied = await client.patch(cm("ssa"), Patch.apply(cm("ssa", { color: "red" })));
    expect(applied.data).toEqual({ color: "red" });
    expect(applied.metadata?.managedFields?.map((f) => (f as { manager: string }).manager)).toContain("client-test");

    const other = await client
      .patch(cm("ssa"), Patch.apply(cm("ssa", { color: "blue" })), { fieldManager: "other-team" })
      .catch((e: unknown) => e);
    expect(isConflict(other)).toBe(true);
    expect(String((other as ApiError).message)).toContain("conflict");

    const forced = await client.patch(cm("ssa"), Patch.apply(cm("ssa", { color: "blue" })), { fieldManager: "other-team", force: true });
    expect(forced.data).toEqual({ color: "blue" });
    const managers = forced.metadata?.managedFields?.map((f) => (f as { manager: string }).manager);
    expect(managers).toContain("other-team");

    // Without any field manager, apply is refused before anything is sent.
    const bare = new RestClient(client.transport, { mapper: client.mapper });
    await expect(bare.patch(cm("ssa"), Patch.apply(cm("ssa", { color: "green" })))).rejects.toThrow(/fieldManager/);
  });

  it("writes custom resources and their status subresource separately", async () => {
    const created = await client.create<Widget>({
      apiVersion: Widget.apiVersion,
      kind: Widget.kind,
      metadata: { name: "w1", namespace: "default" },
      spec: { size: 1 },
      status: { phase: "Ignored" },
    });
    expect(created.status).toBeUndefined();
    expect(created.metadata?.generation).toBe(1);

    const withStatus = await client.status().update({ ...created, status: { phase: "Ready", observedGeneration: 1 } });
    expect(withStatus.status).toEqual({ phase: "Ready", observedGeneration: 1 });
    expect(withStatus.metadata?.generation).toBe(1);

    const updated = await client.update({ ...withStatus, spec: { size: 2 }, status: { phase: "Hacked" } });
    expect(updated.spec?.size).toBe(2);
    expect(updated.status?.phase).toBe("Ready");
    expect(updated.metadata?.generation).toBe(2);

    const statusPatched = await client.status().patch(updated, Patch.merge({ status: { phase: "Scaling" }, spec: { size: 9 } }));
    expect(statusPatched.status?.phase).toBe("Scaling");
    expect(statusPatched.spec?.size).toBe(2);

    const applied = await client.status().patch(
      updated,
      Patch.apply({ apiVersion: Widget.apiVersion, kind: Widget.kind, metadata: { name: "w1", namespace: "default" }, status: { phase: "Applied" } } as Widget),
      { force: true },
    );
    expect(applied.status?.phase).toBe("Applied");

    const listed = await client.list(Widget, { namespace: "default" });
    expect(listed.items.map((w) => [w.apiVersion, w.kind, w.metadata?.name])).toEqual([[Widget.apiVersion, "Widget", "w1"]]);
  });

  it("deletes with preconditions", async () => {
    const obj = await client.create(cm("preconditions"));
    const wrongUid = await client.delete(obj, { preconditions: { uid: "00000000-0000-0000-0000-000000000000" } }).catch((e: unknown) => e);
    expect(isConflict(wrongUid)).toBe(true);
    const wrongVersion = await client.delete(obj, { preconditions: { resourceVersion: "1" } }).catch((e: unknown) => e);
    expect(isConflict(wrongVersion)).toBe(true);
    expect(await client.get(ConfigMap, { namespace: "default", name: "preconditions" })).toBeDefined();
    await client.delete(obj, { preconditions: { uid: obj.metadata?.uid, resourceVersion: obj.metadata?.resourceVersion }, gracePeriodSeconds: 0 });
    expect(isNotFound(await client.get(ConfigMap, { namespace: "default", name: "preconditions" }).catch((e: unknown) => e))).toBe(true);
    expect(isNotFound(await client.delete(obj).catch((e: unknown) => e))).toBe(true);
  });

  it("deletes all of a kind matching a label selector, namespaced and cluster-scoped", async () => {
    await createNamespace(client, "sweep");
    for (const name of ["s1", "s2", "s3"]) await client.create(cm(name, {}, { sweep: "yes" }, "sweep"));
    await client.create(cm("keep", {}, { sweep: "no" }, "sweep"));
    await client.create(cm("other-ns", {}, { sweep: "yes" }));
    await client.deleteAllOf(ConfigMap, { namespace: "sweep", labelSelector: { sweep: "yes" } });
    const left = await client.list(ConfigMap, { namespace: "sweep", labelSelector: "sweep" });
    expect(left.items.map((i) => i.metadata?.name)).toEqual(["keep"]);
    expect((await client.get(ConfigMap, { namespace: "default", name: "other-ns" })).metadata?.labels).toEqual({ sweep: "yes" });
    await expect(client.deleteAllOf(ConfigMap, { labelSelector: { sweep: "yes" } })).rejects.toThrow(/namespace/);

    const role = (name: string, sweep: string) => ({
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "ClusterRole",
      metadata: { name, labels: { sweep } },
      rules: [],
    });
    for (const name of ["cr-1", "cr-2"]) await client.create(role(name, "yes"));
    await client.create(role("cr-keep", "no"));
    await client.deleteAllOf(ClusterRole, { labelSelector: "sweep=yes" });
    const roles = await client.list(ClusterRole, { labelSelector: "sweep" });
    expect(roles.items.map((r) => r.metadata?.name)).toEqual(["cr-keep"]);
  });

  it("takes a signal on every call: an aborted one fails the call, sends nothing, and rejects with its reason", async () => {
    const existing = await client.create({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "signalled", namespace: "default" }, data: { a: "1" } });
    const stopped = new AbortController();
    const reason = new Error("stopped by the test");
    stopped.abort(reason);
    const signal = stopped.signal;
    const key = { namespace: "default", name: "signalled" };
    const fresh: ConfigMap = { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "never-created", namespace: "default" } };
    const calls: [string, () => Promise<unknown>][] = [
      ["get", () => client.get(ConfigMap, key, { signal })],
      ["list", () => client.list(ConfigMap, { namespace: "default", signal })],
      ["create", () => client.create(fresh, { signal })],
      ["update", () => client.update({ ...existing, data: { a: "2" } }, { signal })],
      ["patch", () => client.patch(existing, Patch.merge({ data: { a: "3" } }), { signal })],
      ["delete", () => client.delete(existing, { signal })],
      ["deleteAllOf", () => client.deleteAllOf(ConfigMap, { namespace: "default", signal })],
      ["status().update", () => client.status().update({ ...existing }, { signal })],
      ["status().patch", () => client.status().patch(existing, Patch.merge({}), { signal })],
    ];
    for (const [name, call] of calls) expect(await call().then(() => `${name} succeeded`, (err: unknown) => err), name).toBe(reason);
    expect((await client.get(ConfigMap, key)).data).toEqual({ a: "1" });
    await expect(client.get(ConfigMap, { namespace: "default", name: "never-created" })).rejects.toSatisfy(isNotFound);
    const cached = newClient({ reader: client, writer: client });
    await expect(cached.get(ConfigMap, key, { signal })).rejects.toBe(reason);
  });

  it("abandons a write in flight when its signal aborts, without waiting for the request timeout", async () => {
    const proxy = await LoopbackProxy.start(cluster.ports.apiServer);
    const through = await RestClient.fromKubeConfig(kubeconfigThrough(cluster.kubeconfig, proxy.port));
    try {
      await through.get(ConfigMap, { namespace: "default", name: "signalled" });
      proxy.silence();
      const stop = new AbortController();
      const writing = through.create({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "in-flight", namespace: "default" } }, { signal: stop.signal });
      const outcome = writing.then(() => "written", (err: unknown) => err);
      const reason = new Error("manager stopping");
      stop.abort(reason);
      expect(await outcome).toBe(reason);
    } finally {
      await through.close();
      await proxy.close();
    }
  });

  it("throws NoKindMatchError for kinds the server does not serve", async () => {
    const unknownGroup = resourceType("nothing.example.com/v1", "Nothing");
    const err = await client.get(unknownGroup, { namespace: "default", name: "x" }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NoKindMatchError);
    expect(isNoMatch(err)).toBe(true);
    const unknownKind = await client.create({ apiVersion: "v1", kind: "Nothing", metadata: { name: "x", namespace: "default" } }).catch((e: unknown) => e);
    expect(isNoMatch(unknownKind)).toBe(true);
    await expect(client.list(resourceType("apps/v1", "Nothing"))).rejects.toBeInstanceOf(NoKindMatchError);
  });

  it("asks for a namespace for namespaced kinds instead of guessing one", async () => {
    await expect(client.get(ConfigMap, { name: "x" })).rejects.toThrow(/namespaced/);
    await expect(client.create({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "x" } })).rejects.toThrow(/namespaced/);
  });

  it("gives a service account limited by RBAC isForbidden errors that carry no token", async () => {
    await createNamespace(client, "limited");
    await client.create({
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "Role",
      metadata: { name: "cm-reader", namespace: "limited" },
      rules: [{ apiGroups: [""], resources: ["configmaps"], verbs: ["get", "list"] }],
    });
    await client.create({
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "RoleBinding",
      metadata: { name: "cm-reader", namespace: "limited" },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: "cm-reader" },
      subjects: [{ kind: "ServiceAccount", name: "limited", namespace: "limited" }],
    });
    await client.create(cm("readable", { a: "1" }, undefined, "limited"));
    const kc = await cluster.serviceAccountKubeConfig("limited", "limited");
    const token = kc.getCurrentUser()?.token;
    expect(token).toBeTruthy();
    const limited = await RestClient.fromKubeConfig(kc);
    try {
      expect((await limited.get(ConfigMap, { namespace: "limited", name: "readable" })).data).toEqual({ a: "1" });
      const errors = await Promise.all([
        limited.get(Secret, { namespace: "limited", name: "anything" }).catch((e: unknown) => e),
        limited.create(cm("nope", {}, undefined, "limited")).catch((e: unknown) => e),
        limited.list(ConfigMap, { namespace: "default" }).catch((e: unknown) => e),
      ]);
      for (const err of errors) {
        expect(isForbidden(err)).toBe(true);
        const text = `${String(err)} ${(err as Error).stack ?? ""} ${JSON.stringify(err)}`;
        expect(text).not.toContain(token!);
        expect(text.toLowerCase()).not.toContain("bearer");
      }
    } finally {
      await limited.close();
    }
  });

  it("the cached client reads through the cache and writes to the server", async () => {
    const reads: string[] = [];
    const cachedObject = { ...cm("from-cache", { source: "cache" }), metadata: { name: "cached", namespace: "default" } };
    const cacheStandIn: Reader = {
      async get<T extends KubeObject>(type: ResourceType<T>, key: ObjectKey): Promise<T> {
        reads.push(`get ${type.kind} ${key.name}`);
        return cachedObject as unknown as T;
      },
      async list<T extends KubeObject>(type: ResourceType<T>, options?: { matchingFields?: Record<string, string> }): Promise<ObjectList<T>> {
        reads.push(`list ${type.kind} ${JSON.stringify(options?.matchingFields ?? {})}`);
        return { metadata: {}, items: [cachedObject as unknown as T] };
      },
    };
    const cached = newClient({ reader: cacheStandIn, writer: client, uncached: [Secret] });
    expect(cached.mapper).toBe(client.mapper);

    expect((await cached.get(ConfigMap, { namespace: "default", name: "cached" })).data).toEqual({ source: "cache" });
    const listed = await cached.list(ConfigMap, { namespace: "default", matchingFields: { owner: "x" } });
    expect(listed.items).toHaveLength(1);
    expect(reads).toEqual(["get ConfigMap cached", 'list ConfigMap {"owner":"x"}']);

    const written = await cached.create(cm("written-through", { a: "1" }));
    expect((await client.get(ConfigMap, { namespace: "default", name: "written-through" })).data).toEqual({ a: "1" });
    await cached.patch(written, Patch.merge({ data: { a: "2" } }));
    expect((await client.get(ConfigMap, { namespace: "default", name: "written-through" })).data).toEqual({ a: "2" });
    await cached.delete(written);
    expect(isNotFound(await client.get(ConfigMap, { namespace: "default", name: "written-through" }).catch((e: unknown) => e))).toBe(true);

    await client.create({ apiVersion: "v1", kind: "Secret", metadata: { name: "direct", namespace: "default" }, stringData: { k: "v" } });
    const secret = await cached.get(Secret, { namespace: "default", name: "direct" });
    expect(secret.metadata?.uid).toBeTruthy();
    const unstructured = await cached.get(unstructuredType("v1", "ConfigMap"), { namespace: "default", name: "other-ns" });
    expect(unstructured.metadata?.labels).toEqual({ sweep: "yes" });
    expect(reads).toHaveLength(2);

    const cachingUnstructured = newClient({ reader: cacheStandIn, writer: client, cacheUnstructured: true });
    await cachingUnstructured.get(unstructuredType("v1", "ConfigMap"), { namespace: "default", name: "other-ns" });
    expect(reads).toHaveLength(3);
  });

  it("answers with the errors the fake client imitates", async () => {
    // The fake client is for users' unit tests; this pins its errors to what this API server really says.
    const fake = new FakeClientBuilder().build();
    const pair = async (run: (c: RestClient | typeof fake) => Promise<unknown>) => {
      const [real, imitation] = [await run(client).catch((e: unknown) => e), await run(fake).catch((e: unknown) => e)];
      expect(real).toBeInstanceOf(ApiError);
      expect(imitation).toBeInstanceOf(ApiError);
      return [real as ApiError, imitation as ApiError] as const;
    };
    const same = (real: ApiError, imitation: ApiError) => {
      expect(imitation.code).toBe(real.code);
      expect(imitation.reason).toBe(real.reason);
      expect(imitation.status.message).toBe(real.status.message);
      expect(imitation.status.details).toEqual(real.status.details);
      expect(imitation.message).toBe(real.message);
    };
    same(...(await pair((c) => c.get(ConfigMap, { namespace: "default", name: "no-such-thing" }))));
    same(...(await pair((c) => c.get(Deployment, { namespace: "default", name: "no-such-thing" }))));
    await fake.create(cm("contract"));
    await client.create(cm("contract"));
    same(...(await pair((c) => c.create(cm("contract")))));
    const stale = async (c: RestClient | typeof fake) => {
      const obj = await c.get(ConfigMap, { namespace: "default", name: "contract" });
      await c.update({ ...obj, data: { a: "1" } });
      return c.update({ ...obj, data: { a: "2" } });
    };
    same(...(await pair(stale)));
    const [realInvalid, fakeInvalid] = await pair((c) => c.create(cm("Not_Valid")));
    expect([fakeInvalid.code, fakeInvalid.reason]).toEqual([realInvalid.code, realInvalid.reason]);
    expect(fakeInvalid.status.message?.split(":")[0]).toBe(realInvalid.status.message?.split(":")[0]);
    const precondition = (pre: { uid?: string; resourceVersion?: string }) => async (c: RestClient | typeof fake) => {
      const obj = await c.get(ConfigMap, { namespace: "default", name: "contract" });
      return c.delete(obj, { preconditions: pre });
    };
    const uids = await pair(precondition({ uid: "6a8e1c0e-0000-0000-0000-000000000000" }));
    const realUid = (await client.get(ConfigMap, { namespace: "default", name: "contract" })).metadata?.uid;
    const fakeUid = (await fake.get(ConfigMap, { namespace: "default", name: "contract" })).metadata?.uid;
    same(uids[0], new ApiError("DELETE", "/api/v1/namespaces/default/configmaps/contract", 409, { ...uids[1].status, message: uids[1].status.message?.replace(fakeUid!, realUid!) }));
    const versions = await pair(precondition({ resourceVersion: "1" }));
    const realRv = (await client.get(ConfigMap, { namespace: "default", name: "contract" })).metadata?.resourceVersion;
    const fakeRv = (await fake.get(ConfigMap, { namespace: "default", name: "contract" })).metadata?.resourceVersion;
    expect(versions[1].status.message?.replace(`(${fakeRv})`, `(${realRv})`)).toBe(versions[0].status.message);
    const wrongUid = async (c: RestClient | typeof fake) => {
      const obj = await c.get(ConfigMap, { namespace: "default", name: "contract" });
      return c.update({ ...obj, metadata: { ...obj.metadata, uid: "6a8e1c0e-0000-0000-0000-000000000000" } });
    };
    const [realWrongUid, fakeWrongUid] = await pair(wrongUid);
    expect([fakeWrongUid.code, fakeWrongUid.reason]).toEqual([realWrongUid.code, realWrongUid.reason]);
  });
});
