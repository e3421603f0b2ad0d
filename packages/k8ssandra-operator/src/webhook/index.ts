/**
 * K8ssandra's validating webhook for K8ssandraCluster, on the runtime's webhook server (@operator-ts/runtime/webhook):
 * the rules that need the operator (storageConfig, names fixed on update, datacenters not added and removed at once,
 * unknown k8sContexts warned about). The CRD's CEL rules check what needs no server, with or without this webhook.
 */
export { type K8ssandraClusterValidatorOptions, k8ssandraClusterValidator } from "./validator.ts";
export { contextProblems, type K8ssandraWebhookOptions, setupK8ssandraWebhook } from "./setup.ts";
export { validatingWebhookConfiguration } from "./manifests.ts";
export { WEBHOOK_CERT_SECRET, WEBHOOK_SERVICE, WEBHOOK_VALIDATING_CONFIGURATION } from "./names.ts";
