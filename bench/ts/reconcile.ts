// Throughput and latency: a manager and one controller, the Annotator, on ConfigMaps. "ready" once the ConfigMap
// informer has synced; "result" once `count` objects were patched. Mirrors runReconcile in bench/go-baseline/reconcile.go.
import { ConfigMap, controllerManagedBy, Manager } from "@operator-ts/runtime";
import { Annotator } from "./annotator.ts";
import { args, cpuSeconds, emit, fail, loadKubeConfig, peakRssBytes, rssBytes, run, startProfile } from "./common.ts";

async function main(): Promise<void> {
  const { kubeconfigs, params } = args();
  const mgr = await Manager.create({ kubeconfig: loadKubeConfig(kubeconfigs[0]!) });
  const a = new Annotator(params.count);
  await controllerManagedBy(mgr)
    .for(ConfigMap)
    .withOptions({ maxConcurrentReconciles: params.workers })
    .complete(async (req) => a.reconcile(`${req.namespace}/${req.name}`, mgr.client, req));
  mgr.start().catch(fail);
  const informer = await mgr.cache.getInformer(ConfigMap);
  await informer.waitForSync();
  const stopProfile = await startProfile(params, `reconcile-${params.mode ?? "load"}`);
  const cpu0 = cpuSeconds();
  emit("ready", { rssBytes: rssBytes() });
  await a.done;
  const cpu = cpuSeconds() - cpu0;
  await stopProfile();
  emit("result", {
    patched: a.patched,
    lastMs: a.lastMs,
    latenciesUs: a.latenciesUs,
    cpuSeconds: cpu,
    rssBytes: rssBytes(),
    peakRssBytes: peakRssBytes(),
  });
}

run(main);
