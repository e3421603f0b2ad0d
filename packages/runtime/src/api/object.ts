/** Objects as they travel as JSON: timestamps are RFC 3339 strings, quantities are strings or numbers. */

export interface OwnerReference {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  controller?: boolean;
  blockOwnerDeletion?: boolean;
}

export interface ObjectMeta {
  name?: string;
  generateName?: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  deletionGracePeriodSeconds?: number;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: OwnerReference[];
  finalizers?: string[];
  managedFields?: unknown[];
}

/**
 * An object as deeply read-only: what the cache shares with handlers, predicates, map functions and informer
 * getters (one object for all of them, as kube-rs hands out Arc<K>), so that a mutation is a compile error rather than
 * a corrupted cache. Copy it (a cached client's get does) to change it.
 */
export type DeepReadonly<T> = T extends string | number | boolean | bigint | symbol | null | undefined | ((...args: never[]) => unknown)
  ? T
  : T extends readonly (infer U)[]
    ? readonly DeepReadonly<U>[]
    : T extends object
      ? { readonly [K in keyof T]: DeepReadonly<T[K]> }
      : T;

/** A cache's shared object, read-only. */
export type Shared<T> = DeepReadonly<T>;

/** The read-only view of an object about to be shared (the same object: no copy is made). */
export function asShared<T>(obj: T): Shared<T> {
  return obj as unknown as Shared<T>;
}

export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata?: ObjectMeta;
}

export interface ListMeta {
  resourceVersion?: string;
  continue?: string;
  remainingItemCount?: number;
}

export interface ObjectList<T extends KubeObject = KubeObject> {
  apiVersion?: string;
  kind?: string;
  metadata: ListMeta;
  items: T[];
}

/** Any object, typed no further than its metadata: the counterpart of Go's unstructured.Unstructured. */
export interface Unstructured extends KubeObject {
  [field: string]: unknown;
}

export interface GroupVersionKind {
  group: string;
  version: string;
  kind: string;
}

export interface GroupVersionResource {
  group: string;
  version: string;
  resource: string;
}

/** Namespace and name: what a controller reconciles and what a client reads. */
export interface ObjectKey {
  namespace?: string;
  name: string;
}

/**
 * A kind of object with its TypeScript type: `apiVersion` and `kind` as on the wire. The type parameter exists only
 * for the compiler, so `client.get(ConfigMap, key)` returns a ConfigMap.
 */
export interface ResourceType<T extends KubeObject = KubeObject> {
  readonly apiVersion: string;
  readonly kind: string;
  /** Never set: carries T for type inference. */
  readonly __object?: T;
}

export function resourceType<T extends KubeObject = Unstructured>(apiVersion: string, kind: string): ResourceType<T> {
  return Object.freeze({ apiVersion, kind });
}

/** Turns a client-node model type (whose timestamps are Date) into its JSON shape (timestamps are strings). */
export type Json<T> = T extends Date
  ? string
  : T extends (infer U)[]
    ? Json<U>[]
    : T extends object
      ? { [K in keyof T]: Json<T[K]> }
      : T;
