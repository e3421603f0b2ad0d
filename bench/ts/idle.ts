// Idle footprint: a minimal operator, a manager with one controller on ConfigMaps whose cache (a label selector no
// object has) holds nothing. "ready" once its cache has synced; then it idles until the harness, which reads its RSS
// from /proc, stops it. Mirrors runIdle in bench/go-baseline/idle.go.
import { ConfigMap, controllerManagedBy, Manager } from "@operator-ts/runtime";
import { args, emit, fail, IDLE_SELECTOR, loadKubeConfig, nowMs, rssBytes, run } from "./common.ts";

async function main(): Promise<void> {
  const { kubeconfigs } = args();
  const startMs = nowMs();
  const mgr = await Manager.create({
    kubeconfig: loadKubeConfig(kubeconfigs[0]!),
    cluster: { cache: { byObject: [{ type: ConfigMap, options: { labelSelector: IDLE_SELECTOR } }] } },
  });
  await controllerManagedBy(mgr)
    .for(ConfigMap)
    .complete(async () => {});
  mgr.start().catch(fail);
  const informer = await mgr.cache.getInformer(ConfigMap);
  await informer.waitForSync();
  emit("ready", { syncedMs: nowMs() - startMs, objects: informer.listAll().length, rssBytes: rssBytes() });
  // Runs until the harness stops it.
  await new Promise(() => {});
}

run(main);
