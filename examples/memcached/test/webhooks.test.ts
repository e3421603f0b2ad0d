import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { type ApiError, Manager, Namespace } from "@operator-ts/runtime";
import { eventually, startCluster, type TestCluster } from "@operator-ts/runtime/envtest";
import { FakeClientBuilder } from "@operator-ts/runtime/fake";
import { getWebhookServer } from "@operator-ts/runtime/webhook";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Memcached } from "../src/api.ts";
import { manifestsYaml } from "../src/manifests.ts";
import { memcachedDefaulter, memcachedValidator, QUOTA_ANNOTATION, setupMemcachedWebhooks } from "../src/webhooks.ts";

const crdDir = fileURLToPath(new URL("../config/crd", import.meta.url));
const webhookDir = fileURLToPath(new URL("../config/webhook", import.meta.url));

const memcached = (namespace: string, name: string, size?: number): Memcached => ({
  apiVersion: Memcached.apiVersion,
  kind: Memcached.kind,
  metadata: { name, namespace },
  spec: size === undefined ? {} : { size },
});

const refusal = (promise: Promise<unknown>) =>
  promise.then(
    () => "accepted",
    (err: ApiError) => err.message,
  );

describe("examples/memcached webhooks", () => {
  it("ships webhook manifests that match the code", () => {
    expect(readFileSync(`${webhookDir}/manifests.yaml`, "utf8")).toBe(manifestsYaml());
  });

  it("default and validate in unit tests through the fake client", async () => {
    const quota: Namespace = { apiVersion: "v1", kind: "Namespace", metadata: { name: "small", annotations: { [QUOTA_ANNOTATION]: "2" } } };
    const fake = new FakeClientBuilder().withKind(Memcached, { namespaced: true }).withObjects(quota).build();
    const client = new FakeClientBuilder()
      .withKind(Memcached, { namespaced: true })
      .withObjects(quota)
      .withWebhooks(Memcached, { defaulter: memcachedDefaulter, validator: memcachedValidator(fake) })
      .build();
    expect((await client.create(memcached("small", "a"))).spec.size).toBe(1);
    expect(await refusal(client.create(memcached("small", "b", 3)))).toContain("spec.size: Invalid value: 3: must be at most 2, the quota of namespace small");
  });
});

describe("examples/memcached webhooks called by a real API server", () => {
  let cluster: TestCluster;
  let mgr: Manager;
  const stop = new AbortController();
  let running: Promise<void>;

  beforeAll(async () => {
    cluster = await startCluster({ name: "memcached-webhooks", crds: [crdDir], webhooks: true });
    mgr = await Manager.create({ kubeconfig: cluster.kubeconfig });
    getWebhookServer(mgr, cluster.webhooks.serverOptions());
    setupMemcachedWebhooks(mgr);
    // The shipped manifests, pointed at this process on loopback.
    expect(await cluster.installWebhooks({ paths: [webhookDir] })).toEqual([
      "MutatingWebhookConfiguration/memcached-mutating-webhook-configuration",
      "ValidatingWebhookConfiguration/memcached-validating-webhook-configuration",
    ]);
    running = mgr.start(stop.signal);
    await eventually(async () => (await refusal(mgr.client.create(memcached("default", "probe", 9), { dryRun: true }))).includes("denied"), "webhooks called");
  });

  afterAll(async () => {
    stop.abort();
    await running;
    await cluster?.stop();
  });

  it("defaults the size to 1 on create", async () => {
    const created = await mgr.client.create(memcached("default", "plain"));
    expect(created.spec.size).toBe(1);
  });

  it("refuses a size out of bounds with the field and the rule", async () => {
    expect(await refusal(mgr.client.create(memcached("default", "huge", 7)))).toContain(
      'admission webhook "vmemcached-v1alpha1.cache.example.com" denied the request: Memcached.cache.example.com "huge" is invalid: spec.size: Invalid value: 7: must be between 1 and 5',
    );
    expect(await refusal(mgr.client.create(memcached("default", "none", 0)))).toContain("spec.size: Invalid value: 0: must be between 1 and 5");
  });

  it("keeps each Memcached within its namespace's quota annotation, on create and update", async () => {
    await mgr.client.create<Namespace>({ apiVersion: "v1", kind: "Namespace", metadata: { name: "small", annotations: { [QUOTA_ANNOTATION]: "2" } } });
    expect(await refusal(mgr.client.create(memcached("small", "three", 3)))).toContain("spec.size: Invalid value: 3: must be at most 2, the quota of namespace small");
    const two = await mgr.client.create(memcached("small", "two", 2));
    expect(await refusal(mgr.client.update({ ...two, spec: { ...two.spec, size: 3 } }))).toContain("must be at most 2, the quota of namespace small");
  });
});
