import type { KubeObject } from "../api/object.ts";

/**
 * Drops metadata.managedFields before objects are stored (controller-runtime's TransformStripManagedFields): server-side
 * apply bookkeeping that controllers rarely read and that can be half of an object's size. It assigns undefined rather
 * than deleting the key: a delete turns every cached metadata object into a slow dictionary-mode object in V8 and costs
 * more memory than it saves.
 */
export function transformStripManagedFields<T extends KubeObject>(): (obj: T) => T {
  return (obj) => {
    if (obj.metadata?.managedFields !== undefined) obj.metadata.managedFields = undefined;
    return obj;
  };
}
