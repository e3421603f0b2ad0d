// Cold start: `count` ConfigMaps already exist; times manager start -> first reconcile (caches synced: no worker starts
// before its sources have) and -> every object reconciled once. Mirrors runColdStart in bench/go-baseline/reconcile.go.
import { ConfigMap, controllerManagedBy, isNotFound, Manager } from "@operator-ts/runtime";
import { args, cpuSeconds, emit, fail, loadKubeConfig, NAMESPACE, nowMs, rssBytes, run, startProfile } from "./common.ts";

async function main(): Promise<void> {
  const { kubeconfigs, params } = args();
  const mgr = await Manager.create({ kubeconfig: loadKubeConfig(kubeconfigs[0]!) });
  let firstMs = 0;
  let reconciled = 0;
  const seen = new Set<string>();
  let resolveDone!: (ms: number) => void;
  const done = new Promise<number>((resolve) => (resolveDone = resolve));
  await controllerManagedBy(mgr)
    .for(ConfigMap)
    .withOptions({ maxConcurrentReconciles: params.workers })
    .complete(async (req) => {
      if (firstMs === 0) firstMs = nowMs();
      let cm: ConfigMap;
      try {
        cm = await mgr.client.get(ConfigMap, req);
      } catch (err) {
        if (isNotFound(err)) return;
        throw err;
      }
      if (cm.metadata?.namespace !== NAMESPACE) return;
      const key = `${req.namespace}/${req.name}`;
      const dup = seen.has(key);
      seen.add(key);
      if (!dup && ++reconciled === params.count) resolveDone(nowMs());
    });
  const stopProfile = await startProfile(params, "coldstart");
  const startMs = nowMs();
  mgr.start().catch(fail);
  const allMs = await done;
  await stopProfile();
  emit("result", { startMs, firstMs, allMs, reconciled, cpuSeconds: cpuSeconds(), rssBytes: rssBytes() });
}

run(main);
