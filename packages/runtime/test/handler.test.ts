import { afterEach, describe, expect, it } from "vitest";
import type { KubeObject, OwnerReference } from "../src/api/object.ts";
import { enqueueRequestForObject, enqueueRequestForOwner, enqueueRequestsFromMapFunc, handlerFuncs } from "../src/handler/index.ts";
import { getLogger, setLogger } from "../src/log/index.ts";
import type { Request } from "../src/reconcile/index.ts";
import { RateLimitingQueue } from "../src/workqueue/index.ts";
import { recordLogs } from "../../../test/support/logs.ts";
import { drain } from "./support/queue.ts";

// Generous: these tests share the machine with API servers; a condition that never holds still fails.
const poll = <T>(fn: () => T) => expect.poll(fn, { timeout: 15_000, interval: 5 });

const Owner = { apiVersion: "example.com/v1", kind: "Database" };

function obj(name: string, namespace: string | undefined, owners: OwnerReference[] = []): KubeObject {
  return { apiVersion: "v1", kind: "Secret", metadata: { name, namespace, ownerReferences: owners } };
}
const ref = (apiVersion: string, kind: string, name: string, controller?: boolean): OwnerReference => ({
  apiVersion,
  kind,
  name,
  uid: `uid-${name}`,
  controller,
});

function captureLogs(): string[] {
  const { logger, lines } = recordLogs();
  const previous = getLogger();
  setLogger(logger);
  restore = () => setLogger(previous);
  return lines;
}
let restore: (() => void) | undefined;
afterEach(() => {
  restore?.();
  restore = undefined;
});

describe("enqueueRequestForObject", () => {
  it("enqueues the object's namespace/name for every event type", async () => {
    const q = new RateLimitingQueue<Request>();
    const h = enqueueRequestForObject();
    h.create({ object: obj("a", "ns"), isInInitialList: true }, q);
    h.update({ objectOld: obj("b", "ns"), objectNew: obj("b", "ns") }, q);
    h.delete({ object: obj("c", "ns"), deleteStateUnknown: true }, q);
    h.generic({ object: obj("node-1", undefined) }, q);
    expect(await drain(q)).toEqual(["ns/a", "ns/b", "ns/c", "node-1"]);
  });

  it("ignores (and logs) objects without a name", async () => {
    const lines = captureLogs();
    const q = new RateLimitingQueue<Request>();
    enqueueRequestForObject().create({ object: { metadata: {} }, isInInitialList: false }, q);
    expect(q.len()).toBe(0);
    expect(lines.join("")).toMatch(/without metadata.name/);
  });
});

describe("enqueueRequestForOwner", () => {
  it("enqueues owners of the owner's group and kind in any version, in the object's namespace", async () => {
    const q = new RateLimitingQueue<Request>();
    const h = enqueueRequestForOwner(Owner);
    h.create(
      {
        object: obj("s", "team", [
          ref("example.com/v1", "Database", "db1"),
          ref("example.com/v2alpha1", "Database", "db2"),
          ref("other.com/v1", "Database", "wrong-group"),
          ref("example.com/v1", "Cluster", "wrong-kind"),
          ref("v1", "Database", "core-group"),
        ]),
        isInInitialList: false,
      },
      q,
    );
    expect(await drain(q)).toEqual(["team/db1", "team/db2"]);
  });

  it("matches core-group owners by the empty group", async () => {
    const q = new RateLimitingQueue<Request>();
    enqueueRequestForOwner({ apiVersion: "v1", kind: "ConfigMap" }).generic(
      { object: obj("s", "ns", [ref("v1", "ConfigMap", "cm"), ref("apps/v1", "ConfigMap", "not-core")]) },
      q,
    );
    expect(await drain(q)).toEqual(["ns/cm"]);
  });

  it("onlyControllers follows only the controller reference", async () => {
    const q = new RateLimitingQueue<Request>();
    enqueueRequestForOwner(Owner, { onlyControllers: true }).delete(
      {
        object: obj("s", "ns", [ref("example.com/v1", "Database", "owner"), ref("example.com/v1", "Database", "ctrl", true)]),
        deleteStateUnknown: false,
      },
      q,
    );
    expect(await drain(q)).toEqual(["ns/ctrl"]);
  });

  it("on update enqueues both the old and the new owners", async () => {
    const q = new RateLimitingQueue<Request>();
    enqueueRequestForOwner(Owner).update(
      {
        objectOld: obj("s", "ns", [ref("example.com/v1", "Database", "old")]),
        objectNew: obj("s", "ns", [ref("example.com/v1", "Database", "new")]),
      },
      q,
    );
    expect((await drain(q)).sort()).toEqual(["ns/new", "ns/old"]);
  });

  it("cluster-scoped owners get requests without a namespace; unowned objects enqueue nothing", async () => {
    const q = new RateLimitingQueue<Request>();
    const h = enqueueRequestForOwner(Owner, { clusterScopedOwner: true });
    h.create({ object: obj("s", "ns", [ref("example.com/v1", "Database", "global")]), isInInitialList: false }, q);
    h.create({ object: { metadata: { name: "x" } }, isInInitialList: false }, q);
    expect(await drain(q)).toEqual(["global"]);
  });
});

