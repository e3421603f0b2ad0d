/**
 * Cache, client, cluster, manager, controllers and builder, leader election, metrics, logging, flags, RBAC.
 *
 * @module @operator-ts/runtime
 */
export * from "../../packages/runtime/src/index.ts";
