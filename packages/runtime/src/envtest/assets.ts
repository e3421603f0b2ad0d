import { spawn } from "node:child_process";
import { constants } from "node:fs";
import { access, mkdir, readdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { homedir } from "node:os";
import { join } from "node:path";
import { withFileLock } from "./lock.ts";

/** Kubernetes and etcd releases the test kit builds when no binaries are supplied. */
export const DEFAULT_KUBERNETES_VERSION = "1.37.2";
export const DEFAULT_ETCD_VERSION = "3.6.16";

export interface Assets {
  kubeApiserver: string;
  etcd: string;
  /** Present when asked for: not every KUBEBUILDER_ASSETS folder has it, so it may come from the build cache. */
  kubeControllerManager?: string;
  kubernetesVersion: string;
}

export interface AssetOptions {
  kubernetesVersion?: string;
  etcdVersion?: string;
  withControllerManager?: boolean;
  /** Where built binaries are kept; defaults to $OPERATOR_TS_CACHE or the user cache folder. */
  cacheDir?: string;
  /** Progress lines while building; defaults to stderr. */
  log?: (line: string) => void;
}

export function cacheRoot(): string {
  if (process.env.OPERATOR_TS_CACHE) return process.env.OPERATOR_TS_CACHE;
  const base = process.env.XDG_CACHE_HOME || join(homedir(), ".cache");
  return join(base, "operator-ts");
}

async function isExecutable(path: string): Promise<boolean> {
  try {
    await access(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * Finds kube-apiserver, etcd and (optionally) kube-controller-manager: first in KUBEBUILDER_ASSETS (the
 * setup-envtest convention), then in the build cache, and otherwise builds them from Kubernetes' published Go
 * modules, which takes minutes on a small machine and happens once per version.
 */
export async function ensureAssets(options: AssetOptions = {}): Promise<Assets> {
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const kubernetesVersion = options.kubernetesVersion ?? process.env.OPERATOR_TS_K8S_VERSION ?? DEFAULT_KUBERNETES_VERSION;
  const etcdVersion = options.etcdVersion ?? process.env.OPERATOR_TS_ETCD_VERSION ?? DEFAULT_ETCD_VERSION;
  const root = join(options.cacheDir ?? cacheRoot(), "envtest");

  const supplied = process.env.KUBEBUILDER_ASSETS;
  let kubeApiserver: string | undefined;
  let etcd: string | undefined;
  let kubeControllerManager: string | undefined;
  let version = kubernetesVersion;
  if (supplied) {
    if (await isExecutable(join(supplied, "kube-apiserver"))) kubeApiserver = join(supplied, "kube-apiserver");
    if (await isExecutable(join(supplied, "etcd"))) etcd = join(supplied, "etcd");
    if (await isExecutable(join(supplied, "kube-controller-manager"))) {
      kubeControllerManager = join(supplied, "kube-controller-manager");
    }
    if (!kubeApiserver || !etcd) {
      throw new Error(`KUBEBUILDER_ASSETS=${supplied} must contain executable kube-apiserver and etcd binaries`);
    }
    version = await binaryVersion(kubeApiserver).catch(() => "unknown");
  }

  const k8sDir = join(root, `kubernetes-${kubernetesVersion}`);
  if (!kubeApiserver) {
    kubeApiserver = await buildCached(join(k8sDir, "kube-apiserver"), () =>
      buildKubernetes(k8sDir, kubernetesVersion, ["kube-apiserver", "kube-controller-manager"], log),
    );
  }
  if (options.withControllerManager && !kubeControllerManager) {
    kubeControllerManager = await buildCached(join(k8sDir, "kube-controller-manager"), () =>
      buildKubernetes(k8sDir, kubernetesVersion, ["kube-apiserver", "kube-controller-manager"], log),
    );
  }
  if (!etcd) {
    const etcdDir = join(root, `etcd-${etcdVersion}`);
    etcd = await buildCached(join(etcdDir, "etcd"), () => buildEtcd(etcdDir, etcdVersion, log));
  }
  return { kubeApiserver, etcd, kubeControllerManager, kubernetesVersion: version };
}

async function buildCached(binary: string, build: () => Promise<void>): Promise<string> {
  if (await isExecutable(binary)) return binary;
  // Parallel test workers may all arrive here: one builds, the others wait for its lock and find the binary.
  await withFileLock(`${binary}.lock`, async () => {
    if (!(await isExecutable(binary))) await build();
  });
  if (!(await isExecutable(binary))) throw new Error(`build finished but ${binary} is missing`);
  return binary;
}

async function binaryVersion(path: string): Promise<string> {
  const out = await run(path, ["--version"], { cwd: process.cwd() });
  return out.stdout.trim().split(/\s+/).pop() ?? "unknown";
}

interface RunResult {
  stdout: string;
  stderr: string;
}

function run(
  cmd: string,
  args: string[],
  opts: { cwd: string; env?: NodeJS.ProcessEnv; onStderrLine?: (line: string) => void },
): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: opts.cwd, env: opts.env ?? process.env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    let partial = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => {
      const text = d.toString();
      stderr += text;
      if (opts.onStderrLine) {
        const lines = (partial + text).split("\n");
        partial = lines.pop() ?? "";
        for (const line of lines) opts.onStderrLine(line);
      }
    });
    child.on("error", reject);
    child.on("close", (code) => {
      if (code === 0) resolve({ stdout, stderr });
      else reject(new Error(`${cmd} ${args.join(" ")} exited with ${code}\n${stderr.slice(-4000)}`));
    });
  });
}

