import { existsSync, readFileSync } from "node:fs";
import { loadAllYaml } from "@kubernetes/client-node";
import type { CheckLine, PermissionRequirement, PreflightResult } from "@operator-ts/multicluster";

export interface PolicyRule {
  apiGroups: string[];
  resources: string[];
  verbs: string[];
  resourceNames?: string[];
}

const ALL = ["get", "list", "watch", "create", "update", "patch", "delete"];

/**
 * What the control plane does in a data-plane cluster through a ClientConfig, and nothing more, cluster-wide: its
 * caches watch CassandraDatacenters and Stargates in every namespace, and a datacenter may live in any of them.
 */
export const CLIENTCONFIG_CLUSTER_RULES: PolicyRule[] = [
  { apiGroups: ["cassandra.datastax.com"], resources: ["cassandradatacenters"], verbs: ALL },
  { apiGroups: ["stargate.k8ssandra.io"], resources: ["stargates"], verbs: ALL },
  { apiGroups: [""], resources: ["namespaces"], verbs: ["get"] },
  { apiGroups: [""], resources: ["events"], verbs: ["create"] },
];

/**
 * The same, granted only in the datacenters' namespaces: the replicated superuser Secret, and the rebuild
 * CassandraTasks of datacenters added to a live cluster (read uncached, so no watch).
 */
export const CLIENTCONFIG_NAMESPACE_RULES: PolicyRule[] = [
  { apiGroups: [""], resources: ["secrets"], verbs: ALL },
  { apiGroups: ["control.k8ssandra.io"], resources: ["cassandratasks"], verbs: ["get", "create", "delete"] },
];

/**
 * In the service account's own namespace: asking for a successor of its own token (TokenRequest), so the control plane
 * renews its credential before it expires with the credential it still holds. No other account's tokens.
 */
export function tokenRenewalRules(serviceAccount: string): PolicyRule[] {
  return [{ apiGroups: [""], resources: ["serviceaccounts/token"], verbs: ["create"], resourceNames: [serviceAccount] }];
}

/** The CRDs a data-plane cluster must serve. */
export const DATA_PLANE_CRDS = ["cassandradatacenters.cassandra.datastax.com", "stargates.stargate.k8ssandra.io"];
/** The CRDs the control plane must serve (cass-operator's is optional there: a control plane need not host datacenters). */
export const CONTROL_PLANE_CRDS = ["k8ssandraclusters.k8ssandra.io", "clientconfigs.config.k8ssandra.io", "stargates.stargate.k8ssandra.io"];

// This module runs from src/cli in a checkout and from a bundled chunk at the top of dist/ when installed: the
// package's config/ is found from the nearest package.json, not at a fixed depth.
function packageFile(path: string): URL {
  for (let dir = new URL(".", import.meta.url); ; dir = new URL("..", dir)) {
    if (existsSync(new URL("package.json", dir))) return new URL(path, dir);
    if (new URL("..", dir).href === dir.href) throw new Error(`no package.json above ${import.meta.url}`);
  }
}

/** The operator's ClusterRole for the control plane, as its install manifests grant it. */
export function controlPlaneRules(): PolicyRule[] {
  const file = packageFile("config/rbac/control-plane/role.yaml");
  const docs = loadAllYaml(readFileSync(file, "utf8")) as { kind?: string; rules?: PolicyRule[] }[];
  const role = docs.find((d) => d?.kind === "ClusterRole");
  if (!role?.rules) throw new Error(`no ClusterRole with rules in ${file.pathname}`);
  return role.rules.map((r) => ({ apiGroups: r.apiGroups ?? [""], resources: r.resources, verbs: r.verbs }));
}

/** One SelfSubjectAccessReview per verb and resource of the rules, in namespace (cluster-wide when undefined). */
export function permissionsOf(rules: PolicyRule[], namespace?: string): PermissionRequirement[] {
  const out: PermissionRequirement[] = [];
  for (const rule of rules) {
    for (const group of rule.apiGroups) {
      for (const res of rule.resources) {
        const [resource, subresource] = res.split("/");
        for (const verb of rule.verbs) out.push({ verb, group, resource: resource!, subresource, namespace });
      }
    }
  }
  return out;
}

/**
 * preflight() reports one line per verb; a person reads one line per resource better: "can get,list,... secrets in
 * ns" with the denied verbs named when some are missing.
 */
export function groupPermissionLines(result: PreflightResult): PreflightResult {
  const checks: CheckLine[] = [];
  const groups = new Map<string, { verbs: string[]; denied: string[]; details: string[]; index: number }>();
  for (const line of result.checks) {
    const m = /^can (\S+) (\S+) (in \S+|cluster-wide)$/.exec(line.check);
    if (!m) {
      checks.push(line);
      continue;
    }
    const key = `${m[2]} ${m[3]}`;
    let g = groups.get(key);
    if (!g) {
      g = { verbs: [], denied: [], details: [], index: checks.length };
      groups.set(key, g);
      checks.push(line);
    }
    g.verbs.push(m[1]!);
    if (!line.ok) {
      g.denied.push(m[1]!);
      if (line.detail !== "denied" && !g.details.includes(line.detail)) g.details.push(line.detail);
    }
  }
  for (const [key, g] of groups) {
    checks[g.index] = {
      check: `can ${g.verbs.join(",")} ${key}`,
      ok: g.denied.length === 0,
      detail: g.denied.length ? `denied: ${g.denied.join(", ")}${g.details.length ? ` (${g.details.join("; ")})` : ""}` : "allowed",
    };
  }
  return { ...result, checks, ok: checks.every((c) => c.ok) };
}
