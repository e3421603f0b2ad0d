import { createHash } from "node:crypto";
import { CrossClusterOwnership } from "@operator-ts/multicluster";
import type { K8ssandraCluster } from "../../api/index.ts";

export const CLUSTER_NAME_LABEL = "k8ssandra.io/cluster-name";
export const CLUSTER_NAMESPACE_LABEL = "k8ssandra.io/cluster-namespace";
export const REPLICATED_BY_LABEL = "k8ssandra.io/replicated-by";
export const REPLICATED_BY_VALUE = "k8ssandracluster-controller";
export const RESOURCE_HASH_ANNOTATION = "k8ssandra.io/resource-hash";
export const FINALIZER = "k8ssandracluster.k8ssandra.io/finalizer";
export const PART_OF_LABEL = "app.kubernetes.io/part-of";
export const MANAGED_BY_LABEL = "app.kubernetes.io/managed-by";
export const OPERATOR_NAME = "k8ssandra-operator";

/**
 * Children in every cluster name their K8ssandraCluster with K8ssandra's own labels; owners always live in the
 * control plane, so no cluster label is needed.
 */
export const ownership = new CrossClusterOwnership({ name: CLUSTER_NAME_LABEL, namespace: CLUSTER_NAMESPACE_LABEL });

/** The labels that mark an object as made by this operator for this K8ssandraCluster. */
export function childLabels(k8c: K8ssandraCluster): Record<string, string> {
  return { ...ownership.labelsFor(k8c), [PART_OF_LABEL]: "k8ssandra", [MANAGED_BY_LABEL]: OPERATOR_NAME };
}

/** A stable hash of a desired object: keys sorted, so equal content always hashes equal. */
export function hashOf(value: unknown): string {
  const canonical = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(canonical);
    if (v && typeof v === "object") {
      return Object.fromEntries(Object.keys(v).sort().filter((k) => (v as Record<string, unknown>)[k] !== undefined).map((k) => [k, canonical((v as Record<string, unknown>)[k])]));
    }
    return v;
  };
  return createHash("sha256").update(JSON.stringify(canonical(value))).digest("base64");
}
