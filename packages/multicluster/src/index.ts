/**
 * @operator-ts/multicluster, after multicluster-runtime: one manager and one queue for controllers that watch several
 * clusters, requests that name their cluster, providers behind a seam (ClusterAware) that engage and disengage
 * clusters (kubeconfig Secrets, a kubeconfig file, a folder of kubeconfigs), health per cluster, ownership across
 * clusters and pre-flight checks. Built on @operator-ts/runtime's public API.
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
export {
  type ClusterAware,
  type ClusterObjectReason,
  type ClusterObjectState,
  type ClusterProvider,
  CLUSTER_READY_CONDITION,
  clusterNameOfFile,
  contextFingerprint,
  CREDENTIAL_RENEWED_CONDITION,
  type CredentialInfo,
  type CredentialKind,
  type CredentialStatus,
  credentialExpiryGauge,
  ClusterIdentityError,
  ClusterIdentityUnverifiedError,
  describeCredential,
  type EngageOptions,
  type HomeClusterAware,
  IdentityGate,
  type IdentityOptions,
  type IdentityStatus,
  KubeconfigDirectoryProvider,
  type KubeconfigDirectoryProviderOptions,
  KubeconfigFileProvider,
  type KubeconfigFileProviderOptions,
  kubeconfigSecretProvider,
  ObjectClusterProvider,
  type ObjectProviderEvents,
  type ObjectProviderOptions,
  providerLogger,
  readClusterIdentity,
  type RenewalOptions,
  renewalDueAt,
  requestServiceAccountToken,
  type SecretKeyRef,
  singleContext,
  withToken,
} from "./providers/index.ts";
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
