/**
 * Cluster providers, behind a seam: a provider engages and disengages clusters on a ClusterAware (the manager, or a
 * fake in a test) and knows nothing else of the manager, so that new providers join without touching it.
 */
export { type ClusterAware, type ClusterProvider, contextFingerprint, type EngageOptions, type HomeClusterAware, providerLogger } from "./provider.ts";
export { clusterNameOfFile, KubeconfigDirectoryProvider, type KubeconfigDirectoryProviderOptions } from "./kubeconfig-directory.ts";
export { KubeconfigFileProvider, type KubeconfigFileProviderOptions, singleContext } from "./kubeconfig-file.ts";
export {
  type CredentialInfo,
  type CredentialKind,
  credentialExpiryGauge,
  describeCredential,
  renewalDueAt,
  requestServiceAccountToken,
  withToken,
} from "./credentials.ts";
export { ClusterIdentityError, ClusterIdentityUnverifiedError, IdentityGate, readClusterIdentity } from "./identity.ts";
export type { CredentialStatus, IdentityOptions, IdentityStatus, RenewalOptions } from "./lifecycle.ts";
export {
  CLUSTER_READY_CONDITION,
  CREDENTIAL_RENEWED_CONDITION,
  type ClusterObjectReason,
  type ClusterObjectState,
  kubeconfigSecretProvider,
  ObjectClusterProvider,
  type ObjectProviderEvents,
  type ObjectProviderOptions,
  type SecretKeyRef,
} from "./object-provider.ts";
