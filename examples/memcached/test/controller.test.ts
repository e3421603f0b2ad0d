import { type Client, Deployment, type EventRecorder, type KubeObject, log, type ResourceType } from "@operator-ts/runtime";
import { FakeClientBuilder } from "@operator-ts/runtime/fake";
import { describe, expect, it } from "vitest";
import { Memcached } from "../src/api.ts";
import { MemcachedReconciler } from "../src/controller.ts";
import { recordLogs } from "../../../test/support/logs.ts";

describe("the memcached reconciler against a cache that lags behind its own create", () => {
  it("says once that it creates the Deployment, though the next pass still reads it as missing", async () => {
    const fake = new FakeClientBuilder().withKind(Memcached, { namespaced: true }).withStatusSubresource(Memcached).withObjects({
      apiVersion: Memcached.apiVersion,
      kind: Memcached.kind,
      metadata: { name: "cache", namespace: "default", generation: 1 },
      spec: { size: 2 },
    } as Memcached).build();
    // The informer has yet to deliver the Deployment: reads of it miss, as a cache read right after the create does.
    let deploymentSeen = false;
    const lagging = new Proxy(fake, {
      get(target, prop, receiver) {
        if (prop !== "get") return Reflect.get(target, prop, receiver);
        return <T extends KubeObject>(type: ResourceType<T>, key: { namespace?: string; name: string }) =>
          type === Deployment && !deploymentSeen ? fake.get(type, { ...key, name: `${key.name}-not-in-the-cache-yet` }) : fake.get(type, key);
      },
    }) as Client;
    const events: string[] = [];
    const recorder: EventRecorder = { event: (_o, _t, reason) => void events.push(reason), annotatedEvent: () => {} };
    const reconciler = new MemcachedReconciler(lagging, recorder);
    const logs = recordLogs("info");
    const req = { namespace: "default", name: "cache" };

    // The first pass creates it; its own status and finalizer writes bring a second pass at once, the cache still behind.
    await log.withLogger(logs.logger, () => reconciler.reconcile(req));
    const second = await log.withLogger(logs.logger, () => reconciler.reconcile(req));
    expect(second).toEqual({ requeue: true });
    deploymentSeen = true;
    await log.withLogger(logs.logger, () => reconciler.reconcile(req));

    expect((await fake.get(Deployment, req)).spec?.replicas).toBe(2);
    expect(logs.lines.map((l) => (JSON.parse(l) as { msg: string }).msg).filter((m) => m.includes("new Deployment"))).toHaveLength(1);
    expect(events).toEqual(["Created"]);
  });
});
