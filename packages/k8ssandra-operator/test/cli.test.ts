import { type ChildProcess, spawn } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { type KubeConfig, loadAllYaml } from "@kubernetes/client-node";
import { ClusterRole, ClusterRoleBinding, RestClient } from "@operator-ts/runtime";
import { claimPort, startClusters, stopClusters, type TestCluster } from "@operator-ts/runtime/envtest";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ClientConfig } from "../src/api/index.ts";
import { createClientConfig } from "../src/cli/clientconfig.ts";
import { cassOperatorCRDs } from "../../../test/support/paths.ts";
import { eventually } from "../../../test/support/eventually.ts";
import { CLI, cli, pkgDir } from "./support/cli.ts";

const crdDir = fileURLToPath(new URL("../config/crd", import.meta.url));
const controlPlaneRole = fileURLToPath(new URL("../config/rbac/control-plane/role.yaml", import.meta.url));

/** The table's line for one cluster and check, split into its columns. */
function row(stdout: string, cluster: string, check: string): string[] | undefined {
  return stdout
    .split("\n")
    .map((l) => l.split(/\s{2,}/))
    .find((cols) => cols[0] === cluster && cols[2] === check);
}

/** A loopback port no other test worker holds (envtest's claim), for the operator's probes and metrics. */
const freePort = async (): Promise<number> => (await claimPort()).port;

