import type { KubeConfig } from "@kubernetes/client-node";
import { RestTransport } from "@operator-ts/runtime";

export interface PermissionRequirement {
  verb: string;
  /** "" for the core group. */
  group?: string;
  resource: string;
  subresource?: string;
  /** Omit for cluster-wide. */
  namespace?: string;
}

export interface PreflightRequirements {
  /** CRDs by name (`<plural>.<group>`) that must be served. */
  crds?: string[];
  permissions?: PermissionRequirement[];
}

export interface CheckLine {
  check: string;
  ok: boolean;
  detail: string;
}

export interface PreflightResult {
  cluster: string;
  ok: boolean;
  checks: CheckLine[];
}

export interface PreflightTarget {
  name: string;
  kubeconfig: KubeConfig;
}

/**
 * For each cluster: is its API server reachable, are the required CRDs served (through discovery, which every
 * authenticated user may read), and does our identity hold each required permission (SelfSubjectAccessReview).
 */
export async function preflight(targets: PreflightTarget[], requirements: PreflightRequirements, timeoutMs = 10_000): Promise<PreflightResult[]> {
  return Promise.all(targets.map((t) => checkCluster(t, requirements, timeoutMs)));
}

async function checkCluster(target: PreflightTarget, req: PreflightRequirements, timeoutMs: number): Promise<PreflightResult> {
  const checks: CheckLine[] = [];
  let transport: RestTransport;
  try {
    transport = await RestTransport.fromKubeConfig(target.kubeconfig);
  } catch (err) {
    checks.push({ check: "kubeconfig", ok: false, detail: (err as Error).message });
    return { cluster: target.name, ok: false, checks };
  }
  const signal = () => AbortSignal.timeout(timeoutMs);
  try {
    try {
      const version = await transport.request<{ gitVersion: string }>("GET", "/version", { signal: signal() });
      checks.push({ check: "API server reachable", ok: true, detail: `${transport.server} (${version.gitVersion})` });
    } catch (err) {
      checks.push({ check: "API server reachable", ok: false, detail: `${transport.server}: ${(err as Error).message}` });
      return { cluster: target.name, ok: false, checks };
    }
    for (const crd of req.crds ?? []) {
      const dot = crd.indexOf(".");
      const plural = crd.slice(0, dot);
      const group = crd.slice(dot + 1);
      try {
        const g = await transport.request<{ versions: { groupVersion: string }[] }>("GET", `/apis/${group}`, { signal: signal() });
        const served = [];
        for (const v of g.versions) {
          const list = await transport.request<{ resources: { name: string }[] }>("GET", `/apis/${v.groupVersion}`, { signal: signal() });
          if (list.resources.some((r) => r.name === plural)) served.push(v.groupVersion.split("/")[1]);
        }
        checks.push({ check: `CRD ${crd}`, ok: served.length > 0, detail: served.length ? `served: ${served.join(", ")}` : "not installed" });
      } catch (err) {
        const notFound = (err as { code?: number }).code === 404;
        checks.push({ check: `CRD ${crd}`, ok: false, detail: notFound ? "not installed" : (err as Error).message });
      }
    }
    for (const p of req.permissions ?? []) {
      const label = `can ${p.verb} ${p.resource}${p.subresource ? `/${p.subresource}` : ""}${p.group ? `.${p.group}` : ""}${p.namespace ? ` in ${p.namespace}` : " cluster-wide"}`;
      try {
        const review = await transport.request<{ status: { allowed: boolean; reason?: string } }>(
          "POST",
          "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews",
          {
            body: {
              apiVersion: "authorization.k8s.io/v1",
              kind: "SelfSubjectAccessReview",
              spec: { resourceAttributes: { verb: p.verb, group: p.group ?? "", resource: p.resource, subresource: p.subresource, namespace: p.namespace } },
            },
            signal: signal(),
          },
        );
        checks.push({ check: label, ok: review.status.allowed, detail: review.status.allowed ? "allowed" : review.status.reason || "denied" });
      } catch (err) {
        checks.push({ check: label, ok: false, detail: (err as Error).message });
      }
    }
  } finally {
    await transport.close();
  }
  return { cluster: target.name, ok: checks.every((c) => c.ok), checks };
}

/** A plain-text table, one line per check, for terminals and CI logs. */
export function formatPreflightTable(results: PreflightResult[]): string {
  const rows = results.flatMap((r) => r.checks.map((c) => [r.cluster || "(home)", c.ok ? "ok" : "FAIL", c.check, c.detail]));
  const header = ["CLUSTER", "RESULT", "CHECK", "DETAIL"];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!))).join("  ");
  const failed = results.filter((r) => !r.ok).map((r) => r.cluster);
  const summary = failed.length ? `preflight failed for: ${failed.join(", ")}` : `preflight passed for ${results.length} cluster(s)`;
  return [line(header), ...rows.map(line), "", summary].join("\n");
}
