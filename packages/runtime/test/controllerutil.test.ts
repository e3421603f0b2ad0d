import { describe, expect, it } from "vitest";
import { ConfigMap, type ConfigMap as ConfigMapT } from "../src/api/kinds.ts";
import { type KubeObject, resourceType } from "../src/api/object.ts";
import { isConflict, isNotFound, Patch } from "../src/client/index.ts";
import {
  addFinalizer,
  AlreadyOwnedError,
  containsFinalizer,
  createOrPatch,
  createOrUpdate,
  finalize,
  getControllerOf,
  hasControllerReference,
  hasOwnerReference,
  removeFinalizer,
  removeOwnerReference,
  setControllerReference,
  setOwnerReference,
} from "../src/controllerutil/index.ts";
import { FakeClientBuilder } from "../src/fake/index.ts";

interface Widget extends KubeObject {
  spec?: { size?: number };
  status?: { phase?: string };
}
const Widget = resourceType<Widget>("test.operator-ts.dev/v1", "Widget");

const owner = (name: string, namespace?: string, apiVersion = "test.operator-ts.dev/v1"): KubeObject => ({
  apiVersion,
  kind: "Widget",
  metadata: { name, uid: `uid-${name}`, ...(namespace ? { namespace } : {}) },
});
const cm = (name: string, data: Record<string, string> = {}): ConfigMapT => ({
  apiVersion: "v1",
  kind: "ConfigMap",
  metadata: { name, namespace: "default" },
  data,
});
const fakeClient = () => new FakeClientBuilder().withKind(Widget, { namespaced: true }).withStatusSubresource(Widget).build();

describe("owner references", () => {
  it("sets a controller reference once, refreshes it for the same owner, refuses a second controller", () => {
    const obj = cm("child");
    setControllerReference(owner("a", "default"), obj);
    expect(obj.metadata?.ownerReferences).toEqual([
      { apiVersion: "test.operator-ts.dev/v1", kind: "Widget", name: "a", uid: "uid-a", controller: true, blockOwnerDeletion: true },
    ]);
    expect(hasControllerReference(obj)).toBe(true);
    expect(getControllerOf(obj)?.name).toBe("a");

    setControllerReference(owner("a", "default", "test.operator-ts.dev/v2"), obj);
    expect(obj.metadata?.ownerReferences).toHaveLength(1);
    expect(obj.metadata?.ownerReferences?.[0]?.apiVersion).toBe("test.operator-ts.dev/v2");

    expect(() => setControllerReference(owner("b", "default"), obj)).toThrow(AlreadyOwnedError);
    expect(() => setControllerReference(owner("b", "default"), obj)).toThrow(/already owned by another Widget controller a/);
    expect(obj.metadata?.ownerReferences).toHaveLength(1);
  });

  it("refuses cross-namespace owners and namespaced owners of cluster-scoped objects, allows cluster-scoped owners", () => {
    expect(() => setControllerReference(owner("a", "other"), cm("child"))).toThrow(/cross-namespace/);
    const clusterScoped: KubeObject = { apiVersion: "v1", kind: "Namespace", metadata: { name: "ns" } };
    expect(() => setOwnerReference(owner("a", "default"), clusterScoped)).toThrow(/cluster-scoped resource must not have a namespace-scoped owner/);
    const child = cm("child");
    setControllerReference(owner("cluster-owner"), child);
    expect(child.metadata?.ownerReferences?.[0]?.name).toBe("cluster-owner");
    expect(() => setControllerReference({ ...owner("x", "default"), metadata: { name: "x", namespace: "default" } }, cm("c"))).toThrow(/uid/);
  });

  it("adds plain owner references beside the controller and removes them", () => {
    const obj = cm("child");
    setControllerReference(owner("a", "default"), obj);
    setOwnerReference(owner("b", "default"), obj);
    setOwnerReference(owner("a", "default"), obj);
    expect(obj.metadata?.ownerReferences?.map((r) => [r.name, r.controller ?? false])).toEqual([
      ["a", true],
      ["b", false],
    ]);
    expect(hasOwnerReference(obj, owner("b", "default"))).toBe(true);
    expect(removeOwnerReference(owner("b", "default"), obj)).toBe(true);
    expect(removeOwnerReference(owner("b", "default"), obj)).toBe(false);
    expect(hasOwnerReference(obj, owner("b", "default"))).toBe(false);
    expect(removeOwnerReference(owner("a", "default"), obj)).toBe(true);
    expect(obj.metadata?.ownerReferences).toBeUndefined();
    expect(hasControllerReference(obj)).toBe(false);
  });
});

