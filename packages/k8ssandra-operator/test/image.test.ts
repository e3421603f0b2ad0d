// The operator's image as it ships: scripts/build-image.sh builds it with buildah from scratch (production-build.sh's
// bundle on Node from the npm registry, the Containerfile in ../Dockerfile), scripts/run-image.sh runs it with runc
// against test-kit clusters on loopback (a control plane, and a data plane registered with a ClientConfig), and it
// reconciles a K8ssandraCluster to Ready while the instant cass-operator stand-in runs in this process against the
// data plane. The scripts install what they use (buildah; runc and umoci) with apt-get when it is missing (CI runs as
// root on Debian), so this test never skips; the Node package is cached in ~/.cache/operator-ts and unchanged layers
// in buildah's storage.
import { type ChildProcess, spawn } from "node:child_process";
import { readdir, readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { type Condition, type Namespace, RestClient, Secret } from "@operator-ts/runtime";
import { claimPort, startClusters, stopClusters, type TestCluster } from "@operator-ts/runtime/envtest";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CassandraDatacenter, K8ssandraCluster } from "../src/api/index.ts";
import { OPERATOR_CRDS, OPERATOR_NAMESPACE as NS } from "../src/dev/environment.ts";
import { registerDataPlane } from "../src/dev/register.ts";
import { type RunningSimulator, startSimulator } from "../src/simulator/index.ts";
import { cassOperatorCRDs, repoRoot } from "../../../test/support/paths.ts";
import { eventually } from "../../../test/support/eventually.ts";

const SCRIPTS = join(repoRoot, "packages", "k8ssandra-operator", "scripts");
const TAG = "localhost/operator-ts/k8ssandra-operator:test";

/** The environment of the scripts: none of what this test runner's npm and vitest put there (npm_config_*, NODE_ENV=test). */
function cleanEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (/^npm_/i.test(key) || ["INIT_CWD", "NODE", "NODE_ENV", "NODE_OPTIONS", "NODE_PATH", "LOG_LEVEL"].includes(key)) continue;
    env[key] = value;
  }
  env.PATH = (process.env.PATH ?? "").split(":").filter((dir) => !/node_modules[/\\]/.test(dir)).join(":");
  return env;
}

/** Runs bash to its end; with `progress`, the stderr lines it matches are shown as they come. */
function run(args: string[], progress?: RegExp): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn("bash", args, { env: cleanEnv(), stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => {
      stderr += d.toString();
      for (const line of d.toString().split("\n")) if (progress?.test(line)) process.stderr.write(`${line}\n`);
    });
    child.once("error", reject);
    child.once("exit", (code) => resolve({ code, stdout, stderr }));
  });
}

/** RSS of the container's process (MiB), found through runc by the id run-image.sh printed. */
async function containerRss(output: string): Promise<string> {
  const id = output.match(/^run-image: runc run (\S+)$/m)?.[1];
  const state = await run(["-c", `runc state ${id}`]);
  const { pid } = JSON.parse(state.stdout) as { pid: number };
  const rss = (await readFile(`/proc/${pid}/status`, "utf8")).match(/^VmRSS:\s+(\d+)/m)?.[1];
  return (Number(rss) / 1024).toFixed(1);
}

/** A loopback port no other test worker holds (envtest's claim), for the operator's probes and metrics. */
const freePort = async (): Promise<number> => (await claimPort()).port;

