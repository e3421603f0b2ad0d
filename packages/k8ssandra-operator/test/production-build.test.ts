// The operator as its image holds it: scripts/production-build.sh (what the Dockerfile runs) installs, builds and
// prunes a copy of the build context, and the operator is started from the folder it fills, with the context gone
// and nothing of the repository reachable: `--help`, then `run` against a real API server until it reconciles.
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { cp, mkdir, mkdtemp, readdir, rm, stat } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { promisify } from "node:util";
import { RestClient, Secret } from "@operator-ts/runtime";
import { startCluster, type TestCluster } from "@operator-ts/runtime/envtest";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CassandraDatacenter, K8ssandraCluster } from "../src/api/index.ts";
import { OPERATOR_CRDS } from "../src/dev/environment.ts";
import { cassOperatorCRDs, repoRoot } from "../../../test/support/paths.ts";
import { eventually } from "../../../test/support/eventually.ts";

const execFileP = promisify(execFile);
const SCRIPT = join(repoRoot, "packages", "k8ssandra-operator", "scripts", "production-build.sh");
const MAIN = join("packages", "k8ssandra-operator", "dist", "cli", "main.js");

/** What `COPY . .` puts in the build stage: the repository's files without what git ignores (node_modules, dist). */
async function copyBuildContext(to: string): Promise<void> {
  const { stdout } = await execFileP("git", ["ls-files", "-z", "--cached", "--others", "--exclude-standard"], { cwd: repoRoot, maxBuffer: 16 << 20 });
  for (const file of stdout.split("\0").filter(Boolean)) {
    const from = join(repoRoot, file);
    // A tracked file deleted in the working tree is not in the context either.
    if (!(await stat(from).catch(() => undefined))?.isFile()) continue;
    await mkdir(dirname(join(to, file)), { recursive: true });
    await cp(from, join(to, file), { preserveTimestamps: true });
  }
}

function run(command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, env, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (d: Buffer) => (output += d.toString()));
    child.stderr.on("data", (d: Buffer) => (output += d.toString()));
    child.once("error", reject);
    child.once("exit", (code) => resolve({ code, output }));
  });
}

/**
 * The environment of a build stage: none of what this test runner's npm and vitest put there (npm_config_local_prefix
 * would point npm at the repository, node_modules/.bin on PATH would lend it the repository's tools, NODE_ENV=test).
 */
function cleanEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (/^npm_/i.test(key) || ["INIT_CWD", "NODE", "NODE_ENV", "NODE_OPTIONS", "NODE_PATH"].includes(key)) continue;
    env[key] = value;
  }
  env.PATH = (process.env.PATH ?? "").split(":").filter((dir) => !/node_modules[/\\]/.test(dir)).join(":");
  return env;
}

