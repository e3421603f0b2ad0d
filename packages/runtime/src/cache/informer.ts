import { asShared, type KubeObject, type ObjectKey, type Shared } from "../api/object.ts";
import { keyString, objectKeyString } from "../api/meta.ts";
import type { RestTransport } from "../client/transport.ts";
import { getLogger, type Logger } from "../log/index.ts";
import type { HandlerRegistration, Informer, ReflectorTuning, ResourceEventHandler } from "./interfaces.ts";
import { metricKind, trackStoreSize } from "./metrics.ts";
import { emptyStats, Reflector, type ReflectorSink, type ReflectorStats } from "./reflector.ts";
import { type IndexFunc, Store } from "./store.ts";

export interface SharedInformerOptions<T extends KubeObject> {
  transport: RestTransport;
  apiVersion: string;
  kind: string;
  /**
   * One collection path per reflector, with the namespace it covers (undefined: the whole collection). Several
   * namespaces give one reflector each over a single store.
   */
  collections: { path: string; namespace?: string }[];
  labelSelector?: string;
  fieldSelector?: string;
  transform?: (obj: T) => T;
  /** Hold PartialObjectMetadata only (see metadataOnly()). */
  metadataOnly?: boolean;
  tuning?: ReflectorTuning;
  logger?: Logger;
}

interface Registration<T extends KubeObject> {
  handler: ResourceEventHandler<T>;
  removed: boolean;
}

/**
 * One kind's informer: reflectors feeding one indexed store, whose changes go to every registered handler in the order
 * they happened. Handlers run synchronously and should be quick (enqueue, do not work); one that throws is logged and
 * the others, and the informer, carry on.
 */
export class SharedInformer<T extends KubeObject = KubeObject> implements Informer<T> {
  readonly apiVersion: string;
  readonly kind: string;
  readonly store: Store<T>;
  private readonly reflectors: Reflector<T>[];
  private readonly log: Logger;
  // Replaced, never mutated, so that a dispatch in progress is unaffected by handlers added or removed during it.
  private handlers: readonly Registration<T>[] = [];
  private listedReflectors = 0;
  private synced = false;
  private syncWaiters = new Set<(synced: boolean) => void>();
  private running: Promise<void> | undefined;
  private stopped = false;
  private lastRV: string | undefined;

  constructor(options: SharedInformerOptions<T>) {
    this.apiVersion = options.apiVersion;
    this.kind = options.kind;
    this.log = (options.logger ?? getLogger()).child({ component: "informer", kind: metricKind(options) });
    this.store = new Store<T>((index, err) =>
      this.log.error({ index, err }, "index function failed"),
    );
    if (options.collections.length === 0) throw new Error("an informer needs at least one collection");
    this.reflectors = options.collections.map(
      (c) =>
        new Reflector<T>({
          transport: options.transport,
          path: c.path,
          apiVersion: options.apiVersion,
          kind: options.kind,
          namespace: c.namespace,
          labelSelector: options.labelSelector,
          fieldSelector: options.fieldSelector,
          transform: options.transform,
          metadataOnly: options.metadataOnly,
          tuning: options.tuning,
          logger: options.logger,
          sink: this.sinkFor(c.namespace),
        }),
    );
  }

  /**
   * Runs the reflectors until the signal aborts; resolves once they have all stopped, their watches closed and timers
   * cleared. An informer runs once: after it stops, make a new one.
   */
  run(signal: AbortSignal): Promise<void> {
    if (this.running) return this.running;
    if (this.stopped) return Promise.resolve();
    const untrack = trackStoreSize({ metricKind: metricKind(this), storeSize: () => this.store.size });
    this.running = Promise.all(this.reflectors.map((r) => r.run(signal))).then(() => {
      untrack();
      this.stopped = true;
      // Whoever still waits for a sync that can no longer happen is told so.
      this.settleWaiters(false);
    });
    return this.running;
  }

  get isRunning(): boolean {
    return this.running !== undefined && !this.stopped;
  }

  get isStopped(): boolean {
    return this.stopped;
  }

  /** Counters summed over the informer's reflectors (one per namespace when restricted to several). */
  stats(): ReflectorStats {
    const total = emptyStats();
    for (const r of this.reflectors) {
      for (const k of Object.keys(total) as (keyof ReflectorStats)[]) {
        if (k === "watching") total.watching ||= r.stats.watching;
        else total[k] += r.stats[k];
      }
    }
    return total;
  }

  /** Every reflector ends its backoff wait and retries at once (see Reflector.retryNow). */
  retryNow(): void {
    for (const r of this.reflectors) r.retryNow();
  }

