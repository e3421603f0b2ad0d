import type { KubeObject, ObjectKey, ObjectList, ResourceType } from "../api/object.ts";
import type { RESTMapper } from "./restmapper.ts";

import type { FieldSelector, LabelSelector } from "../labels/index.ts";

export type { FieldSelector, LabelSelector };

/**
 * Every call takes a signal, as every Go client call takes a context: aborting it abandons the request. Without one, a
 * write made inside a reconcile takes the reconcile's signal (see RequestScope).
 */
export interface CallOptions {
  signal?: AbortSignal;
}

export type GetOptions = CallOptions;

export interface ListOptions extends CallOptions {
  namespace?: string;
  labelSelector?: LabelSelector;
  fieldSelector?: FieldSelector;
  /** Index lookups on a cache (see Cache.indexField); sent as a field selector by the uncached client. */
  matchingFields?: Record<string, string>;
  limit?: number;
  continue?: string;
  resourceVersion?: string;
}

export interface WriteOptions extends CallOptions {
  dryRun?: boolean;
  fieldManager?: string;
}

export type CreateOptions = WriteOptions;
export type UpdateOptions = WriteOptions;

export interface PatchOptions extends WriteOptions {
  /** Server-side apply: take ownership of fields other managers own. */
  force?: boolean;
}

export interface DeleteOptions extends CallOptions {
  propagationPolicy?: "Foreground" | "Background" | "Orphan";
  gracePeriodSeconds?: number;
  preconditions?: { uid?: string; resourceVersion?: string };
  dryRun?: boolean;
}

export interface DeleteAllOfOptions extends ListOptions, DeleteOptions {}

export type PatchType = "merge" | "json" | "strategic" | "apply";

export interface Patch {
  type: PatchType;
  data: unknown;
}

export const Patch = {
  /** RFC 7386 JSON merge patch. */
  merge: (data: unknown): Patch => ({ type: "merge", data }),
  /** RFC 6902 JSON patch operations. */
  json: (operations: { op: string; path: string; value?: unknown; from?: string }[]): Patch => ({ type: "json", data: operations }),
  strategic: (data: unknown): Patch => ({ type: "strategic", data }),
  /** Server-side apply of a full or partial object; needs a fieldManager. */
  apply: (object: KubeObject): Patch => ({ type: "apply", data: object }),
} as const;

export const PATCH_CONTENT_TYPES: Record<PatchType, string> = {
  merge: "application/merge-patch+json",
  json: "application/json-patch+json",
  strategic: "application/strategic-merge-patch+json",
  apply: "application/apply-patch+yaml",
};

export interface Reader {
  /** Throws an ApiError that isNotFound() recognises when the object does not exist. */
  get<T extends KubeObject>(type: ResourceType<T>, key: ObjectKey, options?: GetOptions): Promise<T>;
  list<T extends KubeObject>(type: ResourceType<T>, options?: ListOptions): Promise<ObjectList<T>>;
}

/** Every write takes the object (with apiVersion and kind) and returns the object as the server stored it. */
export interface Writer {
  create<T extends KubeObject>(obj: T, options?: CreateOptions): Promise<T>;
  update<T extends KubeObject>(obj: T, options?: UpdateOptions): Promise<T>;
  patch<T extends KubeObject>(obj: T, patch: Patch, options?: PatchOptions): Promise<T>;
  delete(obj: KubeObject, options?: DeleteOptions): Promise<void>;
  deleteAllOf(type: ResourceType, options?: DeleteAllOfOptions): Promise<void>;
}

export interface StatusWriter {
  update<T extends KubeObject>(obj: T, options?: UpdateOptions): Promise<T>;
  patch<T extends KubeObject>(obj: T, patch: Patch, options?: PatchOptions): Promise<T>;
}

export interface Client extends Reader, Writer {
  /** Writes to the status subresource. */
  status(): StatusWriter;
  readonly mapper: RESTMapper;
}
