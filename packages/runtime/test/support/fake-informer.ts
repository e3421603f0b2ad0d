// A test double of the informer interface for unit tests of sources and controllers: objects are added, updated and
// deleted by the test, and the informer syncs when the test says so. Integration tests use the real cache.
import { gvkKey, objectKeyString } from "../../src/api/meta.ts";
import { asShared, type KubeObject, type ObjectKey, type ResourceType, type Shared } from "../../src/api/object.ts";
import type { HandlerRegistration, Informer, ResourceEventHandler } from "../../src/cache/interfaces.ts";

export class FakeInformer<T extends KubeObject = KubeObject> implements Informer<T> {
  private readonly store = new Map<string, T>();
  private readonly handlers = new Set<ResourceEventHandler<T>>();
  private synced: boolean;
  private readonly syncWaiters = new Set<() => void>();

  constructor(opts: { synced?: boolean } = {}) {
    this.synced = opts.synced ?? true;
  }

  addEventHandler(handler: ResourceEventHandler<T>): HandlerRegistration {
    this.handlers.add(handler);
    for (const obj of this.store.values()) handler.onAdd?.(asShared(obj), true);
    return {
      remove: () => {
        this.handlers.delete(handler);
      },
      hasSynced: () => this.synced,
    };
  }

  hasSynced(): boolean {
    return this.synced;
  }

  waitForSync(signal?: AbortSignal): Promise<boolean> {
    if (this.synced) return Promise.resolve(true);
    if (signal?.aborted) return Promise.resolve(false);
    return new Promise((resolve) => {
      const done = (v: boolean): void => {
        this.syncWaiters.delete(onSync);
        signal?.removeEventListener("abort", onAbort);
        resolve(v);
      };
      const onSync = (): void => done(true);
      const onAbort = (): void => done(false);
      this.syncWaiters.add(onSync);
      signal?.addEventListener("abort", onAbort, { once: true });
    });
  }

  getByKey(key: ObjectKey): Shared<T> | undefined {
    const obj = this.store.get(key.namespace ? `${key.namespace}/${key.name}` : key.name);
    return obj === undefined ? undefined : asShared(obj);
  }

  listAll(): Shared<T>[] {
    return [...this.store.values()].map((o) => asShared(o));
  }

  byIndex(): Shared<T>[] {
    throw new Error("FakeInformer: indexes are not supported");
  }

  addIndex(): void {}

  lastSyncResourceVersion(): string | undefined {
    return undefined;
  }

  // Test drivers.

  markSynced(): void {
    this.synced = true;
    for (const w of [...this.syncWaiters]) w();
  }

  handlerCount(): number {
    return this.handlers.size;
  }

  add(obj: T): void {
    this.store.set(objectKeyString(obj), obj);
    for (const h of [...this.handlers]) h.onAdd?.(asShared(obj), !this.synced);
  }

  update(obj: T): void {
    const key = objectKeyString(obj);
    const old = this.store.get(key);
    if (!old) throw new Error(`FakeInformer: update of unknown object ${key}`);
    this.store.set(key, obj);
    for (const h of [...this.handlers]) h.onUpdate?.(asShared(old), asShared(obj));
  }

  delete(obj: T, deleteStateUnknown = false): void {
    this.store.delete(objectKeyString(obj));
    for (const h of [...this.handlers]) h.onDelete?.(asShared(obj), deleteStateUnknown);
  }
}

/** The part of a Cache that sources use: one FakeInformer per kind, made on first request. */
export class FakeInformerCache {
  private readonly informers = new Map<string, FakeInformer<KubeObject>>();
  private readonly synced: boolean;
  getInformerCalls = 0;

  constructor(opts: { synced?: boolean } = {}) {
    this.synced = opts.synced ?? true;
  }

  async getInformer<T extends KubeObject>(type: ResourceType<T>): Promise<Informer<T>> {
    this.getInformerCalls++;
    return this.informer(type);
  }

  informer<T extends KubeObject>(type: ResourceType<T>): FakeInformer<T> {
    const key = gvkKey(type);
    let inf = this.informers.get(key);
    if (!inf) {
      inf = new FakeInformer({ synced: this.synced });
      this.informers.set(key, inf);
    }
    return inf as unknown as FakeInformer<T>;
  }
}
