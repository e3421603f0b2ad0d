// The K8ssandra operator in control-plane mode, alone in this process so that its CPU and memory are its own: the
// data-plane operators and the cass-operator simulators run in k8ssandra-dataplanes.ts. "ready" once every data plane
// named in params.clusters is engaged (from its ClientConfig). TS only: there is no Go K8ssandra operator here.
import { createOperator } from "@operator-ts/k8ssandra-operator";
import { args, emit, fail, loadKubeConfig, rssBytes, run } from "./common.ts";

async function main(): Promise<void> {
  const { kubeconfigs, params } = args();
  const operator = await createOperator({
    kubeconfig: loadKubeConfig(kubeconfigs[0]!),
    controlPlane: true,
    clientConfigNamespace: String(params.namespace),
  });
  operator.start(new AbortController().signal).catch(fail);
  const wanted = params.clusters as string[];
  const deadline = Date.now() + 120_000;
  while (!wanted.every((c) => operator.mcm.hasCluster(c))) {
    if (Date.now() > deadline) throw new Error(`data planes ${wanted.join(", ")} were not engaged within 120 s`);
    await new Promise((r) => setTimeout(r, 50));
  }
  emit("ready", { rssBytes: rssBytes() });
  // Runs until the harness stops it.
  await new Promise(() => {});
}

run(main);
