import { parseApiVersion } from "../api/meta.ts";
import type { ResourceType } from "../api/object.ts";
import type { RESTMapping } from "./restmapper.ts";

/** The plural Kubernetes guesses for a kind (its UnsafeGuessKindToResource): Policy -> policies, Status -> statuses. */
export function guessPlural(kind: string): string {
  const lower = kind.toLowerCase();
  if (/s$/.test(lower)) return `${lower}es`;
  if (/[^aeiou]y$/.test(lower)) return `${lower.slice(0, -1)}ies`;
  return `${lower}s`;
}

export function mappingFor(type: ResourceType, options: { namespaced: boolean; plural?: string }): RESTMapping {
  const { group, version } = parseApiVersion(type.apiVersion);
  return { group, version, kind: type.kind, resource: options.plural ?? guessPlural(type.kind), namespaced: options.namespaced };
}

interface BuiltIn {
  apiVersion: string;
  kind: string;
  plural: string;
  namespaced: boolean;
  /** Served with a status subresource by a real API server. */
  status: boolean;
}

/** The kinds of api/kinds.ts as a real API server serves them. */
export const BUILT_IN_KINDS: readonly BuiltIn[] = [
  { apiVersion: "v1", kind: "ConfigMap", plural: "configmaps", namespaced: true, status: false },
  { apiVersion: "v1", kind: "Secret", plural: "secrets", namespaced: true, status: false },
  { apiVersion: "v1", kind: "Pod", plural: "pods", namespaced: true, status: true },
  { apiVersion: "v1", kind: "Service", plural: "services", namespaced: true, status: true },
  { apiVersion: "v1", kind: "Namespace", plural: "namespaces", namespaced: false, status: true },
  { apiVersion: "v1", kind: "Event", plural: "events", namespaced: true, status: false },
  { apiVersion: "v1", kind: "ServiceAccount", plural: "serviceaccounts", namespaced: true, status: false },
  { apiVersion: "v1", kind: "PersistentVolumeClaim", plural: "persistentvolumeclaims", namespaced: true, status: true },
  { apiVersion: "v1", kind: "Node", plural: "nodes", namespaced: false, status: true },
  { apiVersion: "v1", kind: "Endpoints", plural: "endpoints", namespaced: true, status: false },
  { apiVersion: "admissionregistration.k8s.io/v1", kind: "ValidatingWebhookConfiguration", plural: "validatingwebhookconfigurations", namespaced: false, status: false },
  { apiVersion: "admissionregistration.k8s.io/v1", kind: "MutatingWebhookConfiguration", plural: "mutatingwebhookconfigurations", namespaced: false, status: false },
  { apiVersion: "apps/v1", kind: "Deployment", plural: "deployments", namespaced: true, status: true },
  { apiVersion: "apps/v1", kind: "StatefulSet", plural: "statefulsets", namespaced: true, status: true },
  { apiVersion: "apps/v1", kind: "ReplicaSet", plural: "replicasets", namespaced: true, status: true },
  { apiVersion: "apps/v1", kind: "DaemonSet", plural: "daemonsets", namespaced: true, status: true },
  { apiVersion: "batch/v1", kind: "Job", plural: "jobs", namespaced: true, status: true },
  { apiVersion: "coordination.k8s.io/v1", kind: "Lease", plural: "leases", namespaced: true, status: false },
  { apiVersion: "rbac.authorization.k8s.io/v1", kind: "Role", plural: "roles", namespaced: true, status: false },
  { apiVersion: "rbac.authorization.k8s.io/v1", kind: "RoleBinding", plural: "rolebindings", namespaced: true, status: false },
  { apiVersion: "rbac.authorization.k8s.io/v1", kind: "ClusterRole", plural: "clusterroles", namespaced: false, status: false },
  { apiVersion: "rbac.authorization.k8s.io/v1", kind: "ClusterRoleBinding", plural: "clusterrolebindings", namespaced: false, status: false },
  { apiVersion: "apiextensions.k8s.io/v1", kind: "CustomResourceDefinition", plural: "customresourcedefinitions", namespaced: false, status: true },
  { apiVersion: "authorization.k8s.io/v1", kind: "SelfSubjectAccessReview", plural: "selfsubjectaccessreviews", namespaced: false, status: false },
];
