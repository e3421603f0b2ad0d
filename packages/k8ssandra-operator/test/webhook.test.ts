import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { loadAllYaml } from "@kubernetes/client-node";
import { type ApiError, type KubeObject, Namespace, RestClient, Secret, ServiceAccount, ValidatingWebhookConfiguration } from "@operator-ts/runtime";
import { serviceAccountKubeConfig, startCluster, type TestCluster } from "@operator-ts/runtime/envtest";
import { FakeClientBuilder } from "@operator-ts/runtime/fake";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { K8ssandraCluster } from "../src/api/index.ts";
import { applyManifests } from "../src/dev/register.ts";
import { createOperator } from "../src/operator.ts";
import {
  k8ssandraClusterValidator,
  validatingWebhookConfiguration,
  WEBHOOK_CERT_SECRET,
  WEBHOOK_SERVICE,
  WEBHOOK_VALIDATING_CONFIGURATION,
} from "../src/webhook/index.ts";
import { webhookManifestsYaml } from "../src/webhook/manifests.ts";
import { eventually } from "../../../test/support/eventually.ts";

const configDir = fileURLToPath(new URL("../config", import.meta.url));
const NS = "k8ssandra-operator";
const STORAGE = { cassandraDataVolumeClaimSpec: { storageClassName: "standard", accessModes: ["ReadWriteOnce"], resources: { requests: { storage: "5Gi" } } } };
type Spec = K8ssandraCluster["spec"];

const k8c = (name: string, spec: Spec): K8ssandraCluster => ({ apiVersion: K8ssandraCluster.apiVersion, kind: K8ssandraCluster.kind, metadata: { name, namespace: NS }, spec });
const twoDCs = (storage = true): Spec => ({
  cassandra: {
    serverVersion: "4.1.5",
    ...(storage ? { storageConfig: STORAGE } : {}),
    datacenters: [
      { metadata: { name: "dc1" }, k8sContext: "east", size: 3 },
      { metadata: { name: "dc2" }, k8sContext: "west", size: 3 },
    ],
  },
});

/** An update of the stored object that re-reads and retries when the running controller wrote in between. */
async function updated(client: RestClient, name: string, mutate: (k: K8ssandraCluster) => void): Promise<string> {
  for (;;) {
    const k = await client.get(K8ssandraCluster, { namespace: NS, name });
    mutate(k);
    const outcome = await refusal(client.update(k));
    if (!outcome.includes("the object has been modified")) return outcome;
  }
}

const refusal = (promise: Promise<unknown>) =>
  promise.then(
    () => "accepted",
    (err: ApiError) => err.message,
  );

