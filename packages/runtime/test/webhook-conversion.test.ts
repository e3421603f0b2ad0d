import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RestClient } from "../src/client/rest-client.ts";
import { RestTransport } from "../src/client/transport.ts";
import { customResourceDefinition, defineCustomResource, Type, writeCRDs } from "../src/crd/index.ts";
import { startCluster, type TestCluster } from "../src/envtest/index.ts";
import { CustomResourceDefinition } from "../src/api/kinds.ts";
import { CertRotator, ConversionWebhook, webhookManagedBy, WebhookServer } from "../src/webhook/index.ts";
import { eventually } from "../../../test/support/eventually.ts";
import { SAME_SHELF, SHELF_VERSIONS, ShelfV1, ShelfV1alpha1, ShelfV2 } from "./fixtures/webhook-shelf.ts";

describe("conversion through a hub", () => {
  const hook = new ConversionWebhook();
  hook.add(...SHELF_VERSIONS);
  const names = Object.keys(SAME_SHELF) as (keyof typeof SAME_SHELF)[];

  for (const from of names) {
    for (const to of names) {
      if (from === to) continue;
      it(`converts ${from} to ${to} and back unchanged`, () => {
        const there = hook.convert(structuredClone(SAME_SHELF[from]), SAME_SHELF[to].apiVersion);
        expect(there).toEqual(SAME_SHELF[to]);
        expect(hook.convert(there, SAME_SHELF[from].apiVersion)).toEqual(SAME_SHELF[from]);
      });
    }
  }

  it("answers a ConversionReview with every object converted, and a Failure naming an unknown version", async () => {
    const review = await hook.review({
      apiVersion: "apiextensions.k8s.io/v1",
      kind: "ConversionReview",
      request: { uid: "1", desiredAPIVersion: ShelfV2.apiVersion, objects: [SAME_SHELF.v1alpha1, SAME_SHELF.v1] },
    });
    expect(review.response).toEqual({ uid: "1", convertedObjects: [SAME_SHELF.v2, SAME_SHELF.v2], result: { status: "Success" } });
    const failed = await hook.review({
      apiVersion: "apiextensions.k8s.io/v1",
      kind: "ConversionReview",
      request: { uid: "2", desiredAPIVersion: "convert.operator-ts.dev/v9", objects: [SAME_SHELF.v1] },
    });
    expect(failed.response?.result).toEqual({ status: "Failure", message: "cannot convert Shelf from convert.operator-ts.dev/v1 to convert.operator-ts.dev/v9: unknown version" });
    await expect(hook.review({ kind: "AdmissionReview" })).rejects.toThrow("not a ConversionReview");
  });

  it("writes conversion strategy Webhook into the CRD, and refuses versions without a way to the hub", () => {
    const crd = customResourceDefinition([...SHELF_VERSIONS], { conversionWebhook: { service: { namespace: "shelf-system", name: "shelf-webhook" } } });
    expect(crd.spec.conversion).toEqual({
      strategy: "Webhook",
      webhook: { conversionReviewVersions: ["v1"], clientConfig: { service: { namespace: "shelf-system", name: "shelf-webhook", path: "/convert", port: 443 } } },
    });
    expect(customResourceDefinition([...SHELF_VERSIONS]).spec.conversion?.webhook?.clientConfig.service).toEqual({
      namespace: "system",
      name: "webhook-service",
      path: "/convert",
      port: 443,
    });
    const stray = defineCustomResource({ group: "convert.operator-ts.dev", version: "v3", kind: "Shelf", scope: "Namespaced", spec: Type.Object({}) });
    expect(() => customResourceDefinition([ShelfV1, stray])).toThrow("version v3 has no conversion to the hub v1");
    expect(() =>
      defineCustomResource({
        group: "convert.operator-ts.dev",
        version: "v3",
        kind: "Shelf",
        scope: "Namespaced",
        spec: Type.Object({}),
        conversion: { hub: ShelfV1alpha1 as never, toHub: (o) => o as never, fromHub: (o) => o as never },
      }),
    ).toThrow("v1alpha1 is not defined with hub: true");
  });
});

