import { type AssetOptions, ensureAssets } from "./assets.ts";
import { TestCluster, type TestClusterOptions } from "./cluster.ts";

export interface StartClustersOptions extends Omit<TestClusterOptions, "name"> {
  /** Names (and kubeconfig context names) of the clusters; defaults to cluster-1..cluster-n. */
  names?: string[];
  assets?: AssetOptions;
}

/** n clusters: a tuple when n is a literal, so `const [a, b] = await startClusters(2)` holds two under noUncheckedIndexedAccess. */
export type Clusters<N extends number, Acc extends TestCluster[] = []> = number extends N
  ? TestCluster[]
  : Acc["length"] extends N
    ? Acc
    : Clusters<N, [...Acc, TestCluster]>;

/**
 * Starts n isolated clusters in parallel. If any fails to start, the ones that did are stopped before the error is
 * thrown, so a failed start leaves nothing running.
 */
export async function startClusters<N extends number>(n: N, options: StartClustersOptions = {}): Promise<Clusters<N>> {
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
  return started as Clusters<N>;
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
