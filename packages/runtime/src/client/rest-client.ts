import type { KubeConfig } from "@kubernetes/client-node";
import type { KubeObject, ObjectKey, ObjectList, ResourceType } from "../api/object.ts";
import { RESTMapper, type RESTMapping, resourcePath } from "./restmapper.ts";
import { isMetadataOnly, METADATA_ACCEPT, METADATA_LIST_ACCEPT, toPartialObjectMetadata } from "./metadata.ts";
import { typeOf } from "../api/meta.ts";
import {
  type Client,
  type CreateOptions,
  type DeleteAllOfOptions,
  type DeleteOptions,
  type GetOptions,
  type ListOptions,
  PATCH_CONTENT_TYPES,
  type Patch,
  type PatchOptions,
  type StatusWriter,
  type UpdateOptions,
  type WriteOptions,
} from "./interfaces.ts";
import { fieldSelectorOf, formatSelector } from "../labels/index.ts";
import { fenceError } from "./scope.ts";
import { type Query, RestTransport } from "./transport.ts";

export interface RestClientOptions {
  /** Defaults to a discovery-backed mapper over the same transport. */
  mapper?: RESTMapper;
  /** Sent as fieldManager with every write that names none; server-side apply needs one. */
  fieldManager?: string;
}

/** Sets apiVersion and kind when the server left them out (it does on list items). */
export function withTypeMeta<T extends KubeObject>(obj: T, type: { apiVersion: string; kind: string }): T {
  if (!obj.apiVersion || !obj.kind) return { ...obj, apiVersion: obj.apiVersion || type.apiVersion, kind: obj.kind || type.kind };
  return obj;
}

/**
 * The direct client: every call is one request to the API server, nothing is cached. The "uncached reader" of a
 * manager, and the writer behind the cached client.
 */
export class RestClient implements Client {
  readonly transport: RestTransport;
  readonly mapper: RESTMapper;
  readonly fieldManager: string | undefined;
  private ownsTransport = false;
  private readonly statusWriter: StatusWriter;

  constructor(transport: RestTransport, options: RestClientOptions = {}) {
    this.transport = transport;
    this.mapper = options.mapper ?? new RESTMapper(transport);
    this.fieldManager = options.fieldManager;
    this.statusWriter = {
      update: (obj, opts) => this.put(obj, "status", opts),
      patch: (obj, patch, opts) => this.sendPatch(obj, patch, "status", opts),
    };
  }

  /** A client with its own connection pool, closed by close(). */
  static async fromKubeConfig(
    kubeconfig: KubeConfig,
    options: RestClientOptions & { userAgent?: string; connections?: number } = {},
  ): Promise<RestClient> {
    const transport = await RestTransport.fromKubeConfig(kubeconfig, options);
    const client = new RestClient(transport, options);
    client.ownsTransport = true;
    return client;
  }

  /** Closes the connection pool if this client opened it (fromKubeConfig); a shared transport is left alone. */
  async close(): Promise<void> {
    if (this.ownsTransport) await this.transport.close();
  }

  status(): StatusWriter {
    return this.statusWriter;
  }

  async get<T extends KubeObject>(type: ResourceType<T>, key: ObjectKey, options: GetOptions = {}): Promise<T> {
    const { path } = await this.locate(type, key.namespace, key.name, "get");
    if (isMetadataOnly(type)) {
      const obj = await this.transport.request<KubeObject>("GET", path, { signal: options.signal, accept: METADATA_ACCEPT });
      return toPartialObjectMetadata(obj, type) as unknown as T;
    }
    return withTypeMeta(await this.transport.request<T>("GET", path, { signal: options.signal }), type);
  }

  async list<T extends KubeObject>(type: ResourceType<T>, options: ListOptions = {}): Promise<ObjectList<T>> {
    const mapping = await this.mapper.mapping(type);
    const path = resourcePath(mapping, options.namespace);
    const metadata = isMetadataOnly(type);
    const list = await this.transport.request<ObjectList<T>>("GET", path, {
      query: {
        labelSelector: formatSelector(options.labelSelector),
        fieldSelector: fieldSelectorOf(options),
        limit: options.limit,
        continue: options.continue,
        resourceVersion: options.resourceVersion,
      },
      signal: options.signal,
      accept: metadata ? METADATA_LIST_ACCEPT : undefined,
    });
    if (metadata) {
      return {
        apiVersion: type.apiVersion,
        kind: `${type.kind}List`,
        metadata: list.metadata ?? {},
        items: (list.items ?? []).map((item) => toPartialObjectMetadata(item, type) as unknown as T),
      };
    }
    return {
      apiVersion: list.apiVersion || type.apiVersion,
      kind: list.kind || `${type.kind}List`,
      metadata: list.metadata ?? {},
      items: (list.items ?? []).map((item) => withTypeMeta(item, type)),
    };
  }

