import { describe, expect, it } from "vitest";
import * as kinds from "../src/api/kinds.ts";
import { ClusterRole, ConfigMap, Deployment, Namespace, Pod } from "../src/api/kinds.ts";
import { type KubeObject, type ResourceType, resourceType } from "../src/api/object.ts";
import {
  ApiError,
  isAlreadyExists,
  isBadRequest,
  isConflict,
  isInvalid,
  isNoMatch,
  isNotFound,
  mergeFrom,
  Patch,
} from "../src/client/index.ts";
import { FakeClient, FakeClientBuilder } from "../src/fake/index.ts";

interface Widget extends KubeObject {
  spec?: { size?: number; color?: string; tags?: string[] };
  status?: { phase?: string };
}
const Widget = resourceType<Widget>("test.operator-ts.dev/v1", "Widget");
const Gadget = resourceType("test.operator-ts.dev/v1", "Gadget");

const cm = (name: string, data: Record<string, string> = {}, labels?: Record<string, string>, namespace = "default"): kinds.ConfigMap => ({
  apiVersion: "v1",
  kind: "ConfigMap",
  metadata: { name, namespace, ...(labels ? { labels } : {}) },
  data,
});
const widget = (name: string, spec: Widget["spec"] = {}, status?: Widget["status"]): Widget => ({
  apiVersion: Widget.apiVersion,
  kind: Widget.kind,
  metadata: { name, namespace: "default" },
  spec,
  ...(status ? { status } : {}),
});
const key = (name: string, namespace = "default") => ({ namespace, name });
const fail = (p: Promise<unknown>) => p.then(() => undefined, (e: unknown) => e);

function widgets(): FakeClient {
  return new FakeClientBuilder()
    .withKind(Widget, { namespaced: true })
    .withKind(Gadget, { namespaced: false, plural: "gadgetry" })
    .withStatusSubresource(Widget)
    .build();
}