describe("enqueueRequestsFromMapFunc", () => {
  it("enqueues what a sync map function returns, for old and new objects on update", async () => {
    const q = new RateLimitingQueue<Request>();
    const h = enqueueRequestsFromMapFunc((o) => [{ namespace: "m", name: `from-${o.metadata!.name}` }]);
    h.create({ object: obj("a", "ns"), isInInitialList: false }, q);
    h.update({ objectOld: obj("b", "ns"), objectNew: obj("c", "ns") }, q);
    h.delete({ object: obj("d", "ns"), deleteStateUnknown: false }, q);
    h.generic({ object: obj("e", "ns") }, q);
    expect(await drain(q)).toEqual(["m/from-a", "m/from-b", "m/from-c", "m/from-d", "m/from-e"]);
  });

  it("delivers every event of an async map function, even while earlier ones are pending", async () => {
    const q = new RateLimitingQueue<Request>();
    const pending: (() => void)[] = [];
    const h = enqueueRequestsFromMapFunc(
      (o) => new Promise<Request[]>((resolve) => pending.push(() => resolve([{ namespace: "m", name: o.metadata!.name! }]))),
    );
    for (let i = 0; i < 20; i++) h.create({ object: obj(`o${i}`, "ns"), isInInitialList: false }, q);
    expect(pending).toHaveLength(20);
    for (const r of pending.reverse()) r();
    await poll(() => q.len()).toBe(20);
  });

  it("logs sync throws and async rejections without throwing into the informer", async () => {
    const lines = captureLogs();
    const q = new RateLimitingQueue<Request>();
    const sync = enqueueRequestsFromMapFunc(() => {
      throw new Error("sync map failure");
    });
    expect(() => sync.create({ object: obj("a", "ns"), isInInitialList: false }, q)).not.toThrow();
    const async = enqueueRequestsFromMapFunc(async () => {
      throw new Error("async map failure");
    });
    async.generic({ object: obj("b", "ns") }, q);
    await poll(() => lines.join("")).toMatch(/async map failure/);
    expect(lines.join("")).toMatch(/sync map failure/);
    expect(q.len()).toBe(0);
  });
});

describe("handlerFuncs", () => {
  it("calls the given functions and ignores the missing ones", async () => {
    const q = new RateLimitingQueue<Request>();
    const h = handlerFuncs<KubeObject, Request>({ create: (e, queue) => queue.add({ name: `c-${e.object.metadata!.name}` }) });
    h.create({ object: obj("a", "ns"), isInInitialList: false }, q);
    h.update({ objectOld: obj("a", "ns"), objectNew: obj("a", "ns") }, q);
    h.delete({ object: obj("a", "ns"), deleteStateUnknown: false }, q);
    h.generic({ object: obj("a", "ns") }, q);
    expect(await drain(q)).toEqual(["c-a"]);
  });
});
