import { randomUUID } from "node:crypto";
import { gvkKey, typeOf } from "../api/meta.ts";
import type { KubeObject, ObjectKey, ObjectList, ObjectMeta, ResourceType } from "../api/object.ts";
import { RESTMapper, type RESTMapping, resourcePath } from "../client/restmapper.ts";
import type {
  Client,
  CreateOptions,
  DeleteAllOfOptions,
  DeleteOptions,
  GetOptions,
  ListOptions,
  Patch,
  PatchOptions,
  StatusWriter,
  UpdateOptions,
} from "../client/interfaces.ts";
import { jsonClone, jsonEqual } from "../api/json.ts";
import { applyJsonPatch, applyMergePatch, JsonPatchError, type JsonPatchOperation } from "../client/json-patch.ts";
import { SelectorParseError } from "../labels/index.ts";
import { fieldIndexer, fieldIndexName, selectFromStore } from "../cache/query.ts";
import { Store } from "../cache/store.ts";
import { type FakeRequest, newAlreadyExists, newBadRequest, newConflict, newInvalid, newNotFound } from "./errors.ts";
import { BUILT_IN_KINDS, mappingFor } from "../client/builtin-mappings.ts";
import { type FakeWebhooks, admit } from "./webhooks.ts";
import { decodeContinue, DNS_SUBDOMAIN, encodeContinue, now, parsePatch, randomSuffix, readAs, specOf } from "./util.ts";

export type IndexFunc<T extends KubeObject = KubeObject> = (obj: T) => string[];

export interface FakeKind {
  type: ResourceType;
  namespaced: boolean;
  /** The resource name in URLs and error messages; guessed from the kind when left out. */
  plural?: string;
}

export interface FakeClientOptions {
  /** Kinds beyond the built-in ones (custom resources). */
  kinds?: FakeKind[];
  /** Kinds served with a status subresource; by default the built-in kinds a real API server serves so. */
  statusSubresource?: ResourceType[];
  /** Index functions for matchingFields and field selectors, as registered on a cache with indexField. */
  indexes?: { type: ResourceType; field: string; extract: IndexFunc<never> }[];
  /** Objects present from the start, stored as given (status included) with any missing uid, version or timestamp set. */
  objects?: KubeObject[];
  /** Defaulters and validators run on writes, as the API server would call their webhooks. */
  webhooks?: FakeWebhooks[];
}

type Scope = "main" | "status";

interface Target {
  type: { apiVersion: string; kind: string };
  gvk: string;
  mapping: RESTMapping;
  namespace: string | undefined;
}

/**
 * An in-memory Client for fast unit tests of reconcilers, in the spirit of controller-runtime's fake client. It keeps
 * the API server's contracts a reconciler depends on: resourceVersions and conflicts, generation, uid and timestamps,
 * NotFound/AlreadyExists/Conflict/Invalid as real ApiErrors, the status subresource, finalizers and deletionTimestamp,
 * generateName, selectors and indexes, and the defaulters and validators given withWebhooks. It is not an API server:
 * no other admission, no schema defaulting or validation, garbage
 * collection or managed fields; strategic merge and server-side apply patches are applied as JSON merge patches
 * (lists are replaced, not merged by key; apply creates missing objects and ignores field ownership and force).
 */
/** Delete precondition failures name the kind where other errors name the resource, as the API server does. */
function byKind(m: RESTMapping): RESTMapping {
  return { ...m, resource: m.kind };
}

export class FakeClient implements Client {
  readonly mapper = new RESTMapper();
  private readonly kinds = new Map<string, RESTMapping>();
  private readonly withStatus = new Set<string>();
  // The cache's own store and selection, so that a list means here what it means to a cached client (an unindexed
  // field selector fails with MissingIndexError in both).
  private readonly store = new Map<string, Store<KubeObject>>();
  private lastResourceVersion = 0;
  private readonly statusWriter: StatusWriter;
  private readonly webhooks = new Map<string, FakeWebhooks[]>();

