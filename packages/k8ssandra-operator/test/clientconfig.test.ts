import { fileURLToPath } from "node:url";
import { KubeConfig } from "@kubernetes/client-node";
import { ClusterRole, isForbidden, Namespace, RestClient, Secret, ServiceAccount } from "@operator-ts/runtime";
import { startClusters, stopClusters, type TestCluster } from "@operator-ts/runtime/envtest";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CassandraDatacenter, ClientConfig, KUBECONFIG_SECRET_KEY, Stargate } from "../src/api/index.ts";
import { createClientConfig } from "../src/cli/clientconfig.ts";
import { cassOperatorCRDs } from "../../../test/support/paths.ts";
import { cli } from "./support/cli.ts";

const crdDir = fileURLToPath(new URL("../config/crd", import.meta.url));

function tokenOf(kubeconfigYaml: string): string {
  const kc = new KubeConfig();
  kc.loadFromString(kubeconfigYaml);
  const token = kc.getCurrentUser()?.token;
  if (!token) throw new Error("the kubeconfig holds no token");
  return token;
}

describe("create-clientconfig between two real clusters", () => {
  let control: TestCluster;
  let east: TestCluster;
  let admin: { control: RestClient; east: RestClient };
  const ns = "k8ssandra-operator";

  beforeAll(async () => {
    const clusters = await startClusters(2, { names: ["control", "east"], crds: [crdDir, cassOperatorCRDs()] });
    control = clusters[0]!;
    east = clusters[1]!;
    admin = { control: await RestClient.fromKubeConfig(control.kubeconfig), east: await RestClient.fromKubeConfig(east.kubeconfig) };
  });

  afterAll(async () => {
    await admin?.control.close();
    await admin?.east.close();
    await stopClusters([control, east].filter(Boolean));
  });

  const storedKubeconfig = async (name = "east-config") => {
    const secret = await admin.control.get(Secret, { namespace: ns, name });
    return Buffer.from(secret.data![KUBECONFIG_SECRET_KEY]!, "base64").toString("utf8");
  };

  it("writes a ClientConfig and its kubeconfig Secret in the control plane", async () => {
    const lines: string[] = [];
    const result = await createClientConfig({ src: east.kubeconfig, dest: control.kubeconfig, report: (l) => lines.push(l) });
    expect(result).toMatchObject({ contextName: "east", namespace: ns, clientConfigName: "east", secretName: "east-config", serviceAccount: "k8ssandra-operator" });
    // An hour by default: the operator renews it before it expires.
    expect(Date.parse(result.tokenExpiresAt!)).toBeGreaterThan(Date.now() + 50 * 60 * 1000);
    expect(Date.parse(result.tokenExpiresAt!)).toBeLessThanOrEqual(Date.now() + 3600 * 1000);

    const cc = await admin.control.get(ClientConfig, { namespace: ns, name: "east" });
    expect(cc.spec).toEqual({ contextName: "east", kubeConfigSecret: { name: "east-config" } });
    const kc = new KubeConfig();
    kc.loadFromString(await storedKubeconfig());
    expect(kc.getContexts().map((c) => c.name)).toEqual(["east"]);
    expect(kc.getCurrentContext()).toBe("east");
    expect(kc.getCurrentCluster()?.server).toBe(east.server);
    expect(kc.getCurrentCluster()?.caData).toBeTruthy();
    expect(kc.getCurrentUser()?.token).not.toBe(tokenOf(east.kubeconfigYaml));

    // The data plane got the identity, its RBAC, and nothing was said about the token itself.
    await admin.east.get(Namespace, { name: ns });
    expect(lines.some((l) => l.includes("ClusterRole k8ssandra-operator-k8ssandra-operator-clientconfig created"))).toBe(true);
    expect(lines.some((l) => l.includes("token minted for system:serviceaccount:k8ssandra-operator:k8ssandra-operator"))).toBe(true);
    expect(lines.join("\n")).not.toContain(tokenOf(await storedKubeconfig()));
  });

  it("gives a kubeconfig that works for what the control plane does there, and for nothing else", async () => {
    await admin.east.create<CassandraDatacenter>({
      apiVersion: CassandraDatacenter.apiVersion,
      kind: CassandraDatacenter.kind,
      metadata: { name: "dc1", namespace: ns },
      spec: { clusterName: "demo", serverType: "cassandra", serverVersion: "4.1.5", size: 1, storageConfig: {} },
    });
    const kc = new KubeConfig();
    kc.loadFromString(await storedKubeconfig());
    const limited = await RestClient.fromKubeConfig(kc);
    try {
      expect((await limited.list(CassandraDatacenter, { namespace: ns })).items.map((d) => d.metadata.name)).toEqual(["dc1"]);
      // The control plane's caches watch every namespace.
      expect((await limited.list(CassandraDatacenter)).items).toHaveLength(1);
      expect((await limited.list(Stargate)).items).toEqual([]);
      await limited.get(Namespace, { name: ns });
      const replica = await limited.create<Secret>({ apiVersion: "v1", kind: "Secret", metadata: { name: "demo-superuser", namespace: ns }, stringData: { username: "u" } });
      await limited.delete(replica);

      const denied = async (what: Promise<unknown>) => {
        const err = await what.then(() => undefined, (e: unknown) => e);
        return isForbidden(err);
      };
      expect(await denied(limited.list(Secret, { namespace: "kube-system" }))).toBe(true);
      expect(await denied(limited.list(Secret))).toBe(true);
      expect(await denied(limited.create<ClusterRole>({
        apiVersion: ClusterRole.apiVersion,
        kind: ClusterRole.kind,
        metadata: { name: "escalate" },
        rules: [{ apiGroups: ["*"], resources: ["*"], verbs: ["*"] }],
      }))).toBe(true);
      expect(await denied(limited.create<Namespace>({ apiVersion: "v1", kind: "Namespace", metadata: { name: "elsewhere" } }))).toBe(true);
      expect(await denied(limited.list(ClientConfig, { namespace: ns }))).toBe(true);

      // It may ask for a successor of its own token, and for no other account's.
      const tokenRequest = (sa: string) =>
        limited.transport.request<{ status: { token: string } }>("POST", `/api/v1/namespaces/${ns}/serviceaccounts/${sa}/token`, {
          body: { apiVersion: "authentication.k8s.io/v1", kind: "TokenRequest", spec: { expirationSeconds: 600 } },
        });
      expect((await tokenRequest("k8ssandra-operator")).status.token).toBeTruthy();
      await admin.east.create<ServiceAccount>({ apiVersion: "v1", kind: "ServiceAccount", metadata: { name: "someone-else", namespace: ns } });
      expect(await denied(tokenRequest("someone-else"))).toBe(true);
    } finally {
      await limited.close();
    }
  });

  it("rotates the token when run again from the CLI, changes nothing else, and prints no credential", async () => {
    const before = {
      kubeconfig: await storedKubeconfig(),
      cc: (await admin.control.get(ClientConfig, { namespace: ns, name: "east" })).metadata.resourceVersion,
    };
    const out = await cli([
      "create-clientconfig",
      "--src-kubeconfig", east.kubeconfigPath,
      "--dest-kubeconfig", control.kubeconfigPath,
      "--token-duration", "3600",
    ]);
    expect(out.stderr).toBe("");
    expect(out.code).toBe(0);
    const after = await storedKubeconfig();
    const token = tokenOf(after);
    expect(token).not.toBe(tokenOf(before.kubeconfig));
    expect(out.stdout).toContain("Secret k8ssandra-operator/east-config updated");
    expect(out.stdout).toContain("ClientConfig k8ssandra-operator/east (context east) unchanged");
    expect(out.stdout).toContain("ClusterRole k8ssandra-operator-k8ssandra-operator-clientconfig unchanged");
    expect(out.stdout).toContain("ClusterRoleBinding k8ssandra-operator-k8ssandra-operator-clientconfig unchanged");
    expect(out.stdout).toContain("RoleBinding k8ssandra-operator/k8ssandra-operator-clientconfig unchanged");
    expect(out.stdout).toContain("RoleBinding k8ssandra-operator/k8ssandra-operator-token-renewal unchanged");
    expect(out.stdout).toMatch(/done: K8ssandraClusters may now use k8sContext "east"/);
    for (const secret of [token, tokenOf(before.kubeconfig), tokenOf(east.kubeconfigYaml), tokenOf(control.kubeconfigYaml)]) {
      expect(out.stdout).not.toContain(secret);
    }
    expect(out.stdout).not.toContain("certificate-authority-data");
    expect(out.stdout).not.toMatch(/token:|current-context/);
    expect((await admin.control.get(ClientConfig, { namespace: ns, name: "east" })).metadata.resourceVersion).toBe(before.cc);

    // The new token works; its lifetime is what was asked for.
    const kc = new KubeConfig();
    kc.loadFromString(after);
    const limited = await RestClient.fromKubeConfig(kc);
    try {
      expect((await limited.list(CassandraDatacenter, { namespace: ns })).items).toHaveLength(1);
    } finally {
      await limited.close();
    }
    const exp = JSON.parse(Buffer.from(token.split(".")[1]!, "base64url").toString("utf8")) as { exp: number; iat: number };
    expect(exp.exp - exp.iat).toBe(3600);
  });

  it("names the ClientConfig after --context-name and grants Secrets in each --datacenter-namespace", async () => {
    const out = await cli([
      "create-clientconfig",
      "--src-kubeconfig", east.kubeconfigPath,
      "--dest-kubeconfig", control.kubeconfigPath,
      "--context-name", "East_Cluster",
      "--datacenter-namespace", "cassandra-a",
      "--datacenter-namespace", "cassandra-b",
    ]);
    expect(out.code).toBe(0);
    const cc = await admin.control.get(ClientConfig, { namespace: ns, name: "east-cluster" });
    expect(cc.spec).toEqual({ contextName: "East_Cluster", kubeConfigSecret: { name: "east-cluster-config" } });
    const kc = new KubeConfig();
    kc.loadFromString(await storedKubeconfig("east-cluster-config"));
    expect(kc.getCurrentContext()).toBe("East_Cluster");
    const limited = await RestClient.fromKubeConfig(kc);
    try {
      for (const namespace of ["cassandra-a", "cassandra-b"]) expect((await limited.list(Secret, { namespace })).items).toEqual([]);
      const err = await limited.list(Secret, { namespace: "default" }).then(() => undefined, (e: unknown) => e);
      expect(isForbidden(err)).toBe(true);
    } finally {
      await limited.close();
    }
  });

  it("fails with a one-line message when a kubeconfig context does not exist", async () => {
    const out = await cli(["create-clientconfig", "--src-kubeconfig", east.kubeconfigPath, "--src-context", "west", "--dest-kubeconfig", control.kubeconfigPath]);
    expect(out.code).toBe(1);
    expect(out.stderr.trim().split("\n")).toEqual([`k8ssandra-operator create-clientconfig: context "west" is not in ${east.kubeconfigPath} (it has: east)`]);
  });
});
