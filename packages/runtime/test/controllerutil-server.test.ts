import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ConfigMap, Deployment, type ConfigMap as ConfigMapT, type Deployment as DeploymentT } from "../src/api/kinds.ts";
import { type KubeObject, resourceType } from "../src/api/object.ts";
import { RESTMapper } from "../src/client/restmapper.ts";
import { InformerCache } from "../src/cache/index.ts";
import { isAlreadyExists, isNotFound, newClient, RestClient } from "../src/client/index.ts";
import { createOrPatch, createOrUpdate, finalize, setControllerReference } from "../src/controllerutil/index.ts";
import { startCluster, type TestCluster } from "../src/envtest/index.ts";

interface Gizmo extends KubeObject {
  spec?: { size?: number };
  status?: { phase?: string };
}
const Gizmo = resourceType<Gizmo>("util.operator-ts.dev/v1", "Gizmo");

const gizmoCRD = {
  apiVersion: "apiextensions.k8s.io/v1",
  kind: "CustomResourceDefinition",
  metadata: { name: "gizmos.util.operator-ts.dev" },
  spec: {
    group: "util.operator-ts.dev",
    names: { kind: "Gizmo", listKind: "GizmoList", plural: "gizmos", singular: "gizmo" },
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
              spec: { type: "object", properties: { size: { type: "integer" } } },
              status: { type: "object", properties: { phase: { type: "string" } } },
            },
          },
        },
      },
    ],
  },
};

const gizmo = (name: string): Gizmo => ({ apiVersion: Gizmo.apiVersion, kind: Gizmo.kind, metadata: { name, namespace: "default" } });