/** The image's environment. */
function productionEnv(): NodeJS.ProcessEnv {
  return { ...cleanEnv(), NODE_ENV: "production" };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

describe("the production build (scripts/production-build.sh, as the Dockerfile runs it)", () => {
  let scratch: string;
  let app: string;
  let buildSeconds = 0;

  beforeAll(async () => {
    scratch = await mkdtemp(join(tmpdir(), "k8ssandra-operator-image-"));
    const context = join(scratch, "context");
    app = join(scratch, "app");
    await copyBuildContext(context);
    const started = performance.now();
    const build = await run("bash", [SCRIPT, context, app], context, cleanEnv());
    buildSeconds = (performance.now() - started) / 1000;
    if (build.code !== 0) throw new Error(`production build failed (exit ${build.code}):\n${build.output.slice(-4000)}`);
    // Only what the image holds is left: the build context goes, as the build stage does.
    await rm(context, { recursive: true, force: true });
  }, 900_000);

  afterAll(async () => {
    if (scratch) await rm(scratch, { recursive: true, force: true });
  });

  it("holds only the image's files: package files, production node_modules, each package's package.json and dist", async () => {
    expect((await readdir(app)).sort()).toEqual(["node_modules", "package-lock.json", "package.json", "packages"]);
    expect((await readdir(join(app, "packages"))).sort()).toEqual(["k8ssandra-operator", "multicluster", "runtime"]);
    expect((await readdir(join(app, "packages", "runtime"))).sort()).toEqual(["dist", "package.json"]);
    expect((await readdir(join(app, "packages", "k8ssandra-operator"))).filter((f) => f !== "node_modules").sort()).toEqual(["config", "dist", "package.json"]);
    // Pruned to production: no compiler, bundler or test runner.
    const modules = await readdir(join(app, "node_modules"));
    for (const dev of ["typescript", "tsup", "vitest", "esbuild"]) expect(modules).not.toContain(dev);
    expect(modules).toContain("@kubernetes");
    expect((await readdir(join(app, "node_modules", "@operator-ts"))).sort()).toEqual(["k8ssandra-operator", "multicluster", "runtime"]);
    process.stdout.write(`production build: ${buildSeconds.toFixed(0)} s\n`);
  });

  it("--help lists the operator's commands", async () => {
    const help = await run(process.execPath, ["--enable-source-maps", MAIN, "--help"], app, productionEnv());
    expect(help.code, help.output).toBe(0);
    for (const command of ["run", "create-clientconfig", "preflight"]) expect(help.output).toMatch(new RegExp(`^\\s+${command} `, "m"));
  });

  describe("run, against a real API server", () => {
    let cluster: TestCluster;
    let client: RestClient;
    let child: ChildProcess | undefined;

    beforeAll(async () => {
      cluster = await startCluster({ name: "image", crds: [OPERATOR_CRDS, cassOperatorCRDs()] });
      client = await RestClient.fromKubeConfig(cluster.kubeconfig);
    });

    afterAll(async () => {
      if (child?.exitCode === null) child.kill("SIGKILL");
      await client?.close();
      await cluster?.stop();
    });

    it("becomes ready, creates the CassandraDatacenter of a K8ssandraCluster, and stops on SIGTERM", async () => {
      const port = await freePort();
      child = spawn(
        process.execPath,
        ["--enable-source-maps", MAIN, "run", "--kubeconfig", cluster.kubeconfigPath, "--metrics-bind-address", "0", "--health-probe-bind-address", `127.0.0.1:${port}`, "--log-level", "info"],
        { cwd: app, env: { ...productionEnv(), K8SSANDRA_CONTROL_PLANE: "true" }, stdio: ["ignore", "pipe", "pipe"] },
      );
      let output = "";
      child.stdout!.on("data", (d: Buffer) => (output += d.toString()));
      child.stderr!.on("data", (d: Buffer) => (output += d.toString()));
      const exited = new Promise<number | null>((resolve) => child!.once("exit", resolve));

      await eventually(async () => (await fetch(`http://127.0.0.1:${port}/readyz`)).status === 200, "the operator's readyz", 60_000).catch((err: Error) => {
        throw new Error(`${err.message}\n${output}`);
      });
      await client.create<K8ssandraCluster>({
        apiVersion: K8ssandraCluster.apiVersion,
        kind: K8ssandraCluster.kind,
        metadata: { name: "image", namespace: "default" },
        spec: {
          cassandra: {
            serverVersion: "4.1.5",
            storageConfig: { cassandraDataVolumeClaimSpec: { accessModes: ["ReadWriteOnce"], resources: { requests: { storage: "1Gi" } } } },
            datacenters: [{ metadata: { name: "dc1" }, size: 1 }],
          },
        },
      });
      const dc = await eventually(() => client.get(CassandraDatacenter, { namespace: "default", name: "dc1" }), "the CassandraDatacenter dc1", 60_000);
      expect(dc.spec).toMatchObject({ clusterName: "image", serverVersion: "4.1.5", size: 1, superuserSecretName: "image-superuser" });
      expect(Object.keys((await client.get(Secret, { namespace: "default", name: "image-superuser" })).data ?? {}).sort()).toEqual(["password", "username"]);

      child.kill("SIGTERM");
      expect(await exited).toBe(0);
      expect(output).toContain("k8ssandra-operator stopped");
      expect(output).not.toMatch(/"level":50/);
    });
  });
});
