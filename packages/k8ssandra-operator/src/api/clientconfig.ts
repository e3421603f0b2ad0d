import { conditionsSchema, type CustomResource, defineCustomResource, Type } from "@operator-ts/runtime/crd";

/** The data key of a ClientConfig's Secret that holds the kubeconfig. */
export const KUBECONFIG_SECRET_KEY = "kubeconfig";

/**
 * Set by a person on a ClientConfig whose cluster answers as another one (condition Ready, reason ClusterReplaced):
 * its value, the new kube-system UID, says the new cluster is the one meant, and the operator uses it again.
 */
export const CONFIRM_CLUSTER_IDENTITY_ANNOTATION = "k8ssandra.io/confirm-cluster-identity";

/**
 * ClientConfig (config.k8ssandra.io/v1beta1): how the control plane reaches one data-plane cluster. The kubeconfig lives
 * in a Secret of the ClientConfig's namespace, under the data key `kubeconfig`.
 */
export const ClientConfig = defineCustomResource({
  group: "config.k8ssandra.io",
  version: "v1beta1",
  kind: "ClientConfig",
  scope: "Namespaced",
  description: "ClientConfig names a remote Kubernetes cluster (a context) and the Secret holding its kubeconfig.",
  spec: Type.Object({
    contextName: Type.Optional(
      Type.String({ description: "The context inside the kubeconfig, and the name k8sContext refers to; defaults to metadata.name." }),
    ),
    kubeConfigSecret: Type.Object(
      { name: Type.String({ minLength: 1 }) },
      { description: "A Secret in this namespace whose data key `kubeconfig` holds the kubeconfig." },
    ),
  }),
  status: Type.Object({
    conditions: Type.Optional(
      conditionsSchema(
        "Ready: whether the cluster is usable; its reason is Ready, SecretNotFound, InvalidKubeconfig, Unreachable, CredentialRejected or ClusterReplaced. CredentialRenewed: whether a renewable token is renewed in time.",
      ),
    ),
    credential: Type.Optional(
      Type.Object(
        {
          kind: Type.String({ description: "token, token-file, exec, auth-provider, client-certificate, basic or none." }),
          expiresAt: Type.Optional(Type.String({ format: "date-time" })),
          lastRenewal: Type.Optional(Type.String({ format: "date-time" })),
          serviceAccount: Type.Optional(Type.String({ description: "namespace/name of the remote service account whose token is renewed." })),
        },
        { description: "The credential the kubeconfig holds (never the credential itself)." },
      ),
    ),
    clusterIdentity: Type.Optional(
      Type.Object(
        {
          uid: Type.String({ description: "UID of the remote kube-system namespace at first contact." }),
          recordedAt: Type.String({ format: "date-time" }),
        },
        { description: "Which cluster this ClientConfig reached first; another one at the same address is not written to." },
      ),
    ),
  }),
  printerColumns: [
    { name: "Context", type: "string", jsonPath: ".spec.contextName" },
    { name: "Secret", type: "string", jsonPath: ".spec.kubeConfigSecret.name" },
    { name: "Ready", type: "string", jsonPath: '.status.conditions[?(@.type=="Ready")].reason' },
    { name: "Credential", type: "string", jsonPath: ".status.credential.kind" },
    { name: "Expires", type: "date", jsonPath: ".status.credential.expiresAt" },
    { name: "Age", type: "date", jsonPath: ".metadata.creationTimestamp" },
  ],
});

export type ClientConfig = CustomResource<typeof ClientConfig>;

/** The context a ClientConfig stands for: spec.contextName, else its name. */
export function clientConfigContextName(cc: ClientConfig): string {
  return cc.spec.contextName || cc.metadata.name!;
}
