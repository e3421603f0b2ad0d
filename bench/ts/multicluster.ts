// Multi-cluster: kubeconfigs[0] is the manager's cluster, the middle ones are added once it runs (idle), and the last
// one is added under load, once lateAddFraction of every object expected has been patched. Each cluster gets `count`
// objects. Mirrors runMultiCluster in bench/go-baseline/multicluster.go.
import { ConfigMap, handler } from "@operator-ts/runtime";
import { allClusters, clusterRequestKey, forCluster, mcControllerManagedBy, MultiClusterManager } from "@operator-ts/multicluster";
import { Annotator } from "./annotator.ts";
import { args, cpuSeconds, emit, fail, loadKubeConfig, nowMs, rssBytes, run, settledMemory, startProfile } from "./common.ts";

async function main(): Promise<void> {
  const { kubeconfigs, params } = args();
  if (kubeconfigs.length < 2) throw new Error("multicluster needs at least two kubeconfigs");
  const mcm = await MultiClusterManager.create({ kubeconfig: loadKubeConfig(kubeconfigs[0]!) });
  const total = params.count * kubeconfigs.length;
  const a = new Annotator(total);
  const perCluster: Record<string, number> = {};
  const clusterLastMs: Record<string, number> = {};
  const lateAt = Math.max(1, Math.floor(total * (params.lateAddFraction ?? 0.25)));
  let resolveLate!: () => void;
  const late = new Promise<void>((resolve) => (resolveLate = resolve));
  await mcControllerManagedBy(mcm)
    .named("multicluster")
    .watches(ConfigMap, forCluster(handler.enqueueRequestForObject<ConfigMap>()), { clusters: allClusters })
    .withOptions({ maxConcurrentReconciles: params.workers })
    .complete(async (req) => {
      if (!mcm.hasCluster(req.cluster)) return;
      const before = a.patched;
      await a.reconcile(clusterRequestKey(req), mcm.getCluster(req.cluster).client, req);
      if (a.patched !== before) {
        perCluster[req.cluster] = (perCluster[req.cluster] ?? 0) + 1;
        clusterLastMs[req.cluster] = nowMs();
      }
    });
  a.onPatched = (n) => {
    if (n === lateAt) resolveLate();
  };
  mcm.start().catch(fail);
  await (await mcm.manager.cache.getInformer(ConfigMap)).waitForSync();
  const rssBefore = settledMemory().rss;
  const addIdleMs: number[] = [];
  for (let i = 1; i < kubeconfigs.length - 1; i++) {
    const t0 = nowMs();
    await mcm.addCluster(`cluster-${i + 1}`, loadKubeConfig(kubeconfigs[i]!));
    addIdleMs.push(nowMs() - t0);
  }
  const rssAfter = settledMemory().rss;
  const stopProfile = await startProfile(params, "multicluster");
  const cpu0 = cpuSeconds();
  emit("ready", { rssBytes: rssAfter });

  await late;
  const lateStart = nowMs();
  await mcm.addCluster(`cluster-${kubeconfigs.length}`, loadKubeConfig(kubeconfigs.at(-1)!));
  const addUnderLoadMs = nowMs() - lateStart;

  await a.done;
  const cpu = cpuSeconds() - cpu0;
  await stopProfile();
  emit("result", {
    patched: a.patched,
    lastMs: a.lastMs,
    perCluster,
    clusterLastMs,
    latenciesUs: a.latenciesUs,
    addIdleMs,
    addUnderLoadMs,
    lateAddedAtMs: lateStart,
    rssBeforeExtra: rssBefore,
    rssAfterExtra: rssAfter,
    extraClusters: kubeconfigs.length - 2,
    cpuSeconds: cpu,
    rssBytes: rssBytes(),
  });
}

run(main);
