import { KubeConfig } from "@kubernetes/client-node";
import { isAlreadyExists } from "../client/errors.ts";
import { RestTransport } from "../client/transport.ts";

export interface ServiceAccountKubeConfigOptions {
  /** Token lifetime; the API server's minimum is 10 minutes. Default one hour. */
  expirationSeconds?: number;
  /** Context (and cluster) name in the returned kubeconfig; defaults to the admin kubeconfig's. */
  contextName?: string;
}

/**
 * Creates the ServiceAccount if it is missing and returns a kubeconfig that authenticates as it with a token from
 * the TokenRequest API: how tests run an operator with exactly the permissions its RBAC grants.
 */
export async function serviceAccountKubeConfig(
  admin: KubeConfig,
  namespace: string,
  name: string,
  options: ServiceAccountKubeConfigOptions = {},
): Promise<KubeConfig> {
  const transport = await RestTransport.fromKubeConfig(admin);
  try {
    try {
      await transport.request("POST", `/api/v1/namespaces/${namespace}/serviceaccounts`, {
        body: { apiVersion: "v1", kind: "ServiceAccount", metadata: { name, namespace } },
      });
    } catch (err) {
      if (!isAlreadyExists(err)) throw err;
    }
    const review = await transport.request<{ status: { token: string } }>(
      "POST",
      `/api/v1/namespaces/${namespace}/serviceaccounts/${name}/token`,
      {
        body: {
          apiVersion: "authentication.k8s.io/v1",
          kind: "TokenRequest",
          spec: { expirationSeconds: options.expirationSeconds ?? 3600 },
        },
      },
    );
    const cluster = admin.getCurrentCluster()!;
    const contextName = options.contextName ?? admin.getCurrentContext();
    const user = `system:serviceaccount:${namespace}:${name}`;
    const kc = new KubeConfig();
    kc.loadFromOptions({
      clusters: [{ ...cluster, name: contextName }],
      users: [{ name: user, token: review.status.token }],
      contexts: [{ name: contextName, cluster: contextName, user }],
      currentContext: contextName,
    });
    return kc;
  } finally {
    await transport.close();
  }
}