  constructor(options: FakeClientOptions = {}) {
    for (const k of BUILT_IN_KINDS) this.registerKind({ type: k, namespaced: k.namespaced, plural: k.plural });
    for (const k of options.kinds ?? []) this.registerKind(k);
    const statusTypes = options.statusSubresource ?? BUILT_IN_KINDS.filter((k) => k.status);
    for (const t of statusTypes) this.withStatus.add(gvkKey(t));
    for (const { type, field, extract } of options.indexes ?? []) this.addIndex(type, field, extract as IndexFunc);
    for (const obj of options.objects ?? []) this.addObject(obj);
    for (const w of options.webhooks ?? []) this.webhooks.set(gvkKey(w.type), [...(this.webhooks.get(gvkKey(w.type)) ?? []), w]);
    this.statusWriter = {
      update: (obj, opts) => this.updateIn(obj, opts ?? {}, "status"),
      patch: (obj, patch, opts) => this.patchIn(obj, patch, opts ?? {}, "status"),
    };
  }

  /** Registers a kind (a custom resource, say) after construction. */
  registerKind(kind: FakeKind): void {
    const mapping = mappingFor(kind.type, kind);
    this.kinds.set(gvkKey(kind.type), mapping);
    this.mapper.add(mapping);
  }

  addIndex<T extends KubeObject>(type: ResourceType<T>, field: string, extract: IndexFunc<T>): void {
    const gvk = gvkKey(type);
    const bucket = this.bucket({ gvk });
    if (bucket.hasIndex(fieldIndexName(field))) throw new Error(`an index on "${field}" of ${gvk} is already registered`);
    bucket.addIndex(fieldIndexName(field), fieldIndexer(extract as IndexFunc, this.kinds.get(gvk)?.namespaced ?? true));
  }

  status(): StatusWriter {
    return this.statusWriter;
  }

  // Calls take a signal as the real client does: one already aborted rejects with its reason, as a request would.
  async get<T extends KubeObject>(type: ResourceType<T>, key: ObjectKey, options: GetOptions = {}): Promise<T> {
    options.signal?.throwIfAborted();
    const target = await this.target(type, key.namespace, "get", key.name);
    const found = this.bucket(target).get(this.storeKey(target, key.name));
    if (!found) throw newNotFound(target.mapping, key.name, this.request("GET", target, key.name));
    return readAs(type, found);
  }

  async list<T extends KubeObject>(type: ResourceType<T>, options: ListOptions = {}): Promise<ObjectList<T>> {
    options.signal?.throwIfAborted();
    const target = await this.target(type, undefined, "list");
    const items = this.select(target, options, this.request("GET", target));
    const offset = options.continue ? decodeContinue(options.continue, this.request("GET", target)) : 0;
    const end = options.limit ? offset + options.limit : items.length;
    const page = items.slice(offset, end);
    const metadata: ObjectList["metadata"] = { resourceVersion: String(this.lastResourceVersion) };
    if (end < items.length) {
      metadata.continue = encodeContinue(end);
      metadata.remainingItemCount = items.length - end;
    }
    return { apiVersion: type.apiVersion, kind: `${type.kind}List`, metadata, items: page.map((o) => readAs(type, o)) };
  }

  async create<T extends KubeObject>(obj: T, options: CreateOptions = {}): Promise<T> {
    options.signal?.throwIfAborted();
    const type = typeOf(obj);
    const target = await this.target(type, obj.metadata?.namespace, "create", obj.metadata?.name);
    const candidate = { ...jsonClone(obj), apiVersion: type.apiVersion, kind: type.kind } as T & { status?: unknown };
    const m: ObjectMeta = (candidate.metadata = candidate.metadata ?? {});
    const request = this.request("POST", target);
    if (m.resourceVersion) throw newBadRequest("resourceVersion should not be set on objects to be created", request);
    const bucket = this.bucket(target);
    if (!m.name && m.generateName) {
      do m.name = m.generateName + randomSuffix();
      while (bucket.get(this.storeKey(target, m.name)) !== undefined);
    }
    if (!m.name) {
      throw newInvalid(target.mapping, "", [{ field: "metadata.name", reason: "FieldValueRequired", message: "Required value: name or generateName is required" }], request);
    }
    if (m.name.length > 253 || !DNS_SUBDOMAIN.test(m.name)) {
      throw newInvalid(target.mapping, m.name, [{ field: "metadata.name", message: `Invalid value: "${m.name}": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character` }], request);
    }
    if (target.namespace) m.namespace = target.namespace;
    else delete m.namespace;
    if (bucket.get(this.storeKey(target, m.name)) !== undefined) throw newAlreadyExists(target.mapping, m.name, request);
    m.uid = randomUUID();
    m.creationTimestamp = now();
    m.generation = 1;
    delete m.deletionTimestamp;
    delete m.deletionGracePeriodSeconds;
    if (this.withStatus.has(target.gvk)) delete candidate.status;
    const admitted = (await this.admit(target, "CREATE", candidate, undefined, request, options.dryRun)) as typeof candidate;
    if (options.dryRun) return admitted;
    admitted.metadata!.resourceVersion = this.nextResourceVersion();
    bucket.upsert(jsonClone(admitted), this.storeKey(target, m.name));
    return admitted;
  }

