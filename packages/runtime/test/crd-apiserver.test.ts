import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ApiError } from "../src/client/errors.ts";
import { RestTransport } from "../src/client/transport.ts";
import type { CustomResource, CustomResourceDefinition } from "../src/crd/index.ts";
import { writeCRDs } from "../src/crd/index.ts";
import { startCluster, type TestCluster } from "../src/envtest/index.ts";
import { GadgetV1, GadgetV1alpha1, Widget } from "./fixtures/crd-widget.ts";

type WidgetObject = CustomResource<typeof Widget>;

const WIDGETS = "/apis/example.operator-ts.dev/v1/namespaces/default/widgets";
const CRDS = "/apis/apiextensions.k8s.io/v1/customresourcedefinitions";

const widget = (name: string, spec: Record<string, unknown>) => ({
  apiVersion: Widget.apiVersion,
  kind: Widget.kind,
  metadata: { name },
  spec,
});

describe("generated CRDs on a real API server", () => {
  let cluster: TestCluster;
  let api: RestTransport;
  const dir = mkdtempSync(join(tmpdir(), "operator-ts-crd-"));

  const rejection = async (body: unknown): Promise<ApiError> => {
    const err = await api.request("POST", WIDGETS, { body }).then(
      () => new Error("the API server accepted an invalid Widget"),
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).reason).toBe("Invalid");
    return err as ApiError;
  };

  beforeAll(async () => {
    const files = await writeCRDs(dir, [Widget, GadgetV1alpha1, GadgetV1]);
    cluster = await startCluster({ name: "crd" });
    expect(await cluster.installCRDs(files)).toEqual(["gadgets.example.operator-ts.dev", "widgets.example.operator-ts.dev"]);
    api = await RestTransport.fromKubeConfig(cluster.kubeconfig);
  });

  afterAll(async () => {
    await api?.close();
    await cluster?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("accepts a valid object, applies the defaults and prunes unknown fields outside preserved ones", async () => {
    const created = await api.request<WidgetObject & { spec: { bogus?: unknown } }>("POST", WIDGETS, {
      body: widget("plain", {
        image: "nginx:1.27",
        port: "http",
        memory: "512Mi",
        labels: { team: "a" },
        containers: [{ name: "main", args: ["-v"] }],
        config: { anything: { nested: [1, 2] } },
        extra: "a string is fine",
        owner: null,
        ratio: 0.5,
        bogus: "pruned",
      }),
    });
    expect(created.spec).toEqual({
      size: 3,
      color: "red",
      image: "nginx:1.27",
      port: "http",
      memory: "512Mi",
      labels: { team: "a" },
      containers: [{ name: "main", args: ["-v"] }],
      config: { anything: { nested: [1, 2] } },
      extra: "a string is fine",
      owner: null,
      ratio: 0.5,
    });
    const numeric = await api.request<WidgetObject>("POST", WIDGETS, {
      body: widget("numeric", { image: "nginx", size: 5, color: "blue", port: 8080, memory: 2 }),
    });
    expect(numeric.spec).toMatchObject({ size: 5, color: "blue", port: 8080, memory: 2 });
  });

  it("rejects a wrong enum value and a value below the minimum, naming the fields", async () => {
    const err = await rejection(widget("bad-values", { image: "nginx", color: "purple", size: 0 }));
    expect(err.message).toMatch(/spec\.color: Unsupported value: "purple"/);
    expect(err.message).toMatch(/spec\.size: Invalid value: 0/);
  });

  it("rejects a missing required field and values the other validations forbid", async () => {
    expect((await rejection(widget("no-image", { size: 2 }))).message).toMatch(/spec\.image: Required value/);
    const noSpec = { apiVersion: Widget.apiVersion, kind: Widget.kind, metadata: { name: "no-spec" } };
    expect((await rejection(noSpec)).message).toMatch(/spec: Required value/);
    expect((await rejection(widget("bad-memory", { image: "nginx", memory: "lots" }))).message).toMatch(/spec\.memory/);
    expect((await rejection(widget("zero-ratio", { image: "nginx", ratio: 0 }))).message).toMatch(/spec\.ratio/);
    const args = Array.from({ length: 9 }, (_, i) => `-${i}`);
    expect((await rejection(widget("many-args", { image: "nginx", containers: [{ name: "c", args }] }))).message).toMatch(
      /spec\.containers\[0\]\.args: Too many/,
    );
    expect((await rejection(widget("big-blue", { image: "nginx", color: "blue", size: 6 }))).message).toMatch(
      /blue widgets have at most 5 replicas/,
    );
  });

  it("stores printer columns, short names, categories and subresources, and serves them", async () => {
    const stored = await api.request<CustomResourceDefinition>("GET", `${CRDS}/widgets.example.operator-ts.dev`);
    expect(stored.spec.names.shortNames).toEqual(["wd"]);
    expect(stored.spec.names.categories).toEqual(["all-widgets"]);
    const [version] = stored.spec.versions;
    expect(version!.additionalPrinterColumns).toEqual(Widget.definition.additionalPrinterColumns);
    expect(version!.subresources).toEqual(Widget.definition.subresources);

    const discovery = await api.request<{ resources: { name: string; shortNames?: string[]; categories?: string[] }[] }>(
      "GET",
      "/apis/example.operator-ts.dev/v1",
    );
    const widgets = discovery.resources.find((r) => r.name === "widgets");
    expect(widgets).toMatchObject({ shortNames: ["wd"], categories: ["all-widgets"] });
    expect(discovery.resources.map((r) => r.name)).toEqual(expect.arrayContaining(["widgets/status", "widgets/scale"]));

    await api.request("POST", WIDGETS, { body: widget("scaled", { image: "nginx", size: 4, color: "green" }) });
    const scale = await api.request<{ spec: { replicas: number } }>("GET", `${WIDGETS}/scaled/scale`);
    expect(scale.spec.replicas).toBe(4);
    const current = await api.request<WidgetObject>("GET", `${WIDGETS}/scaled`);
    const updated = await api.request<WidgetObject>("PUT", `${WIDGETS}/scaled/status`, {
      body: { ...current, status: { readyReplicas: 4, phase: "Ready", conditions: [{ type: "Ready", status: "True" }] } },
    });
    expect(updated.status).toEqual({ readyReplicas: 4, phase: "Ready", conditions: [{ type: "Ready", status: "True" }] });

    const green = await api.request<{ items: WidgetObject[] }>("GET", WIDGETS, { query: { fieldSelector: "spec.color=green" } });
    expect(green.items.map((w) => w.metadata.name)).toEqual(["scaled"]);
  });

  it("serves every version of a multi-version CRD from its one storage version", async () => {
    const stored = await api.request<CustomResourceDefinition>("GET", `${CRDS}/gadgets.example.operator-ts.dev`);
    expect(stored.spec.scope).toBe("Cluster");
    expect(stored.spec.versions.map((v) => [v.name, v.storage])).toEqual([
      ["v1alpha1", false],
      ["v1", true],
    ]);
    await api.request("POST", "/apis/example.operator-ts.dev/v1alpha1/gadgets", {
      body: { apiVersion: GadgetV1alpha1.apiVersion, kind: "Gadget", metadata: { name: "g" }, spec: { name: "old" } },
    });
    const asV1 = await api.request<CustomResource<typeof GadgetV1>>("GET", "/apis/example.operator-ts.dev/v1/gadgets/g");
    expect(asV1.apiVersion).toBe("example.operator-ts.dev/v1");
    expect(asV1.spec).toEqual({ name: "old" });
  });
});