describe("the K8ssandraCluster validator", () => {
  const known = new Set(["east"]);
  const validator = k8ssandraClusterValidator({ contextProblem: (c) => (known.has(c) ? undefined : `no ClientConfig provides k8sContext "${c}"`) });
  const ctx = {} as never;
  const messages = (r: unknown) => ((r as { errors?: { toString(): string }[] } | undefined)?.errors ?? []).map(String);

  it("wants storageConfig at the cluster or the datacenter level, and warns about each unknown k8sContext once", async () => {
    const spec = twoDCs(false);
    spec.cassandra!.datacenters![0]!.storageConfig = STORAGE;
    spec.cassandra!.datacenters!.push({ metadata: { name: "dc3" }, k8sContext: "west", size: 1, storageConfig: STORAGE });
    const result = await validator.validateCreate!(k8c("a", spec), ctx);
    expect(messages(result)).toEqual(["spec.cassandra.datacenters[1].storageConfig: Required value: storageConfig must be defined at cluster level or dc level"]);
    expect(result && result.warnings).toEqual([
      'spec.cassandra.datacenters[1].k8sContext: no ClientConfig provides k8sContext "west"; datacenter dc2 waits until a ClientConfig provides a usable cluster',
    ]);
    expect(messages(await validator.validateCreate!(k8c("b", twoDCs()), ctx))).toEqual([]);
  });

  it("keeps clusterName and the datacenters' Cassandra names, and refuses adding and removing datacenters in one update", async () => {
    const old = k8c("a", twoDCs());
    const renamed = structuredClone(old);
    renamed.spec.cassandra!.clusterName = "other";
    renamed.spec.cassandra!.datacenters![1]!.datacenterName = "DC Two";
    expect(messages(await validator.validateUpdate!(old, renamed, ctx))).toEqual([
      'spec.cassandra.clusterName: Forbidden: cluster name can not be changed (from "" to "other")',
      'spec.cassandra.datacenters[1].datacenterName: Forbidden: datacenter dc2 cannot be renamed in Cassandra (it is "dc2")',
    ]);
    // Spelling out the name it has already is no rename.
    const spelled = structuredClone(old);
    spelled.spec.cassandra!.datacenters![1]!.datacenterName = "dc2";
    expect(messages(await validator.validateUpdate!(old, spelled, ctx))).toEqual([]);
    const swapped = structuredClone(old);
    swapped.spec.cassandra!.datacenters![1]!.metadata.name = "dc3";
    expect(messages(await validator.validateUpdate!(old, swapped, ctx))).toEqual([
      "spec.cassandra.datacenters: Forbidden: datacenters cannot be added and removed in one change (adding dc3, removing dc2); a datacenter is renamed by adding the new one and, once it is ready, removing the old one",
    ]);
    const removed = structuredClone(old);
    removed.spec.cassandra!.datacenters!.pop();
    expect(messages(await validator.validateUpdate!(old, removed, ctx))).toEqual([]);
  });

  it("lets an object stored before the webhook lose its finalizer, and be deleted, without a spec it would refuse", async () => {
    const old = k8c("a", twoDCs(false));
    old.metadata.finalizers = ["k8ssandracluster.k8ssandra.io/finalizer"];
    expect(await validator.validateUpdate!(old, { ...old, metadata: { ...old.metadata, finalizers: [] } }, ctx)).toBeUndefined();
  });

  it("refuses through the fake client as the API server does, for unit tests of code that writes K8ssandraClusters", async () => {
    const fake = new FakeClientBuilder().withKind(K8ssandraCluster, { namespaced: true }).withWebhooks(K8ssandraCluster, { validator }).build();
    expect(await refusal(fake.create(k8c("nostorage", twoDCs(false))))).toContain(
      'admission webhook "vk8ssandracluster-v1alpha1.k8ssandra.io" denied the request: K8ssandraCluster.k8ssandra.io "nostorage" is invalid',
    );
    const stored = await fake.create(k8c("ok", twoDCs()));
    expect(await refusal(fake.update({ ...stored, spec: { ...stored.spec, cassandra: { ...stored.spec.cassandra, clusterName: "x" } } }))).toContain(
      "spec.cassandra.clusterName: Forbidden: cluster name can not be changed",
    );
  });

  it("ships config/webhook/manifests.yaml as the code registers the webhook, and a Service of the name it calls", () => {
    expect(readFileSync(join(configDir, "webhook", "manifests.yaml"), "utf8")).toBe(webhookManifestsYaml());
    const config = validatingWebhookConfiguration();
    expect(config.metadata?.name).toBe(WEBHOOK_VALIDATING_CONFIGURATION);
    expect(config.webhooks?.[0]?.clientConfig.service).toEqual({ ...WEBHOOK_SERVICE, path: "/validate-k8ssandra-io-v1alpha1-k8ssandracluster", port: 443 });
    const [service] = loadAllYaml(readFileSync(join(configDir, "webhook", "service.yaml"), "utf8")) as KubeObject[];
    expect(service?.metadata).toMatchObject({ name: WEBHOOK_SERVICE.name, namespace: WEBHOOK_SERVICE.namespace });
    const [role] = loadAllYaml(readFileSync(join(configDir, "rbac", "webhook", "role.yaml"), "utf8")) as { rules: { resourceNames?: string[] }[] }[];
    expect(role!.rules.flatMap((r) => r.resourceNames ?? [])).toContain(WEBHOOK_CERT_SECRET);
    // A kustomize component: the control plane's deployment includes it, and it patches that deployment's manager.
    const yamlOf = (...path: string[]) => loadAllYaml(readFileSync(join(configDir, ...path), "utf8"))[0] as Record<string, unknown>;
    expect(yamlOf("deployments", "control-plane", "kustomization.yaml").components).toEqual(["../../webhook"]);
    expect(yamlOf("deployments", "data-plane", "kustomization.yaml").components).toBeUndefined();
    expect(yamlOf("webhook", "kustomization.yaml")).toMatchObject({ kind: "Component", resources: ["manifests.yaml", "service.yaml", "../rbac/webhook"] });
    expect(yamlOf("rbac", "webhook", "kustomization.yaml").resources).toEqual(["role.yaml", "role_binding.yaml"]);
  });
});

