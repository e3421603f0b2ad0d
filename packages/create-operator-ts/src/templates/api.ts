import { camel, lower } from "../names.ts";

export interface ApiNames {
  /** Short group ("webapp") and the API group it makes ("webapp.example.com"). */
  group: string;
  apiGroup: string;
  version: string;
  kind: string;
  projectName: string;
}

/** Paths of a kind's files inside the project, without extension where imports need them. */
export function apiPaths(n: Pick<ApiNames, "version" | "kind">) {
  const k = lower(n.kind);
  return {
    api: `src/api/${n.version}/${k}.ts`,
    controller: `src/controllers/${k}.ts`,
    webhook: `src/webhooks/${k}.ts`,
    test: `test/${k}.test.ts`,
    envtest: `test/${k}.envtest.test.ts`,
    webhookTest: `test/${k}-webhook.test.ts`,
  };
}

export function apiTypeTs(n: ApiNames): string {
  return `import { conditionsSchema, type CustomResource, defineCustomResource, Type } from "@operator-ts/runtime/crd";

/**
 * ${n.kind} (${n.apiGroup}/${n.version}). Its schema is the CRD's: edit spec and status here, then \`npm run manifests\`
 * writes config/crd again (kubebuilder's ${lower(n.kind)}_types.go and controller-gen in one).
 */
export const ${n.kind} = defineCustomResource({
  group: ${JSON.stringify(n.apiGroup)},
  version: ${JSON.stringify(n.version)},
  kind: ${JSON.stringify(n.kind)},
  scope: "Namespaced",
  description: "${n.kind} is the Schema for the ${n.kind} API",
  spec: Type.Object({
    foo: Type.Optional(Type.String({ maxLength: 253, description: "An example field of ${n.kind}: the controller copies it into a ConfigMap." })),
  }),
  status: Type.Object({
    conditions: Type.Optional(conditionsSchema("The ${n.kind}'s state: Available once its ConfigMap is written.")),
  }),
  printerColumns: [
    { name: "Foo", type: "string", jsonPath: ".spec.foo" },
    { name: "Available", type: "string", jsonPath: '.status.conditions[?(@.type=="Available")].status' },
    { name: "Age", type: "date", jsonPath: ".metadata.creationTimestamp" },
  ],
});

export type ${n.kind} = CustomResource<typeof ${n.kind}>;
`;
}

export function sampleYaml(n: ApiNames): string {
  return `apiVersion: ${n.apiGroup}/${n.version}
kind: ${n.kind}
metadata:
  name: ${lower(n.kind)}-sample
  namespace: default
spec:
  foo: bar
`;
}

