/**
 * Least-privilege RBAC from what controllers declare they watch, own and write: the ClusterRole that kubebuilder
 * builds from `+kubebuilder:rbac` markers, built here from the same resource types the controllers use.
 *
 *   export const permissions = rbac.controllerRules({ for: Widget, owns: [ConfigMap], events: true });
 *   rbac.rbacYaml([rbac.clusterRole("manager-role", permissions)]);  // config/rbac/role.yaml
 */
export * from "./rules.ts";
