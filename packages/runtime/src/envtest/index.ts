/**
 * Real API servers for tests, as Go's envtest: finds or builds kube-apiserver and etcd (kube-controller-manager on
 * request), starts them on free ports, installs CRDs and webhook configurations, and hands out a kubeconfig; processes
 * of a test that died are reaped.
 */
import { type AssetOptions, ensureAssets } from "./assets.ts";
import { TestCluster, type TestClusterOptions } from "./cluster.ts";

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

export interface StartClustersOptions extends Omit<TestClusterOptions, "name"> {
  /** Names (and kubeconfig context names) of the clusters; defaults to cluster-1..cluster-n. */
  names?: string[];
  assets?: AssetOptions;
}

/**
 * Starts n isolated clusters in parallel. If any fails to start, the ones that did are stopped before the error is
 * thrown, so a failed start leaves nothing running.
 */
export async function startClusters(n: number, options: StartClustersOptions = {}): Promise<TestCluster[]> {
  const names = options.names ?? Array.from({ length: n }, (_, i) => `cluster-${i + 1}`);
  if (names.length !== n) throw new Error(`startClusters(${n}) was given ${names.length} names`);
  const assets = await ensureAssets({ ...options.assets, withControllerManager: options.controllerManager });
  const results = await Promise.allSettled(names.map((name) => TestCluster.start({ ...options, name }, assets)));
  const failed = results.find((r): r is PromiseRejectedResult => r.status === "rejected");
  const started = results.flatMap((r) => (r.status === "fulfilled" ? [r.value] : []));
  if (failed) {
    await Promise.all(started.map((c) => c.stop()));
    throw failed.reason;
  }
  return started;
}

/** The single-cluster shorthand. */
export async function startCluster(options: TestClusterOptions = {}): Promise<TestCluster> {
  return TestCluster.start(options);
}

/** Stops every cluster, even when some stops fail, and reports the first failure after all have been tried. */
export async function stopClusters(clusters: Iterable<TestCluster>): Promise<void> {
  const results = await Promise.allSettled([...clusters].map((c) => c.stop()));
  const failed = results.find((r): r is PromiseRejectedResult => r.status === "rejected");
  if (failed) throw failed.reason;
}
