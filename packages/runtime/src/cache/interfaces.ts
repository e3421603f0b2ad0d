import type { KubeObject, ObjectKey, ResourceType, Shared } from "../api/object.ts";
import type { FieldSelector, LabelSelector, Reader } from "../client/interfaces.ts";

export interface ResourceEventHandler<T extends KubeObject = KubeObject> {
  /** isInInitialList: the object was in the first list (or the replay a late handler gets), not a new creation. */
  onAdd?(obj: Shared<T>, isInInitialList: boolean): void;
  onUpdate?(oldObj: Shared<T>, newObj: Shared<T>): void;
  /** deleteStateUnknown: the final state was not observed (a relist after missed events found it gone). */
  onDelete?(obj: Shared<T>, deleteStateUnknown: boolean): void;
}

export interface HandlerRegistration {
  /** Stops delivering events to this handler. */
  remove(): void;
  /** True once the handler has been given every object of the informer's initial list. */
  hasSynced(): boolean;
}

/** One kind's shared informer: a list/watch reflector feeding an indexed store and its event handlers. */
export interface Informer<T extends KubeObject = KubeObject> {
  /** New handlers are first given every object already in the store, as adds with isInInitialList true. */
  addEventHandler(handler: ResourceEventHandler<T>): HandlerRegistration;
  hasSynced(): boolean;
  /** Resolves true once the first list is in the store, false if the signal aborts first. */
  waitForSync(signal?: AbortSignal): Promise<boolean>;
  /** Objects straight from the store: shared, never to be mutated. */
  getByKey(key: ObjectKey): Shared<T> | undefined;
  listAll(): Shared<T>[];
  byIndex(index: string, value: string): Shared<T>[];
  addIndex(index: string, extract: (obj: T) => string[]): void;
  lastSyncResourceVersion(): string | undefined;
}

export interface ByObjectOptions<T extends KubeObject = KubeObject> {
  /** Only these namespaces (default: all, or the cache's namespaces). */
  namespaces?: string[];
  labelSelector?: LabelSelector;
  fieldSelector?: FieldSelector;
  /** Applied to every object before it is stored, e.g. to drop managedFields. */
  transform?: (obj: T) => T;
}

export interface CacheOptions {
  /** Restrict every informer to these namespaces (cluster-scoped kinds are not restricted). */
  namespaces?: string[];
  defaultLabelSelector?: LabelSelector;
  defaultFieldSelector?: FieldSelector;
  defaultTransform?: (obj: KubeObject) => KubeObject;
  byObject?: { type: ResourceType; options: ByObjectOptions }[];
  /** Reads return deep copies (as controller-runtime does) unless this is set; then never mutate what you read. */
  unsafeDisableDeepCopy?: boolean;
  /** How informers list and watch; the defaults suit production. */
  reflector?: ReflectorTuning;
}

/** List/watch behaviour of every informer of a cache. */
export interface ReflectorTuning {
  /** Objects per list page; default 500. 0 lists everything in one request. */
  listPageSize?: number;
  /**
   * Stream the initial list through a watch (sendInitialEvents, Kubernetes >= 1.27) as client-go does: one request
   * served from the watch cache, no whole list response in memory at once. Falls back to paginated lists where the
   * server refuses it. Default false: measured here (docs/benchmarks.md), parsing one event at a time grew V8's heap
   * more than paging did (RSS ~5.3 KB against ~3.5 KB an object at 10,000 objects) and was no faster on loopback.
   */
  streamingLists?: boolean;
  /** The server ends each watch after a random number of seconds in [min, max]; default 300-600. */
  watchTimeoutSeconds?: { min: number; max: number };
  /**
   * A watch that delivers nothing, not even a bookmark, for this long is deemed stalled, dropped and re-established.
   * Default: the watch's own timeout plus 30 s, which a healthy watch never reaches.
   */
  watchInactivityTimeoutMs?: number;
  /** Retry delays after failures: doubling from initialMs (800) to maxMs (30 000), reset after resetAfterMs (60 000) without failure. */
  backoff?: { initialMs?: number; maxMs?: number; resetAfterMs?: number };
}

/**
 * Informers shared by every controller of a cluster, and a Reader over their stores. Reading a kind that has no
 * informer yet starts one and waits for it to sync.
 */
export interface Cache extends Reader {
  getInformer<T extends KubeObject>(type: ResourceType<T>): Promise<Informer<T>>;
  /** Stops the kind's informer and forgets it; later reads start a new one. */
  removeInformer(type: ResourceType): Promise<void>;
  /** Adds an index usable as `list(type, { matchingFields: { [field]: value } })`. */
  indexField<T extends KubeObject>(type: ResourceType<T>, field: string, extract: (obj: T) => string[]): Promise<void>;
  waitForCacheSync(signal?: AbortSignal): Promise<boolean>;
  start(signal: AbortSignal): Promise<void>;
}

export type { ObjectKey };
