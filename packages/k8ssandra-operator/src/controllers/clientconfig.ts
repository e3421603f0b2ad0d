import { type MultiClusterManager, ObjectClusterProvider, type RenewalOptions } from "@operator-ts/multicluster";
import { ClientConfig, clientConfigContextName, CONFIRM_CLUSTER_IDENTITY_ANNOTATION, KUBECONFIG_SECRET_KEY } from "../api/index.ts";

export interface ClientConfigProviderOptions {
  /** Where ClientConfigs (and their Secrets) live; default every namespace. */
  namespace?: string;
  /** When service-account tokens are renewed, as a share of their lifetime; default 0.8. */
  renewal?: RenewalOptions;
}

/**
 * The data-plane clusters, from ClientConfigs: each one's Ready condition and Events say whether its cluster is usable;
 * its service-account token is renewed before it expires and swapped in place (status.credential); the cluster's
 * identity is recorded at first contact (status.clusterIdentity), and a different cluster at the same address is not
 * written to until a person confirms it with the k8ssandra.io/confirm-cluster-identity annotation.
 */
export function clientConfigProvider(mcm: MultiClusterManager, options: ClientConfigProviderOptions = {}): ObjectClusterProvider<ClientConfig> {
  return new ObjectClusterProvider<ClientConfig>(mcm, {
    name: "clientconfigs",
    type: ClientConfig,
    namespace: options.namespace,
    clusterName: clientConfigContextName,
    kubeconfigRef: (cc) => ({ namespace: cc.metadata.namespace!, name: cc.spec.kubeConfigSecret.name, key: KUBECONFIG_SECRET_KEY }),
    context: clientConfigContextName,
    reportStatus: true,
    renewal: options.renewal ?? {},
    identity: {
      recorded: (cc) => cc.status?.clusterIdentity?.uid,
      confirmed: (cc) => cc.metadata.annotations?.[CONFIRM_CLUSTER_IDENTITY_ANNOTATION],
      howToConfirm: (cc, uid) =>
        `If that cluster is the one meant, confirm with: kubectl annotate clientconfig -n ${cc.metadata.namespace} ${cc.metadata.name} ${CONFIRM_CLUSTER_IDENTITY_ANNOTATION}=${uid} --overwrite`,
    },
  });
}
