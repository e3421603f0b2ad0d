import type { KubeObject, ObjectKey, ObjectList, ResourceType } from "../api/object.ts";
import { gvkKey } from "../api/meta.ts";
import { type RESTMapper, type RESTMapping, resourcePath } from "../client/restmapper.ts";
import type { ListOptions } from "../client/interfaces.ts";
import type { RestTransport } from "../client/transport.ts";
import { getLogger, type Logger } from "../log/index.ts";
import { SharedInformer } from "./informer.ts";
import type { ByObjectOptions, Cache, CacheOptions, Informer } from "./interfaces.ts";
import { jsonClone } from "../api/json.ts";
import { fieldIndexer, fieldIndexName, selectFromStore } from "./query.ts";
import { fieldSelectorString, labelSelectorString } from "../labels/index.ts";
import { notFound } from "./errors.ts";
import { isMetadataOnly } from "../client/metadata.ts";

/** A kind's full and metadata-only informers are separate entries (controller-runtime keys them by GVK and type too). */
function informerKey(type: ResourceType): string {
  return isMetadataOnly(type) ? `${gvkKey(type)} (metadata)` : gvkKey(type);
}

/** Reads before start() would block forever on informers that cannot sync; controller-runtime refuses them too. */
export class CacheNotStartedError extends Error {
  override readonly name = "CacheNotStartedError";
  constructor() {
    super("the cache is not started, can not read objects");
  }
}

/** A read for a namespace the cache was restricted away from. */
export class UnknownNamespaceError extends Error {
  override readonly name = "UnknownNamespaceError";
  readonly namespace: string;
  constructor(kind: string, namespace: string) {
    super(`unable to read ${kind} in namespace "${namespace}": the cache is restricted to other namespaces`);
    this.namespace = namespace;
  }
}

interface Entry {
  type: ResourceType;
  mapping: RESTMapping;
  informer: SharedInformer;
  /** The namespaces a namespaced kind is restricted to; undefined for all. */
  namespaces: ReadonlySet<string> | undefined;
  controller?: AbortController;
  done?: Promise<void>;
}

/**
 * The shared informer cache: one informer per kind for every controller of a cluster, and a Reader over their stores.
 * Informers made before start() run when it is called; those made after run at once. Reads of a kind with no informer
 * yet make one and wait for its first list.
 */
export class InformerCache implements Cache {
  private readonly transport: RestTransport;
  private readonly mapper: RESTMapper;
  private readonly options: CacheOptions;
  private readonly byObject = new Map<string, ByObjectOptions>();
  private readonly log: Logger;
  private readonly pending = new Map<string, Promise<Entry>>();
  private readonly entries = new Map<string, Entry>();
  private signal: AbortSignal | undefined;
  private started = false;
  private stopped = false;

  constructor(transport: RestTransport, mapper: RESTMapper, options: CacheOptions = {}) {
    this.transport = transport;
    this.mapper = mapper;
    this.options = options;
    this.log = getLogger().child({ component: "cache" });
    for (const { type, options: o } of options.byObject ?? []) this.byObject.set(gvkKey(type), o);
    // Fail at construction, not at the first read, on selectors that cannot be parsed.
    labelSelectorString(options.defaultLabelSelector);
    fieldSelectorString(options.defaultFieldSelector);
  }

  async getInformer<T extends KubeObject>(type: ResourceType<T>): Promise<Informer<T>> {
    const entry = await this.entry(type);
    return entry.informer as unknown as Informer<T>;
  }

  /** The informer itself, with its stats and store: for tests, benchmarks and diagnostics. */
  async getSharedInformer<T extends KubeObject>(type: ResourceType<T>): Promise<SharedInformer<T>> {
    return (await this.entry(type)).informer as unknown as SharedInformer<T>;
  }

  async removeInformer(type: ResourceType): Promise<void> {
    const key = informerKey(type);
    const pending = this.pending.get(key);
    if (!pending) return;
    this.pending.delete(key);
    this.entries.delete(key);
    const entry = await pending.catch(() => undefined);
    if (!entry) return;
    if (entry.controller) {
      entry.controller.abort();
      await entry.done;
    } else {
      // Never ran: running it on an aborted signal stops it for good and releases whoever waits for its sync.
      await entry.informer.run(AbortSignal.abort());
    }
  }

  async indexField<T extends KubeObject>(type: ResourceType<T>, field: string, extract: (obj: T) => string[]): Promise<void> {
    const entry = await this.entry(type);
    const name = fieldIndexName(field);
    if (entry.informer.store.hasIndex(name)) throw new Error(`field "${field}" of ${type.kind} is already indexed`);
    entry.informer.addIndex(name, fieldIndexer(extract as (obj: KubeObject) => string[], entry.mapping.namespaced));
  }

  /** True once every informer asked for has synced; false if one could not be created (no mapping, server down). */
  async waitForCacheSync(signal?: AbortSignal): Promise<boolean> {
    const synced = await Promise.all(
      [...this.pending.values()].map((p) => p.then((e) => e.informer.waitForSync(signal), () => false)),
    );
    return synced.every(Boolean);
  }

  /**
   * Every informer ends its backoff wait and lists or watches again at once: for when the API server is known to
   * answer again, so informers whose delays grew during an outage catch up now.
   */
  retryNow(): void {
    for (const entry of this.entries.values()) entry.informer.retryNow();
  }

