/**
 * Custom resources defined in TypeScript, and their CRDs.
 *
 * @module @operator-ts/runtime/crd
 */
export * from "../../packages/runtime/src/crd/index.ts";