describe("finalizer helpers", () => {
  it("add, remove and contain, reporting whether they changed anything", () => {
    const obj = cm("f");
    expect(containsFinalizer(obj, "x/y")).toBe(false);
    expect(addFinalizer(obj, "x/y")).toBe(true);
    expect(addFinalizer(obj, "x/y")).toBe(false);
    expect(addFinalizer(obj, "x/z")).toBe(true);
    expect(obj.metadata?.finalizers).toEqual(["x/y", "x/z"]);
    expect(removeFinalizer(obj, "x/y")).toBe(true);
    expect(removeFinalizer(obj, "x/y")).toBe(false);
    expect(obj.metadata?.finalizers).toEqual(["x/z"]);
  });

  it("finalize adds the finalizer to live objects and cleans up before letting deleted ones go", async () => {
    const client = fakeClient();
    const cleaned: string[] = [];
    const cleanup = async (w: Widget) => {
      cleaned.push(w.metadata!.name!);
    };
    const obj = await client.create<Widget>({ apiVersion: Widget.apiVersion, kind: Widget.kind, metadata: { name: "w", namespace: "default" } });
    expect(await finalize(client, obj, "widgets.test/cleanup", cleanup)).toBe("added");
    expect(obj.metadata?.finalizers).toEqual(["widgets.test/cleanup"]);
    expect((await client.get(Widget, { namespace: "default", name: "w" })).metadata?.finalizers).toEqual(["widgets.test/cleanup"]);
    expect(await finalize(client, obj, "widgets.test/cleanup", cleanup)).toBe("present");
    expect(cleaned).toEqual([]);

    await client.delete(obj);
    const deleting = await client.get(Widget, { namespace: "default", name: "w" });
    await expect(finalize(client, deleting, "widgets.test/cleanup", () => Promise.reject(new Error("cloud API down")))).rejects.toThrow("cloud API down");
    expect((await client.get(Widget, { namespace: "default", name: "w" })).metadata?.finalizers).toEqual(["widgets.test/cleanup"]);

    expect(await finalize(client, deleting, "widgets.test/cleanup", cleanup)).toBe("finalized");
    expect(cleaned).toEqual(["w"]);
    expect(isNotFound(await client.get(Widget, { namespace: "default", name: "w" }).catch((e: unknown) => e))).toBe(true);
  });

  it("finalize leaves objects alone that are being deleted without its finalizer, and keeps other finalizers", async () => {
    const client = fakeClient();
    const obj = await client.create<Widget>({
      apiVersion: Widget.apiVersion,
      kind: Widget.kind,
      metadata: { name: "w", namespace: "default", finalizers: ["someone.else/hold", "mine/cleanup"] },
    });
    await client.delete(obj);
    let calls = 0;
    const deleting = await client.get(Widget, { namespace: "default", name: "w" });
    expect(await finalize(client, deleting, "other/finalizer", () => void calls++)).toBe("deleting");
    expect(await finalize(client, deleting, "mine/cleanup", () => void calls++)).toBe("finalized");
    expect(calls).toBe(1);
    const left = await client.get(Widget, { namespace: "default", name: "w" });
    expect(left.metadata?.finalizers).toEqual(["someone.else/hold"]);
    expect(left.metadata?.deletionTimestamp).toBeTruthy();
  });

  it("finalize conflicts instead of overwriting a finalizer list changed since the read", async () => {
    const client = fakeClient();
    const obj = await client.create<Widget>({ apiVersion: Widget.apiVersion, kind: Widget.kind, metadata: { name: "w", namespace: "default" } });
    await client.patch(obj, Patch.merge({ metadata: { finalizers: ["someone.else/hold"] } }));
    const err = await finalize(client, obj, "mine/cleanup", () => undefined).catch((e: unknown) => e);
    expect(isConflict(err)).toBe(true);
    expect((await client.get(Widget, { namespace: "default", name: "w" })).metadata?.finalizers).toEqual(["someone.else/hold"]);
  });
});

