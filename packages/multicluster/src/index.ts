/**
 * @operator-ts/multicluster, after multicluster-runtime: one manager and one queue for controllers that watch several
 * clusters, requests that name their cluster, providers that add and remove clusters (kubeconfig Secrets, a kubeconfig
 * file), health per cluster, ownership across clusters and pre-flight checks. Built on @operator-ts/runtime's public API.
 */
export { type ClusterHandlerFactory, forCluster, mcControllerManagedBy, MultiClusterBuilder, type MultiClusterBuilderOptions } from "./builder.ts";
export {
  type ClusterHealthOptions,
  type ClusterState,
  type ClusterStatus,
  ClusterHealth,
  ClusterUnreachableError,
  HOME_CLUSTER_LABEL,
} from "./health/index.ts";
export {
  type AddClusterOptions,
  type ClusterEvents,
  ClusterNotFoundError,
  type ClusterSourceSpec,
  MultiClusterManager,
  type MultiClusterManagerOptions,
} from "./manager.ts";
export { type CleanupResult, CrossClusterOwnership, DEFAULT_OWNER_LABELS, type OwnerLabelKeys } from "./ownership/index.ts";
export {
  type CheckLine,
  formatPreflightTable,
  type PermissionRequirement,
  preflight,
  type PreflightRequirements,
  type PreflightResult,
  type PreflightTarget,
} from "./preflight/index.ts";
export { contextFingerprint, KubeconfigFileProvider, type KubeconfigFileProviderOptions, singleContext } from "./providers/kubeconfig-file.ts";
export {
  type CredentialInfo,
  type CredentialKind,
  credentialExpiryGauge,
  describeCredential,
  renewalDueAt,
  requestServiceAccountToken,
  withToken,
} from "./providers/credentials.ts";
export { ClusterIdentityError, ClusterIdentityUnverifiedError, IdentityGate, readClusterIdentity } from "./providers/identity.ts";
export type { CredentialStatus, IdentityOptions, IdentityStatus, RenewalOptions } from "./providers/lifecycle.ts";
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
} from "./providers/object-provider.ts";
export { ClusterStampedQueue } from "./queue.ts";
export {
  allClusters,
  type ClusterFilter,
  type ClusterRequest,
  clusterRequestKey,
  clustersNamed,
  homeCluster,
  remoteClusters,
} from "./reconcile.ts";
