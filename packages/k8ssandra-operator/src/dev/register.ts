import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import type { KubeConfig } from "@kubernetes/client-node";
import { isAlreadyExists, type KubeObject, RestClient } from "@operator-ts/runtime";
import type { TestCluster } from "@operator-ts/runtime/envtest";
import { parseAllDocuments } from "yaml";
import { createClientConfig } from "../cli/clientconfig.ts";

/**
 * Registers a data plane in the control plane the way an administrator would, with `create-clientconfig`: a service
 * account in the data plane with only the permissions the control plane needs there, its token in a kubeconfig Secret,
 * and a ClientConfig naming it.
 */
export async function registerDataPlane(controlPlane: TestCluster, plane: TestCluster, namespace: string): Promise<void> {
  await createClientConfig({ src: plane.kubeconfig, dest: controlPlane.kubeconfig, namespace, contextName: plane.name });
}

/** Applies every manifest of the given config folders (their YAML files, kustomization.yaml aside). */
export async function applyManifests(kubeconfig: KubeConfig, dirs: string[]): Promise<void> {
  const client = await RestClient.fromKubeConfig(kubeconfig);
  try {
    for (const dir of dirs) {
      for (const file of (await readdir(dir)).sort()) {
        if (!file.endsWith(".yaml") || file === "kustomization.yaml") continue;
        for (const doc of parseAllDocuments(await readFile(join(dir, file), "utf8"))) {
          const obj = doc.toJS() as KubeObject | null;
          if (!obj?.kind) continue;
          await client.create(obj).catch((err: unknown) => {
            if (!isAlreadyExists(err)) throw err;
          });
        }
      }
    }
  } finally {
    await client.close();
  }
}
