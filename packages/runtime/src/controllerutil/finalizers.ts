import type { KubeObject } from "../api/object.ts";
import { isNotFound } from "../client/errors.ts";
import type { Client } from "../client/interfaces.ts";
import { assignObject } from "./mutate.ts";

export function containsFinalizer(obj: KubeObject, finalizer: string): boolean {
  return obj.metadata?.finalizers?.includes(finalizer) ?? false;
}

/** Adds the finalizer in place; returns whether it was missing. */
export function addFinalizer(obj: KubeObject, finalizer: string): boolean {
  if (containsFinalizer(obj, finalizer)) return false;
  const meta = (obj.metadata ??= {});
  meta.finalizers = [...(meta.finalizers ?? []), finalizer];
  return true;
}

/** Removes every occurrence of the finalizer in place; returns whether there was one. */
export function removeFinalizer(obj: KubeObject, finalizer: string): boolean {
  if (!containsFinalizer(obj, finalizer)) return false;
  obj.metadata!.finalizers = obj.metadata!.finalizers!.filter((f) => f !== finalizer);
  return true;
}

/**
 * What finalize did:
 * - "added": the object is live and lacked the finalizer, which is now stored on it.
 * - "present": the object is live and already carries the finalizer; nothing was written.
 * - "finalized": the object is being deleted; cleanup ran and the finalizer was removed (the object may be gone).
 * - "deleting": the object is being deleted and does not carry the finalizer; nothing to do.
 */
export type FinalizeResult = "added" | "present" | "finalized" | "deleting";

/**
 * The finalizer protocol of one controller: while the object lives, make sure it carries finalizerName; once it is
 * being deleted, run cleanup and then remove finalizerName so the deletion can complete. A cleanup that throws leaves
 * the finalizer in place, so the next reconcile retries it. Writes are merge patches carrying the resourceVersion, so
 * a concurrent change to the finalizer list is a Conflict (retry with fresh state) rather than a lost update.
 * obj holds the server's copy afterwards.
 */
export async function finalize<T extends KubeObject>(
  client: Client,
  obj: T,
  finalizerName: string,
  cleanup: (obj: T) => void | Promise<void>,
): Promise<FinalizeResult> {
  if (!obj.metadata?.deletionTimestamp) {
    if (containsFinalizer(obj, finalizerName)) return "present";
    const finalizers = [...(obj.metadata?.finalizers ?? []), finalizerName];
    assignObject(obj, await client.patch(obj, finalizersPatch(obj, finalizers)));
    return "added";
  }
  if (!containsFinalizer(obj, finalizerName)) return "deleting";
  await cleanup(obj);
  const finalizers = obj.metadata.finalizers!.filter((f) => f !== finalizerName);
  try {
    assignObject(obj, await client.patch(obj, finalizersPatch(obj, finalizers)));
  } catch (err) {
    // Gone already: nothing is left for the finalizer to hold.
    if (!isNotFound(err)) throw err;
    removeFinalizer(obj, finalizerName);
  }
  return "finalized";
}

function finalizersPatch(obj: KubeObject, finalizers: string[]) {
  const resourceVersion = obj.metadata?.resourceVersion;
  return { type: "merge" as const, data: { metadata: { finalizers, ...(resourceVersion ? { resourceVersion } : {}) } } };
}
