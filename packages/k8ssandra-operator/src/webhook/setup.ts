import { readFileSync } from "node:fs";
import type { ClusterObjectState, MultiClusterManager } from "@operator-ts/multicluster";
import { type Manager, RestClient } from "@operator-ts/runtime";
import { CertRotator, getWebhookServer, serviceDNSNames, webhookManagedBy, type WebhookServerOptions } from "@operator-ts/runtime/webhook";
import { K8ssandraCluster } from "../api/index.ts";
import { WEBHOOK_CERT_SECRET, WEBHOOK_SERVICE, WEBHOOK_VALIDATING_CONFIGURATION } from "./names.ts";
import { k8ssandraClusterValidator, type K8ssandraClusterValidatorOptions } from "./validator.ts";

export interface K8ssandraWebhookOptions {
  /** Port of the HTTPS webhook server; default 9443. */
  port?: number;
  /** Address to listen on; default every address. */
  host?: string;
  /**
   * Serve tls.crt and tls.key from this folder (cert-manager's mounted Secret), reloaded when they change. Without
   * it the operator makes its own CA and certificate, keeps them in certSecret, renews them and writes the CA into the
   * ValidatingWebhookConfiguration.
   */
  certDir?: string;
  /** The Secret of the operator's namespace holding self-made certificates; default k8ssandra-operator-webhook-server-cert. */
  certSecret?: string;
  /** The namespace of the webhook Service and the certificate Secret; default the pod's, else k8ssandra-operator. */
  namespace?: string;
  /** The DNS names or IPs a self-made certificate is for; default the webhook Service's names. */
  hosts?: string[];
}

function podNamespace(): string | undefined {
  try {
    return readFileSync("/var/run/secrets/kubernetes.io/serviceaccount/namespace", "utf8").trim() || undefined;
  } catch {
    return undefined;
  }
}

function serverOptions(mgr: Manager, options: K8ssandraWebhookOptions): WebhookServerOptions {
  const base = { port: options.port ?? 9443, ...(options.host ? { host: options.host } : {}) };
  if (options.certDir) return { ...base, certDir: options.certDir };
  const namespace = options.namespace ?? podNamespace() ?? WEBHOOK_SERVICE.namespace;
  return {
    ...base,
    certificates: new CertRotator({
      // Uncached: a cached client would watch every Secret of the cluster for this one.
      client: new RestClient(mgr.cluster.transport, { mapper: mgr.mapper }),
      secret: { namespace, name: options.certSecret ?? WEBHOOK_CERT_SECRET },
      hosts: options.hosts ?? serviceDNSNames({ namespace, name: WEBHOOK_SERVICE.name }),
      targets: { validating: [WEBHOOK_VALIDATING_CONFIGURATION] },
      log: mgr.log,
    }),
  };
}

/** The sentence a warning gives for a k8sContext this operator cannot use now, as the K8ssandraCluster's status says it. */
export function contextProblems(
  mcm: Pick<MultiClusterManager, "hasCluster">,
  clientConfigs: { stateOf(context: string): ClusterObjectState | undefined } | undefined,
): K8ssandraClusterValidatorOptions["contextProblem"] {
  return (context) => {
    if (mcm.hasCluster(context)) return undefined;
    const state = clientConfigs?.stateOf(context);
    if (!state) return `no ClientConfig provides k8sContext "${context}"`;
    return `ClientConfig ${state.object.namespace}/${state.object.name} for k8sContext "${context}" is not usable (${state.reason}): ${state.message}`;
  };
}

/**
 * Serves the K8ssandraCluster validating webhook on the control plane's manager (K8ssandra's SetupWebhookWithManager),
 * on /validate-k8ssandra-io-v1alpha1-k8ssandracluster, as config/webhook's ValidatingWebhookConfiguration calls it.
 */
export function setupK8ssandraWebhook(
  mcm: MultiClusterManager,
  clientConfigs: { stateOf(context: string): ClusterObjectState | undefined } | undefined,
  options: K8ssandraWebhookOptions,
): { validatePath?: string } {
  const mgr = mcm.manager;
  getWebhookServer(mgr, serverOptions(mgr, options));
  const validator = k8ssandraClusterValidator({ contextProblem: contextProblems(mcm, clientConfigs) });
  return webhookManagedBy(mgr).for(K8ssandraCluster).withValidator(validator).complete();
}