describe("controllerutil on a real API server", () => {
  let cluster: TestCluster;
  let client: RestClient;
  let dir: string;

  beforeAll(async () => {
    cluster = await startCluster({ name: "controllerutil" });
    dir = await mkdtemp(join(tmpdir(), "operator-ts-controllerutil-test-"));
    await writeFile(join(dir, "gizmos.json"), JSON.stringify(gizmoCRD));
    await cluster.installCRDs([dir]);
    client = await RestClient.fromKubeConfig(cluster.kubeconfig, { fieldManager: "controllerutil-test" });
  });

  afterAll(async () => {
    await client?.close();
    await cluster?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("createOrUpdate creates, leaves server-defaulted objects unchanged, and updates", async () => {
    const owner = await client.create(gizmo("owner"));
    const mutate = (d: DeploymentT) => {
      setControllerReference(owner, d);
      d.metadata!.labels = { ...d.metadata!.labels, app: "web" };
      d.spec ??= { selector: { matchLabels: { app: "web" } }, template: { spec: { containers: [] } } };
      d.spec.replicas = 2;
      d.spec.selector = { matchLabels: { app: "web" } };
      d.spec.template.metadata = { labels: { app: "web" } };
      const containers = d.spec.template.spec!.containers;
      const app = containers.find((c) => c.name === "app");
      if (app) app.image = "nginx:1.27";
      else containers.push({ name: "app", image: "nginx:1.27" });
    };
    const web: DeploymentT = { apiVersion: "apps/v1", kind: "Deployment", metadata: { name: "web", namespace: "default" } };
    expect(await createOrUpdate(client, web, mutate)).toBe("created");
    expect(web.metadata?.uid).toBeTruthy();
    expect(web.spec?.strategy?.type).toBe("RollingUpdate");

    const again: DeploymentT = { apiVersion: "apps/v1", kind: "Deployment", metadata: { name: "web", namespace: "default" } };
    expect(await createOrUpdate(client, again, mutate)).toBe("unchanged");
    expect(again.metadata?.resourceVersion).toBe(web.metadata?.resourceVersion);

    const scaled: DeploymentT = { apiVersion: "apps/v1", kind: "Deployment", metadata: { name: "web", namespace: "default" } };
    expect(await createOrUpdate(client, scaled, (d) => void (d.spec!.replicas = 5))).toBe("updated");
    const stored = await client.get(Deployment, { namespace: "default", name: "web" });
    expect(stored.spec?.replicas).toBe(5);
    expect(stored.metadata?.ownerReferences?.[0]).toMatchObject({ kind: "Gizmo", name: "owner", uid: owner.metadata?.uid, controller: true });
    expect(scaled.metadata?.resourceVersion).toBe(stored.metadata?.resourceVersion);

    const config: ConfigMapT = { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "web-config", namespace: "default" } };
    expect(await createOrUpdate(client, config, (c) => void (c.data = { a: "1" }))).toBe("created");
    expect((await client.get(ConfigMap, { namespace: "default", name: "web-config" })).data).toEqual({ a: "1" });
  });

  it("createOrPatch writes status through the status subresource", async () => {
    const g = gizmo("patched");
    expect(
      await createOrPatch(client, g, (o) => {
        o.spec = { size: 1 };
        o.status = { phase: "Pending" };
      }),
    ).toBe("created");
    expect((await client.get(Gizmo, { namespace: "default", name: "patched" })).status).toEqual({ phase: "Pending" });
    expect(await createOrPatch(client, gizmo("patched"), (o) => void (o.status = { phase: "Ready" }))).toBe("updated");
    const stored = await client.get(Gizmo, { namespace: "default", name: "patched" });
    expect(stored.status).toEqual({ phase: "Ready" });
    expect(stored.metadata?.generation).toBe(1);
    expect(await createOrPatch(client, gizmo("patched"), (o) => void (o.spec = { size: 1 }))).toBe("unchanged");
  });

  it("createOrUpdate and createOrPatch go on with the server's copy when the cache has not seen the object yet", async () => {
    // A cache that does not hold the object although the server does, as one that lags after an outage.
    const cache = new InformerCache(client.transport, new RESTMapper(client.transport), { defaultLabelSelector: { seen: "yes" } });
    const stop = new AbortController();
    const running = cache.start(stop.signal);
    try {
      const cached = newClient({ reader: cache, writer: client });
      await client.create<ConfigMapT>({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "unseen", namespace: "default" }, data: { a: "1" } });
      const unseen = (): ConfigMapT => ({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "unseen", namespace: "default" } });
      const set = (value: string) => (c: ConfigMapT) => void (c.data = { ...c.data, a: value });

      const refused = await createOrUpdate(cached, unseen(), set("2")).catch((e: unknown) => e);
      expect(isAlreadyExists(refused)).toBe(true);
      const updated = unseen();
      expect(await createOrUpdate(cached, updated, set("2"), { apiReader: client })).toBe("updated");
      expect(updated.metadata?.uid).toBeTruthy();
      expect((await client.get(ConfigMap, { namespace: "default", name: "unseen" })).data).toEqual({ a: "2" });
      expect(await createOrUpdate(cached, unseen(), set("2"), { apiReader: client })).toBe("unchanged");
      expect(await createOrPatch(cached, unseen(), set("3"), { apiReader: client })).toBe("updated");
      expect((await client.get(ConfigMap, { namespace: "default", name: "unseen" })).data).toEqual({ a: "3" });
    } finally {
      stop.abort();
      await running;
    }
  });

  it("finalize holds deletion until cleanup ran", async () => {
    const g = await client.create(gizmo("finalized"));
    expect(await finalize(client, g, "util.operator-ts.dev/cleanup", () => undefined)).toBe("added");
    await client.delete(g);
    const deleting = await client.get(Gizmo, { namespace: "default", name: "finalized" });
    expect(deleting.metadata?.deletionTimestamp).toBeTruthy();
    let cleaned = false;
    expect(await finalize(client, deleting, "util.operator-ts.dev/cleanup", () => void (cleaned = true))).toBe("finalized");
    expect(cleaned).toBe(true);
    expect(isNotFound(await client.get(Gizmo, { namespace: "default", name: "finalized" }).catch((e: unknown) => e))).toBe(true);
  });
});
