import { RestClient, Secret } from "@operator-ts/runtime";
import type { TestCluster } from "@operator-ts/runtime/envtest";
import { ClientConfig, KUBECONFIG_SECRET_KEY } from "../api/index.ts";

/** Registers a data plane in the control plane: a Secret with its kubeconfig and a ClientConfig naming it. */
export async function registerDataPlane(controlPlane: TestCluster, plane: TestCluster, namespace: string): Promise<void> {
  const admin = await RestClient.fromKubeConfig(controlPlane.kubeconfig);
  try {
    await admin.create<Secret>({
      apiVersion: "v1",
      kind: "Secret",
      metadata: { name: `${plane.name}-config`, namespace },
      stringData: { [KUBECONFIG_SECRET_KEY]: plane.kubeconfigYaml },
    });
    await admin.create<ClientConfig>({
      apiVersion: ClientConfig.apiVersion,
      kind: ClientConfig.kind,
      metadata: { name: plane.name, namespace },
      spec: { contextName: plane.name, kubeConfigSecret: { name: `${plane.name}-config` } },
    });
  } finally {
    await admin.close();
  }
}
