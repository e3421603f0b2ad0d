/**
 * Admission and conversion webhooks, the webhook server, certificates.
 *
 * @module @operator-ts/runtime/webhook
 */
export * from "../../packages/runtime/src/webhook/index.ts";
