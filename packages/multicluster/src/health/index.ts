/**
 * Cluster health: each cluster probed at /readyz and tracked as reachable, unreachable (since when) or removed, so that
 * reconcilers skip a cluster that does not answer and readiness and metrics say which.
 */
export * from "./cluster-health.ts";
