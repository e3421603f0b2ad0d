import { parseApiVersion } from "../api/meta.ts";
import type { KubeObject, OwnerReference } from "../api/object.ts";

/** The object already has a controller, and it is not the owner being set. */
export class AlreadyOwnedError extends Error {
  override readonly name = "AlreadyOwnedError";
  readonly owner: OwnerReference;
  readonly object: { namespace?: string; name?: string; kind?: string };
  constructor(object: KubeObject, owner: OwnerReference) {
    super(
      `${object.kind ?? "Object"} ${object.metadata?.namespace ? `${object.metadata.namespace}/` : ""}${object.metadata?.name ?? ""} ` +
        `is already owned by another ${owner.kind} controller ${owner.name}`,
    );
    this.owner = owner;
    this.object = { namespace: object.metadata?.namespace, name: object.metadata?.name, kind: object.kind };
  }
}

function identityOf(owner: KubeObject): { apiVersion: string; kind: string; name: string } {
  const m = owner.metadata ?? {};
  if (!owner.apiVersion || !owner.kind) throw new Error(`owner ${m.name ?? ""} has no apiVersion or kind`);
  if (!m.name) throw new Error(`owner ${owner.kind} has no metadata.name`);
  return { apiVersion: owner.apiVersion, kind: owner.kind, name: m.name };
}

function referenceTo(owner: KubeObject): OwnerReference {
  const id = identityOf(owner);
  const uid = owner.metadata?.uid;
  if (!uid) throw new Error(`owner ${id.kind} ${id.name} has no metadata.uid: use the object as read from the API server`);
  return { ...id, uid };
}

/** The same owner: group, kind and name agree (the version may differ, as in controller-runtime). */
function sameOwner(a: { apiVersion: string; kind: string; name: string }, b: { apiVersion: string; kind: string; name: string }): boolean {
  return parseApiVersion(a.apiVersion).group === parseApiVersion(b.apiVersion).group && a.kind === b.kind && a.name === b.name;
}

/**
 * Owner references across namespaces are not allowed, nor a namespaced owner of a cluster-scoped object; a
 * cluster-scoped owner of a namespaced object is fine. An object without a namespace is taken to be cluster-scoped.
 */
function validateOwner(owner: KubeObject, object: KubeObject): void {
  const ownerNs = owner.metadata?.namespace;
  if (!ownerNs) return;
  const objectNs = object.metadata?.namespace;
  if (!objectNs) {
    throw new Error(`cluster-scoped resource must not have a namespace-scoped owner, owner's namespace ${ownerNs}`);
  }
  if (ownerNs !== objectNs) {
    throw new Error(`cross-namespace owner references are disallowed, owner's namespace ${ownerNs}, obj's namespace ${objectNs}`);
  }
}

function upsert(object: KubeObject, ref: OwnerReference): void {
  const meta = (object.metadata ??= {});
  const refs = [...(meta.ownerReferences ?? [])];
  const index = refs.findIndex((r) => sameOwner(r, ref));
  if (index >= 0) refs[index] = ref;
  else refs.push(ref);
  meta.ownerReferences = refs;
}

export function getControllerOf(object: KubeObject): OwnerReference | undefined {
  return object.metadata?.ownerReferences?.find((r) => r.controller === true);
}

export function hasControllerReference(object: KubeObject): boolean {
  return getControllerOf(object) !== undefined;
}

/** Whether object has an owner reference to owner (any version of its kind). */
export function hasOwnerReference(object: KubeObject, owner: KubeObject): boolean {
  const ref = identityOf(owner);
  return (object.metadata?.ownerReferences ?? []).some((r) => sameOwner(r, ref));
}

/**
 * Makes owner the managing controller of object (controller: true, blockOwnerDeletion: true): garbage collection
 * deletes object with owner, and Owns() watches map object's events to owner. Throws AlreadyOwnedError if another
 * object is its controller. Changes object in place.
 */
export function setControllerReference(owner: KubeObject, object: KubeObject, options: { blockOwnerDeletion?: boolean } = {}): void {
  const ref: OwnerReference = { ...referenceTo(owner), blockOwnerDeletion: options.blockOwnerDeletion ?? true, controller: true };
  validateOwner(owner, object);
  const current = getControllerOf(object);
  if (current && !sameOwner(current, ref)) throw new AlreadyOwnedError(object, current);
  upsert(object, ref);
}

/**
 * Adds (or refreshes) a plain owner reference: garbage collection only, no controller. An existing reference to the
 * same owner keeps its controller and blockOwnerDeletion flags. Changes object in place.
 */
export function setOwnerReference(owner: KubeObject, object: KubeObject): void {
  const ref = referenceTo(owner);
  validateOwner(owner, object);
  const existing = object.metadata?.ownerReferences?.find((r) => sameOwner(r, ref));
  upsert(object, {
    ...ref,
    ...(existing?.controller !== undefined ? { controller: existing.controller } : {}),
    ...(existing?.blockOwnerDeletion !== undefined ? { blockOwnerDeletion: existing.blockOwnerDeletion } : {}),
  });
}

/** Removes object's owner reference to owner; returns whether there was one. Changes object in place. */
export function removeOwnerReference(owner: KubeObject, object: KubeObject): boolean {
  const ref = identityOf(owner);
  const refs = object.metadata?.ownerReferences ?? [];
  const kept = refs.filter((r) => !sameOwner(r, ref));
  if (kept.length === refs.length) return false;
  if (kept.length) object.metadata!.ownerReferences = kept;
  else delete object.metadata!.ownerReferences;
  return true;
}
