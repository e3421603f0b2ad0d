/**
 * An in-memory Client for reconcilers' unit tests, like controller-runtime's fake client: the API server's contracts a
 * reconciler relies on (resourceVersion, conflicts, generation, the status subresource, finalizers, the errors' wording),
 * on the cache's own Store and selection so that a list answers as a cached list would; webhooks run on writes.
 */
export { FakeClientBuilder } from "./builder.ts";
export { FakeClient, type FakeClientOptions, type FakeKind, type IndexFunc } from "./client.ts";
export {
  type FakeRequest,
  type InvalidCause,
  newAlreadyExists,
  newBadRequest,
  newConflict,
  newInvalid,
  newNotFound,
} from "./errors.ts";
export { BUILT_IN_KINDS, guessPlural } from "../client/builtin-mappings.ts";
export type { FakeWebhooks } from "./webhooks.ts";
