import type { KubeObject, ObjectMeta, ResourceType } from "../api/object.ts";

/**
 * An object reduced to its type and metadata, as a metadata-only informer holds it: controller-runtime's
 * metav1.PartialObjectMetadata with the GVK set. apiVersion and kind are those of the kind it stands for (not
 * meta.k8s.io/v1's), so owner references, handlers and keys read the same as for the full object.
 */
export interface PartialObjectMetadata<T extends KubeObject = KubeObject> {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
  /** Never set: carries the full kind's type for inference. */
  readonly __of?: T;
}

/** A kind read as metadata only: give it wherever a ResourceType goes (getInformer, get, list, kind sources). */
export interface MetadataOnlyType<T extends KubeObject = KubeObject> extends ResourceType<PartialObjectMetadata<T>> {
  readonly metadataOnly: true;
}

/**
 * The metadata-only view of a kind, like controller-runtime's OnlyMetadata: its informer lists and watches
 * PartialObjectMetadata, so the cache holds no spec, data or status. It is a separate informer from the kind's full one.
 */
export function metadataOnly<T extends KubeObject>(type: ResourceType<T>): MetadataOnlyType<T> {
  if (isMetadataOnly(type)) return type as unknown as MetadataOnlyType<T>;
  return Object.freeze({ apiVersion: type.apiVersion, kind: type.kind, metadataOnly: true as const });
}

export function isMetadataOnly(type: { apiVersion?: string; kind?: string }): boolean {
  return (type as { metadataOnly?: unknown }).metadataOnly === true;
}

/**
 * What the API server is asked for: PartialObjectMetadataList for a list, PartialObjectMetadata for each watch event.
 * Plain JSON is the fallback a server without the meta.k8s.io conversion answers with; objects are reduced here then.
 */
export const METADATA_LIST_ACCEPT = "application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1,application/json";
export const METADATA_ACCEPT = "application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1,application/json";

/** The object's type (the full kind's) and metadata, and nothing else. */
export function toPartialObjectMetadata<T extends KubeObject>(
  obj: KubeObject,
  type: { apiVersion: string; kind: string },
): PartialObjectMetadata<T> {
  return { apiVersion: type.apiVersion, kind: type.kind, metadata: obj.metadata ?? {} };
}
