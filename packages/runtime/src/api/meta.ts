import type { GroupVersionKind, KubeObject, ObjectKey, ObjectMeta, ResourceType } from "./object.ts";

export function parseApiVersion(apiVersion: string): { group: string; version: string } {
  const slash = apiVersion.indexOf("/");
  return slash < 0 ? { group: "", version: apiVersion } : { group: apiVersion.slice(0, slash), version: apiVersion.slice(slash + 1) };
}

export function formatApiVersion(group: string, version: string): string {
  return group ? `${group}/${version}` : version;
}

export function gvkOf(type: { apiVersion?: string; kind?: string }): GroupVersionKind {
  if (!type.apiVersion || !type.kind) throw new Error("object has no apiVersion or kind");
  return { ...parseApiVersion(type.apiVersion), kind: type.kind };
}

/** "apps/v1, Kind=Deployment": a stable string for maps and messages. */
export function gvkKey(type: { apiVersion?: string; kind?: string }): string {
  return `${type.apiVersion}, Kind=${type.kind}`;
}

export function typeOf<T extends KubeObject>(obj: T): ResourceType<T> {
  if (!obj.apiVersion || !obj.kind) {
    throw new Error(`object ${obj.metadata?.namespace ?? ""}/${obj.metadata?.name ?? ""} has no apiVersion or kind`);
  }
  return { apiVersion: obj.apiVersion, kind: obj.kind };
}

export function meta(obj: KubeObject): ObjectMeta {
  return obj.metadata ?? {};
}

export function objectKey(obj: KubeObject): ObjectKey {
  const m = meta(obj);
  if (!m.name) throw new Error("object has no metadata.name");
  return m.namespace ? { namespace: m.namespace, name: m.name } : { name: m.name };
}

/** "namespace/name", or "name" for cluster-scoped objects: the key client-go's stores use. */
export function keyString(key: ObjectKey): string {
  return key.namespace ? `${key.namespace}/${key.name}` : key.name;
}

export function objectKeyString(obj: KubeObject): string {
  const m = meta(obj);
  return m.namespace ? `${m.namespace}/${m.name}` : (m.name ?? "");
}
