// Memory: RSS of a Cluster (cache, client, mapper) before and after its ConfigMap informer has synced the objects
// already in the cluster, each reading taken after full collections. Mirrors runMemory in bench/go-baseline/memory.go.
import { cache, Cluster, ConfigMap } from "@operator-ts/runtime";
import { args, cpuSeconds, emit, fail, loadKubeConfig, nowMs, rssBytes, run, settledMemory, startProfile } from "./common.ts";

async function main(): Promise<void> {
  const { kubeconfigs, params } = args();
  const cluster = await Cluster.create(loadKubeConfig(kubeconfigs[0]!), {
    // The runtime's helper, as the Go side uses controller-runtime's TransformStripManagedFields.
    cache: params.transform ? { defaultTransform: cache.transformStripManagedFields() } : {},
  });
  const before = settledMemory();
  const usageBefore = process.memoryUsage();
  // Profiling (--profile) changes what RSS reads, so it is for finding where list + sync time goes, not for memory.
  const stopProfile = await startProfile(params, `memory-${params.transform ? "transform" : "raw"}`);
  cluster.start(new AbortController().signal).catch(fail);
  const t0 = nowMs();
  const informer = await cluster.cache.getInformer(ConfigMap);
  await informer.waitForSync();
  const syncMs = nowMs() - t0;
  await stopProfile();
  // The store's own array of shared objects: a list through the Reader would deep-copy every one.
  const objects = informer.listAll().length;
  const atSync = rssBytes();
  const after = settledMemory();
  const usageAfter = process.memoryUsage();
  emit("result", {
    objects,
    rssBefore: before.rss,
    rssAfter: after.rss,
    heapBefore: before.heap,
    heapAfter: after.heap,
    rssAtSync: atSync,
    syncMs,
    cpuSeconds: cpuSeconds(),
    // Node only: where RSS goes beyond the live heap (V8's reserved but unused heap, memory outside the V8 heap).
    heapTotalBefore: usageBefore.heapTotal,
    heapTotalAfter: usageAfter.heapTotal,
    externalBefore: usageBefore.external,
    externalAfter: usageAfter.external,
  });
}

run(main);
