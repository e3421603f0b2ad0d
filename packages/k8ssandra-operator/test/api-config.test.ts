import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { type KubeConfig, loadAllYaml } from "@kubernetes/client-node";
import {
  conditions,
  ConfigMap,
  controllerManagedBy,
  controllerutil,
  Deployment,
  Event,
  isAlreadyExists,
  type KubeObject,
  Lease,
  Manager,
  Pod,
  type ResourceType,
  RestClient,
  Secret,
  type SelfSubjectAccessReview,
  Service,
} from "@operator-ts/runtime";
import { serviceAccountKubeConfig, startCluster, type TestCluster } from "@operator-ts/runtime/envtest";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CassandraDatacenter, ClientConfig, K8ssandraCluster, Stargate } from "../src/api/index.ts";
import { cassOperatorCRDs } from "../../../test/support/paths.ts";
import { eventually } from "../../../test/support/eventually.ts";

const configDir = fileURLToPath(new URL("../config", import.meta.url));
const NS = "k8ssandra-operator";
const SA = "k8ssandra-operator";
const APP_NS = "db";
const LEADER_ELECTION_ID = "dcabfd9d.k8ssandra.io";

async function objectsIn(...paths: string[]): Promise<KubeObject[]> {
  const objects: KubeObject[] = [];
  for (const path of paths) objects.push(...(loadAllYaml(await readFile(join(configDir, path), "utf8")) as KubeObject[]));
  return objects;
}

async function kustomizationResources(dir: string): Promise<string[]> {
  const [k] = (await objectsIn(join(dir, "kustomization.yaml"))) as unknown as { resources: string[] }[];
  return k!.resources;
}

/** verb group resource[/subresource] [namespace]: one permission, as `kubectl auth can-i` takes it. */
type Permission = string;

const DATA_PLANE: Permission[] = [
  "create cassandra.datastax.com cassandradatacenters db",
  "update cassandra.datastax.com cassandradatacenters db",
  "delete cassandra.datastax.com cassandradatacenters db",
  "watch cassandra.datastax.com cassandradatacenters",
  "create control.k8ssandra.io cassandratasks db",
  "get control.k8ssandra.io cassandratasks db",
  "delete control.k8ssandra.io cassandratasks db",
  "create stargate.k8ssandra.io stargates db",
  "delete stargate.k8ssandra.io stargates db",
  "update stargate.k8ssandra.io stargates/status db",
  "update stargate.k8ssandra.io stargates/finalizers db",
  "create core secrets db",
  "watch core secrets",
  "create apps deployments db",
  "delete apps deployments db",
  "create core services db",
  "create core configmaps db",
  "list core pods db",
  "watch core pods",
  "create core events db",
  "patch core events db",
  "get coordination.k8s.io leases k8ssandra-operator",
  "create coordination.k8s.io leases k8ssandra-operator",
  "update coordination.k8s.io leases k8ssandra-operator",
];

const CONTROL_PLANE_ONLY: Permission[] = [
  "watch k8ssandra.io k8ssandraclusters",
  "update k8ssandra.io k8ssandraclusters db",
  "patch k8ssandra.io k8ssandraclusters/status db",
  "update k8ssandra.io k8ssandraclusters/finalizers db",
  "watch config.k8ssandra.io clientconfigs",
  "get config.k8ssandra.io clientconfigs db",
];

/** What neither mode needs: users' objects, cass-operator's status, pods beyond reading, the rest of the cluster. */
const NEVER: Permission[] = [
  "create k8ssandra.io k8ssandraclusters db",
  "delete k8ssandra.io k8ssandraclusters db",
  "create config.k8ssandra.io clientconfigs db",
  "update config.k8ssandra.io clientconfigs db",
  "update cassandra.datastax.com cassandradatacenters/status db",
  "create core pods db",
  "delete core pods db",
  "create core pods/exec db",
  "create coordination.k8s.io leases db",
  "delete coordination.k8s.io leases k8ssandra-operator",
  "list core nodes",
  "delete core namespaces",
  "create rbac.authorization.k8s.io clusterrolebindings",
  "update control.k8ssandra.io cassandratasks/status db",
];

async function allowed(client: RestClient, permission: Permission): Promise<boolean> {
  const [verb, group, resourcePath, namespace] = permission.split(" ") as [string, string, string, string | undefined];
  const [resource, subresource] = resourcePath.split("/");
  const review = await client.create<SelfSubjectAccessReview>({
    apiVersion: "authorization.k8s.io/v1",
    kind: "SelfSubjectAccessReview",
    spec: { resourceAttributes: { verb, group: group === "core" ? "" : group, resource, subresource, namespace } },
  });
  return review.status?.allowed === true;
}

