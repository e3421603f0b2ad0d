import { gvkKey } from "../api/meta.ts";
import type { KubeObject, ObjectKey, ObjectList, ResourceType, Unstructured } from "../api/object.ts";
import type { RESTMapper } from "./restmapper.ts";
import type {
  Client,
  CreateOptions,
  DeleteAllOfOptions,
  DeleteOptions,
  GetOptions,
  ListOptions,
  Patch,
  PatchOptions,
  Reader,
  StatusWriter,
  UpdateOptions,
} from "./interfaces.ts";

const UNSTRUCTURED = Symbol.for("operator-ts.unstructured");

/**
 * A kind read as plain objects with no TypeScript type of its own: the counterpart of Go's unstructured.Unstructured.
 * The cached client reads such kinds from the API server unless told to cache them (cacheUnstructured), as
 * controller-runtime does, so a one-off read of an arbitrary kind does not start an informer for it.
 */
export function unstructuredType(apiVersion: string, kind: string): ResourceType<Unstructured> {
  return Object.freeze({ apiVersion, kind, [UNSTRUCTURED]: true });
}

export function isUnstructuredType(type: ResourceType): boolean {
  return (type as { [UNSTRUCTURED]?: boolean })[UNSTRUCTURED] === true;
}

export interface NewClientOptions {
  /** Where reads go: normally the manager's Cache (index lookups through matchingFields). */
  reader: Reader;
  /** Where writes go, and reads the cache must not serve: normally a RestClient. */
  writer: Client;
  /** Kinds read straight from the API server, never cached (Secrets an operator reads once, say). */
  uncached?: ResourceType[];
  /** Serve kinds made with unstructuredType() from the cache too; by default they are read from the server. */
  cacheUnstructured?: boolean;
}

/** controller-runtime's default client: reads from the cache, writes to the API server. */
export class CachedClient implements Client {
  readonly reader: Reader;
  readonly writer: Client;
  private readonly uncached: Set<string>;
  private readonly cacheUnstructured: boolean;

  constructor(options: NewClientOptions) {
    this.reader = options.reader;
    this.writer = options.writer;
    this.uncached = new Set((options.uncached ?? []).map((t) => gvkKey(t)));
    this.cacheUnstructured = options.cacheUnstructured ?? false;
  }

  get mapper(): RESTMapper {
    return this.writer.mapper;
  }

  /** Whether reads of this kind go to the cache. */
  isCached(type: ResourceType): boolean {
    if (this.uncached.has(gvkKey(type))) return false;
    return this.cacheUnstructured || !isUnstructuredType(type);
  }

  get<T extends KubeObject>(type: ResourceType<T>, key: ObjectKey, options?: GetOptions): Promise<T> {
    return (this.isCached(type) ? this.reader : this.writer).get(type, key, options);
  }

  list<T extends KubeObject>(type: ResourceType<T>, options?: ListOptions): Promise<ObjectList<T>> {
    return (this.isCached(type) ? this.reader : this.writer).list(type, options);
  }

  create<T extends KubeObject>(obj: T, options?: CreateOptions): Promise<T> {
    return this.writer.create(obj, options);
  }

  update<T extends KubeObject>(obj: T, options?: UpdateOptions): Promise<T> {
    return this.writer.update(obj, options);
  }

  patch<T extends KubeObject>(obj: T, patch: Patch, options?: PatchOptions): Promise<T> {
    return this.writer.patch(obj, patch, options);
  }

  delete(obj: KubeObject, options?: DeleteOptions): Promise<void> {
    return this.writer.delete(obj, options);
  }

  deleteAllOf(type: ResourceType, options?: DeleteAllOfOptions): Promise<void> {
    return this.writer.deleteAllOf(type, options);
  }

  status(): StatusWriter {
    return this.writer.status();
  }
}

export function newClient(options: NewClientOptions): CachedClient {
  return new CachedClient(options);
}
