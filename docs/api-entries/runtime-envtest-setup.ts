/**
 * A ready global setup for vitest and node:test.
 *
 * @module @operator-ts/runtime/envtest/setup
 */
export * from "../../packages/runtime/src/envtest/setup.ts";