  update<T extends KubeObject>(obj: T, options: UpdateOptions = {}): Promise<T> {
    return this.updateIn(obj, options, "main");
  }

  private async updateIn<T extends KubeObject>(obj: T, options: UpdateOptions, scope: Scope): Promise<T> {
    options.signal?.throwIfAborted();
    const { target, name, existing, request } = await this.existing(obj, "PUT", scope);
    const rv = obj.metadata?.resourceVersion;
    if (rv && rv !== existing.metadata?.resourceVersion) throw newConflict(target.mapping, name, undefined, request);
    const uid = obj.metadata?.uid;
    if (uid && uid !== existing.metadata?.uid) {
      throw newConflict(target.mapping, name, `Precondition failed: UID in precondition: ${uid}, UID in object meta: ${existing.metadata?.uid}`, request);
    }
    return (await this.commit(target, existing, obj, scope, request, options.dryRun)) as T;
  }

  patch<T extends KubeObject>(obj: T, patch: Patch, options: PatchOptions = {}): Promise<T> {
    return this.patchIn(obj, patch, options, "main");
  }

  async delete(obj: KubeObject, options: DeleteOptions = {}): Promise<void> {
    options.signal?.throwIfAborted();
    const { target, name, existing, request } = await this.existing(obj, "DELETE", "main");
    const pre = options.preconditions;
    if (pre?.uid && pre.uid !== existing.metadata?.uid) {
      throw newConflict(byKind(target.mapping), name, `the UID in the precondition (${pre.uid}) does not match the UID in record (${existing.metadata?.uid}). The object might have been deleted and then recreated`, request);
    }
    if (pre?.resourceVersion && pre.resourceVersion !== existing.metadata?.resourceVersion) {
      throw newConflict(byKind(target.mapping), name, `the ResourceVersion in the precondition (${pre.resourceVersion}) does not match the ResourceVersion in record (${existing.metadata?.resourceVersion}). The object might have been modified`, request);
    }
    await this.admit(target, "DELETE", undefined, existing, request, options.dryRun);
    if (!options.dryRun) this.remove(target, existing);
  }

  async deleteAllOf(type: ResourceType, options: DeleteAllOfOptions = {}): Promise<void> {
    options.signal?.throwIfAborted();
    const target = await this.target(type, undefined, "deleteAllOf");
    if (target.mapping.namespaced && !options.namespace) {
      throw new Error(`deleteAllOf ${type.kind}: the kind is namespaced, so a namespace is needed`);
    }
    const request = this.request("DELETE", target);
    const matching = this.select(target, options, request);
    for (const obj of matching) await this.admit(target, "DELETE", undefined, obj, request, options.dryRun);
    if (!options.dryRun) for (const obj of matching) this.remove(target, obj);
  }

  private async patchIn<T extends KubeObject>(obj: T, patch: Patch, options: PatchOptions, scope: Scope): Promise<T> {
    options.signal?.throwIfAborted();
    const type = typeOf(obj);
    const name = obj.metadata?.name ?? (patch.data as KubeObject | undefined)?.metadata?.name;
    const target = await this.target(type, obj.metadata?.namespace, "patch", name);
    if (!name) throw new Error(`patch ${type.kind}: metadata.name is empty`);
    const request = this.request("PATCH", target, name, scope === "status" ? "status" : undefined);
    if (scope === "status" && !this.withStatus.has(target.gvk)) throw newNotFound(target.mapping, name, request);
    const existing = this.bucket(target).get(this.storeKey(target, name));
    if (!existing) {
      if (patch.type === "apply" && scope === "main") {
        const fresh = applyMergePatch<KubeObject>({}, parsePatch(patch.data, request));
        return this.create({ ...fresh, apiVersion: type.apiVersion, kind: type.kind, metadata: { ...fresh.metadata, name, namespace: target.namespace } } as T, options);
      }
      throw newNotFound(target.mapping, name, request);
    }
    let patched: KubeObject;
    try {
      patched =
        patch.type === "json"
          ? applyJsonPatch<KubeObject>(existing, parsePatch(patch.data, request) as JsonPatchOperation[])
          : applyMergePatch<KubeObject>(existing, parsePatch(patch.data, request));
    } catch (err) {
      if (!(err instanceof JsonPatchError)) throw err;
      throw newInvalid(target.mapping, name, [{ field: "", message: `the JSON patch does not apply: ${err.message}` }], request);
    }
    const rv = patched.metadata?.resourceVersion;
    if (rv && rv !== existing.metadata?.resourceVersion) throw newConflict(target.mapping, name, undefined, request);
    return (await this.commit(target, existing, patched, scope, request, options.dryRun)) as T;
  }