function goEnv(): NodeJS.ProcessEnv {
  // GOTOOLCHAIN=local: build with the machine's Go, never download another toolchain behind the user's back.
  return { ...process.env, CGO_ENABLED: "0", GOTOOLCHAIN: process.env.GOTOOLCHAIN ?? "local", GOFLAGS: "-mod=mod" };
}

/**
 * Staging modules (k8s.io/api, k8s.io/client-go, ...) are required as v0.0.0 and replaced by folders inside the
 * kubernetes repository, so a module that depends on k8s.io/kubernetes must replace each with its published
 * v0.X.Y. The list is read from that release's own go.mod, so it is right for every version.
 */
async function wrapperGoMod(kubernetesVersion: string, workDir: string): Promise<string> {
  const info = await run("go", ["mod", "download", "-json", `k8s.io/kubernetes@v${kubernetesVersion}`], {
    cwd: workDir,
    env: goEnv(),
  }).catch((err: Error) => {
    throw new Error(`k8s.io/kubernetes@v${kubernetesVersion} could not be downloaded: ${err.message}`);
  });
  const { GoMod } = JSON.parse(info.stdout) as { GoMod: string };
  const upstream = await readFile(GoMod, "utf8");
  const staging = [...upstream.matchAll(/^\s*(k8s\.io\/[\w.-]+)\s+=>\s+\.\/staging\//gm)].map((m) => m[1]!);
  const minor = kubernetesVersion.replace(/^1\./, "0.");
  const replaces = staging.map((mod) => `\t${mod} => ${mod} v${minor}`).join("\n");
  return `module operator-ts.local/envtest-kubernetes\n\ngo 1.26.0\n\nrequire k8s.io/kubernetes v${kubernetesVersion}\n\nreplace (\n${replaces}\n)\n`;
}

const KUBERNETES_COMMANDS: Record<string, string> = {
  "kube-apiserver": "k8s.io/kubernetes/cmd/kube-apiserver",
  "kube-controller-manager": "k8s.io/kubernetes/cmd/kube-controller-manager",
};

/** The Go release the builds need: Kubernetes 1.37's modules declare go 1.26. */
const MINIMUM_GO = [1, 26] as const;

/**
 * Fails, before any build starts, with what to do when Go is missing or too old: the build cannot work without it,
 * and `spawn go ENOENT` tells a test author nothing.
 */
async function requireGo(missing: string): Promise<void> {
  const advice =
    `Either install Go >= ${MINIMUM_GO.join(".")} (https://go.dev/dl/) and run \`npx operator-ts-envtest setup\` once (it builds ` +
    "kube-apiserver, etcd and kube-controller-manager in several minutes, then keeps them in the cache), or set " +
    "KUBEBUILDER_ASSETS to a folder that holds those binaries, such as the one `setup-envtest use -p path` prints.";
  let out: string;
  try {
    out = (await run("go", ["version"], { cwd: process.cwd(), env: goEnv() })).stdout;
  } catch (err) {
    const why = (err as NodeJS.ErrnoException).code === "ENOENT" ? "Go is not on PATH" : `\`go version\` failed: ${(err as Error).message.split("\n")[0]}`;
    throw new Error(`envtest: ${missing} found neither in KUBEBUILDER_ASSETS nor in the cache, and ${why}. ${advice}`);
  }
  const m = /go(\d+)\.(\d+)/.exec(out);
  const [major, minor] = m ? [Number(m[1]), Number(m[2])] : [0, 0];
  if (major < MINIMUM_GO[0] || (major === MINIMUM_GO[0] && minor < MINIMUM_GO[1])) {
    throw new Error(`envtest: ${missing} not found, and building it needs Go >= ${MINIMUM_GO.join(".")}, but this machine has ${out.trim()}. ${advice}`);
  }
}

async function buildKubernetes(outDir: string, version: string, binaries: string[], log: (l: string) => void) {
  await requireGo(binaries.join(" and "));
  const work = join(outDir, "module");
  await mkdir(work, { recursive: true });
  log(`envtest: building Kubernetes v${version} (${binaries.join(", ")}) from its Go modules; this happens once per version and takes several minutes`);
  await writeFile(join(work, "go.mod"), await wrapperGoMod(version, work));
  const imports = binaries.map((b) => `\t_ "${KUBERNETES_COMMANDS[b]}"`).join("\n");
  await writeFile(join(work, "tools.go"), `//go:build tools\n\npackage tools\n\nimport (\n${imports}\n)\n`);
  log("envtest: resolving modules (go mod tidy)");
  await run("go", ["mod", "tidy"], { cwd: work, env: goEnv() });
  const [major, minor] = version.split(".");
  const ldflags = [
    "-s",
    "-w",
    `-X k8s.io/component-base/version.gitVersion=v${version}`,
    `-X k8s.io/component-base/version.gitMajor=${major}`,
    `-X k8s.io/component-base/version.gitMinor=${minor}`,
    "-X k8s.io/component-base/version.gitTreeState=clean",
    `-X k8s.io/client-go/pkg/version.gitVersion=v${version}`,
  ].join(" ");
  await goBuild(work, outDir, binaries.map((b) => KUBERNETES_COMMANDS[b]!), ldflags, `Kubernetes v${version}`, log);
}

async function buildEtcd(outDir: string, version: string, log: (l: string) => void) {
  await requireGo("etcd");
  const work = join(outDir, "module");
  await mkdir(work, { recursive: true });
  log(`envtest: building etcd v${version} from its Go modules; this happens once per version`);
  await writeFile(
    join(work, "go.mod"),
    `module operator-ts.local/envtest-etcd\n\ngo 1.26.0\n\nrequire go.etcd.io/etcd/server/v3 v${version}\n`,
  );
  await writeFile(join(work, "tools.go"), `//go:build tools\n\npackage tools\n\nimport _ "go.etcd.io/etcd/server/v3"\n`);
  await run("go", ["mod", "tidy"], { cwd: work, env: goEnv() });
  await goBuild(work, outDir, ["go.etcd.io/etcd/server/v3"], "-s -w", `etcd v${version}`, log, "etcd");
}

/** Runs `go build -v`, counting compiled packages against `go list -deps` to print a percentage now and then. */
async function goBuild(
  work: string,
  outDir: string,
  packages: string[],
  ldflags: string,
  what: string,
  log: (l: string) => void,
  outputName?: string,
) {
  const deps = await run("go", ["list", "-deps", ...packages], { cwd: work, env: goEnv() });
  const total = deps.stdout.split("\n").filter(Boolean).length;
  const staging = join(outDir, ".build");
  await rm(staging, { recursive: true, force: true });
  await mkdir(staging, { recursive: true });
  const output = outputName ? join(staging, outputName) : `${staging}/`;
  let compiled = 0;
  const started = Date.now();
  const ticker = setInterval(() => {
    const pct = Math.min(99, Math.round((compiled / total) * 100));
    log(`envtest: building ${what}: ${compiled}/${total} packages (${pct}%), ${Math.round((Date.now() - started) / 1000)}s`);
  }, 15_000);
  try {
    await run("go", ["build", "-v", "-trimpath", "-ldflags", ldflags, "-o", output, ...packages], {
      cwd: work,
      env: goEnv(),
      onStderrLine: (line) => {
        if (line && !line.startsWith("#")) compiled++;
      },
    });
  } finally {
    clearInterval(ticker);
  }
  // Binaries appear in the cache only once complete, so a killed build never leaves a half-written file behind.
  for (const name of await readdir(staging)) await rename(join(staging, name), join(outDir, name));
  await rm(staging, { recursive: true, force: true });
  log(`envtest: built ${what} in ${Math.round((Date.now() - started) / 1000)}s into ${outDir}`);
}