describe("a conversion webhook called by a real API server", () => {
  let cluster: TestCluster;
  let transport: RestTransport;
  let client: RestClient;
  const dir = mkdtempSync(join(tmpdir(), "operator-ts-conversion-"));
  const stop = new AbortController();
  let running: Promise<void>;

  beforeAll(async () => {
    const crds = await writeCRDs(dir, [...SHELF_VERSIONS]);
    cluster = await startCluster({ name: "conversion", webhooks: true, crds });
    const server = new WebhookServer(cluster.webhooks.serverOptions());
    expect(webhookManagedBy(undefined, server).for(ShelfV1).withConversion(ShelfV1alpha1, ShelfV2).complete()).toEqual({ convertPath: "/convert" });
    running = server.start(stop.signal);
    await server.address();
    transport = await RestTransport.fromKubeConfig(cluster.kubeconfig);
    client = new RestClient(transport);
  });

  afterAll(async () => {
    stop.abort();
    await running;
    await transport?.close();
    await cluster?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("stores an object written in the old version as the hub and serves it in every version", async () => {
    const { metadata: _meta, ...old } = SAME_SHELF.v1alpha1;
    const created = await eventually(
      () => client.create({ ...old, metadata: { name: "books", namespace: "default", labels: { a: "b" } } } as never),
      "a create the API server converts through the webhook",
    );
    expect((created as unknown as { spec: unknown }).spec).toEqual(SAME_SHELF.v1alpha1.spec);
    const asV2 = await client.get(ShelfV2, { namespace: "default", name: "books" });
    expect(asV2.spec).toEqual(SAME_SHELF.v2.spec);
    expect(asV2.metadata?.labels).toEqual({ a: "b" });
    const asV1 = await client.get(ShelfV1, { namespace: "default", name: "books" });
    expect(asV1.spec).toEqual(SAME_SHELF.v1.spec);
    // etcd holds the storage version (the hub), converted from the v1alpha1 the object was written in.
    const key = Buffer.from(`/registry/convert.operator-ts.dev/${ShelfV1.names.plural}/default/books`).toString("base64");
    const res = await fetch(`${cluster.etcdUrl}/v3/kv/range`, { method: "POST", body: JSON.stringify({ key }) });
    const { kvs } = (await res.json()) as { kvs: { value: string }[] };
    const stored = JSON.parse(Buffer.from(kvs[0]!.value, "base64").toString()) as { apiVersion: string; spec: unknown };
    expect(stored.apiVersion).toBe(ShelfV1.apiVersion);
    expect(stored.spec).toEqual(SAME_SHELF.v1.spec);
  });

  it("updates through a spoke and lists in another version", async () => {
    const v2 = await client.get(ShelfV2, { namespace: "default", name: "books" });
    await client.update({ ...v2, spec: { size: 5, image: { repository: "memcached", tag: "1.7" } } });
    const list = await client.list(ShelfV1alpha1, { namespace: "default" });
    expect(list.items.map((s) => s.spec)).toEqual([{ replicas: 5, image: "memcached:1.7" }]);
  });
});

describe("a conversion webhook whose CA the CertRotator writes into the CRD's spec.conversion", () => {
  let cluster: TestCluster;
  let transport: RestTransport;
  let client: RestClient;
  let rotator: CertRotator;
  const dir = mkdtempSync(join(tmpdir(), "operator-ts-conversion-certs-"));
  const stop = new AbortController();
  let running: Promise<void>;
  const crdName = `${ShelfV1.names.plural}.${ShelfV1.group}`;

  beforeAll(async () => {
    // No test CA here: the CRD is installed without a caBundle, and only the rotator's makes the API server trust us.
    cluster = await startCluster({ name: "conversion-certs" });
    transport = await RestTransport.fromKubeConfig(cluster.kubeconfig);
    client = new RestClient(transport);
    rotator = new CertRotator({
      client,
      secret: { namespace: "default", name: "shelf-webhook-cert" },
      hosts: ["127.0.0.1"],
      targets: { crds: [crdName] },
      checkIntervalMs: 500,
    });
    const server = new WebhookServer({ host: "127.0.0.1", port: 0, certificates: rotator });
    webhookManagedBy(undefined, server).for(ShelfV1).withConversion(ShelfV1alpha1, ShelfV2).complete();
    running = server.start(stop.signal);
    const { port } = await server.address();
    // The CRD comes after the server (its URL holds the port); the rotator finds it on a later pass.
    await cluster.installCRDs(await writeCRDs(dir, [...SHELF_VERSIONS], { conversionWebhook: { url: `https://127.0.0.1:${port}/convert` } }));
  });

  afterAll(async () => {
    stop.abort();
    await running;
    await transport?.close();
    await cluster?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("writes the caBundle into the CRD, and the API server then serves every version converted from the stored one", async () => {
    const bundle = Buffer.from(rotator.caBundle()!).toString("base64");
    const crd = await eventually(async () => {
      const c = await client.get(CustomResourceDefinition, { name: crdName });
      return c.spec.conversion?.webhook?.clientConfig?.caBundle === bundle ? c : undefined;
    }, "the caBundle in the CRD");
    expect(crd.spec.conversion?.webhook?.clientConfig?.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+\/convert$/);
    const { metadata: _meta, ...old } = SAME_SHELF.v1alpha1;
    await eventually(
      () => client.create({ ...old, metadata: { name: "rotated", namespace: "default" } } as never),
      "a create in v1alpha1 converted to the stored v1 through the webhook",
    );
    expect((await client.get(ShelfV2, { namespace: "default", name: "rotated" })).spec).toEqual(SAME_SHELF.v2.spec);
    expect((await client.get(ShelfV1alpha1, { namespace: "default", name: "rotated" })).spec).toEqual(SAME_SHELF.v1alpha1.spec);
  });
});