describe("the operator image (scripts/build-image.sh, run with scripts/run-image.sh)", () => {
  beforeAll(async () => {
    const build = await run([join(SCRIPTS, "build-image.sh"), "--tag", TAG], /^(build-image|production-build|image-tools):/);
    if (build.code !== 0) throw new Error(`build-image.sh failed (exit ${build.code}):\n${build.stderr.slice(-4000)}`);
    expect(build.stdout.trim()).toBe(TAG);
  }, 900_000);

  it("is built from scratch: two layers, Node and the libraries it links, the bundled operator, uid 1000", async () => {
    const inspect = await run(["-c", `buildah inspect --type image ${TAG}`]);
    expect(inspect.code, inspect.stderr).toBe(0);
    const image = JSON.parse(inspect.stdout) as { OCIv1: { config: { Entrypoint: string[]; Cmd: string[]; User: string; WorkingDir: string }; rootfs: { diff_ids: string[] } } };
    expect(image.OCIv1.config).toMatchObject({ Entrypoint: ["/usr/local/bin/node", "--max-semi-space-size=4", "--optimize-for-size", "/app/dist/cli/main.js"], Cmd: ["run"], User: "1000:1000", WorkingDir: "/app" });
    // FROM scratch: the runtime layer and the app layer, nothing from a base image.
    expect(image.OCIv1.rootfs.diff_ids).toHaveLength(2);

    const mounted = await run(["-c", `c=$(buildah from --quiet ${TAG}) && echo "$c" && buildah mount "$c"`]);
    expect(mounted.code, mounted.stderr).toBe(0);
    const [container, root] = mounted.stdout.trim().split("\n") as [string, string];
    try {
      expect((await readdir(root)).sort()).toEqual(["app", "etc", "lib", "lib64", "tmp", "usr"]);
      expect((await readdir(join(root, "app"))).sort()).toEqual(["config", "dist", "package.json"]);
      // One bundle and its map: no node_modules, no workspace packages.
      expect((await readdir(join(root, "app", "dist", "cli"))).sort()).toEqual(["main.js", "main.js.map"]);
      expect((await stat(join(root, "usr", "local", "bin", "node"))).mode & 0o111).not.toBe(0);
      const [multiarch] = await readdir(join(root, "lib"));
      expect(multiarch).toMatch(/-linux-gnu$/);
      expect(await readdir(join(root, "lib", multiarch!))).toEqual(expect.arrayContaining(["libc.so.6", "libstdc++.so.6"]));
      expect(await readFile(join(root, "etc", "passwd"), "utf8")).toMatch(/^operator:x:1000:1000:/m);
    } finally {
      await run(["-c", `buildah umount ${container} >/dev/null; buildah rm ${container} >/dev/null`]);
    }
  });

  describe("run with runc against test-kit clusters: a control plane and a data plane", () => {
    let controlPlane: TestCluster;
    let dataPlane: TestCluster;
    let admin: RestClient;
    let east: RestClient;
    let simulator: RunningSimulator;
    let child: ChildProcess | undefined;

    beforeAll(async () => {
      [controlPlane, dataPlane] = (await startClusters(2, { names: ["control-plane", "east"] })) as [TestCluster, TestCluster];
      await controlPlane.installCRDs([OPERATOR_CRDS]);
      await dataPlane.installCRDs([OPERATOR_CRDS, cassOperatorCRDs()]);
      admin = await RestClient.fromKubeConfig(controlPlane.kubeconfig);
      east = await RestClient.fromKubeConfig(dataPlane.kubeconfig);
      for (const c of [admin, east]) await c.create<Namespace>({ apiVersion: "v1", kind: "Namespace", metadata: { name: NS } });
      // As an administrator registers a data plane: a service account there, its kubeconfig in a Secret, a ClientConfig.
      await registerDataPlane(controlPlane, dataPlane, NS);
      simulator = await startSimulator(dataPlane.kubeconfigYaml);
    });

    afterAll(async () => {
      if (child?.exitCode === null) child.kill("SIGTERM");
      await simulator?.stop();
      await admin?.close();
      await east?.close();
      await stopClusters([controlPlane, dataPlane].filter(Boolean));
    });

    it("becomes ready, reconciles a K8ssandraCluster in the data plane to Ready, serves metrics, and stops on SIGTERM", async () => {
      const [probes, metrics] = [await freePort(), await freePort()];
      child = spawn(
        "bash",
        [
          join(SCRIPTS, "run-image.sh"), "--kubeconfig", controlPlane.kubeconfigPath, "--image", TAG, "--env", "K8SSANDRA_CONTROL_PLANE=true", "--",
          "--clientconfig-namespace", NS, "--metrics-bind-address", `127.0.0.1:${metrics}`, "--health-probe-bind-address", `127.0.0.1:${probes}`, "--log-level", "info",
          // The data plane runs the instant simulator: no Cassandra to talk CQL to.
          "--no-cql",
        ],
        { env: cleanEnv(), stdio: ["ignore", "pipe", "pipe"] },
      );
      let output = "";
      child.stdout!.on("data", (d: Buffer) => (output += d.toString()));
      child.stderr!.on("data", (d: Buffer) => (output += d.toString()));
      const exited = new Promise<number | null>((resolve) => child!.once("exit", resolve));
      const withOutput = (err: Error) => {
        throw new Error(`${err.message}\n${output.slice(-4000)}`);
      };

      await eventually(async () => (await fetch(`http://127.0.0.1:${probes}/readyz`)).status === 200, "the operator's readyz", 90_000).catch(withOutput);
      const idle = await containerRss(output);
      // The ClientConfig names east: the operator connects to it from inside the container.
      await eventually(() => /"cluster":"east".*"msg":"cluster added"/.test(output), "the data plane east added", 90_000).catch(withOutput);
      await admin.create<K8ssandraCluster>({
        apiVersion: K8ssandraCluster.apiVersion,
        kind: K8ssandraCluster.kind,
        metadata: { name: "image", namespace: NS },
        spec: {
          cassandra: {
            serverVersion: "4.1.5",
            storageConfig: { cassandraDataVolumeClaimSpec: { accessModes: ["ReadWriteOnce"], resources: { requests: { storage: "1Gi" } } } },
            datacenters: [{ metadata: { name: "dc1" }, k8sContext: "east", size: 3 }],
          },
        },
      });
      const ready = await eventually(async () => {
        const k8c = await admin.get(K8ssandraCluster, { namespace: NS, name: "image" });
        return (k8c.status?.conditions as Condition[] | undefined)?.some((c) => c.type === "Ready" && c.status === "True") ? k8c : undefined;
      }, "the K8ssandraCluster Ready", 90_000).catch(withOutput);
      expect(ready.status?.readyDatacenters).toBe("1/1");
      expect(ready.status?.datacenters?.dc1?.contextName).toBe("east");
      const dc = await east.get(CassandraDatacenter, { namespace: NS, name: "dc1" });
      expect(dc.spec).toMatchObject({ clusterName: "image", serverVersion: "4.1.5", size: 3, superuserSecretName: "image-superuser" });
      expect(Object.keys((await east.get(Secret, { namespace: NS, name: "image-superuser" })).data ?? {}).sort()).toEqual(["password", "username"]);
      expect(await (await fetch(`http://127.0.0.1:${metrics}/metrics`)).text()).toMatch(/^controller_runtime_reconcile_total\{controller="k8ssandracluster"/m);
      // For the record (the manifests' memory figures come from docs/benchmarks.md), not asserted.
      process.stderr.write(`image: the operator's RSS in the container: ${idle} MiB when ready, ${await containerRss(output)} MiB with a K8ssandraCluster Ready\n`);

      child.kill("SIGTERM");
      expect(await exited, output.slice(-4000)).toBe(0);
      // Inside the container the operator is the first process of its own PID namespace.
      expect(output).toMatch(/"pid":1,.*"msg":"starting k8ssandra-operator"/);
      expect(output).toContain("k8ssandra-operator stopped");
      expect(output).not.toMatch(/"level":50/);
    });
  });
});
