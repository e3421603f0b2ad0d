import { parseApiVersion } from "../api/meta.ts";
import type { ResourceType } from "../api/object.ts";
import type { RESTMapping } from "../client/restmapper.ts";
import { BUILT_IN_KINDS, guessPlural } from "../client/builtin-mappings.ts";
import { stringify } from "yaml";

export type Verb = "get" | "list" | "watch" | "create" | "update" | "patch" | "delete" | "deletecollection";

export interface PolicyRule {
  apiGroups: string[];
  resources: string[];
  verbs: string[];
  resourceNames?: string[];
}

/** A resource type, with its REST mapping when it has one (custom resources from defineCustomResource do). */
export type RuleTarget = ResourceType | (ResourceType & { readonly mapping: RESTMapping });

/** A write beyond what for/owns imply: `{ type: Namespace, verbs: ["patch"] }`, or a subresource such as "scale". */
export interface WriteRule {
  type: RuleTarget;
  verbs: Verb[];
  subresource?: string;
}

export interface ControllerPermissions {
  /** The reconciled kind (For()): read and watched, updated and patched (finalizers), its status and finalizers written. */
  for?: RuleTarget;
  /** Owned kinds (Owns()): watched and fully managed (create, update, patch, delete). */
  owns?: RuleTarget[];
  /** Kinds watched only (Watches()): get, list, watch. */
  watches?: RuleTarget[];
  /** Kinds read without a watch (an uncached reader such as mgr.apiReader): get only. */
  reads?: RuleTarget[];
  writes?: WriteRule[];
  /** The controller records Events (mgr.getEventRecorderFor): create and patch on core events. */
  events?: boolean;
}

const READ: Verb[] = ["get", "list", "watch"];
const MANAGE: Verb[] = ["create", "delete", "get", "list", "patch", "update", "watch"];

/** The API group and plural of a type: its own mapping, the built-in table, or the plural Kubernetes would guess. */
export function resourceOf(type: RuleTarget): { group: string; resource: string } {
  if ("mapping" in type && type.mapping) return { group: type.mapping.group, resource: type.mapping.resource };
  const builtIn = BUILT_IN_KINDS.find((k) => k.apiVersion === type.apiVersion && k.kind === type.kind);
  return { group: parseApiVersion(type.apiVersion).group, resource: builtIn?.plural ?? guessPlural(type.kind) };
}

export function rule(type: RuleTarget, verbs: Verb[], subresource?: string): PolicyRule {
  const { group, resource } = resourceOf(type);
  return { apiGroups: [group], resources: [subresource ? `${resource}/${subresource}` : resource], verbs: [...verbs] };
}

/** The rules one controller needs, merged: see ControllerPermissions for what each field grants. */
export function controllerRules(p: ControllerPermissions): PolicyRule[] {
  const rules: PolicyRule[] = [];
  if (p.for) {
    rules.push(rule(p.for, [...READ, "update", "patch"]));
    rules.push(rule(p.for, ["get", "update", "patch"], "status"));
    // Owner references with blockOwnerDeletion need update on the owner's finalizers where the API server enforces it.
    if (p.owns?.length) rules.push(rule(p.for, ["update"], "finalizers"));
  }
  for (const t of p.owns ?? []) rules.push(rule(t, MANAGE));
  for (const t of p.watches ?? []) rules.push(rule(t, READ));
  for (const t of p.reads ?? []) rules.push(rule(t, ["get"]));
  for (const w of p.writes ?? []) rules.push(rule(w.type, w.verbs, w.subresource));
  if (p.events) rules.push({ apiGroups: [""], resources: ["events"], verbs: ["create", "patch"] });
  return mergeRules(rules);
}

/**
 * One rule per API group and verb set, resources and verbs sorted, as controller-gen normalizes: the same
 * permissions always print the same YAML, so a stale role.yaml shows up as a diff.
 */
export function mergeRules(...lists: PolicyRule[][]): PolicyRule[] {
  const verbsByResource = new Map<string, { group: string; resource: string; names: string; verbs: Set<string> }>();
  for (const r of lists.flat()) {
    for (const group of r.apiGroups) {
      for (const resource of r.resources) {
        const names = (r.resourceNames ?? []).slice().sort().join(",");
        const key = `${group}\0${resource}\0${names}`;
        const entry = verbsByResource.get(key) ?? { group, resource, names, verbs: new Set<string>() };
        for (const v of r.verbs) entry.verbs.add(v);
        verbsByResource.set(key, entry);
      }
    }
  }
  const byGroupAndVerbs = new Map<string, PolicyRule>();
  for (const { group, resource, names, verbs } of verbsByResource.values()) {
    const sorted = [...verbs].sort();
    const key = `${group}\0${names}\0${sorted.join(",")}`;
    const existing = byGroupAndVerbs.get(key);
    if (existing) existing.resources.push(resource);
    else {
      const r: PolicyRule = { apiGroups: [group], resources: [resource], verbs: sorted };
      if (names) r.resourceNames = names.split(",");
      byGroupAndVerbs.set(key, r);
    }
  }
  const merged = [...byGroupAndVerbs.values()];
  for (const r of merged) r.resources.sort();
  return merged.sort((a, b) => a.apiGroups[0]!.localeCompare(b.apiGroups[0]!) || a.resources[0]!.localeCompare(b.resources[0]!));
}

export interface ClusterRoleObject {
  apiVersion: "rbac.authorization.k8s.io/v1";
  kind: "ClusterRole" | "Role";
  metadata: { name: string; namespace?: string };
  rules: PolicyRule[];
}

export function clusterRole(name: string, rules: PolicyRule[]): ClusterRoleObject {
  return { apiVersion: "rbac.authorization.k8s.io/v1", kind: "ClusterRole", metadata: { name }, rules: mergeRules(rules) };
}

/** kubebuilder's leader_election_role.yaml: the Lease of leader election, and Events about it, in one namespace. */
export function leaderElectionRole(name: string, namespace?: string): ClusterRoleObject {
  return {
    apiVersion: "rbac.authorization.k8s.io/v1",
    kind: "Role",
    metadata: namespace ? { name, namespace } : { name },
    rules: mergeRules([
      { apiGroups: ["coordination.k8s.io"], resources: ["leases"], verbs: [...MANAGE] },
      { apiGroups: [""], resources: ["events"], verbs: ["create", "patch"] },
    ]),
  };
}

/** Objects as a multi-document YAML file. */
export function rbacYaml(objects: object[]): string {
  return objects.map((o) => `---\n${stringify(o, { lineWidth: 0 })}`).join("");
}
