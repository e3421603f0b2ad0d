import { fileURLToPath } from "node:url";
import { KubeConfig } from "@kubernetes/client-node";
import { Deployment, Event, Manager, type Client } from "@operator-ts/runtime";
import { staleCRDs } from "@operator-ts/runtime/crd";
import { eventually, expectCondition, gone, startCluster, type TestCluster, waitForCondition } from "@operator-ts/runtime/envtest";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Memcached } from "../src/api.ts";
import { AVAILABLE, FINALIZER, PROGRESSING, setupMemcachedController } from "../src/controller.ts";
import { recordLogs } from "../../../test/support/logs.ts";

const crdDir = fileURLToPath(new URL("../config/crd", import.meta.url));

describe("examples/memcached on a real API server with kube-controller-manager", () => {
  let cluster: TestCluster;
  let mgr: Manager;
  let client: Client;
  const stop = new AbortController();
  let running: Promise<void>;
  const logs = recordLogs("info");

  beforeAll(async () => {
    cluster = await startCluster({ name: "memcached", controllerManager: true, crds: [crdDir] });
    const kubeconfig = new KubeConfig();
    kubeconfig.loadFromString(cluster.kubeconfigYaml);
    mgr = await Manager.create({ kubeconfig, logger: logs.logger });
    await setupMemcachedController(mgr);
    running = mgr.start(stop.signal);
    client = mgr.client;
  });

  afterAll(async () => {
    stop.abort();
    await running;
    await cluster?.stop();
  });

  it("ships CRD files that match the TypeScript definition", async () => {
    expect(await staleCRDs(crdDir, [Memcached])).toEqual([]);
  });

  it("creates, scales, restores and finally garbage-collects the memcached Deployment", async () => {
    const created = await client.create<Memcached>({
      apiVersion: Memcached.apiVersion,
      kind: Memcached.kind,
      metadata: { name: "cache", namespace: "default" },
      spec: { size: 2 },
    });

    const deployment = await eventually(() => mgr.apiReader.get(Deployment, { namespace: "default", name: "cache" }), "Deployment", 60_000);
    expect(deployment.spec?.replicas).toBe(2);
    expect(deployment.spec?.template?.spec?.containers?.[0]?.image).toBe("memcached:1.6");
    expect(deployment.metadata?.ownerReferences).toEqual([
      expect.objectContaining({ kind: "Memcached", name: "cache", uid: created.metadata.uid, controller: true }),
    ]);

    // Available and Progressing are two status writes: wait for the second.
    const available = await waitForCondition(mgr.apiReader, Memcached, { namespace: "default", name: "cache" }, PROGRESSING, {
      // No kubelet runs here, so pods never become ready: the rollout stays in progress.
      reason: "WaitingForReplicas",
      timeoutMs: 60_000,
    });
    expectCondition(available, AVAILABLE, { reason: "Reconciling" });
    expect(available.metadata.finalizers).toContain(FINALIZER);
    // The first passes race the cache (their own writes not seen yet): requeued quietly, never logged as errors.
    expect(logs.lines.filter((l) => (JSON.parse(l) as { level: number }).level >= 50)).toEqual([]);
    // One Deployment created, so one line says so, though a later pass may still read the cache from before it.
    const creating = () => logs.lines.filter((l) => (JSON.parse(l) as { msg?: string }).msg === "created a new Deployment");
    expect(creating()).toHaveLength(1);

    await client.patch(available, { type: "merge", data: { spec: { size: 3 } } });
    await eventually(async () => (await mgr.apiReader.get(Deployment, { namespace: "default", name: "cache" })).spec?.replicas === 3, "scale to 3", 60_000);

    const before = await mgr.apiReader.get(Deployment, { namespace: "default", name: "cache" });
    await client.delete(before);
    const restored = await eventually(async () => {
      const d = await mgr.apiReader.get(Deployment, { namespace: "default", name: "cache" });
      return d.metadata?.uid !== before.metadata?.uid ? d : undefined;
    }, "Deployment recreated", 60_000);
    expect(restored.spec?.replicas).toBe(3);

    const events = await eventually(async () => {
      const list = await mgr.apiReader.list(Event, { namespace: "default" });
      const reasons = list.items.filter((e) => e.involvedObject?.name === "cache").map((e) => e.reason);
      return reasons.includes("Created") && reasons.includes("Scaled") ? reasons : undefined;
    }, "Created and Scaled events", 60_000);
    expect(events).toContain("Created");

    await client.delete(await mgr.apiReader.get(Memcached, { namespace: "default", name: "cache" }));
    await eventually(() => gone(mgr.apiReader.get(Memcached, { namespace: "default", name: "cache" })), "Memcached gone after its finalizer ran", 60_000);
    const deleting = await mgr.apiReader.list(Event, { namespace: "default" });
    expect(deleting.items.some((e) => e.reason === "Deleting" && e.type === "Warning")).toBe(true);
    await eventually(() => gone(mgr.apiReader.get(Deployment, { namespace: "default", name: "cache" })), "Deployment garbage-collected by kube-controller-manager", 60_000);
  });
});
