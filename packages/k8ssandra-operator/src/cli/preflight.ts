import { KubeConfig } from "@kubernetes/client-node";
import { type CheckLine, describeCredential, preflight, type PreflightResult, type PreflightTarget } from "@operator-ts/multicluster";
import { RestClient, Secret } from "@operator-ts/runtime";
import { ClientConfig, clientConfigContextName, KUBECONFIG_SECRET_KEY } from "../api/index.ts";
import { DEFAULT_NAMESPACE } from "./clientconfig.ts";
import { withContext } from "./kubeconfig.ts";
import {
  CLIENTCONFIG_CLUSTER_RULES,
  CLIENTCONFIG_NAMESPACE_RULES,
  CONTROL_PLANE_CRDS,
  controlPlaneRules,
  DATA_PLANE_CRDS,
  groupPermissionLines,
  permissionsOf,
} from "./rbac.ts";

export interface PreflightOptions {
  /** The control plane, at its context. */
  controlPlane: KubeConfig;
  /** Data-plane contexts of the control plane's kubeconfig; when empty, the data planes come from its ClientConfigs. */
  dataPlaneContexts?: string[];
  /** Where ClientConfigs are read; default every namespace. */
  clientConfigNamespace?: string;
  /** Where datacenters and their Secrets live in the data planes; default k8ssandra-operator. */
  namespace?: string;
  timeoutMs?: number;
}

export interface PreflightReport {
  ok: boolean;
  results: PreflightResult[];
}

/**
 * The operator's pre-flight: the control plane serves K8ssandra's CRDs and grants the operator's permissions; every
 * data plane (each ClientConfig's, or each context given) serves cass-operator's and the Stargate CRD and grants the
 * control plane what it does there.
 */
export async function runPreflight(options: PreflightOptions): Promise<PreflightReport> {
  const namespace = options.namespace ?? DEFAULT_NAMESPACE;
  const timeoutMs = options.timeoutMs ?? 10_000;
  const controlName = `control-plane (${options.controlPlane.getCurrentContext()})`;
  const control = preflight([{ name: controlName, kubeconfig: options.controlPlane }], {
    crds: CONTROL_PLANE_CRDS,
    permissions: permissionsOf(controlPlaneRules()),
  }, timeoutMs);

  const broken: PreflightResult[] = [];
  let targets: PreflightTarget[];
  if (options.dataPlaneContexts?.length) {
    targets = options.dataPlaneContexts.map((name) => ({ name, kubeconfig: withContext(options.controlPlane, name) }));
  } else {
    const found = await dataPlanesFromClientConfigs(options.controlPlane, options.clientConfigNamespace, timeoutMs);
    targets = found.targets;
    broken.push(...found.broken);
  }
  const dataPlanes = preflight(targets, {
    crds: DATA_PLANE_CRDS,
    permissions: [...permissionsOf(CLIENTCONFIG_CLUSTER_RULES), ...permissionsOf(CLIENTCONFIG_NAMESPACE_RULES, namespace)],
  }, timeoutMs);

  const planes = (await dataPlanes).map((result) => {
    const target = targets.find((t) => t.name === result.cluster);
    return target ? { ...result, checks: [...result.checks, credentialLine(target.kubeconfig)] } : result;
  });
  const results = [...(await control), ...planes, ...broken].map(groupPermissionLines);
  if (!options.dataPlaneContexts?.length && targets.length + broken.length === 0) {
    results.push({
      cluster: "data planes",
      ok: true,
      checks: [{ check: "ClientConfigs", ok: true, detail: "none found: every datacenter will run in the control plane" }],
    });
  }
  return { ok: results.every((r) => r.ok), results };
}

async function dataPlanesFromClientConfigs(
  controlPlane: KubeConfig,
  namespace: string | undefined,
  timeoutMs: number,
): Promise<{ targets: PreflightTarget[]; broken: PreflightResult[] }> {
  const targets: PreflightTarget[] = [];
  const broken: PreflightResult[] = [];
  const client = await RestClient.fromKubeConfig(controlPlane, { userAgent: "k8ssandra-operator-preflight" });
  try {
    let list;
    try {
      list = await withTimeout(client.list(ClientConfig, { namespace }), timeoutMs);
    } catch (err) {
      // The control plane's own lines say why (unreachable, CRD missing, forbidden); here it only means no data planes.
      broken.push({ cluster: "data planes", ok: false, checks: [{ check: "list ClientConfigs", ok: false, detail: (err as Error).message }] });
      return { targets, broken };
    }
    for (const cc of list.items) {
      const name = clientConfigContextName(cc);
      const where = `${cc.metadata.namespace}/${cc.spec.kubeConfigSecret.name}`;
      const fail = (detail: string) => broken.push({ cluster: name, ok: false, checks: [{ check: "kubeconfig Secret", ok: false, detail }] });
      let secret: Secret;
      try {
        secret = await withTimeout(client.get(Secret, { namespace: cc.metadata.namespace, name: cc.spec.kubeConfigSecret.name }), timeoutMs);
      } catch (err) {
        fail(`Secret ${where}: ${(err as Error).message}`);
        continue;
      }
      const data = secret.data?.[KUBECONFIG_SECRET_KEY];
      if (!data) {
        fail(`Secret ${where} has no "${KUBECONFIG_SECRET_KEY}" key`);
        continue;
      }
      const kc = new KubeConfig();
      try {
        kc.loadFromString(Buffer.from(data, "base64").toString("utf8"));
      } catch {
        // The parser's message may quote the Secret's content.
        fail(`Secret ${where}: "${KUBECONFIG_SECRET_KEY}" is not a kubeconfig`);
        continue;
      }
      if (!kc.getContextObject(name)) {
        fail(`Secret ${where}: the kubeconfig has no context "${name}"`);
        continue;
      }
      kc.setCurrentContext(name);
      targets.push({ name, kubeconfig: kc });
    }
  } finally {
    await client.close();
  }
  return { targets, broken };
}

/** The credential a data plane is reached with and when it expires: a renewal that keeps failing shows here first. */
export function credentialLine(kubeconfig: KubeConfig, now = Date.now()): CheckLine {
  const info = describeCredential(kubeconfig);
  if (!info.expiresAt) return { check: "credential", ok: true, detail: `${info.kind}, no expiry in it` };
  const left = info.expiresAt.getTime() - now;
  const renewed = info.serviceAccount ? ", renewed by the operator" : "";
  if (left <= 0) return { check: "credential", ok: false, detail: `${info.kind}, expired at ${info.expiresAt.toISOString()}` };
  return { check: "credential", ok: true, detail: `${info.kind}, expires at ${info.expiresAt.toISOString()} (in ${humanDuration(left)})${renewed}` };
}

function humanDuration(ms: number): string {
  const minutes = Math.floor(ms / 60_000);
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `${hours} h ${minutes % 60} min`;
  return `${Math.floor(hours / 24)} days`;
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}