async function expectPermissions(client: RestClient, granted: Permission[], denied: Permission[]): Promise<void> {
  const actual = async (list: Permission[]) => Object.fromEntries(await Promise.all(list.map(async (p) => [p, await allowed(client, p)] as const)));
  // RBAC reaches the authorizer through a watch: wait until the grants show, then judge every one.
  await eventually(() => allowed(client, granted[0]!), `${granted[0]} granted`, 60_000);
  expect(await actual(granted)).toEqual(Object.fromEntries(granted.map((p) => [p, true])));
  expect(await actual(denied)).toEqual(Object.fromEntries(denied.map((p) => [p, false])));
}

describe("config/: the operator's install manifests on a real API server", () => {
  let cluster: TestCluster;
  let admin: RestClient;

  async function apply(objects: KubeObject[]): Promise<void> {
    for (const obj of objects) {
      try {
        await admin.create(obj);
      } catch (err) {
        if (!isAlreadyExists(err)) throw err;
      }
    }
  }

  async function saKubeConfig(): Promise<KubeConfig> {
    // The ServiceAccount of the manifests exists already; this only issues it a token, as the kubelet would.
    return serviceAccountKubeConfig(cluster.kubeconfig, NS, SA);
  }

  beforeAll(async () => {
    cluster = await startCluster({ name: "k8ssandra-config", crds: [join(configDir, "crd"), cassOperatorCRDs()] });
    admin = await RestClient.fromKubeConfig(cluster.kubeconfig);
    await apply([{ apiVersion: "v1", kind: "Namespace", metadata: { name: APP_NS } } as KubeObject]);
  });

  afterAll(async () => {
    await admin?.close();
    await cluster?.stop();
  });

  it("lists every manifest in its folder's kustomization, and the two deployments differ in mode and role only", async () => {
    for (const dir of ["crd", "manager", "rbac/common", "rbac/control-plane", "rbac/data-plane"]) {
      const files = (await readdir(join(configDir, dir))).filter((f) => f.endsWith(".yaml") && f !== "kustomization.yaml");
      expect((await kustomizationResources(dir)).sort(), dir).toEqual(files.sort());
    }
    for (const mode of ["control-plane", "data-plane"]) {
      expect(await kustomizationResources(`deployments/${mode}`)).toEqual(["../../crd", "../../manager", "../../rbac/common", `../../rbac/${mode}`]);
    }
    // The data-plane overlay patches the first env var by index: it must stay K8SSANDRA_CONTROL_PLANE.
    const [overlay] = (await objectsIn("deployments/data-plane/kustomization.yaml")) as unknown as { patches: { patch: string }[] }[];
    expect(overlay!.patches[0]!.patch).toContain("path: /spec/template/spec/containers/0/env/0/value");
    const deployment = (await objectsIn("manager/manager.yaml")).find((o) => o.kind === "Deployment") as Deployment;
    expect(deployment.spec?.template?.spec?.containers?.[0]?.env?.[0]).toEqual({ name: "K8SSANDRA_CONTROL_PLANE", value: "true" });
  });

  it("applies the manager: a Deployment running `run` with metrics, probes and leader election, as the RBAC's ServiceAccount", async () => {
    await apply(await objectsIn("manager/manager.yaml", "rbac/common/service_account.yaml", "rbac/common/leader_election_role.yaml"));
    const deployment = await admin.get(Deployment, { namespace: NS, name: "k8ssandra-operator" });
    const pod = deployment.spec!.template!.spec!;
    const container = pod.containers[0]!;
    expect(pod.serviceAccountName).toBe(SA);
    expect(container.args).toEqual(["run", "--leader-elect", "--metrics-bind-address=:8080", "--health-probe-bind-address=:8081"]);
    expect(container.ports?.map((p) => [p.name, p.containerPort])).toEqual([
      ["metrics", 8080],
      ["health", 8081],
    ]);
    expect(container.livenessProbe?.httpGet).toMatchObject({ path: "/healthz", port: "health" });
    expect(container.readinessProbe?.httpGet).toMatchObject({ path: "/readyz", port: "health" });
    expect(pod.securityContext?.runAsNonRoot).toBe(true);
    const service = await admin.get(Service, { namespace: NS, name: "k8ssandra-operator-metrics" });
    expect(service.spec?.selector).toEqual(deployment.spec?.selector?.matchLabels);
  });

  it("control plane: the ServiceAccount may do what the control plane does, and no more", async () => {
    await apply(await objectsIn("rbac/control-plane/role.yaml", "rbac/control-plane/role_binding.yaml"));
    const sa = await RestClient.fromKubeConfig(await saKubeConfig());
    try {
      await expectPermissions(sa, [...CONTROL_PLANE_ONLY, ...DATA_PLANE], NEVER);
    } finally {
      await sa.close();
    }
  });

  it("control plane: the runtime, as that ServiceAccount, wins the lease, watches every kind it needs, and writes finalizers, status and Events", async () => {
    const mgr = await Manager.create({
      kubeconfig: await saKubeConfig(),
      leaderElection: true,
      leaderElectionID: LEADER_ELECTION_ID,
      leaderElectionNamespace: NS,
    });
    const recorder = mgr.getEventRecorderFor("k8ssandracluster-controller");
    await controllerManagedBy(mgr)
      .for(K8ssandraCluster)
      .owns(Secret)
      .complete(async (req) => {
        let k8c = await mgr.client.get(K8ssandraCluster, req);
        if (controllerutil.addFinalizer(k8c, "k8ssandracluster.k8ssandra.io/finalizer")) k8c = await mgr.client.update(k8c);
        const list = k8c.status?.conditions ?? [];
        conditions.setStatusCondition(list, { type: "CassandraInitialized", status: "False", reason: "Reconciling", message: "rbac smoke test" });
        await mgr.client.status().update({ ...k8c, status: { ...k8c.status, conditions: list, error: "None" } });
        recorder.event(k8c, "Normal", "Reconciled", "reconciled with the control plane's RBAC");
      });
    const stop = new AbortController();
    const running = mgr.start(stop.signal);
    try {
      await mgr.elected();
      const lease = await admin.get(Lease, { namespace: NS, name: LEADER_ELECTION_ID });
      expect(lease.spec?.holderIdentity).toBe(mgr.identity);
      const kinds: ResourceType[] = [K8ssandraCluster, ClientConfig, CassandraDatacenter, Stargate, Secret, Deployment, Service, ConfigMap, Pod];
      for (const kind of kinds) {
        const informer = await mgr.cache.getInformer(kind);
        expect(await informer.waitForSync(AbortSignal.timeout(30_000)), kind.kind).toBe(true);
      }

      await admin.create<K8ssandraCluster>({
        apiVersion: K8ssandraCluster.apiVersion,
        kind: K8ssandraCluster.kind,
        metadata: { name: "demo", namespace: APP_NS },
        spec: { cassandra: { serverVersion: "4.1.5", datacenters: [{ metadata: { name: "dc1" }, size: 1 }] } },
      });
      const done = await eventually(async () => {
        const k8c = await admin.get(K8ssandraCluster, { namespace: APP_NS, name: "demo" });
        return k8c.status?.conditions?.length ? k8c : undefined;
      }, "status written by the ServiceAccount", 60_000);
      expect(done.metadata.finalizers).toEqual(["k8ssandracluster.k8ssandra.io/finalizer"]);
      await eventually(async () => {
        const events = await admin.list(Event, { namespace: APP_NS });
        return events.items.some((e) => e.reason === "Reconciled" && e.involvedObject?.name === "demo");
      }, "Event recorded by the ServiceAccount", 60_000);
    } finally {
      stop.abort();
      await running;
    }
  });

  it("data plane: the ServiceAccount may do what a data plane (and a control plane through its ClientConfig) does, and no more", async () => {
    const controlPlane = (await objectsIn("rbac/control-plane/role_binding.yaml"))[0]!;
    await admin.delete(controlPlane);
    await apply(await objectsIn("rbac/data-plane/role.yaml", "rbac/data-plane/role_binding.yaml"));
    const sa = await RestClient.fromKubeConfig(await saKubeConfig());
    try {
      // Wait for the control plane's grants to go before judging.
      await eventually(async () => !(await allowed(sa, CONTROL_PLANE_ONLY[0]!)), "control-plane binding gone", 60_000);
      await expectPermissions(sa, DATA_PLANE, [...CONTROL_PLANE_ONLY, ...NEVER]);

      // What the control plane does here through the ClientConfig, and the data plane's Stargate controller.
      const dc = await sa.create<CassandraDatacenter>({
        apiVersion: CassandraDatacenter.apiVersion,
        kind: CassandraDatacenter.kind,
        metadata: { name: "dc1", namespace: APP_NS },
        spec: { clusterName: "demo", serverType: "cassandra", serverVersion: "4.1.5", size: 1, storageConfig: {} },
      });
      const sg = await sa.create<Stargate>({
        apiVersion: Stargate.apiVersion,
        kind: Stargate.kind,
        metadata: { name: "demo-dc1-stargate", namespace: APP_NS },
        spec: { datacenterRef: { name: dc.metadata.name! } },
      });
      const written = await sa.status().update({ ...sg, status: { progress: "Pending", replicas: 0, readyReplicas: 0, updatedReplicas: 0, availableReplicas: 0 } });
      expect(written.status?.progress).toBe("Pending");
      await sa.delete(dc);
    } finally {
      await sa.close();
    }
  });
});
