/**
 * What reconcilers share, as Go's controllerutil: finalizers, owner and controller references, and createOrUpdate /
 * createOrPatch (mutate the object as read, write only when something changed).
 */
export { addFinalizer, containsFinalizer, finalize, type FinalizeResult, removeFinalizer } from "./finalizers.ts";
export { assignObject, createOrPatch, createOrUpdate, type CreateOrUpdateOptions, type MutateFn, type OperationResult } from "./mutate.ts";
export {
  AlreadyOwnedError,
  getControllerOf,
  hasControllerReference,
  hasOwnerReference,
  removeOwnerReference,
  setControllerReference,
  setOwnerReference,
} from "./owner.ts";
