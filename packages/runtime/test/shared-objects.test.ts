import { describe, expect, it } from "vitest";
import type { ConfigMap } from "../src/api/kinds.ts";
import type { Shared } from "../src/api/object.ts";
import type { ResourceEventHandler } from "../src/cache/interfaces.ts";
import { enqueueRequestsFromMapFunc } from "../src/handler/index.ts";
import { predicateFuncs } from "../src/predicate/index.ts";
import { FakeInformer } from "./support/fake-informer.ts";

// The cache's objects are shared by every handler, predicate and map function: their types are read-only, so that
// changing one is a compile error (typechecking this file checks the @ts-expect-error lines) instead of a corrupted
// cache. The functions with mutations are never called.

describe("shared objects", () => {
  it("are read-only to handlers, predicates, map functions and informer getters", () => {
    const handler: ResourceEventHandler<ConfigMap> = {
      onAdd: (obj) => {
        // @ts-expect-error a shared object's fields are read-only
        obj.data = {};
      },
      onUpdate: (_old, obj) => {
        // @ts-expect-error nested fields too
        obj.metadata!.labels!.app = "x";
      },
    };
    const predicate = predicateFuncs<ConfigMap>((obj) => {
      // @ts-expect-error arrays too
      obj.metadata?.finalizers?.push("x");
      return true;
    });
    const mapper = enqueueRequestsFromMapFunc<ConfigMap>((obj) => {
      // @ts-expect-error map functions get the shared object
      delete obj.metadata;
      return [];
    });
    const informer = new FakeInformer<ConfigMap>();
    informer.add({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "a", namespace: "ns", labels: { app: "web" } } });
    const got = informer.getByKey({ namespace: "ns", name: "a" });
    const mutate = (obj: Shared<ConfigMap>) => {
      // @ts-expect-error informer getters hand out the shared object
      obj.metadata!.labels!.app = "db";
    };
    expect(got?.metadata?.labels?.app).toBe("web");
    expect([handler, predicate, mapper, mutate].every((x) => typeof x === "object" || typeof x === "function")).toBe(true);
  });
});
