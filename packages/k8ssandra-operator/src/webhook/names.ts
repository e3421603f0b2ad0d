/** The names config/webhook installs: upstream K8ssandra's, as kustomize's "k8ssandra-operator-" prefix makes them. */
export const WEBHOOK_SERVICE = { namespace: "k8ssandra-operator", name: "k8ssandra-operator-webhook-service" };
export const WEBHOOK_CONFIGURATION_PREFIX = "k8ssandra-operator";
export const WEBHOOK_VALIDATING_CONFIGURATION = `${WEBHOOK_CONFIGURATION_PREFIX}-validating-webhook-configuration`;
export const WEBHOOK_CERT_SECRET = "k8ssandra-operator-webhook-server-cert";
