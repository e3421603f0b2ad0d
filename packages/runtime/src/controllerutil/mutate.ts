import { objectKey, typeOf } from "../api/meta.ts";
import type { KubeObject } from "../api/object.ts";
import { isAlreadyExists, isNotFound } from "../client/errors.ts";
import type { Client, Reader } from "../client/interfaces.ts";
import { jsonClone, jsonEqual } from "../api/json.ts";
import { createMergePatch } from "../client/json-patch.ts";

export type OperationResult = "created" | "updated" | "unchanged";

/** Sets the desired state on the object it is given (the live object, or the new one); must not change its name. */
export type MutateFn<T extends KubeObject> = (obj: T) => void | Promise<void>;

type WithStatus = KubeObject & { status?: unknown };

/** Replaces target's contents with source's, so that callers holding target see the server's answer. */
export function assignObject<T extends KubeObject>(target: T, source: T): T {
  for (const k of Object.keys(target)) delete (target as Record<string, unknown>)[k];
  return Object.assign(target, source);
}

async function mutateChecked<T extends KubeObject>(obj: T, mutate: MutateFn<T>): Promise<void> {
  const before = objectKey(obj);
  await mutate(obj);
  const after = obj.metadata;
  if (after?.name !== before.name || (after?.namespace || undefined) !== before.namespace) {
    throw new Error("MutateFn cannot mutate object name and/or object namespace");
  }
}

export interface CreateOrUpdateOptions {
  /**
   * Where to read the object when the create meets AlreadyExists: the cache said it was missing but the server has
   * it (a cache that lags, after an outage, say). With a reader that bypasses the cache (a manager's apiReader) the
   * server's copy is mutated and written as an update; without one the AlreadyExists error is thrown.
   */
  apiReader?: Reader;
}

/** Reads obj by its key into obj itself; returns false when it does not exist. */
async function load<T extends KubeObject>(client: Reader, obj: T): Promise<boolean> {
  const type = typeOf(obj);
  try {
    const live = await client.get(type, objectKey(obj));
    assignObject(obj, { ...live, apiVersion: type.apiVersion, kind: type.kind });
    return true;
  } catch (err) {
    if (isNotFound(err)) return false;
    throw err;
  }
}

/**
 * Reads obj (by its namespace and name), lets mutate set the desired state, and creates or updates it; a mutate that
 * changes nothing writes nothing. obj holds the server's copy afterwards. An update conflict is thrown as is: the
 * reconcile is retried with fresh state.
 */
export async function createOrUpdate<T extends KubeObject>(client: Client, obj: T, mutate: MutateFn<T>, options: CreateOrUpdateOptions = {}): Promise<OperationResult> {
  if (!(await load(client, obj))) {
    const key = jsonClone(obj);
    await mutateChecked(obj, mutate);
    const created = await createUnlessThere(client, obj, key, options);
    if (created) {
      assignObject(obj, created);
      return "created";
    }
  }
  const before = jsonClone(obj);
  await mutateChecked(obj, mutate);
  if (jsonEqual(before, obj)) return "unchanged";
  assignObject(obj, await client.update(obj));
  return "updated";
}

/**
 * Creates obj; when it already exists and an apiReader is given, loads the server's copy into obj (from the key it
 * was asked for, before mutate) and returns undefined, so the caller goes on as for an object that was found.
 */
async function createUnlessThere<T extends KubeObject>(client: Client, obj: T, key: T, options: CreateOrUpdateOptions): Promise<T | undefined> {
  try {
    return await client.create(obj);
  } catch (err) {
    if (!isAlreadyExists(err) || !options.apiReader) throw err;
    assignObject(obj, key);
    if (!(await load(options.apiReader, obj))) throw err;
    return undefined;
  }
}

/**
 * Like createOrUpdate, but writes a JSON merge patch of what mutate changed, so fields other writers set meanwhile
 * survive; a status change is patched through the status subresource. A status set by mutate on a new object is
 * written after the create (a create ignores status where the kind has the subresource).
 */
export async function createOrPatch<T extends KubeObject>(client: Client, obj: T, mutate: MutateFn<T>, options: CreateOrUpdateOptions = {}): Promise<OperationResult> {
  const key = jsonClone(obj);
  const missing = !(await load(client, obj));
  let created: (T & WithStatus) | undefined;
  if (missing) {
    await mutateChecked(obj, mutate);
    created = (await createUnlessThere(client, obj, key, options)) as (T & WithStatus) | undefined;
  }
  if (created) {
    const desiredStatus = (obj as WithStatus).status;
    assignObject(obj, created);
    const statusPatch = createMergePatch({ status: created.status }, { status: desiredStatus });
    if (desiredStatus !== undefined && statusPatch !== undefined) {
      assignObject(obj, await client.status().patch(obj, { type: "merge", data: statusPatch }));
    }
    return "created";
  }
  const before = jsonClone(obj) as T & WithStatus;
  await mutateChecked(obj, mutate);
  const after = obj as T & WithStatus;
  const { status: beforeStatus, ...beforeRest } = before;
  const { status: afterStatus, ...afterRest } = jsonClone(after);
  const mainPatch = createMergePatch(beforeRest, afterRest);
  const statusPatch = createMergePatch({ status: beforeStatus }, { status: afterStatus });
  if (mainPatch === undefined && statusPatch === undefined) return "unchanged";
  if (mainPatch !== undefined) {
    const patched = await client.patch(obj, { type: "merge", data: mainPatch });
    assignObject(obj, statusPatch === undefined ? patched : ({ ...patched, status: afterStatus } as T));
  }
  if (statusPatch !== undefined) assignObject(obj, await client.status().patch(obj, { type: "merge", data: statusPatch }));
  return "updated";
}
