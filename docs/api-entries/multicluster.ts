/**
 * One controller, one queue, many clusters.
 *
 * @module @operator-ts/multicluster
 */
export * from "../../packages/multicluster/src/index.ts";