describe("createOrUpdate and createOrPatch", () => {
  it("createOrUpdate creates, then updates only when mutate changes something", async () => {
    const client = fakeClient();
    const desired = cm("app-config");
    const mutate = (obj: ConfigMapT) => {
      obj.data = { ...obj.data, mode: "fast" };
      obj.metadata!.labels = { app: "demo" };
    };
    expect(await createOrUpdate(client, desired, mutate)).toBe("created");
    expect(desired.metadata?.uid).toBeTruthy();
    const createdVersion = desired.metadata?.resourceVersion;

    const again = cm("app-config");
    expect(await createOrUpdate(client, again, mutate)).toBe("unchanged");
    expect(again.metadata?.resourceVersion).toBe(createdVersion);

    await client.patch(again, Patch.merge({ data: { extra: "kept" } }));
    const third = cm("app-config");
    expect(await createOrUpdate(client, third, (o) => void (o.data = { ...o.data, mode: "slow" }))).toBe("updated");
    expect(third.data).toEqual({ mode: "slow", extra: "kept" });
    expect((await client.get(ConfigMap, { namespace: "default", name: "app-config" })).data).toEqual({ mode: "slow", extra: "kept" });

    await expect(createOrUpdate(client, cm("app-config"), (o) => void (o.metadata!.name = "renamed"))).rejects.toThrow(/cannot mutate object name/);
  });

  it("createOrUpdate surfaces a conflict when the object changed during mutate; createOrPatch merges around it", async () => {
    const client = fakeClient();
    await client.create(cm("shared", { a: "1" }));
    const concurrent = (label: string) => async (obj: ConfigMapT) => {
      await client.patch(cm("shared"), Patch.merge({ metadata: { labels: { writer: label } } }));
      obj.data = { ...obj.data, b: "2" };
    };
    const err = await createOrUpdate(client, cm("shared"), concurrent("other")).catch((e: unknown) => e);
    expect(isConflict(err)).toBe(true);

    const obj = cm("shared");
    expect(await createOrPatch(client, obj, concurrent("another"))).toBe("updated");
    const stored = await client.get(ConfigMap, { namespace: "default", name: "shared" });
    expect(stored.data).toEqual({ a: "1", b: "2" });
    expect(stored.metadata?.labels).toEqual({ writer: "another" });
    expect(obj.metadata?.resourceVersion).toBe(stored.metadata?.resourceVersion);
  });

  it("createOrPatch writes spec and status through their own endpoints", async () => {
    const client = fakeClient();
    const w: Widget = { apiVersion: Widget.apiVersion, kind: Widget.kind, metadata: { name: "w", namespace: "default" } };
    expect(
      await createOrPatch(client, w, (o) => {
        o.spec = { size: 1 };
        o.status = { phase: "Pending" };
      }),
    ).toBe("created");
    let stored = await client.get(Widget, { namespace: "default", name: "w" });
    expect(stored.spec).toEqual({ size: 1 });
    expect(stored.status).toEqual({ phase: "Pending" });
    expect(w.status).toEqual({ phase: "Pending" });

    const same = () => ({ apiVersion: Widget.apiVersion, kind: Widget.kind, metadata: { name: "w", namespace: "default" } }) as Widget;
    expect(await createOrPatch(client, same(), (o) => void (o.spec = { size: 1 }))).toBe("unchanged");

    expect(await createOrPatch(client, same(), (o) => void (o.status = { phase: "Ready" }))).toBe("updated");
    stored = await client.get(Widget, { namespace: "default", name: "w" });
    expect(stored.status).toEqual({ phase: "Ready" });
    expect(stored.metadata?.generation).toBe(1);

    const both = same();
    expect(
      await createOrPatch(client, both, (o) => {
        o.spec = { size: 3 };
        o.status = { phase: "Scaling" };
      }),
    ).toBe("updated");
    stored = await client.get(Widget, { namespace: "default", name: "w" });
    expect(stored.spec).toEqual({ size: 3 });
    expect(stored.status).toEqual({ phase: "Scaling" });
    expect(stored.metadata?.generation).toBe(2);
    expect(both.metadata?.resourceVersion).toBe(stored.metadata?.resourceVersion);
  });
});