  addEventHandler(handler: ResourceEventHandler<T>): HandlerRegistration {
    const reg: Registration<T> = { handler, removed: false };
    // The replay runs synchronously, so no event can slip in between it and the registration below.
    if (handler.onAdd) {
      for (const obj of this.store.values()) {
        if (reg.removed) break;
        try {
          settle(handler.onAdd!(asShared(obj), true), this.failed);
        } catch (err) {
          this.failed(err);
        }
      }
    }
    if (!reg.removed) this.handlers = [...this.handlers, reg];
    return {
      remove: () => {
        if (reg.removed) return;
        reg.removed = true;
        this.handlers = this.handlers.filter((r) => r !== reg);
      },
      // Every object listed so far was replayed above; the rest of the initial list arrives with the sync.
      hasSynced: () => this.synced,
    };
  }

  hasSynced(): boolean {
    return this.synced;
  }

  waitForSync(signal?: AbortSignal): Promise<boolean> {
    if (this.synced) return Promise.resolve(true);
    if (this.stopped || signal?.aborted) return Promise.resolve(false);
    return new Promise<boolean>((resolve) => {
      const done = (synced: boolean) => {
        this.syncWaiters.delete(done);
        signal?.removeEventListener("abort", onAbort);
        resolve(synced);
      };
      const onAbort = () => done(false);
      this.syncWaiters.add(done);
      signal?.addEventListener("abort", onAbort, { once: true });
    });
  }

  getByKey(key: ObjectKey): Shared<T> | undefined {
    const obj = this.store.get(keyString(key));
    return obj === undefined ? undefined : asShared(obj);
  }

  listAll(): Shared<T>[] {
    return asShared(this.store.list()) as Shared<T>[];
  }

  byIndex(index: string, value: string): Shared<T>[] {
    return asShared(this.store.byIndex(index, value)) as Shared<T>[];
  }

  addIndex(index: string, extract: (obj: T) => string[]): void {
    this.store.addIndex(index, extract as IndexFunc<T>);
  }

  lastSyncResourceVersion(): string | undefined {
    return this.lastRV;
  }

  private sinkFor(namespace: string | undefined): ReflectorSink<T> {
    return {
      replace: (objects, _rv, first) => {
        const { added, updated, deleted } = this.store.replace(objects, namespace);
        const handlers = this.handlers;
        for (const obj of added) this.emitAdd(handlers, obj, first);
        for (const { oldObj, newObj } of updated) this.emitUpdate(handlers, oldObj, newObj);
        for (const obj of deleted) this.emitDelete(handlers, obj, true);
        if (first && ++this.listedReflectors === this.reflectors.length) {
          this.synced = true;
          this.settleWaiters(true);
        }
      },
      upsert: (obj) => {
        const key = objectKeyString(obj);
        if (!key) return;
        const old = this.store.upsert(obj, key);
        if (old === undefined) this.emitAdd(this.handlers, obj, false);
        else this.emitUpdate(this.handlers, old, obj);
      },
      remove: (obj) => {
        const key = objectKeyString(obj);
        if (!key) return;
        this.store.delete(key);
        this.emitDelete(this.handlers, obj, false);
      },
      resourceVersion: (rv) => {
        this.lastRV = rv;
      },
    };
  }

  private settleWaiters(synced: boolean): void {
    const waiters = [...this.syncWaiters];
    this.syncWaiters.clear();
    for (const w of waiters) w(synced);
  }

  private emitAdd(handlers: readonly Registration<T>[], obj: T, initial: boolean): void {
    for (const reg of handlers) {
      if (reg.removed || !reg.handler.onAdd) continue;
      try {
        settle(reg.handler.onAdd(asShared(obj), initial), this.failed);
      } catch (err) {
        this.failed(err);
      }
    }
  }

  private emitUpdate(handlers: readonly Registration<T>[], oldObj: T, newObj: T): void {
    for (const reg of handlers) {
      if (reg.removed || !reg.handler.onUpdate) continue;
      try {
        settle(reg.handler.onUpdate(asShared(oldObj), asShared(newObj)), this.failed);
      } catch (err) {
        this.failed(err);
      }
    }
  }

  private emitDelete(handlers: readonly Registration<T>[], obj: T, stateUnknown: boolean): void {
    for (const reg of handlers) {
      if (reg.removed || !reg.handler.onDelete) continue;
      try {
        settle(reg.handler.onDelete(asShared(obj), stateUnknown), this.failed);
      } catch (err) {
        this.failed(err);
      }
    }
  }

  private readonly failed = (err: unknown): void => {
    this.log.error({ err }, "event handler failed");
  };
}

/** Handlers are typed as returning void, but an async one must not leave an unhandled rejection behind. */
function settle(result: unknown, onError: (err: unknown) => void): void {
  if (result !== undefined && typeof (result as Promise<unknown>).then === "function") {
    (result as Promise<unknown>).then(undefined, onError);
  }
}
