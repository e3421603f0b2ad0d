import { parseApiVersion } from "../api/meta.ts";
import type { KubeObject, OwnerReference, ResourceType, Shared } from "../api/object.ts";
import { getLogger } from "../log/index.ts";
import type { Request } from "../reconcile/index.ts";
import type { RateLimitingWorkQueue } from "../workqueue/index.ts";
import type { CreateEvent, DeleteEvent, GenericEvent, UpdateEvent } from "./event.ts";

/** Turns events about objects into requests on a controller's queue. */
export interface EventHandler<T extends KubeObject = KubeObject, Req = Request> {
  create(event: CreateEvent<T>, queue: RateLimitingWorkQueue<Req>): void;
  update(event: UpdateEvent<T>, queue: RateLimitingWorkQueue<Req>): void;
  delete(event: DeleteEvent<T>, queue: RateLimitingWorkQueue<Req>): void;
  generic(event: GenericEvent<T>, queue: RateLimitingWorkQueue<Req>): void;
}

/** An EventHandler from the functions given; missing ones ignore their events. */
export function handlerFuncs<T extends KubeObject = KubeObject, Req = Request>(funcs: Partial<EventHandler<T, Req>>): EventHandler<T, Req> {
  return {
    create: (e, q) => funcs.create?.(e, q),
    update: (e, q) => funcs.update?.(e, q),
    delete: (e, q) => funcs.delete?.(e, q),
    generic: (e, q) => funcs.generic?.(e, q),
  };
}

function requestFor(obj: Shared<KubeObject> | undefined, event: string): Request | undefined {
  const name = obj?.metadata?.name;
  if (!name) {
    getLogger().error({ event }, "event received for an object without metadata.name; ignored");
    return undefined;
  }
  const namespace = obj.metadata?.namespace;
  return namespace ? { namespace, name } : { name };
}

/** Enqueues the object's own namespace/name: what a controller uses for the kind it reconciles (For). */
export function enqueueRequestForObject<T extends KubeObject = KubeObject>(): EventHandler<T, Request> {
  const add = (q: RateLimitingWorkQueue<Request>, obj: Shared<T> | undefined, event: string): void => {
    const req = requestFor(obj, event);
    if (req) q.add(req);
  };
  return {
    create: (e, q) => add(q, e.object, "create"),
    update: (e, q) => add(q, e.objectNew ?? e.objectOld, "update"),
    delete: (e, q) => add(q, e.object, "delete"),
    generic: (e, q) => add(q, e.object, "generic"),
  };
}

export interface OwnerOptions {
  /** Only follow ownerReferences with controller: true (what Owns() uses). */
  onlyControllers?: boolean;
  /** The owner kind is cluster-scoped: its requests carry no namespace. Default: namespaced like the object. */
  clusterScopedOwner?: boolean;
}

/**
 * Enqueues the owners of the object that are of ownerType: ownerReferences matched on API group and kind (any
 * version), named in the object's namespace. An update enqueues the owners of both the old and the new object, so a
 * changed owner hears about losing the object too.
 */
export function enqueueRequestForOwner<T extends KubeObject = KubeObject>(
  ownerType: ResourceType,
  opts: OwnerOptions = {},
): EventHandler<T, Request> {
  const group = parseApiVersion(ownerType.apiVersion).group;
  const kind = ownerType.kind;
  const onlyControllers = opts.onlyControllers ?? false;
  const clusterScoped = opts.clusterScopedOwner ?? false;
  const matches = (ref: Shared<OwnerReference>): boolean =>
    ref.kind === kind && (!onlyControllers || ref.controller === true) && groupOf(ref.apiVersion) === group;

  const addOwners = (q: RateLimitingWorkQueue<Request>, obj: Shared<T> | undefined): void => {
    const refs = obj?.metadata?.ownerReferences;
    if (!refs) return;
    const namespace = clusterScoped ? undefined : obj.metadata?.namespace;
    for (const ref of refs) {
      if (matches(ref)) q.add(namespace ? { namespace, name: ref.name } : { name: ref.name });
    }
  };
  return {
    create: (e, q) => addOwners(q, e.object),
    update: (e, q) => {
      addOwners(q, e.objectOld);
      addOwners(q, e.objectNew);
    },
    delete: (e, q) => addOwners(q, e.object),
    generic: (e, q) => addOwners(q, e.object),
  };
}

function groupOf(apiVersion: string | undefined): string | undefined {
  if (apiVersion === undefined) return undefined;
  const slash = apiVersion.indexOf("/");
  return slash < 0 ? "" : apiVersion.slice(0, slash);
}

export type MapFunc<T extends KubeObject = KubeObject, Req = Request> = (obj: Shared<T>) => Req[] | Promise<Req[]>;

/**
 * Enqueues whatever the map function returns for the object (both objects on update). An async map function runs
 * for every event (none are skipped while another is pending); its requests are added when it resolves, and its
 * errors (sync or async) are logged, not thrown into the informer.
 */
// Req is not inferred from what fn returns (an object literal would become its own request type, incompatible with
// the controller's queue): it comes from the context or defaults to Request.
export function enqueueRequestsFromMapFunc<T extends KubeObject = KubeObject, Req = Request>(
  fn: (obj: Shared<T>) => NoInfer<Req>[] | Promise<NoInfer<Req>[]>,
): EventHandler<T, Req> {
  const run = (q: RateLimitingWorkQueue<Req>, obj: Shared<T> | undefined, event: string): void => {
    if (obj === undefined) return;
    let out: Req[] | Promise<Req[]>;
    try {
      out = fn(obj);
    } catch (err) {
      logMapError(err, obj, event);
      return;
    }
    if (Array.isArray(out)) {
      for (const r of out) q.add(r);
      return;
    }
    Promise.resolve(out).then(
      (reqs) => {
        for (const r of reqs ?? []) q.add(r);
      },
      (err: unknown) => logMapError(err, obj, event),
    );
  };
  return {
    create: (e, q) => run(q, e.object, "create"),
    update: (e, q) => {
      run(q, e.objectOld, "update");
      run(q, e.objectNew, "update");
    },
    delete: (e, q) => run(q, e.object, "delete"),
    generic: (e, q) => run(q, e.object, "generic"),
  };
}

function logMapError(err: unknown, obj: Shared<KubeObject>, event: string): void {
  getLogger().error(
    { err, event, kind: obj.kind, namespace: obj.metadata?.namespace, name: obj.metadata?.name },
    "map function of enqueueRequestsFromMapFunc failed; no requests enqueued for this event",
  );
}