  /** Stores next as the new state of existing, keeping what only the server may change; returns the stored object. */
  private async commit(target: Target, existing: KubeObject, next: KubeObject, scope: Scope, request: FakeRequest, dryRun?: boolean): Promise<KubeObject> {
    const old = existing as KubeObject & { status?: unknown };
    let candidate = { ...jsonClone(next), apiVersion: target.type.apiVersion, kind: target.type.kind } as KubeObject & { status?: unknown };
    if (scope === "status") {
      candidate = { ...jsonClone(old), status: candidate.status };
    } else if (this.withStatus.has(target.gvk)) {
      candidate.status = jsonClone(old.status);
    }
    if (candidate.status === undefined) delete candidate.status;
    const prev = old.metadata ?? {};
    const m: ObjectMeta = (candidate.metadata = { ...candidate.metadata });
    m.name = prev.name;
    if (prev.namespace) m.namespace = prev.namespace;
    else delete m.namespace;
    for (const field of ["uid", "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds", "generation", "resourceVersion", "managedFields"] as const) {
      if (prev[field] === undefined) delete m[field];
      else (m as Record<string, unknown>)[field] = prev[field];
    }
    const name = prev.name ?? "";
    if (prev.deletionTimestamp) {
      const added = (m.finalizers ?? []).filter((f) => !(prev.finalizers ?? []).includes(f));
      if (added.length) {
        throw newInvalid(target.mapping, name, [{ field: "metadata.finalizers", reason: "FieldValueForbidden", message: `Forbidden: no new finalizers can be added if the object is being deleted, found new finalizers ${JSON.stringify(added)}` }], request);
      }
    }
    // Webhooks match the resource, not its status subresource.
    if (scope === "main") candidate = (await this.admit(target, "UPDATE", candidate, old, request, dryRun)) as typeof candidate;
    const meta = candidate.metadata!;
    if (jsonEqual(candidate, old)) return jsonClone(old);
    if (!jsonEqual(specOf(candidate), specOf(old))) meta.generation = (prev.generation ?? 0) + 1;
    if (dryRun) return candidate;
    meta.resourceVersion = this.nextResourceVersion();
    const bucket = this.bucket(target);
    if (meta.deletionTimestamp && !meta.finalizers?.length) bucket.delete(this.storeKey(target, name));
    else bucket.upsert(jsonClone(candidate), this.storeKey(target, name));
    return candidate;
  }

  private admit(target: Target, operation: "CREATE" | "UPDATE" | "DELETE", obj: KubeObject | undefined, old: KubeObject | undefined, request: FakeRequest, dryRun?: boolean): Promise<KubeObject | undefined> {
    const hooks = this.webhooks.get(target.gvk);
    if (!hooks?.length) return Promise.resolve(obj);
    return admit(hooks, { mapping: target.mapping, operation, object: obj, oldObject: old, request, dryRun: dryRun ?? false });
  }

  /** A delete: immediate without finalizers, otherwise marks the object with a deletionTimestamp. */
  private remove(target: Target, existing: KubeObject): void {
    const name = existing.metadata?.name ?? "";
    const bucket = this.bucket(target);
    const key = this.storeKey({ ...target, namespace: existing.metadata?.namespace }, name);
    if (!existing.metadata?.finalizers?.length) {
      bucket.delete(key);
      return;
    }
    if (existing.metadata.deletionTimestamp) return;
    const marked = jsonClone(existing);
    marked.metadata = { ...marked.metadata, deletionTimestamp: now(), deletionGracePeriodSeconds: 0, resourceVersion: this.nextResourceVersion() };
    bucket.upsert(marked, key);
  }