describe("FakeClient", () => {
  it("knows every built-in kind of api/kinds.ts with its scope", async () => {
    const client = new FakeClientBuilder().build();
    const types = (Object.values(kinds) as unknown[]).filter((v): v is ResourceType => typeof v === "object" && v !== null && "kind" in v);
    expect(types.length).toBeGreaterThan(20);
    for (const type of types) {
      const mapping = await client.mapper.mapping(type);
      expect(mapping.kind).toBe(type.kind);
      const err = await fail(client.get(type, key("nothing")));
      expect(isNotFound(err)).toBe(true);
    }
    expect((await client.mapper.mapping(Namespace)).namespaced).toBe(false);
    expect((await client.mapper.mapping(Deployment)).resource).toBe("deployments");
  });

  it("creates objects with uid, timestamps, resourceVersion and generation, and returns copies", async () => {
    const client = new FakeClientBuilder().build();
    const input = cm("a", { k: "v" });
    const created = await client.create(input);
    expect(input.metadata?.uid).toBeUndefined();
    expect(created.metadata?.uid).toMatch(/^[0-9a-f-]{36}$/);
    expect(created.metadata?.creationTimestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(created.metadata?.resourceVersion).toMatch(/^\d+$/);
    expect(created.metadata?.generation).toBe(1);
    expect(created.kind).toBe("ConfigMap");

    created.data!.k = "mutated";
    const got = await client.get(ConfigMap, key("a"));
    expect(got.data).toEqual({ k: "v" });
    got.data!.k = "mutated too";
    expect((await client.get(ConfigMap, key("a"))).data).toEqual({ k: "v" });
  });

  it("answers with the API server's errors", async () => {
    const client = new FakeClientBuilder().withObjects(cm("taken")).build();
    const missing = await fail(client.get(ConfigMap, key("missing")));
    expect(missing).toBeInstanceOf(ApiError);
    expect(isNotFound(missing)).toBe(true);
    expect((missing as ApiError).code).toBe(404);
    expect((missing as ApiError).status.message).toBe('configmaps "missing" not found');
    expect((missing as ApiError).message).toBe('GET /api/v1/namespaces/default/configmaps/missing: 404 NotFound: configmaps "missing" not found');

    const dup = await fail(client.create(cm("taken")));
    expect(isAlreadyExists(dup)).toBe(true);
    expect(isConflict(dup)).toBe(false);
    expect((dup as ApiError).status.message).toBe('configmaps "taken" already exists');

    const deploy = await fail(client.get(Deployment, key("web")));
    expect((deploy as ApiError).status.message).toBe('deployments.apps "web" not found');
    expect((deploy as ApiError).status.details).toEqual({ name: "web", group: "apps", kind: "deployments" });

    expect(isInvalid(await fail(client.create(cm("Bad_Name"))))).toBe(true);
    expect(isInvalid(await fail(client.create({ apiVersion: "v1", kind: "ConfigMap", metadata: { namespace: "default" } })))).toBe(true);
    const withVersion = { ...cm("rv"), metadata: { ...cm("rv").metadata, resourceVersion: "5" } };
    expect(isBadRequest(await fail(client.create(withVersion)))).toBe(true);
    expect(isNotFound(await fail(client.update(cm("absent"))))).toBe(true);
    expect(isNotFound(await fail(client.delete(cm("absent"))))).toBe(true);
    expect(isNotFound(await fail(client.patch(cm("absent"), Patch.merge({ data: { a: "1" } }))))).toBe(true);
    await expect(client.get(ConfigMap, { name: "taken" })).rejects.toThrow(/namespaced/);
  });

  it("takes a signal on every call, as the real client does: an aborted one rejects with its reason and changes nothing", async () => {
    const client = widgets();
    const live = await client.create(widget("w1", { size: 1 }));
    const open = new AbortController().signal;
    expect((await client.get(Widget, key("w1"), { signal: open })).spec).toEqual({ size: 1 });
    const stopped = new AbortController();
    const reason = new Error("stopped");
    stopped.abort(reason);
    const signal = stopped.signal;
    const outcomes = await Promise.all([
      fail(client.get(Widget, key("w1"), { signal })),
      fail(client.list(Widget, { namespace: "default", signal })),
      fail(client.create(widget("w2"), { signal })),
      fail(client.update({ ...live, spec: { size: 2 } }, { signal })),
      fail(client.patch(live, Patch.merge({ spec: { size: 3 } }), { signal })),
      fail(client.delete(live, { signal })),
      fail(client.deleteAllOf(Widget, { namespace: "default", signal })),
      fail(client.status().update({ ...live, status: { phase: "x" } }, { signal })),
      fail(client.status().patch(live, Patch.merge({ status: { phase: "y" } }), { signal })),
    ]);
    expect(outcomes.every((o) => o === reason)).toBe(true);
    expect(await client.get(Widget, key("w1"))).toEqual(live);
    expect((await client.list(Widget)).items).toHaveLength(1);
  });

  it("throws NoKindMatchError for kinds nobody registered", async () => {
    const client = new FakeClientBuilder().build();
    expect(isNoMatch(await fail(client.get(Widget, key("w"))))).toBe(true);
    expect(isNoMatch(await fail(client.create(widget("w"))))).toBe(true);
    expect(() => new FakeClientBuilder().withObjects(widget("w")).build()).toThrow(/not registered/);
    const later = new FakeClientBuilder().build();
    later.registerKind({ type: Widget, namespaced: true });
    expect((await later.create(widget("w"))).metadata?.uid).toBeTruthy();
  });

  it("names objects from generateName", async () => {
    const client = new FakeClientBuilder().build();
    const a = await client.create<kinds.ConfigMap>({ apiVersion: "v1", kind: "ConfigMap", metadata: { generateName: "job-", namespace: "default" } });
    const b = await client.create<kinds.ConfigMap>({ apiVersion: "v1", kind: "ConfigMap", metadata: { generateName: "job-", namespace: "default" } });
    expect(a.metadata?.name).toMatch(/^job-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
    expect(a.metadata?.name).not.toBe(b.metadata?.name);
    expect((await client.get(ConfigMap, key(a.metadata!.name!))).metadata?.generateName).toBe("job-");
  });

  it("bumps resourceVersion on every change, generation only on changes outside metadata and status", async () => {
    const client = new FakeClientBuilder().build();
    const v1 = await client.create(cm("gen", { a: "1" }));
    const labelled = await client.update({ ...v1, metadata: { ...v1.metadata, labels: { x: "y" } } });
    expect(Number(labelled.metadata?.resourceVersion)).toBeGreaterThan(Number(v1.metadata?.resourceVersion));
    expect(labelled.metadata?.generation).toBe(1);
    const changed = await client.update({ ...labelled, data: { a: "2" } });
    expect(changed.metadata?.generation).toBe(2);
    const noop = await client.update(changed);
    expect(noop.metadata?.resourceVersion).toBe(changed.metadata?.resourceVersion);

    const stale = await fail(client.update({ ...v1, data: { a: "3" } }));
    expect(isConflict(stale)).toBe(true);
    expect((stale as ApiError).status.message).toBe(
      'Operation cannot be fulfilled on configmaps "gen": the object has been modified; please apply your changes to the latest version and try again',
    );
    const unconditional = await client.update({ ...cm("gen", { a: "4" }) });
    expect(unconditional.data).toEqual({ a: "4" });
    expect(unconditional.metadata?.uid).toBe(v1.metadata?.uid);
    expect(unconditional.metadata?.creationTimestamp).toBe(v1.metadata?.creationTimestamp);

    const tampered = await client.update({ ...unconditional, metadata: { ...unconditional.metadata, uid: "other", generation: 99, creationTimestamp: "1999-01-01T00:00:00Z" } }).catch((e: unknown) => e);
    expect(isConflict(tampered)).toBe(true);
    const serverFields = await client.update({ ...unconditional, metadata: { ...unconditional.metadata, generation: 99, creationTimestamp: "1999-01-01T00:00:00Z" } });
    expect(serverFields.metadata?.generation).toBe(unconditional.metadata?.generation);
    expect(serverFields.metadata?.creationTimestamp).toBe(v1.metadata?.creationTimestamp);
  });

  it("keeps status and the rest apart for kinds with a status subresource", async () => {
    const client = widgets();
    const created = await client.create(widget("w", { size: 1 }, { phase: "Ignored" }));
    expect(created.status).toBeUndefined();

    const withStatus = await client.status().update({ ...created, spec: { size: 100 }, metadata: { ...created.metadata, labels: { a: "b" } }, status: { phase: "Ready" } });
    expect(withStatus.status).toEqual({ phase: "Ready" });
    expect(withStatus.spec).toEqual({ size: 1 });
    expect(withStatus.metadata?.labels).toBeUndefined();
    expect(withStatus.metadata?.generation).toBe(1);

    const updated = await client.update({ ...withStatus, spec: { size: 2 }, status: { phase: "Hacked" } });
    expect(updated.status).toEqual({ phase: "Ready" });
    expect(updated.spec).toEqual({ size: 2 });
    expect(updated.metadata?.generation).toBe(2);

    const patched = await client.patch(updated, Patch.merge({ spec: { color: "red" }, status: { phase: "Patched" } }));
    expect(patched.status).toEqual({ phase: "Ready" });
    expect(patched.spec).toEqual({ size: 2, color: "red" });
    const statusPatched = await client.status().patch<Widget>(updated, Patch.merge({ spec: { color: "blue" }, status: { phase: "Done" } }));
    expect(statusPatched.status).toEqual({ phase: "Done" });
    expect(statusPatched.spec?.color).toBe("red");
    expect(statusPatched.metadata?.generation).toBe(3);

    const staleStatus = await fail(client.status().update({ ...withStatus, status: { phase: "Old" } }));
    expect(isConflict(staleStatus)).toBe(true);
    const noSubresource = await fail(client.status().update({ ...cm("x"), status: {} } as KubeObject));
    expect(isNotFound(noSubresource)).toBe(true);
  });

  it("serves built-in status subresources by default and keeps the status of initial objects", async () => {
    const deployment: kinds.Deployment = {
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { name: "web", namespace: "default" },
      spec: { selector: { matchLabels: { app: "web" } }, template: { spec: { containers: [] } } },
      status: { replicas: 3 },
    };
    const client = new FakeClientBuilder().withObjects(deployment).build();
    const got = await client.get(Deployment, key("web"));
    expect(got.status?.replicas).toBe(3);
    const updated = await client.update({ ...got, status: { replicas: 0 } });
    expect(updated.status?.replicas).toBe(3);
    const status = await client.status().update({ ...updated, status: { replicas: 1 } });
    expect(status.status?.replicas).toBe(1);

    // Once withStatusSubresource names kinds, only those have one.
    const explicit = new FakeClientBuilder().withKind(Widget, { namespaced: true }).withStatusSubresource(Widget).withObjects(deployment).build();
    const d = await explicit.get(Deployment, key("web"));
    expect((await explicit.update({ ...d, status: { replicas: 7 } })).status?.replicas).toBe(7);
  });

  it("marks objects with finalizers as deleting and removes them with their last finalizer", async () => {
    const client = new FakeClientBuilder().build();
    const created = await client.create({ ...cm("fin"), metadata: { ...cm("fin").metadata, finalizers: ["a.example.com/x", "b.example.com/y"] } });
    await client.delete(created);
    const deleting = await client.get(ConfigMap, key("fin"));
    expect(deleting.metadata?.deletionTimestamp).toBeTruthy();
    expect(deleting.metadata?.finalizers).toHaveLength(2);
    await client.delete(deleting);
    expect((await client.get(ConfigMap, key("fin"))).metadata?.resourceVersion).toBe(deleting.metadata?.resourceVersion);

    const added = await fail(client.update({ ...deleting, metadata: { ...deleting.metadata, finalizers: ["a.example.com/x", "b.example.com/y", "c.example.com/z"] } }));
    expect(isInvalid(added)).toBe(true);

    const one = await client.update({ ...deleting, metadata: { ...deleting.metadata, finalizers: ["b.example.com/y"] } });
    expect(one.metadata?.deletionTimestamp).toBe(deleting.metadata?.deletionTimestamp);
    const last = await client.patch(one, Patch.json([{ op: "remove", path: "/metadata/finalizers/0" }]));
    expect(last.metadata?.finalizers).toEqual([]);
    expect(isNotFound(await fail(client.get(ConfigMap, key("fin"))))).toBe(true);

    const viaUpdate = await client.create({ ...cm("fin2"), metadata: { ...cm("fin2").metadata, finalizers: ["x/y"] } });
    await client.delete(viaUpdate);
    const marked = await client.get(ConfigMap, key("fin2"));
    await client.update({ ...marked, metadata: { ...marked.metadata, finalizers: [] } });
    expect(isNotFound(await fail(client.get(ConfigMap, key("fin2"))))).toBe(true);

    expect(() =>
      new FakeClientBuilder().withObjects({ ...cm("odd"), metadata: { ...cm("odd").metadata, deletionTimestamp: "2024-01-01T00:00:00Z" } }).build(),
    ).toThrow(/no finalizers/);
  });

  it("checks delete preconditions", async () => {
    const client = new FakeClientBuilder().build();
    const obj = await client.create(cm("pre"));
    expect(isConflict(await fail(client.delete(obj, { preconditions: { uid: "nope" } })))).toBe(true);
    expect(isConflict(await fail(client.delete(obj, { preconditions: { resourceVersion: "0" } })))).toBe(true);
    await client.delete(obj, { dryRun: true, preconditions: { uid: obj.metadata?.uid } });
    expect(await client.get(ConfigMap, key("pre"))).toBeDefined();
    await client.delete(obj, { preconditions: { uid: obj.metadata?.uid, resourceVersion: obj.metadata?.resourceVersion } });
    expect(isNotFound(await fail(client.get(ConfigMap, key("pre"))))).toBe(true);
  });

  it("applies merge, JSON, strategic (as merge) and apply (as merge) patches", async () => {
    const client = widgets();
    const w = await client.create(widget("p", { size: 1, color: "red", tags: ["a", "b"] }));
    const merged = await client.patch(w, Patch.merge({ spec: { color: null, tags: ["c"] } }));
    expect(merged.spec).toEqual({ size: 1, tags: ["c"] });

    const json = await client.patch(
      w,
      Patch.json([
        { op: "test", path: "/spec/size", value: 1 },
        { op: "add", path: "/spec/tags/-", value: "d" },
        { op: "add", path: "/spec/tags/0", value: "first" },
        { op: "copy", from: "/spec/size", path: "/spec/copied" },
        { op: "move", from: "/spec/copied", path: "/spec/moved" },
        { op: "replace", path: "/spec/size", value: 5 },
        { op: "remove", path: "/spec/moved" },
      ]),
    );
    expect(json.spec).toEqual({ size: 5, tags: ["first", "c", "d"] });
    const failed = await fail(client.patch(w, Patch.json([{ op: "replace", path: "/spec/size", value: 9 }, { op: "test", path: "/spec/size", value: 1 }])));
    expect(isInvalid(failed)).toBe(true);
    expect((await client.get(Widget, key("p"))).spec?.size).toBe(5);

    const strategic = await client.patch(w, Patch.strategic({ spec: { color: "green" } }));
    expect(strategic.spec?.color).toBe("green");

    const applied = await client.patch(w, Patch.apply(widget("p", { size: 7 })), { fieldManager: "tests", force: true });
    expect(applied.spec).toEqual({ size: 7, tags: ["first", "c", "d"], color: "green" });
    const createdByApply = await client.patch(widget("fresh"), Patch.apply(widget("fresh", { size: 3 })), { fieldManager: "tests" });
    expect(createdByApply.metadata?.uid).toBeTruthy();
    expect((await client.get(Widget, key("fresh"))).spec).toEqual({ size: 3 });

    const current = await client.get(Widget, key("p"));
    const modified = { ...current, spec: { ...current.spec, size: 8 } };
    expect((await client.patch(modified, mergeFrom(current, modified, { optimisticLock: true }))).spec?.size).toBe(8);
    expect(isConflict(await fail(client.patch(modified, mergeFrom(current, modified, { optimisticLock: true }))))).toBe(true);
    const renamed = await client.patch(w, Patch.merge({ metadata: { name: "other" }, spec: { size: 9 } }));
    expect(renamed.metadata?.name).toBe("p");
  });

  it("lists with label selectors, field selectors, indexes, namespaces and pages", async () => {
    const client = new FakeClientBuilder()
      .withIndex(ConfigMap, "data.owner", (o) => (o.data?.owner ? [o.data.owner] : []))
      .withObjects(
        cm("a", { owner: "x" }, { app: "web", tier: "front" }),
        cm("b", { owner: "y" }, { app: "web", tier: "back" }),
        cm("c", {}, { app: "db" }),
        cm("d", { owner: "x" }, { app: "web" }, "other"),
        cm("e", {}, undefined, "other"),
      )
      .build();
    const names = async (opts: Parameters<FakeClient["list"]>[1]) => (await client.list(ConfigMap, opts)).items.map((i) => `${i.metadata?.namespace}/${i.metadata?.name}`);

    expect(await names({})).toEqual(["default/a", "default/b", "default/c", "other/d", "other/e"]);
    expect(await names({ namespace: "other" })).toEqual(["other/d", "other/e"]);
    expect(await names({ labelSelector: { app: "web" } })).toEqual(["default/a", "default/b", "other/d"]);
    expect(await names({ labelSelector: "app==web,tier!=back" })).toEqual(["default/a", "other/d"]);
    expect(await names({ labelSelector: "app in (db, web), tier notin (front)" })).toEqual(["default/b", "default/c", "other/d"]);
    expect(await names({ labelSelector: "tier" })).toEqual(["default/a", "default/b"]);
    expect(await names({ labelSelector: "!app" })).toEqual(["other/e"]);
    expect(isBadRequest(await fail(client.list(ConfigMap, { labelSelector: "app in web" })))).toBe(true);
    expect(await names({ fieldSelector: "metadata.name=c" })).toEqual(["default/c"]);
    expect(await names({ fieldSelector: { "metadata.namespace": "other" } })).toEqual(["other/d", "other/e"]);
    expect(await names({ fieldSelector: "metadata.namespace!=other" })).toEqual(["default/a", "default/b", "default/c"]);
    expect(await names({ matchingFields: { "data.owner": "x" } })).toEqual(["default/a", "other/d"]);
    expect(await names({ namespace: "default", matchingFields: { "data.owner": "x" } })).toEqual(["default/a"]);
    expect(await names({ fieldSelector: "data.owner=y" })).toEqual(["default/b"]);
    await expect(client.list(ConfigMap, { matchingFields: { "spec.nothing": "x" } })).rejects.toThrow(/no index/);

    const list = await client.list(ConfigMap, { namespace: "default" });
    expect(list.kind).toBe("ConfigMapList");
    expect(list.items.every((i) => i.apiVersion === "v1" && i.kind === "ConfigMap")).toBe(true);

    const first = await client.list(ConfigMap, { limit: 2 });
    expect(first.items).toHaveLength(2);
    expect(first.metadata.remainingItemCount).toBe(3);
    const second = await client.list(ConfigMap, { limit: 2, continue: first.metadata.continue });
    const third = await client.list(ConfigMap, { limit: 2, continue: second.metadata.continue });
    expect(third.metadata.continue).toBeUndefined();
    expect([...first.items, ...second.items, ...third.items].map((i) => i.metadata?.name)).toEqual(["a", "b", "c", "d", "e"]);
  });

  it("deletes all matching objects, namespaced and cluster-scoped, respecting finalizers", async () => {
    const role = (name: string, sweep: string, finalizers?: string[]): kinds.ClusterRole => ({
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "ClusterRole",
      metadata: { name, labels: { sweep }, ...(finalizers ? { finalizers } : {}) },
    });
    const client = new FakeClientBuilder()
      .withObjects(cm("s1", {}, { sweep: "yes" }), cm("s2", {}, { sweep: "yes" }), cm("keep", {}, { sweep: "no" }), cm("s3", {}, { sweep: "yes" }, "other"))
      .withObjects(role("r1", "yes"), role("r2", "yes", ["hold/on"]), role("r3", "no"))
      .build();
    await client.deleteAllOf(ConfigMap, { namespace: "default", labelSelector: "sweep=yes" });
    expect((await client.list(ConfigMap)).items.map((i) => i.metadata?.name)).toEqual(["keep", "s3"]);
    await expect(client.deleteAllOf(ConfigMap, {})).rejects.toThrow(/namespace/);

    await client.deleteAllOf(ClusterRole, { labelSelector: { sweep: "yes" } });
    const roles = (await client.list(ClusterRole)).items;
    expect(roles.map((r) => r.metadata?.name)).toEqual(["r2", "r3"]);
    expect(roles[0]!.metadata?.deletionTimestamp).toBeTruthy();
  });

  it("stores cluster-scoped objects without a namespace, custom ones included", async () => {
    const client = widgets();
    const ns = await client.create({ apiVersion: "v1", kind: "Namespace", metadata: { name: "team", namespace: "ignored" } });
    expect(ns.metadata?.namespace).toBeUndefined();
    expect((await client.get(Namespace, { name: "team" })).metadata?.name).toBe("team");
    const gadget = await client.create<KubeObject>({ apiVersion: Gadget.apiVersion, kind: "Gadget", metadata: { name: "g" } });
    const err = await fail(client.get(Gadget, { name: "missing" }));
    expect((err as ApiError).status.message).toBe('gadgetry.test.operator-ts.dev "missing" not found');
    expect((err as ApiError).message).toContain("GET /apis/test.operator-ts.dev/v1/gadgetry/missing");
    expect(gadget.metadata?.uid).toBeTruthy();
    expect((await client.list(Pod)).items).toEqual([]);
  });

  it("does not store dry-run writes", async () => {
    const client = new FakeClientBuilder().build();
    const dry = await client.create(cm("dry"), { dryRun: true });
    expect(dry.metadata?.uid).toBeTruthy();
    expect(isNotFound(await fail(client.get(ConfigMap, key("dry"))))).toBe(true);
    const real = await client.create(cm("real", { a: "1" }));
    await client.update({ ...real, data: { a: "2" } }, { dryRun: true });
    await client.patch(real, Patch.merge({ data: { a: "3" } }), { dryRun: true });
    expect((await client.get(ConfigMap, key("real"))).data).toEqual({ a: "1" });
  });
});
