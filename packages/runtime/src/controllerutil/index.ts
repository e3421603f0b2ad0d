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
