import { describe, expect, it } from "vitest";
import { ConfigMap } from "../src/api/kinds.ts";
import { metadataOnly } from "../src/index.ts";
import { FakeClientBuilder } from "../src/fake/index.ts";
import { isNotFound } from "../src/client/errors.ts";

const cm = (name: string, data: Record<string, string>): ConfigMap => ({
  apiVersion: "v1",
  kind: "ConfigMap",
  metadata: { name, namespace: "ns", labels: { app: "x" } },
  data,
});

describe("fake client, metadata-only reads", () => {
  it("lists and gets only apiVersion, kind and metadata, and full reads are unchanged", async () => {
    const client = new FakeClientBuilder().withObjects(cm("a", { big: "x".repeat(1000) }), cm("b", { k: "v" })).build();
    const list = await client.list(metadataOnly(ConfigMap), { namespace: "ns", labelSelector: { app: "x" } });
    expect(list.kind).toBe("ConfigMapList");
    expect(list.items.map((o) => o.metadata.name).sort()).toEqual(["a", "b"]);
    for (const item of list.items) {
      expect(Object.keys(item).sort()).toEqual(["apiVersion", "kind", "metadata"]);
      expect(item).toMatchObject({ apiVersion: "v1", kind: "ConfigMap" });
      expect(item.metadata.resourceVersion).toBeTruthy();
    }
    const one = await client.get(metadataOnly(ConfigMap), { namespace: "ns", name: "a" });
    expect(one).toEqual({ apiVersion: "v1", kind: "ConfigMap", metadata: expect.objectContaining({ name: "a", labels: { app: "x" } }) });
    const full = await client.get(ConfigMap, { namespace: "ns", name: "a" });
    expect(full.data?.big).toHaveLength(1000);
    await expect(client.get(metadataOnly(ConfigMap), { namespace: "ns", name: "missing" })).rejects.toSatisfy(isNotFound);
  });

  it("hands out copies: changing a metadata read leaves the stored object alone", async () => {
    const client = new FakeClientBuilder().withObjects(cm("a", { k: "v" })).build();
    const one = await client.get(metadataOnly(ConfigMap), { namespace: "ns", name: "a" });
    one.metadata.labels!.app = "changed";
    expect((await client.get(ConfigMap, { namespace: "ns", name: "a" })).metadata?.labels).toEqual({ app: "x" });
  });
});
