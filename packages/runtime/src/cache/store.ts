import type { KubeObject } from "../api/object.ts";
import { objectKeyString } from "../api/meta.ts";
import { jsonEqual } from "../api/json.ts";

/** The values an object is filed under in one index. Must not throw, and must return the same for the same object. */
export type IndexFunc<T> = (obj: T) => readonly string[];

export interface ReplaceResult<T> {
  added: T[];
  updated: { oldObj: T; newObj: T }[];
  deleted: T[];
}

const NO_VALUES: readonly string[] = Object.freeze([]);
const NO_KEYS: ReadonlySet<string> = new Set<string>();

interface Index<T> {
  extract: IndexFunc<T>;
  byValue: Map<string, Set<string>>;
}

/**
 * Objects by "namespace/name" key, with named indexes (value -> keys) kept current on every write, so that lookups by
 * namespace or index value cost the size of the answer and never a scan of the store.
 */
export class Store<T extends KubeObject> {
  private readonly items = new Map<string, T>();
  private readonly byNamespace = new Map<string, Set<string>>();
  private readonly indexes = new Map<string, Index<T>>();
  private readonly onIndexError: (index: string, err: unknown) => void;

  constructor(onIndexError: (index: string, err: unknown) => void = () => {}) {
    this.onIndexError = onIndexError;
  }

  get size(): number {
    return this.items.size;
  }

  get(key: string): T | undefined {
    return this.items.get(key);
  }

  values(): IterableIterator<T> {
    return this.items.values();
  }

  keys(): IterableIterator<string> {
    return this.items.keys();
  }

  list(): T[] {
    return Array.from(this.items.values());
  }

  /** Keys of the objects in one namespace ("" for cluster-scoped objects). */
  namespaceKeys(namespace: string): ReadonlySet<string> {
    return this.byNamespace.get(namespace) ?? NO_KEYS;
  }

  listNamespace(namespace: string): T[] {
    return this.resolve(this.namespaceKeys(namespace));
  }

  hasIndex(name: string): boolean {
    return this.indexes.has(name);
  }

  indexNames(): string[] {
    return [...this.indexes.keys()];
  }

  /** Adds an index and files every stored object under it. Replacing an index of the same name rebuilds it. */
  addIndex(name: string, extract: IndexFunc<T>): void {
    const index: Index<T> = { extract, byValue: new Map() };
    this.indexes.set(name, index);
    for (const [key, obj] of this.items) {
      for (const value of this.extract(name, index, obj)) this.file(index, value, key);
    }
  }

  /** Keys filed under one value of an index; throws if there is no such index. */
  indexKeys(name: string, value: string): ReadonlySet<string> {
    const index = this.indexes.get(name);
    if (!index) throw new Error(`no index named "${name}"`);
    return index.byValue.get(value) ?? NO_KEYS;
  }

  byIndex(name: string, value: string): T[] {
    return this.resolve(this.indexKeys(name, value));
  }

  /** The values of an index that have at least one object. */
  indexValues(name: string): string[] {
    const index = this.indexes.get(name);
    if (!index) throw new Error(`no index named "${name}"`);
    return [...index.byValue.keys()];
  }

  resolve(keys: Iterable<string>): T[] {
    const out: T[] = [];
    for (const key of keys) {
      const obj = this.items.get(key);
      if (obj !== undefined) out.push(obj);
    }
    return out;
  }

  /** Adds or replaces an object; returns the one it replaced. */
  upsert(obj: T, key: string = objectKeyString(obj)): T | undefined {
    const old = this.items.get(key);
    this.items.set(key, obj);
    if (old === undefined) {
      const ns = obj.metadata?.namespace ?? "";
      let keys = this.byNamespace.get(ns);
      if (!keys) this.byNamespace.set(ns, (keys = new Set()));
      keys.add(key);
    }
    if (this.indexes.size) this.reindex(key, old, obj);
    return old;
  }

  /** Removes an object by key; returns it if it was there. */
  delete(key: string): T | undefined {
    const old = this.items.get(key);
    if (old === undefined) return undefined;
    this.items.delete(key);
    const ns = old.metadata?.namespace ?? "";
    const keys = this.byNamespace.get(ns);
    if (keys) {
      keys.delete(key);
      if (keys.size === 0) this.byNamespace.delete(ns);
    }
    if (this.indexes.size) this.reindex(key, old, undefined);
    return old;
  }

  /**
   * Makes the store (or, given a namespace, that namespace of it) hold exactly `objects`, as after a relist, and says
   * what changed. An object whose resourceVersion is unchanged counts as updated only if its content differs, and then
   * keeps its stored identity when it does not.
   */
  replace(objects: Iterable<T>, namespace?: string): ReplaceResult<T> {
    const result: ReplaceResult<T> = { added: [], updated: [], deleted: [] };
    const seen = new Set<string>();
    for (const obj of objects) {
      const key = objectKeyString(obj);
      if (!key) continue;
      seen.add(key);
      const old = this.items.get(key);
      if (old === undefined) {
        this.upsert(obj, key);
        result.added.push(obj);
      } else if (old !== obj && changed(old, obj)) {
        this.upsert(obj, key);
        result.updated.push({ oldObj: old, newObj: obj });
      }
    }
    const scope = namespace === undefined ? this.items.keys() : this.namespaceKeys(namespace).values();
    const gone: string[] = [];
    for (const key of scope) if (!seen.has(key)) gone.push(key);
    for (const key of gone) {
      const old = this.delete(key);
      if (old !== undefined) result.deleted.push(old);
    }
    return result;
  }

  clear(): void {
    this.items.clear();
    this.byNamespace.clear();
    for (const index of this.indexes.values()) index.byValue.clear();
  }

  private extract(name: string, index: Index<T>, obj: T): readonly string[] {
    try {
      return index.extract(obj) ?? NO_VALUES;
    } catch (err) {
      this.onIndexError(name, err);
      return NO_VALUES;
    }
  }

  private reindex(key: string, oldObj: T | undefined, newObj: T | undefined): void {
    for (const [name, index] of this.indexes) {
      const before = oldObj === undefined ? NO_VALUES : this.extract(name, index, oldObj);
      const after = newObj === undefined ? NO_VALUES : this.extract(name, index, newObj);
      if (sameValues(before, after)) continue;
      for (const value of before) if (!after.includes(value)) this.unfile(index, value, key);
      for (const value of after) this.file(index, value, key);
    }
  }

  private file(index: Index<T>, value: string, key: string): void {
    let keys = index.byValue.get(value);
    if (!keys) index.byValue.set(value, (keys = new Set()));
    keys.add(key);
  }

  private unfile(index: Index<T>, value: string, key: string): void {
    const keys = index.byValue.get(value);
    if (!keys) return;
    keys.delete(key);
    if (keys.size === 0) index.byValue.delete(value);
  }
}

function sameValues(a: readonly string[], b: readonly string[]): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function changed(oldObj: KubeObject, newObj: KubeObject): boolean {
  if (oldObj.metadata?.resourceVersion !== newObj.metadata?.resourceVersion) return true;
  // The same resourceVersion is normally the same object, but a changed transform or a server quirk may differ.
  return !jsonEqual(oldObj, newObj);
}
