import type { KubeObject } from "../api/object.ts";
import { MissingIndexError } from "./errors.ts";
import { type FieldSelector, type LabelSelector, parseFieldSelector, parseLabelSelector } from "../labels/index.ts";
import type { Store } from "./store.ts";

/** The field index behind `list(type, { matchingFields: { [field]: value } })`. */
export const fieldIndexName = (field: string): string => `field:${field}`;
/** Field index values are filed per namespace and, under this prefix, for all namespaces, as controller-runtime does. */
export const ALL_NAMESPACES = "__all_namespaces";

/**
 * The store index behind fieldIndexName(field) for an extract function: each value filed for all namespaces and, for
 * a namespaced object, for its namespace, so a lookup within one namespace costs the size of its answer.
 */
export function fieldIndexer<T extends KubeObject>(extract: (obj: T) => readonly string[], namespaced: boolean): (obj: T) => string[] {
  return (obj) => {
    const values = extract(obj) ?? [];
    const ns = namespaced ? obj.metadata?.namespace : undefined;
    const out: string[] = [];
    for (const v of values) {
      out.push(`${ALL_NAMESPACES}/${v}`);
      if (ns) out.push(`${ns}/${v}`);
    }
    return out;
  };
}

export interface StoreQuery {
  kind: string;
  namespaced: boolean;
  namespace?: string;
  labelSelector?: LabelSelector;
  fieldSelector?: FieldSelector;
  matchingFields?: Record<string, string>;
  limit?: number;
}

/**
 * The objects of a store that a list's options select, found through the narrowest means at hand: field indexes (the
 * smallest first), then a direct key, then the namespace's keys, and a full scan only when nothing narrows it.
 * metadata.name and metadata.namespace are understood natively; any other field needs an index.
 */
export function selectFromStore<T extends KubeObject>(store: Store<T>, q: StoreQuery): T[] {
  const labels = q.labelSelector === undefined ? undefined : parseLabelSelector(q.labelSelector);
  let namespace = q.namespaced ? q.namespace : undefined;
  let name: string | undefined;
  const notNames: string[] = [];
  const notNamespaces: string[] = [];
  const lookups: { field: string; value: string }[] = [];
  const exclusions: { field: string; value: string }[] = [];

  for (const r of parseFieldSelector(q.fieldSelector)) {
    if (r.field === "metadata.name") {
      if (r.operator === "!=") notNames.push(r.value);
      else if (name !== undefined && name !== r.value) return [];
      else name = r.value;
    } else if (r.field === "metadata.namespace") {
      if (r.operator === "!=") notNamespaces.push(r.value);
      else if (!q.namespaced) {
        if (r.value !== "") return [];
      } else if (namespace !== undefined && namespace !== r.value) return [];
      else namespace = r.value;
    } else if (r.operator === "=") lookups.push({ field: r.field, value: r.value });
    else exclusions.push({ field: r.field, value: r.value });
  }
  for (const field of Object.keys(q.matchingFields ?? {})) lookups.push({ field, value: q.matchingFields![field]! });

  const keysFor = (field: string, value: string, inNamespace: string | undefined): ReadonlySet<string> => {
    const index = fieldIndexName(field);
    if (!store.hasIndex(index)) throw new MissingIndexError(q.kind, field);
    return store.indexKeys(index, `${inNamespace ?? ALL_NAMESPACES}/${value}`);
  };

  let keys: Iterable<string> | undefined;
  if (lookups.length) {
    const sets = lookups.map((l) => keysFor(l.field, l.value, namespace)).sort((a, b) => a.size - b.size);
    const [smallest, ...rest] = sets as [ReadonlySet<string>, ...ReadonlySet<string>[]];
    keys = rest.length ? [...smallest].filter((k) => rest.every((s) => s.has(k))) : smallest;
  } else if (name !== undefined && (namespace !== undefined || !q.namespaced)) {
    keys = [namespace !== undefined ? `${namespace}/${name}` : name];
  } else if (namespace !== undefined) {
    keys = store.namespaceKeys(namespace);
  }
  const excluded = exclusions.map((e) => keysFor(e.field, e.value, undefined));

  const limit = q.limit && q.limit > 0 ? q.limit : Infinity;
  const out: T[] = [];
  const consider = (key: string | undefined, obj: T): boolean => {
    const m = obj.metadata;
    if (namespace !== undefined && m?.namespace !== namespace) return false;
    if (name !== undefined && m?.name !== name) return false;
    if (notNames.length && notNames.includes(m?.name ?? "")) return false;
    if (notNamespaces.length && notNamespaces.includes(m?.namespace ?? "")) return false;
    if (labels && !labels.empty && !labels.matches(m?.labels)) return false;
    if (excluded.length) {
      const k = key ?? `${m?.namespace ? `${m.namespace}/` : ""}${m?.name ?? ""}`;
      for (const set of excluded) if (set.has(k)) return false;
    }
    out.push(obj);
    return out.length >= limit;
  };
  if (keys) {
    for (const key of keys) {
      const obj = store.get(key);
      if (obj !== undefined && consider(key, obj)) break;
    }
  } else {
    for (const obj of store.values()) if (consider(undefined, obj)) break;
  }
  return out;
}