export function controllerTs(n: ApiNames): string {
  const k = n.kind;
  const c = camel(k);
  return `import {
  type Client,
  conditions,
  ConfigMap,
  controllerManagedBy,
  controllerutil,
  type EventRecorder,
  isNotFound,
  log,
  type Manager,
  Patch,
  type rbac,
  type Request,
} from "@operator-ts/runtime";
import { ${k} } from "../api/${n.version}/${lower(k)}.ts";

export const AVAILABLE = "Available";

/**
 * What this controller reads, watches and writes, in the terms of the builder below: config/rbac/role.yaml is
 * generated from it (least privilege), and the real-API-server test runs the controller with exactly these rights.
 */
export const ${c}Permissions: rbac.ControllerPermissions = { for: ${k}, owns: [ConfigMap], events: true };

/**
 * Keeps a ConfigMap named after each ${k}, holding its spec.foo and owned by it (garbage-collected with it), and
 * reports it in the Available condition. Replace this with what your operator does.
 */
export class ${k}Reconciler {
  private readonly client: Client;
  private readonly recorder: EventRecorder;

  constructor(client: Client, recorder: EventRecorder) {
    this.client = client;
    this.recorder = recorder;
  }

  async reconcile(req: Request): Promise<void> {
    let ${c}: ${k};
    try {
      ${c} = await this.client.get(${k}, req);
    } catch (err) {
      // Deleted after the event was queued: what it owns goes with it through the owner reference.
      if (isNotFound(err)) return;
      throw err;
    }
    if (${c}.metadata.deletionTimestamp) return;

    const configMap: ConfigMap = { apiVersion: "v1", kind: "ConfigMap", metadata: { name: ${c}.metadata.name, namespace: ${c}.metadata.namespace } };
    const result = await controllerutil.createOrUpdate(this.client, configMap, (cm) => {
      cm.data = { foo: ${c}.spec.foo ?? "" };
      controllerutil.setControllerReference(${c}, cm);
    });
    if (result !== "unchanged") {
      log.fromContext().info({ configMap: configMap.metadata?.name, result }, "ConfigMap written");
      this.recorder.event(${c}, "Normal", result === "created" ? "Created" : "Updated", \`ConfigMap \${configMap.metadata?.name} \${result}\`);
    }

    const list = ${c}.status?.conditions ?? [];
    const changed = conditions.setStatusCondition(list, {
      type: AVAILABLE,
      status: "True",
      reason: "ConfigMapWritten",
      message: \`ConfigMap \${configMap.metadata?.name} holds spec.foo\`,
      observedGeneration: ${c}.metadata.generation,
    });
    // A merge patch carries no resourceVersion: a read from a cache that has not seen this controller's last status
    // write yet does not turn into a 409 Conflict. The controller is the only writer of these conditions.
    if (changed) await this.client.status().patch(${c}, Patch.merge({ status: { conditions: list } }));
  }
}

export async function setup${k}Controller(mgr: Manager): Promise<void> {
  const reconciler = new ${k}Reconciler(mgr.client, mgr.getEventRecorderFor("${lower(k)}-controller"));
  await controllerManagedBy(mgr).for(${k}).owns(ConfigMap).complete(reconciler);
}
`;
}

export function fakeTestTs(n: ApiNames): string {
  const k = n.kind;
  const c = camel(k);
  return `import { ConfigMap, type EventRecorder } from "@operator-ts/runtime";
import { FakeClientBuilder } from "@operator-ts/runtime/fake";
import { describe, expect, it } from "vitest";
import { ${k} } from "../src/api/${n.version}/${lower(k)}.ts";
import { AVAILABLE, ${k}Reconciler } from "../src/controllers/${lower(k)}.ts";

function recorder(): EventRecorder & { events: string[] } {
  const events: string[] = [];
  return {
    events,
    event: (_object, type, reason, message) => void events.push(\`\${type} \${reason} \${message}\`),
    annotatedEvent: (_object, _annotations, type, reason, message) => void events.push(\`\${type} \${reason} \${message}\`),
  };
}

const ${c} = (foo: string): ${k} => ({
  apiVersion: ${k}.apiVersion,
  kind: ${k}.kind,
  metadata: { name: "sample", namespace: "default" },
  spec: { foo },
});

describe("${k}Reconciler on a fake client", () => {
  it("writes an owned ConfigMap with spec.foo, reports Available and records an Event", async () => {
    const client = new FakeClientBuilder().withKind(${k}, { namespaced: true }).withStatusSubresource(${k}).withObjects(${c}("bar")).build();
    const events = recorder();
    await new ${k}Reconciler(client, events).reconcile({ namespace: "default", name: "sample" });

    const configMap = await client.get(ConfigMap, { namespace: "default", name: "sample" });
    expect(configMap.data).toEqual({ foo: "bar" });
    expect(configMap.metadata?.ownerReferences).toEqual([expect.objectContaining({ kind: "${k}", name: "sample", controller: true })]);
    const stored = await client.get(${k}, { namespace: "default", name: "sample" });
    expect(stored.status?.conditions?.find((c) => c.type === AVAILABLE)).toMatchObject({ status: "True", reason: "ConfigMapWritten" });
    expect(events.events).toEqual(["Normal Created ConfigMap sample created"]);
  });

  it("updates the ConfigMap when spec.foo changes, and writes nothing when nothing changed", async () => {
    const client = new FakeClientBuilder().withKind(${k}, { namespaced: true }).withStatusSubresource(${k}).withObjects(${c}("bar")).build();
    const events = recorder();
    const reconciler = new ${k}Reconciler(client, events);
    await reconciler.reconcile({ namespace: "default", name: "sample" });
    const stored = await client.get(${k}, { namespace: "default", name: "sample" });
    await client.update({ ...stored, spec: { foo: "baz" } });
    await reconciler.reconcile({ namespace: "default", name: "sample" });
    await reconciler.reconcile({ namespace: "default", name: "sample" });

    expect((await client.get(ConfigMap, { namespace: "default", name: "sample" })).data).toEqual({ foo: "baz" });
    expect(events.events).toEqual(["Normal Created ConfigMap sample created", "Normal Updated ConfigMap sample updated"]);
  });

  it("does nothing for a ${k} that is gone", async () => {
    const client = new FakeClientBuilder().withKind(${k}, { namespaced: true }).build();
    await new ${k}Reconciler(client, recorder()).reconcile({ namespace: "default", name: "missing" });
    expect((await client.list(ConfigMap, { namespace: "default" })).items).toEqual([]);
  });
});
`;
}

