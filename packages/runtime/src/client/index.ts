/**
 * Talking to the API server: RestTransport (HTTP, authentication, watches), RestClient (one request per call),
 * CachedClient (reads from the cache, writes through), the REST mapper from kinds to resources, ApiError with its
 * isNotFound-style predicates, and patches (merge, JSON, apply). The layer below cache/, controller/ and manager/.
 */
import { isAlreadyExists, isNotFound } from "./errors.ts";

export type {
  CallOptions,
  Client,
  CreateOptions,
  DeleteAllOfOptions,
  DeleteOptions,
  FieldSelector,
  GetOptions,
  LabelSelector,
  ListOptions,
  PatchOptions,
  PatchType,
  Reader,
  StatusWriter,
  UpdateOptions,
  WriteOptions,
  Writer,
} from "./interfaces.ts";
export { PATCH_CONTENT_TYPES, Patch } from "./interfaces.ts";
export {
  ApiError,
  type Status,
  NoKindMatchError,
  isAlreadyExists,
  isBadRequest,
  isConflict,
  isConnectionError,
  isForbidden,
  isGone,
  isInvalid,
  isNoMatch,
  isNotFound,
  isServerTimeout,
  isTooManyRequests,
  isUnauthorized,
} from "./errors.ts";
export { currentRequestScope, fenceError, type RequestScope, withRequestScope } from "./scope.ts";
export { RestTransport, type Query, type RequestOptions, type TransportOptions, type WatchEvent, type WriteGate } from "./transport.ts";
export { RestClient, type RestClientOptions, withTypeMeta } from "./rest-client.ts";
export { CachedClient, type NewClientOptions, isUnstructuredType, newClient, unstructuredType } from "./cached-client.ts";
export { applyJsonPatch, applyMergePatch, createJsonPatch, createMergePatch, JsonPatchError, type JsonPatchOperation, mergeFrom } from "./json-patch.ts";
export { jsonClone as deepCopy, jsonEqual as deepEqual } from "../api/json.ts";
// The selector names this folder has always exported; they live in labels/.
export {
  type FieldRequirement,
  type LabelRequirement,
  fieldSelectorOf,
  formatSelector,
  labelMatcher,
  parseFieldSelector,
  parseLabelRequirements,
  SelectorParseError,
} from "../labels/index.ts";

/** Returns undefined for a NotFound error and rethrows anything else: `await c.delete(obj).catch(ignoreNotFound)`. */
export function ignoreNotFound(err: unknown): undefined {
  if (isNotFound(err)) return undefined;
  throw err;
}

/** Returns undefined for an AlreadyExists error and rethrows anything else. */
export function ignoreAlreadyExists(err: unknown): undefined {
  if (isAlreadyExists(err)) return undefined;
  throw err;
}
