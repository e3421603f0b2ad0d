import { describe, expect, it } from "vitest";
import type { KubeObject } from "../src/api/object.ts";
import { jsonClone, jsonEqual, selectFromStore, Store } from "../src/cache/index.ts";

const obj = (ns: string, name: string, rv: string, extra: Partial<KubeObject> & Record<string, unknown> = {}): KubeObject => ({
  apiVersion: "v1",
  kind: "ConfigMap",
  ...extra,
  metadata: { namespace: ns, name, resourceVersion: rv, ...(extra.metadata ?? {}) },
});

describe("store", () => {
  it("keeps indexes and namespaces current through adds, updates and deletes", () => {
    const store = new Store<KubeObject>();
    store.addIndex("owner", (o) => [((o as { data?: { owner?: string } }).data?.owner) ?? ""].filter(Boolean));
    store.upsert(obj("a", "1", "1", { data: { owner: "x" } }));
    store.upsert(obj("b", "2", "2", { data: { owner: "x" } }));
    store.upsert(obj("a", "3", "3", { data: { owner: "y" } }));
    expect(store.byIndex("owner", "x").map((o) => o.metadata?.name).sort()).toEqual(["1", "2"]);
    expect([...store.namespaceKeys("a")].sort()).toEqual(["a/1", "a/3"]);

    store.upsert(obj("a", "1", "4", { data: { owner: "y" } }));
    expect(store.byIndex("owner", "x").map((o) => o.metadata?.name)).toEqual(["2"]);
    expect(store.byIndex("owner", "y").map((o) => o.metadata?.name).sort()).toEqual(["1", "3"]);

    store.delete("b/2");
    expect(store.byIndex("owner", "x")).toEqual([]);
    expect(store.indexValues("owner")).toEqual(["y"]);
    expect(store.namespaceKeys("b").size).toBe(0);

    // An index added later covers what is already stored.
    store.addIndex("name", (o) => [o.metadata?.name ?? ""]);
    expect(store.byIndex("name", "3")).toHaveLength(1);
    expect(() => store.byIndex("missing", "x")).toThrow(/no index/);
  });

  it("survives an index function that throws", () => {
    const errors: string[] = [];
    const store = new Store<KubeObject>((index) => errors.push(index));
    store.addIndex("bad", () => {
      throw new Error("boom");
    });
    store.upsert(obj("a", "1", "1"));
    expect(store.get("a/1")).toBeDefined();
    expect(errors).toEqual(["bad"]);
  });

  it("replace() reports adds, real updates and deletes, within a namespace when given one", () => {
    const store = new Store<KubeObject>();
    store.upsert(obj("a", "same", "1", { data: { v: "1" } }));
    store.upsert(obj("a", "changed", "1"));
    store.upsert(obj("a", "gone", "1"));
    store.upsert(obj("a", "same-rv-new-content", "5", { data: { v: "1" } }));
    store.upsert(obj("b", "other-namespace", "1"));

    const result = store.replace(
      [
        obj("a", "same", "1", { data: { v: "1" } }),
        obj("a", "changed", "2"),
        obj("a", "new", "3"),
        obj("a", "same-rv-new-content", "5", { data: { v: "2" } }),
      ],
      "a",
    );
    expect(result.added.map((o) => o.metadata?.name)).toEqual(["new"]);
    expect(result.updated.map((u) => u.newObj.metadata?.name)).toEqual(["changed", "same-rv-new-content"]);
    expect(result.deleted.map((o) => o.metadata?.name)).toEqual(["gone"]);
    expect(store.get("b/other-namespace")).toBeDefined();

    const everything = store.replace([]);
    expect(everything.deleted).toHaveLength(5);
    expect(store.size).toBe(0);
  });

  it("selects through indexes, namespaces, names and labels", () => {
    const store = new Store<KubeObject>();
    const index = (o: KubeObject) => {
      const v = (o as { data?: { owner?: string } }).data?.owner;
      return v ? [`__all_namespaces/${v}`, `${o.metadata?.namespace}/${v}`] : [];
    };
    store.addIndex("field:data.owner", index);
    for (const ns of ["a", "b"]) {
      for (let i = 0; i < 4; i++) {
        store.upsert(obj(ns, `cm${i}`, "1", { data: { owner: i % 2 ? "odd" : "even" }, metadata: { labels: { i: String(i) } } }));
      }
    }
    const names = (q: Parameters<typeof selectFromStore>[1]) =>
      selectFromStore(store, q).map((o) => `${o.metadata?.namespace}/${o.metadata?.name}`).sort();
    const base = { kind: "ConfigMap", namespaced: true };
    expect(names({ ...base, matchingFields: { "data.owner": "odd" } })).toEqual(["a/cm1", "a/cm3", "b/cm1", "b/cm3"]);
    expect(names({ ...base, namespace: "b", matchingFields: { "data.owner": "odd" } })).toEqual(["b/cm1", "b/cm3"]);
    expect(names({ ...base, fieldSelector: "data.owner=even,metadata.namespace=a" })).toEqual(["a/cm0", "a/cm2"]);
    expect(names({ ...base, fieldSelector: "data.owner!=even", namespace: "a" })).toEqual(["a/cm1", "a/cm3"]);
    expect(names({ ...base, fieldSelector: "metadata.name=cm2" })).toEqual(["a/cm2", "b/cm2"]);
    expect(names({ ...base, namespace: "a", fieldSelector: "metadata.name=cm2" })).toEqual(["a/cm2"]);
    expect(names({ ...base, namespace: "a", labelSelector: "i in (1,2)" })).toEqual(["a/cm1", "a/cm2"]);
    expect(selectFromStore(store, { ...base, limit: 3 })).toHaveLength(3);
    expect(() => selectFromStore(store, { ...base, fieldSelector: "status.phase=x" })).toThrow(/no index/);
  });
});

describe("JSON helpers", () => {
  it("copies deeply and compares structurally", () => {
    const original = JSON.parse('{"a":[1,{"b":"c"}],"d":{"e":null},"__proto__":{"x":1}}') as Record<string, unknown>;
    const copy = jsonClone(original);
    expect(copy).not.toBe(original);
    expect(jsonEqual(copy, original)).toBe(true);
    expect(Object.getPrototypeOf(copy)).toBe(Object.prototype);
    (copy.a as unknown[])[0] = 2;
    expect((original.a as unknown[])[0]).toBe(1);
    expect(jsonEqual(copy, original)).toBe(false);
    expect(jsonEqual({ a: 1, b: 2 }, { b: 2, a: 1 })).toBe(true);
    expect(jsonEqual({ a: 1 }, { a: 1, b: 2 })).toBe(false);
    expect(jsonEqual([1], { 0: 1 })).toBe(false);
  });

  it("treat an undefined property as absent, as the API server does", () => {
    expect(jsonEqual({ a: 1, b: undefined }, { a: 1 })).toBe(true);
    expect(jsonEqual({ a: 1 }, { a: 1, b: undefined })).toBe(true);
    expect(jsonEqual({ a: undefined }, { a: null })).toBe(false);
    expect(Object.keys(jsonClone({ a: 1, b: undefined }))).toEqual(["a"]);
    expect(jsonClone({ at: new Date(0) })).toEqual({ at: "1970-01-01T00:00:00.000Z" });
  });
});
