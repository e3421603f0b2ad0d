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
export { BUILT_IN_KINDS, guessPlural } from "./kinds.ts";
export type { FakeWebhooks } from "./webhooks.ts";
