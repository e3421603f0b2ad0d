import { describe, expect, it } from "vitest";
import { ConfigMap, Deployment, Namespace, rbac, resourceType } from "../src/index.ts";
import { defineCustomResource, Type } from "../src/crd/index.ts";

const Widget = defineCustomResource({
  group: "example.com",
  version: "v1",
  kind: "Widget",
  plural: "widgetz",
  scope: "Namespaced",
  spec: Type.Object({ size: Type.Integer() }),
  status: Type.Object({}),
});

describe("rbac.controllerRules", () => {
  it("grants the reconciled kind, its status and finalizers, owned and watched kinds, and Events, merged per group and verbs", () => {
    const rules = rbac.controllerRules({ for: Widget, owns: [Deployment, ConfigMap], reads: [Namespace], events: true });
    expect(rules).toEqual([
      { apiGroups: [""], resources: ["configmaps"], verbs: ["create", "delete", "get", "list", "patch", "update", "watch"] },
      { apiGroups: [""], resources: ["events"], verbs: ["create", "patch"] },
      { apiGroups: [""], resources: ["namespaces"], verbs: ["get"] },
      { apiGroups: ["apps"], resources: ["deployments"], verbs: ["create", "delete", "get", "list", "patch", "update", "watch"] },
      // The mapping's plural, not a guess from the kind.
      { apiGroups: ["example.com"], resources: ["widgetz"], verbs: ["get", "list", "patch", "update", "watch"] },
      { apiGroups: ["example.com"], resources: ["widgetz/finalizers"], verbs: ["update"] },
      { apiGroups: ["example.com"], resources: ["widgetz/status"], verbs: ["get", "patch", "update"] },
    ]);
  });

  it("merges the rules of several controllers into the smallest set, whatever the order", () => {
    const a = rbac.controllerRules({ for: Widget, watches: [ConfigMap] });
    const b = rbac.controllerRules({ watches: [resourceType("v1", "Secret")], writes: [{ type: ConfigMap, verbs: ["patch"] }] });
    const merged = rbac.mergeRules(a, b);
    expect(rbac.mergeRules(b, a)).toEqual(merged);
    expect(merged.filter((r) => r.apiGroups[0] === "")).toEqual([
      { apiGroups: [""], resources: ["configmaps"], verbs: ["get", "list", "patch", "watch"] },
      { apiGroups: [""], resources: ["secrets"], verbs: ["get", "list", "watch"] },
    ]);
  });

  it("writes a ClusterRole and the leader-election Role as YAML", () => {
    const yaml = rbac.rbacYaml([rbac.clusterRole("manager-role", rbac.controllerRules({ watches: [ConfigMap] })), rbac.leaderElectionRole("leader-election-role")]);
    expect(yaml).toBe(
      [
        "---",
        "apiVersion: rbac.authorization.k8s.io/v1",
        "kind: ClusterRole",
        "metadata:",
        "  name: manager-role",
        "rules:",
        "  - apiGroups:",
        '      - ""',
        "    resources:",
        "      - configmaps",
        "    verbs:",
        "      - get",
        "      - list",
        "      - watch",
        "---",
        "apiVersion: rbac.authorization.k8s.io/v1",
        "kind: Role",
        "metadata:",
        "  name: leader-election-role",
        "rules:",
        "  - apiGroups:",
        '      - ""',
        "    resources:",
        "      - events",
        "    verbs:",
        "      - create",
        "      - patch",
        "  - apiGroups:",
        "      - coordination.k8s.io",
        "    resources:",
        "      - leases",
        "    verbs:",
        "      - create",
        "      - delete",
        "      - get",
        "      - list",
        "      - patch",
        "      - update",
        "      - watch",
        "",
      ].join("\n"),
    );
  });
});