export function envtestTestTs(n: ApiNames): string {
  const k = n.kind;
  const c = camel(k);
  const l = lower(k);
  return `import { fileURLToPath } from "node:url";
import { type ClusterRoleBinding, ConfigMap, Manager, rbac } from "@operator-ts/runtime";
import { eventually, startCluster, type TestCluster, waitForCondition } from "@operator-ts/runtime/envtest";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ${k} } from "../src/api/${n.version}/${l}.ts";
import { AVAILABLE, setup${k}Controller, ${c}Permissions } from "../src/controllers/${l}.ts";

const crdDir = fileURLToPath(new URL("../config/crd", import.meta.url));

describe("the ${k} controller on a real API server", () => {
  let cluster: TestCluster;
  let admin: Manager;
  let mgr: Manager;
  const stop = new AbortController();
  let running: Promise<void> | undefined;

  beforeAll(async () => {
    cluster = await startCluster({ name: "${l}", crds: [crdDir] });
    admin = await Manager.create({ kubeconfig: cluster.kubeconfig });
    // The controller runs as a ServiceAccount holding only the ClusterRole generated from its permissions: a read or
    // write it does not declare fails as Forbidden here.
    const role = rbac.clusterRole("${l}-controller", rbac.controllerRules(${c}Permissions));
    await admin.client.create(role);
    await admin.client.create<ClusterRoleBinding>({
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "ClusterRoleBinding",
      metadata: { name: "${l}-controller" },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: role.metadata.name },
      subjects: [{ kind: "ServiceAccount", name: "${l}-controller", namespace: "default" }],
    });
    mgr = await Manager.create({ kubeconfig: await cluster.serviceAccountKubeConfig("default", "${l}-controller") });
    await setup${k}Controller(mgr);
    running = mgr.start(stop.signal);
  });

  afterAll(async () => {
    stop.abort();
    await running;
    await cluster?.stop();
  });

  it("writes the ${k}'s ConfigMap, keeps it in step with spec.foo and reports Available", async () => {
    const created = await admin.client.create<${k}>({
      apiVersion: ${k}.apiVersion,
      kind: ${k}.kind,
      metadata: { name: "sample", namespace: "default" },
      spec: { foo: "bar" },
    });
    const key = { namespace: "default", name: "sample" };

    const configMap = await eventually(() => admin.apiReader.get(ConfigMap, key), "the ConfigMap");
    expect(configMap.data).toEqual({ foo: "bar" });
    expect(configMap.metadata?.ownerReferences).toEqual([expect.objectContaining({ uid: created.metadata.uid, controller: true })]);
    await waitForCondition(admin.apiReader, ${k}, key, AVAILABLE, { reason: "ConfigMapWritten" });

    await admin.client.patch(created, { type: "merge", data: { spec: { foo: "baz" } } });
    await eventually(async () => (await admin.apiReader.get(ConfigMap, key)).data?.foo === "baz", "the ConfigMap updated");
  });
});
`;
}