  async create<T extends KubeObject>(obj: T, options: CreateOptions = {}): Promise<T> {
    refuseIfFenced();
    const type = typeOf(obj);
    const { path } = await this.locate(type, obj.metadata?.namespace, undefined, "create");
    return withTypeMeta(await this.transport.request<T>("POST", path, { query: this.writeQuery(options), body: obj, signal: options.signal }), type);
  }

  update<T extends KubeObject>(obj: T, options: UpdateOptions = {}): Promise<T> {
    return this.put(obj, undefined, options);
  }

  patch<T extends KubeObject>(obj: T, patch: Patch, options: PatchOptions = {}): Promise<T> {
    return this.sendPatch(obj, patch, undefined, options);
  }

  async delete(obj: KubeObject, options: DeleteOptions = {}): Promise<void> {
    refuseIfFenced();
    const { path } = await this.locate(typeOf(obj), obj.metadata?.namespace, nameOf(obj, "delete"), "delete");
    await this.transport.request("DELETE", path, { body: deleteOptionsBody(options), signal: options.signal });
  }

  async deleteAllOf(type: ResourceType, options: DeleteAllOfOptions = {}): Promise<void> {
    refuseIfFenced();
    const mapping = await this.mapper.mapping(type);
    if (mapping.namespaced && !options.namespace) {
      throw new Error(`deleteAllOf ${type.kind}: the kind is namespaced, so a namespace is needed`);
    }
    await this.transport.request("DELETE", resourcePath(mapping, options.namespace), {
      query: { labelSelector: formatSelector(options.labelSelector), fieldSelector: fieldSelectorOf(options) },
      body: deleteOptionsBody(options),
      signal: options.signal,
    });
  }

  private async put<T extends KubeObject>(obj: T, subresource: string | undefined, options: UpdateOptions = {}): Promise<T> {
    refuseIfFenced();
    const type = typeOf(obj);
    const { path } = await this.locate(type, obj.metadata?.namespace, nameOf(obj, "update"), "update", subresource);
    return withTypeMeta(await this.transport.request<T>("PUT", path, { query: this.writeQuery(options), body: obj, signal: options.signal }), type);
  }

  private async sendPatch<T extends KubeObject>(
    obj: T,
    patch: Patch,
    subresource: string | undefined,
    options: PatchOptions = {},
  ): Promise<T> {
    refuseIfFenced();
    const type = typeOf(obj);
    const name = nameOf(obj, "patch");
    const { mapping, path } = await this.locate(type, obj.metadata?.namespace, name, "patch", subresource);
    const query: Query = this.writeQuery(options);
    let body = patch.data;
    if (patch.type === "apply") {
      if (!query.fieldManager) throw new Error(`server-side apply of ${type.kind} "${name}" needs a fieldManager (client or patch options)`);
      if (options.force) query.force = true;
      // The apply body is YAML; JSON is YAML. The server needs the object's identity in it.
      const applied = (patch.data ?? {}) as KubeObject;
      body = {
        ...applied,
        apiVersion: applied.apiVersion ?? type.apiVersion,
        kind: applied.kind ?? type.kind,
        metadata: {
          ...applied.metadata,
          name: applied.metadata?.name ?? name,
          ...(mapping.namespaced ? { namespace: applied.metadata?.namespace ?? obj.metadata?.namespace } : {}),
        },
      };
    }
    const result = await this.transport.request<T>("PATCH", path, {
      query,
      body: typeof body === "string" ? body : JSON.stringify(body),
      contentType: PATCH_CONTENT_TYPES[patch.type],
      signal: options.signal,
    });
    return withTypeMeta(result, type);
  }

  private writeQuery(options: WriteOptions): Query {
    return { dryRun: options.dryRun ? "All" : undefined, fieldManager: options.fieldManager ?? this.fieldManager };
  }

  private async locate(
    type: { apiVersion: string; kind: string },
    namespace: string | undefined,
    name: string | undefined,
    verb: string,
    subresource?: string,
  ): Promise<{ mapping: RESTMapping; path: string }> {
    const mapping = await this.mapper.mapping(type);
    if (mapping.namespaced && !namespace) {
      throw new Error(`${verb} ${type.kind}${name ? ` "${name}"` : ""}: the kind is namespaced, so a namespace is needed`);
    }
    return { mapping, path: resourcePath(mapping, mapping.namespaced ? namespace : undefined, name, subresource) };
  }
}

/** A fenced write fails before anything is asked of the server, discovery included (the transport asks again). */
function refuseIfFenced(): void {
  const refused = fenceError();
  if (refused) throw refused;
}

function nameOf(obj: KubeObject, verb: string): string {
  const name = obj.metadata?.name;
  if (!name) throw new Error(`${verb} ${obj.kind ?? "object"}: metadata.name is empty`);
  return name;
}

export function deleteOptionsBody(options: DeleteOptions): Record<string, unknown> {
  return {
    apiVersion: "v1",
    kind: "DeleteOptions",
    propagationPolicy: options.propagationPolicy,
    gracePeriodSeconds: options.gracePeriodSeconds,
    preconditions: options.preconditions,
    dryRun: options.dryRun ? ["All"] : undefined,
  };
}
