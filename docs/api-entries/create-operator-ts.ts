/**
 * The scaffold: init, create api, create webhook.
 *
 * @module create-operator-ts
 */
export * from "../../packages/create-operator-ts/src/index.ts";
