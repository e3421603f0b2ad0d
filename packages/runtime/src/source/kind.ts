import { gvkKey } from "../api/meta.ts";
import type { KubeObject, ResourceType, Shared } from "../api/object.ts";
import type { Cache, HandlerRegistration, Informer } from "../cache/interfaces.ts";
import type { EventHandler } from "../handler/index.ts";
import { getLogger } from "../log/index.ts";
import { type Predicate, passesCreate, passesDelete, passesUpdate } from "../predicate/index.ts";
import type { Request } from "../reconcile/index.ts";
import type { RateLimitingWorkQueue } from "../workqueue/index.ts";
import { type Source, untilOrAborted } from "./source.ts";

/** What kind() needs of a cache: its shared informers. */
export type InformerCache = Pick<Cache, "getInformer">;

class KindSource<T extends KubeObject, Req> implements Source<Req> {
  private readonly cache: InformerCache;
  private readonly type: ResourceType<T>;
  private readonly handler: EventHandler<T, Req>;
  private readonly predicates: readonly Predicate<T>[];
  private informer: Informer<T> | undefined;
  private registration: HandlerRegistration | undefined;
  private startCalled = false;
  private markStarted: () => void = () => {};
  private markFailed: (err: unknown) => void = () => {};
  private readonly started: Promise<void>;

  constructor(cache: InformerCache, type: ResourceType<T>, handler: EventHandler<T, Req>, predicates: Predicate<T>[]) {
    this.cache = cache;
    this.type = type;
    this.handler = handler;
    this.predicates = predicates;
    this.started = new Promise<void>((resolve, reject) => {
      this.markStarted = resolve;
      this.markFailed = reject;
    });
    // waitForSync reports a failed start; nobody may be waiting, which must not count as an unhandled rejection.
    this.started.catch(() => {});
  }

  async start(signal: AbortSignal, queue: RateLimitingWorkQueue<Req>): Promise<void> {
    if (this.startCalled) throw new Error(`${this}: already started; a source attaches to one controller once`);
    this.startCalled = true;
    let informer: Informer<T>;
    try {
      informer = await this.cache.getInformer(this.type);
    } catch (err) {
      this.markFailed(err);
      throw err;
    }
    this.informer = informer;
    if (signal.aborted) {
      this.markStarted();
      return;
    }
    const { handler, predicates } = this;
    this.registration = informer.addEventHandler({
      onAdd: (object, isInInitialList) =>
        this.guard("create", object, () => {
          const e = { object, isInInitialList };
          if (passesCreate(predicates, e)) handler.create(e, queue);
        }),
      onUpdate: (objectOld, objectNew) =>
        this.guard("update", objectNew, () => {
          const e = { objectOld, objectNew };
          if (passesUpdate(predicates, e)) handler.update(e, queue);
        }),
      onDelete: (object, deleteStateUnknown) =>
        this.guard("delete", object, () => {
          const e = { object, deleteStateUnknown };
          if (passesDelete(predicates, e)) handler.delete(e, queue);
        }),
    });
    const registration = this.registration;
    signal.addEventListener("abort", () => registration.remove(), { once: true });
    this.markStarted();
  }

  async waitForSync(signal: AbortSignal): Promise<boolean> {
    if (!(await untilOrAborted(this.started, signal))) return false;
    if (!this.informer || !this.registration) return false;
    if (!(await this.informer.waitForSync(signal))) return false;
    // The replay of the list to this handler ran when it was added, and the informer has its list now.
    return this.registration.hasSynced();
  }

  toString(): string {
    return `kind source: ${gvkKey(this.type)}`;
  }

  // A throwing handler or predicate must not break the informer's delivery to other handlers.
  private guard(event: string, obj: Shared<T>, fn: () => void): void {
    try {
      fn();
    } catch (err) {
      getLogger().error(
        { err, source: this.toString(), event, namespace: obj?.metadata?.namespace, name: obj?.metadata?.name },
        "event handler or predicate threw; event dropped",
      );
    }
  }
}

/**
 * Events of one kind from the cache's shared informer: each passes the predicates, then the handler turns it into
 * requests. Aborting the start signal removes the handler from the informer.
 */
export function kind<T extends KubeObject, Req = Request>(
  cache: InformerCache,
  type: ResourceType<T>,
  handler: EventHandler<T, Req>,
  ...predicates: Predicate<T>[]
): Source<Req> {
  return new KindSource(cache, type, handler, predicates);
}
