/**
 * An in-memory client with the API server's contracts, for unit tests.
 *
 * @module @operator-ts/runtime/fake
 */
export * from "../../packages/runtime/src/fake/index.ts";