  private select(target: Target, options: ListOptions, request: FakeRequest): KubeObject[] {
    let found: KubeObject[];
    try {
      found = selectFromStore(this.bucket(target), {
        kind: target.type.kind,
        namespaced: target.mapping.namespaced,
        namespace: target.mapping.namespaced && options.namespace ? options.namespace : undefined,
        labelSelector: options.labelSelector,
        fieldSelector: options.fieldSelector,
        matchingFields: options.matchingFields,
      });
    } catch (err) {
      if (err instanceof SelectorParseError) throw newBadRequest(err.message, request);
      throw err;
    }
    // The API server lists in key order.
    const keyed = found.map((o) => [this.storeKey({ ...target, namespace: o.metadata?.namespace }, o.metadata?.name ?? ""), o] as const);
    return keyed.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, o]) => o);
  }

  private async existing(obj: KubeObject, method: string, scope: Scope) {
    const type = typeOf(obj);
    const name = obj.metadata?.name;
    const target = await this.target(type, obj.metadata?.namespace, method.toLowerCase(), name);
    if (!name) throw new Error(`${method} ${type.kind}: metadata.name is empty`);
    const request = this.request(method, target, name, scope === "status" ? "status" : undefined);
    if (scope === "status" && !this.withStatus.has(target.gvk)) throw newNotFound(target.mapping, name, request);
    const existing = this.bucket(target).get(this.storeKey(target, name));
    if (!existing) throw newNotFound(target.mapping, name, request);
    return { target, name, existing, request };
  }

  private async target(type: { apiVersion: string; kind: string }, namespace: string | undefined, verb: string, name?: string): Promise<Target> {
    const gvk = gvkKey(type);
    const mapping = this.kinds.get(gvk) ?? (await this.mapper.mapping(type));
    if (mapping.namespaced && !namespace && verb !== "list" && verb !== "deleteAllOf") {
      throw new Error(`${verb} ${type.kind}${name ? ` "${name}"` : ""}: the kind is namespaced, so a namespace is needed`);
    }
    return { type: { apiVersion: type.apiVersion, kind: type.kind }, gvk, mapping, namespace: mapping.namespaced ? namespace : undefined };
  }

  private bucket(target: Pick<Target, "gvk">): Store<KubeObject> {
    let bucket = this.store.get(target.gvk);
    if (!bucket) this.store.set(target.gvk, (bucket = new Store()));
    return bucket;
  }

  private storeKey(target: Target, name: string): string {
    return target.namespace ? `${target.namespace}/${name}` : name;
  }

  private request(method: string, target: Target, name?: string, subresource?: string): FakeRequest {
    return { method, path: resourcePath(target.mapping, target.namespace, name, subresource) };
  }

  private nextResourceVersion(): string {
    return String(++this.lastResourceVersion);
  }

  private addObject(obj: KubeObject): void {
    const type = typeOf(obj);
    const gvk = gvkKey(type);
    const mapping = this.kinds.get(gvk);
    if (!mapping) throw new Error(`fake client: ${gvk} is not registered; add it with withKind()`);
    const m = obj.metadata ?? {};
    if (!m.name) throw new Error(`fake client: a ${type.kind} without metadata.name`);
    if (mapping.namespaced && !m.namespace) throw new Error(`fake client: ${type.kind} "${m.name}" is namespaced but has no namespace`);
    if (m.deletionTimestamp && !m.finalizers?.length) {
      throw new Error(`fake client: refusing ${type.kind} "${m.name}" with a deletionTimestamp but no finalizers (it would be gone already)`);
    }
    const target: Target = { type, gvk, mapping, namespace: mapping.namespaced ? m.namespace : undefined };
    const key = this.storeKey(target, m.name);
    if (this.bucket(target).get(key) !== undefined) throw new Error(`fake client: ${type.kind} "${key}" given twice`);
    const stored = jsonClone(obj);
    const meta: ObjectMeta = (stored.metadata = { ...stored.metadata });
    if (!mapping.namespaced) delete meta.namespace;
    meta.uid ??= randomUUID();
    meta.creationTimestamp ??= now();
    meta.generation ??= 1;
    const given = Number(meta.resourceVersion);
    if (meta.resourceVersion && Number.isInteger(given)) this.lastResourceVersion = Math.max(this.lastResourceVersion, given);
    meta.resourceVersion ??= this.nextResourceVersion();
    this.bucket(target).upsert(stored, key);
  }
}
