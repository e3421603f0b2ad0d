/**
 * Ownership across clusters: children in other clusters carry labels naming their owner, their events map back to the
 * owner's request, and the owner's finalizer deletes them everywhere (owner references stop at a cluster's edge).
 */
export * from "./cross-cluster-ownership.ts";