describe("k8ssandra-operator preflight and run against real clusters", () => {
  let control: TestCluster;
  let west: TestCluster;
  let admin: RestClient;
  let dir: string;
  const controlRow = "control-plane (control)";

  beforeAll(async () => {
    // west starts without cass-operator's CRD: the failing case comes first.
    const clusters = await startClusters(2, { names: ["control", "west"], crds: [crdDir] });
    control = clusters[0]!;
    west = clusters[1]!;
    admin = await RestClient.fromKubeConfig(control.kubeconfig);
    dir = await mkdtemp(join(tmpdir(), "k8ssandra-cli-test-"));
    await createClientConfig({ src: west.kubeconfig, dest: control.kubeconfig });
  });

  afterAll(async () => {
    await admin?.close();
    await stopClusters([control, west].filter(Boolean));
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const writeKubeconfig = async (name: string, ...configs: KubeConfig[]) => {
    const merged = { apiVersion: "v1", kind: "Config", clusters: [] as unknown[], users: [] as unknown[], contexts: [] as unknown[], "current-context": "" };
    for (const kc of configs) {
      const c = JSON.parse(kc.exportConfig()) as typeof merged;
      merged.clusters.push(...c.clusters);
      merged.users.push(...c.users);
      merged.contexts.push(...c.contexts);
      merged["current-context"] ||= c["current-context"];
    }
    const file = join(dir, name);
    await writeFile(file, JSON.stringify(merged), { mode: 0o600 });
    return file;
  };

  it("fails (exit 1) while a data plane lacks cass-operator's CRD, and passes once it is installed", async () => {
    const failing = await cli(["preflight", "--kubeconfig", control.kubeconfigPath]);
    expect(failing.code).toBe(1);
    expect(row(failing.stdout, "west", "CRD cassandradatacenters.cassandra.datastax.com")).toEqual(["west", "FAIL", "CRD cassandradatacenters.cassandra.datastax.com", "not installed"]);
    expect(row(failing.stdout, "west", "CRD stargates.stargate.k8ssandra.io")?.[1]).toBe("ok");
    expect(row(failing.stdout, "west", "can get,list,watch,create,update,patch,delete secrets in k8ssandra-operator")?.[1]).toBe("ok");
    expect(row(failing.stdout, controlRow, "CRD k8ssandraclusters.k8ssandra.io")?.[1]).toBe("ok");
    expect(failing.stdout).toContain("preflight failed for: west");

    await west.installCRDs([cassOperatorCRDs()]);
    const passing = await cli(["preflight", "--kubeconfig", control.kubeconfigPath]);
    expect(passing.stderr).toBe("");
    expect(passing.code).toBe(0);
    expect(row(passing.stdout, "west", "CRD cassandradatacenters.cassandra.datastax.com")?.[1]).toBe("ok");
    expect(row(passing.stdout, "west", "can get,list,watch,create,update,patch,delete cassandradatacenters.cassandra.datastax.com cluster-wide")?.[1]).toBe("ok");
    expect(row(passing.stdout, controlRow, "can get,list,watch,update,patch k8ssandraclusters.k8ssandra.io cluster-wide")?.[1]).toBe("ok");
    expect(passing.stdout).toContain("preflight passed for 2 cluster(s)");
    // The data plane's credential and when it expires: create-clientconfig's hour, renewed by the running operator.
    expect(row(passing.stdout, "west", "credential")?.slice(1, 3)).toEqual(["ok", "credential"]);
    expect(row(passing.stdout, "west", "credential")?.[3]).toMatch(/^token, expires at \S+ \(in \d+ min\), renewed by the operator$/);
  });

  it("checks the control-plane permissions of the identity it runs as: none, then the operator's ClusterRole", async () => {
    const nobody = await writeKubeconfig("nobody.yaml", await control.serviceAccountKubeConfig("default", "nobody"));
    const denied = await cli(["preflight", "--kubeconfig", nobody]);
    expect(denied.code).toBe(1);
    const line = row(denied.stdout, controlRow, "can get,list,watch,update,patch k8ssandraclusters.k8ssandra.io cluster-wide");
    expect(line?.[1]).toBe("FAIL");
    expect(line?.[3]).toMatch(/^denied: get, list, watch, update, patch/);
    expect(row(denied.stdout, "data planes", "list ClientConfigs")?.[1]).toBe("FAIL");

    // The operator's own ClusterRole, from its install manifests, is what preflight asks for.
    const role = (loadAllYaml(await readFile(controlPlaneRole, "utf8")) as ClusterRole[])[0]!;
    await admin.create<ClusterRole>({ ...role, apiVersion: ClusterRole.apiVersion, kind: ClusterRole.kind });
    await admin.create<ClusterRoleBinding>({
      apiVersion: ClusterRoleBinding.apiVersion,
      kind: ClusterRoleBinding.kind,
      metadata: { name: "operator-under-test" },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: role.metadata!.name! },
      subjects: [{ kind: "ServiceAccount", name: "operator", namespace: "default" }],
    });
    const operator = await writeKubeconfig("operator.yaml", await control.serviceAccountKubeConfig("default", "operator"));
    const granted = await cli(["preflight", "--kubeconfig", operator]);
    expect(granted.stdout.split("\n").filter((l) => l.includes("FAIL"))).toEqual([]);
    expect(granted.code).toBe(0);
  });

  it("names a broken ClientConfig's cluster and exits 1", async () => {
    const ghost = await admin.create<ClientConfig>({
      apiVersion: ClientConfig.apiVersion,
      kind: ClientConfig.kind,
      metadata: { name: "ghost", namespace: "k8ssandra-operator" },
      spec: { contextName: "ghost", kubeConfigSecret: { name: "ghost-config" } },
    });
    try {
      const out = await cli(["preflight", "--kubeconfig", control.kubeconfigPath]);
      expect(out.code).toBe(1);
      const line = row(out.stdout, "ghost", "kubeconfig Secret");
      expect(line?.[1]).toBe("FAIL");
      expect(line?.[3]).toContain('Secret k8ssandra-operator/ghost-config');
      expect(row(out.stdout, "west", "API server reachable")?.[1]).toBe("ok");
    } finally {
      await admin.delete(ghost);
    }
  });

  it("takes data planes from --data-plane-context instead of ClientConfigs", async () => {
    const merged = await writeKubeconfig("merged.yaml", control.kubeconfig, west.kubeconfig);
    const out = await cli(["preflight", "--kubeconfig", merged, "--context", "control", "--data-plane-context", "west"]);
    expect(out.code).toBe(0);
    expect(row(out.stdout, "west", "CRD stargates.stargate.k8ssandra.io")?.[1]).toBe("ok");

    const missing = await cli(["preflight", "--kubeconfig", merged, "--context", "control", "--data-plane-context", "east"]);
    expect(missing.code).toBe(1);
    expect(missing.stderr.trim().split("\n")).toEqual(['k8ssandra-operator preflight: context "east" is not in the kubeconfig']);
  });

  it("run: an unreachable API server is one line on stderr and exit 1, not a stack dump", async () => {
    const port = await freePort();
    const unreachable = join(dir, "unreachable.yaml");
    await writeFile(unreachable, JSON.stringify({
      apiVersion: "v1",
      kind: "Config",
      clusters: [{ name: "gone", cluster: { server: `https://127.0.0.1:${port}`, "insecure-skip-tls-verify": true } }],
      users: [{ name: "u", user: { token: "not-a-real-token" } }],
      contexts: [{ name: "gone", context: { cluster: "gone", user: "u" } }],
      "current-context": "gone",
    }));
    const out = await cli(["run", "--kubeconfig", unreachable, "--metrics-bind-address", "0", "--health-probe-bind-address", "0"]);
    expect(out.code).toBe(1);
    expect(out.stderr.trim().split("\n")).toEqual([`k8ssandra-operator run: cannot reach the Kubernetes API server at https://127.0.0.1:${port}: connect ECONNREFUSED 127.0.0.1:${port}`]);
    expect(out.stdout).toBe("");
    expect(out.stderr).not.toContain("not-a-real-token");

    const badLevel = await cli(["run", "--kubeconfig", unreachable, "--log-level", "loud"]);
    expect(badLevel.code).toBe(1);
    expect(badLevel.stderr).toContain("--log-level <level>' argument 'loud' is invalid");
  });

  it("run: starts the operator (control plane, data planes from ClientConfigs), serves its probes, and stops cleanly on SIGTERM", async () => {
    const port = await freePort();
    const child: ChildProcess = spawn(process.execPath, [
      ...CLI, "run",
      "--kubeconfig", control.kubeconfigPath,
      "--metrics-bind-address", "0",
      "--health-probe-bind-address", `127.0.0.1:${port}`,
      "--log-level", "info",
    ], { cwd: pkgDir, env: { ...process.env, K8SSANDRA_CONTROL_PLANE: "true" }, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout!.on("data", (d: Buffer) => (output += d.toString()));
    child.stderr!.on("data", (d: Buffer) => (output += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
    try {
      await eventually(async () => (await fetch(`http://127.0.0.1:${port}/readyz`)).status === 200, "readyz 200", 60_000);
      // The ClientConfig of beforeAll became a cluster of the operator, whose watches there have synced.
      const added = /"provider":"clientconfigs".*"cluster":"west".*"msg":"cluster added"/;
      await eventually(async () => added.test(output), "west added by the ClientConfig provider", 60_000);
      expect(output).toContain("starting k8ssandra-operator");
      child.kill("SIGTERM");
      // Bounded, so that an operator that does not stop says what it printed instead of timing the test out.
      const code = await Promise.race([exited, new Promise<"still running">((resolve) => setTimeout(() => resolve("still running"), 45_000).unref())]);
      if (code !== 0) throw new Error(`after SIGTERM: ${code}; its last output:\n${output.split("\n").slice(-15).join("\n")}`);
      // The ClientConfig identity suffices for the controllers' watches in west (which has had cass-operator's CRD since
      // the first test): no warning, no error.
      expect(output).not.toMatch(/"level":(40|50)/);
      expect(output).toContain("k8ssandra-operator stopped");
    } finally {
      if (child.exitCode === null) child.kill("SIGKILL");
    }
    // Its waits (60 s, 60 s and 45 s) each fail with their own message before the test's timeout would.
  }, 180_000);
});