describe("K8ssandraCluster validation on a real API server", () => {
  let cluster: TestCluster;
  let admin: RestClient;

  beforeAll(async () => {
    // Prepared for webhooks, none installed until the operator's turn below: the CEL rules come first, on their own.
    cluster = await startCluster({ name: "k8ssandra-webhook", crds: [join(configDir, "crd")], webhooks: true });
    admin = await RestClient.fromKubeConfig(cluster.kubeconfig);
    await admin.create<Namespace>({ apiVersion: "v1", kind: "Namespace", metadata: { name: NS } });
  });

  afterAll(async () => {
    await admin?.close();
    await cluster?.stop();
  });

  it("CEL in the CRD, no webhook: unique datacenter names; clusterName and a datacenter's datacenterName fixed", async () => {
    const dup = twoDCs();
    dup.cassandra!.datacenters![1]!.metadata.name = "dc1";
    expect(await refusal(admin.create(k8c("dup", dup)))).toContain('"dup" is invalid: spec.cassandra.datacenters: Invalid value: datacenter names (metadata.name) must be unique');

    const stored = await admin.create(k8c("cel", twoDCs()));
    const named = structuredClone(stored);
    named.spec.cassandra!.clusterName = "other";
    const refused = await refusal(admin.update(named));
    expect(refused).toContain("spec.cassandra.clusterName: Forbidden: clusterName cannot be changed");
    expect(refused).not.toContain("admission webhook");
    const renamed = structuredClone(stored);
    renamed.spec.cassandra!.datacenters![0]!.datacenterName = "DC One";
    expect(await refusal(admin.update(renamed))).toContain("spec.cassandra.datacenters: Forbidden: a datacenter cannot be renamed: its datacenterName is fixed once it exists");
    // What the rules allow still goes through: a new size, a datacenter added, the name spelled out as it is.
    const grown = structuredClone(stored);
    grown.spec.cassandra!.datacenters![0]!.size = 5;
    grown.spec.cassandra!.datacenters![0]!.datacenterName = "dc1";
    grown.spec.cassandra!.datacenters!.push({ metadata: { name: "dc3" }, k8sContext: "east", size: 1 });
    expect(await refusal(admin.update(grown))).toBe("accepted");
  });

  describe("with the operator's webhook, certificates made by the operator, as its ServiceAccount", () => {
    const stop = new AbortController();
    let running: Promise<void> | undefined;

    beforeAll(async () => {
      // The RBAC the control plane and the webhook ship with, and no more: the operator runs as its ServiceAccount.
      await admin.create<ServiceAccount>({ apiVersion: "v1", kind: "ServiceAccount", metadata: { name: "k8ssandra-operator", namespace: NS } });
      await applyManifests(cluster.kubeconfig, [join(configDir, "rbac", "control-plane"), join(configDir, "rbac", "webhook")]);
      // The shipped configuration, pointed at this process; its caBundle is the operator's to write.
      expect(await cluster.installWebhooks({ paths: [join(configDir, "webhook")] })).toEqual([`ValidatingWebhookConfiguration/${WEBHOOK_VALIDATING_CONFIGURATION}`]);
      const { host, port } = cluster.webhooks;
      const operator = await createOperator({
        kubeconfig: await serviceAccountKubeConfig(cluster.kubeconfig, NS, "k8ssandra-operator"),
        controlPlane: true,
        metricsBindAddress: "0",
        healthProbeBindAddress: "0",
        webhook: { host, port, hosts: [host], namespace: NS },
      });
      running = operator.start(stop.signal);
      // RBAC and the caBundle reach the API server through watches: wait until the webhook answers it.
      await eventually(async () => (await refusal(admin.create(k8c("probe", twoDCs(false)), { dryRun: true }))).includes("denied the request"), "the webhook called", 60_000);
    });

    afterAll(async () => {
      stop.abort();
      await running;
    });

    it("writes its certificate into the Secret and its CA into the configuration", async () => {
      const secret = await admin.get(Secret, { namespace: NS, name: WEBHOOK_CERT_SECRET });
      expect(Object.keys(secret.data ?? {}).sort()).toEqual(["ca.crt", "ca.key", "tls.crt", "tls.key"]);
      const config = await admin.get(ValidatingWebhookConfiguration, { name: WEBHOOK_VALIDATING_CONFIGURATION });
      expect(config.webhooks?.[0]?.clientConfig.caBundle).toBe(secret.data!["ca.crt"]);
    });

    it("refuses a K8ssandraCluster without storageConfig, in the validator's words", async () => {
      expect(await refusal(admin.create(k8c("nostorage", twoDCs(false))))).toContain(
        'admission webhook "vk8ssandracluster-v1alpha1.k8ssandra.io" denied the request: K8ssandraCluster.k8ssandra.io "nostorage" is invalid: ' +
          "[spec.cassandra.datacenters[0].storageConfig: Required value: storageConfig must be defined at cluster level or dc level, " +
          "spec.cassandra.datacenters[1].storageConfig: Required value: storageConfig must be defined at cluster level or dc level]",
      );
      const perDC = twoDCs(false);
      for (const dc of perDC.cassandra!.datacenters!) dc.storageConfig = STORAGE;
      // Unknown k8sContexts (no ClientConfig here) are only warned about: the datacenters wait for their cluster.
      expect(await refusal(admin.create(k8c("perdc", perDC)))).toBe("accepted");
    });

    it("refuses adding and removing datacenters in one update, which CEL lets through", async () => {
      expect(await updated(admin, "perdc", (k) => (k.spec.cassandra!.datacenters![1]!.metadata.name = "dc3"))).toContain(
        'K8ssandraCluster.k8ssandra.io "perdc" is invalid: spec.cassandra.datacenters: Forbidden: datacenters cannot be added and removed in one change (adding dc3, removing dc2)',
      );
      expect(await updated(admin, "perdc", (k) => k.spec.cassandra!.datacenters!.pop())).toBe("accepted");
    });
  });
});
