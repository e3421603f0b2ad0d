/**
 * Real API servers for tests, as Go's envtest: finds or builds kube-apiserver and etcd (kube-controller-manager on
 * request), starts them on free ports, installs CRDs and webhook configurations, and hands out a kubeconfig; processes
 * of a test that died are reaped.
 */
export { type Assets, type AssetOptions, cacheRoot, DEFAULT_ETCD_VERSION, DEFAULT_KUBERNETES_VERSION, ensureAssets } from "./assets.ts";
export { TestCluster, type TestClusterOptions } from "./cluster.ts";
export { installCRDs, readCRDs } from "./crds.ts";
export {
  installWebhookConfigurations,
  LocalWebhookServing,
  type WebhookConfigurationObject,
  type WebhookInstallOptions,
} from "./webhooks.ts";
export { alive, withFileLock } from "./lock.ts";
export { claimPort, type PortClaim } from "./ports.ts";
export { ManagedProcess, type ManagedProcessOptions } from "./process.ts";
export { Reaper, reaper } from "./reaper.ts";
export { serviceAccountKubeConfig, type ServiceAccountKubeConfigOptions } from "./serviceaccount.ts";
export { eventually, gone, waitFor, type WaitOptions } from "./wait.ts";
export { type ConditionExpectation, expectCondition, hasCondition, waitForCondition, type WithConditions } from "./conditions.ts";
export { assetsFolder, prepareEnvtest, type PrepareOptions } from "./setup.ts";
export { type Clusters, startCluster, startClusters, type StartClustersOptions, stopClusters } from "./start.ts";
