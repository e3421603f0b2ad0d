import { readdir, readFile, stat } from "node:fs/promises";
import { extname, join } from "node:path";
import { setTimeout as delay } from "node:timers/promises";
import type { KubeConfig } from "@kubernetes/client-node";
import { parseAllDocuments } from "yaml";
import { isAlreadyExists } from "../client/errors.ts";
import { RestTransport } from "../client/transport.ts";
import { type LocalWebhookServing, localConversion } from "./webhooks.ts";

interface CRD {
  apiVersion: string;
  kind: string;
  metadata: { name: string; resourceVersion?: string };
  spec: { group: string; names: { plural: string }; versions: { name: string; served: boolean }[]; conversion?: unknown };
  status?: { conditions?: { type: string; status: string }[] };
}

const CRD_PATH = "/apis/apiextensions.k8s.io/v1/customresourcedefinitions";

/** Every CustomResourceDefinition in the given YAML files and folders (recursively), in a stable order. */
export async function readCRDs(paths: string[]): Promise<CRD[]> {
  const files: string[] = [];
  const walk = async (path: string): Promise<void> => {
    const info = await stat(path);
    if (info.isDirectory()) {
      for (const entry of (await readdir(path)).sort()) await walk(join(path, entry));
    } else if ([".yaml", ".yml", ".json"].includes(extname(path))) {
      files.push(path);
    }
  };
  for (const p of paths) await walk(p);
  const crds: CRD[] = [];
  for (const file of files) {
    for (const doc of parseAllDocuments(await readFile(file, "utf8"))) {
      if (doc.errors.length) throw new Error(`${file}: ${doc.errors[0]!.message}`);
      const obj = doc.toJS() as CRD | null;
      if (obj?.kind === "CustomResourceDefinition") crds.push(obj);
    }
  }
  return crds;
}

/**
 * Creates (or replaces) the CRDs found in the given files and folders and waits until each is Established and its
 * served versions answer, so that a test can create custom resources the moment this returns.
 */
export async function installCRDs(
  kubeconfig: KubeConfig,
  paths: string[],
  timeoutMs = 60_000,
  webhooks?: LocalWebhookServing,
): Promise<string[]> {
  // Conversion webhooks are pointed at the test process when it serves webhooks.
  const crds = (await readCRDs(paths)).map((crd) => (webhooks ? localConversion(crd, webhooks) : crd));
  if (!crds.length) throw new Error(`no CustomResourceDefinition found in ${paths.join(", ")}`);
  const transport = await RestTransport.fromKubeConfig(kubeconfig);
  try {
    await Promise.all(crds.map((crd) => applyCRD(transport, crd)));
    await Promise.all(crds.map((crd) => waitServed(transport, crd, timeoutMs)));
  } finally {
    await transport.close();
  }
  return crds.map((c) => c.metadata.name);
}

async function applyCRD(transport: RestTransport, crd: CRD): Promise<void> {
  try {
    await transport.request("POST", CRD_PATH, { body: crd });
  } catch (err) {
    if (!isAlreadyExists(err)) throw err;
    const current = await transport.request<CRD>("GET", `${CRD_PATH}/${crd.metadata.name}`);
    const body = { ...crd, metadata: { ...crd.metadata, resourceVersion: current.metadata.resourceVersion } };
    await transport.request("PUT", `${CRD_PATH}/${crd.metadata.name}`, { body });
  }
}

async function waitServed(transport: RestTransport, crd: CRD, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const name = crd.metadata.name;
  for (;;) {
    const current = await transport.request<CRD>("GET", `${CRD_PATH}/${name}`);
    const conditions = current.status?.conditions ?? [];
    const established = conditions.some((c) => c.type === "Established" && c.status === "True");
    if (established) {
      const served = crd.spec.versions.filter((v) => v.served);
      const answers = await Promise.all(
        served.map((v) =>
          transport
            .request("GET", `/apis/${crd.spec.group}/${v.name}/${crd.spec.names.plural}`, { query: { limit: 1 } })
            .then(() => true, () => false),
        ),
      );
      if (answers.every(Boolean)) return;
    }
    if (Date.now() > deadline) {
      throw new Error(`CRD ${name} not established after ${timeoutMs} ms: ${JSON.stringify(conditions)}`);
    }
    await delay(100);
  }
}