  /** Runs every informer until the signal aborts; resolves once they have all stopped. */
  async start(signal: AbortSignal): Promise<void> {
    if (this.started) throw new Error("the cache was already started");
    this.started = true;
    this.signal = signal;
    for (const entry of this.entries.values()) this.run(entry);
    await new Promise<void>((resolve) => {
      if (signal.aborted) resolve();
      else signal.addEventListener("abort", () => resolve(), { once: true });
    });
    this.stopped = true;
    // Creations still in flight see `stopped` and never run; everything that runs is stopped here.
    const running = [...this.entries.values()];
    for (const entry of running) entry.controller?.abort();
    await Promise.all(running.map((e) => e.done));
  }

  async get<T extends KubeObject>(type: ResourceType<T>, key: ObjectKey): Promise<T> {
    const entry = await this.readable(type);
    const ns = entry.mapping.namespaced ? key.namespace : undefined;
    if (ns && entry.namespaces && !entry.namespaces.has(ns)) throw new UnknownNamespaceError(type.kind, ns);
    const obj = entry.informer.store.get(ns ? `${ns}/${key.name}` : key.name);
    if (obj === undefined) throw notFound(entry.mapping, ns, key.name);
    return this.copy(obj) as T;
  }

  async list<T extends KubeObject>(type: ResourceType<T>, options: ListOptions = {}): Promise<ObjectList<T>> {
    const entry = await this.readable(type);
    const ns = entry.mapping.namespaced && options.namespace ? options.namespace : undefined;
    if (ns && entry.namespaces && !entry.namespaces.has(ns)) throw new UnknownNamespaceError(type.kind, ns);
    const found = selectFromStore(entry.informer.store, {
      kind: type.kind,
      namespace: ns,
      namespaced: entry.mapping.namespaced,
      labelSelector: options.labelSelector,
      fieldSelector: options.fieldSelector,
      matchingFields: options.matchingFields,
      limit: options.limit,
    });
    const items = this.options.unsafeDisableDeepCopy ? found : found.map((o) => jsonClone(o));
    return {
      apiVersion: type.apiVersion,
      kind: `${type.kind}List`,
      metadata: { resourceVersion: entry.informer.lastSyncResourceVersion() },
      items: items as T[],
    };
  }

  private copy(obj: KubeObject): KubeObject {
    return this.options.unsafeDisableDeepCopy ? obj : jsonClone(obj);
  }

  private async readable(type: ResourceType): Promise<Entry> {
    if (!this.started) throw new CacheNotStartedError();
    const entry = this.entries.get(informerKey(type)) ?? (await this.entry(type));
    if (entry.informer.hasSynced()) return entry;
    const synced = await entry.informer.waitForSync(this.signal);
    if (!synced) throw new Error(`the cache stopped before ${type.kind} was synced`);
    return entry;
  }

  private entry(type: ResourceType): Promise<Entry> {
    const key = informerKey(type);
    const ready = this.entries.get(key);
    if (ready) return Promise.resolve(ready);
    let pending = this.pending.get(key);
    if (!pending) {
      const creation: Promise<Entry> = this.create(type).then(
        (entry) => {
          // removeInformer may have been called while the mapping was looked up: then this entry is not kept.
          if (this.pending.get(key) === creation) {
            this.entries.set(key, entry);
            if (this.started) this.run(entry);
          }
          return entry;
        },
        (err: unknown) => {
          if (this.pending.get(key) === creation) this.pending.delete(key);
          throw err;
        },
      );
      pending = creation;
      this.pending.set(key, pending);
    }
    return pending;
  }

  private async create(type: ResourceType): Promise<Entry> {
    const mapping = await this.mapper.mapping(type);
    const by = this.byObject.get(gvkKey(type));
    const restrict = mapping.namespaced ? normalizeNamespaces(by?.namespaces ?? this.options.namespaces) : undefined;
    const collections = restrict
      ? [...restrict].map((ns) => ({ path: resourcePath(mapping, ns), namespace: ns }))
      : [{ path: resourcePath(mapping) }];
    const informer = new SharedInformer({
      transport: this.transport,
      apiVersion: type.apiVersion,
      kind: type.kind,
      collections,
      labelSelector: labelSelectorString(by?.labelSelector ?? this.options.defaultLabelSelector),
      fieldSelector: fieldSelectorString(by?.fieldSelector ?? this.options.defaultFieldSelector),
      transform: by?.transform ?? this.options.defaultTransform,
      metadataOnly: isMetadataOnly(type),
      tuning: this.options.reflector,
    });
    return { type, mapping, informer, namespaces: restrict };
  }

  private run(entry: Entry): void {
    if (this.stopped || entry.controller) return;
    const controller = new AbortController();
    entry.controller = controller;
    entry.done = entry.informer.run(controller.signal).catch((err: unknown) => {
      // Reflectors retry every failure themselves; reaching this is a bug, and it must not take the process down.
      this.log.error({ kind: entry.type.kind, err }, "informer stopped unexpectedly");
    });
  }
}

/** A set of namespaces, or undefined for all of them (no list, an empty list, or one naming "" which means all). */
function normalizeNamespaces(namespaces: string[] | undefined): ReadonlySet<string> | undefined {
  if (!namespaces?.length || namespaces.includes("")) return undefined;
  return new Set(namespaces);
}
