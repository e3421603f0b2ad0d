// Support for the K8ssandra scenario, not measured: in each data plane the operator in data-plane mode (Stargates) and
// the cass-operator simulator with no delay (Stargate Deployments reported ready too).
import { createOperator } from "@operator-ts/k8ssandra-operator";
import { startSimulator } from "../../packages/k8ssandra-operator/src/simulator/index.ts";
import { args, emit, fail, loadKubeConfig, run } from "./common.ts";

async function main(): Promise<void> {
  const { kubeconfigs } = args();
  for (const path of kubeconfigs) {
    const kc = loadKubeConfig(path);
    const operator = await createOperator({ kubeconfig: kc, controlPlane: false });
    operator.start(new AbortController().signal).catch(fail);
    await startSimulator(kc, { readyDelayMs: 0, stargateDeployments: true });
  }
  emit("ready");
  await new Promise(() => {});
}

run(main);
