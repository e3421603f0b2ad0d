import { generateKeyPairSync, randomBytes } from "node:crypto";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { request } from "node:https";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { setTimeout as delay } from "node:timers/promises";
import { KubeConfig } from "@kubernetes/client-node";
import { stringify } from "yaml";
import { type AssetOptions, type Assets, ensureAssets } from "./assets.ts";
import { installCRDs } from "./crds.ts";
import { claimPort, type PortClaim } from "./ports.ts";
import { ManagedProcess } from "./process.ts";
import { reaper } from "./reaper.ts";
import { serviceAccountKubeConfig, type ServiceAccountKubeConfigOptions } from "./serviceaccount.ts";
import { installWebhookConfigurations, type LocalWebhookServing, prepareLocalServing, type WebhookInstallOptions } from "./webhooks.ts";

export interface TestClusterOptions {
  /** Also the kubeconfig context name; defaults to cluster-N. */
  name?: string;
  /** CRD YAML files or folders installed (and waited on until Established) before the cluster is returned. */
  crds?: string[];
  /** Runs kube-controller-manager too: garbage collection, Deployments/ReplicaSets, StatefulSets, namespaces. */
  controllerManager?: boolean;
  /** Extra or overriding kube-apiserver flags, without the leading dashes. */
  apiServerFlags?: Record<string, string>;
  assets?: AssetOptions;
  /** How long to wait for etcd and the API server to become ready; default 60 s. */
  startTimeoutMs?: number;
  /**
   * Webhooks served by the test process on loopback (controller-runtime's WebhookInstallOptions): a port and a
   * serving certificate are made (see `cluster.webhooks`), the configurations given are installed pointing there, and
   * CRDs whose conversion is a webhook are too. `true` prepares the serving side only, for installWebhooks() later.
   */
  webhooks?: WebhookInstallOptions | true;
}

interface ClusterParts {
  name: string;
  dir: string;
  server: string;
  kubeconfig: KubeConfig;
  kubeconfigYaml: string;
  ports: { apiServer: number; etcdClient: number; etcdPeer: number };
  etcd: ManagedProcess;
  apiServer: ManagedProcess;
  controllerManager: ManagedProcess | undefined;
  claims: PortClaim[];
  caPem: string;
  adminToken: string;
}

const ISSUER = "https://kubernetes.default.svc.cluster.local";

/**
 * One isolated Kubernetes control plane on loopback: its own etcd (data folder and ports), a kube-apiserver with RBAC
 * and service-account token issuing, and optionally a kube-controller-manager. Everything it started is killed and its
 * folder removed by stop(), and by the reaper if this process dies first.
 */
export class TestCluster {
  readonly name: string;
  readonly dir: string;
  readonly server: string;
  readonly kubeconfig: KubeConfig;
  readonly kubeconfigYaml: string;
  /** The admin kubeconfig on disk, for kubectl and CLIs under test. */
  readonly kubeconfigPath: string;
  readonly ports: { apiServer: number; etcdClient: number; etcdPeer: number };

  private readonly etcd: ManagedProcess;
  private readonly apiServer: ManagedProcess;
  private readonly controllerManager: ManagedProcess | undefined;
  private readonly claims: PortClaim[];
  private readonly caPem: string;
  private readonly adminToken: string;
  private localServing: LocalWebhookServing | undefined;

  private constructor(parts: ClusterParts) {
    this.name = parts.name;
    this.dir = parts.dir;
    this.server = parts.server;
    this.kubeconfig = parts.kubeconfig;
    this.kubeconfigYaml = parts.kubeconfigYaml;
    this.kubeconfigPath = join(parts.dir, "kubeconfig.yaml");
    this.ports = parts.ports;
    this.etcd = parts.etcd;
    this.apiServer = parts.apiServer;
    this.controllerManager = parts.controllerManager;
    this.claims = parts.claims;
    this.caPem = parts.caPem;
    this.adminToken = parts.adminToken;
  }

  /**
   * Starts the cluster. Whatever fails on the way, after the processes were launched included (a CRD that does not
   * install, a missing binary), everything started so far is stopped, the folder removed and the ports released
   * before the error is thrown.
   */
  static async start(options: TestClusterOptions = {}, assets?: Assets): Promise<TestCluster> {
    const name = options.name ?? `cluster-${randomBytes(3).toString("hex")}`;
    const resolved =
      assets ?? (await ensureAssets({ ...options.assets, withControllerManager: options.controllerManager }));
    const dir = await mkdtemp(join(tmpdir(), `operator-ts-envtest-${name}-`));
    reaper.watchDir(dir);
    const claims: PortClaim[] = [];
    // Newest first, so that each goes before what it depends on (the controller manager, the API server, etcd).
    const launched: ManagedProcess[] = [];
    const launch = (p: ManagedProcess) => {
      launched.unshift(p);
      p.start();
    };
    let cluster: TestCluster | undefined;
    try {
      cluster = await TestCluster.launch(name, dir, options, resolved, claims, launch);
      if (options.webhooks) cluster.localServing = await prepareLocalServing(dir, options.webhooks === true ? {} : options.webhooks);
      if (options.crds?.length) await cluster.installCRDs(options.crds);
      if (options.webhooks && options.webhooks !== true) await cluster.installWebhooks(options.webhooks);
      return cluster;
    } catch (err) {
      // The servers' logs tell why they did not come up; once they were up (a CRD failed) they only add noise.
      const tails = cluster ? [] : await Promise.all(launched.map(async (p) => `--- ${basename(p.logFile)} ---\n${await p.logTail()}`));
      for (const p of launched) await p.stop(1000);
      await removeDir(dir);
      cluster?.localServing?.release();
      releaseClaims(claims);
      throw new Error([`test cluster ${name} did not start: ${(err as Error).message}`, ...tails].join("\n"), { cause: err });
    }
  }

  private static async launch(
    name: string,
    dir: string,
    options: TestClusterOptions,
    resolved: Assets,
    claims: PortClaim[],
    launch: (p: ManagedProcess) => void,
  ): Promise<TestCluster> {
    for (const c of await Promise.all([claimPort(), claimPort(), claimPort()])) {
      claims.push(c);
      reaper.watchFile(c.file);
    }
    const [apiPort, etcdPort, peerPort] = claims.map((c) => c.port) as [number, number, number];
    const ports = { apiServer: apiPort, etcdClient: etcdPort, etcdPeer: peerPort };
    const adminToken = randomBytes(24).toString("hex");
    const { publicKey, privateKey } = generateKeyPairSync("rsa", {
      modulusLength: 2048,
      publicKeyEncoding: { type: "spki", format: "pem" },
      privateKeyEncoding: { type: "pkcs8", format: "pem" },
    });
    await mkdir(join(dir, "certs"), { recursive: true });
    await writeFile(join(dir, "sa.pub"), publicKey);
    await writeFile(join(dir, "sa.key"), privateKey, { mode: 0o600 });
    await writeFile(join(dir, "tokens.csv"), `${adminToken},admin,admin,"system:masters"\n`, { mode: 0o600 });

    const etcdUrl = `http://127.0.0.1:${etcdPort}`;
    const etcd = new ManagedProcess(
      resolved.etcd,
      [
        "--name=envtest",
        `--data-dir=${join(dir, "etcd")}`,
        `--listen-client-urls=${etcdUrl}`,
        `--advertise-client-urls=${etcdUrl}`,
        `--listen-peer-urls=http://127.0.0.1:${peerPort}`,
        `--initial-advertise-peer-urls=http://127.0.0.1:${peerPort}`,
        `--initial-cluster=envtest=http://127.0.0.1:${peerPort}`,
        // Tests do not need durability, and fsync on a shared disk makes every write slow.
        "--unsafe-no-fsync=true",
        "--log-level=warn",
      ],
      join(dir, "etcd.log"),
    );
    const flags: Record<string, string> = {
      "etcd-servers": etcdUrl,
      "cert-dir": join(dir, "certs"),
      "secure-port": String(apiPort),
      "bind-address": "127.0.0.1",
      "advertise-address": "127.0.0.1",
      "service-cluster-ip-range": "10.0.0.0/24",
      "allow-privileged": "true",
      // No nodes run here, and the kubernetes Service endpoint cannot point at loopback.
      "endpoint-reconciler-type": "none",
      "authorization-mode": "RBAC",
      "token-auth-file": join(dir, "tokens.csv"),
      "service-account-issuer": ISSUER,
      "service-account-key-file": join(dir, "sa.pub"),
      "service-account-signing-key-file": join(dir, "sa.key"),
      // No kubelet mounts tokens here; the admission plugin would only demand a default ServiceAccount per namespace.
      "disable-admission-plugins": "ServiceAccount",
      profiling: "false",
      ...options.apiServerFlags,
    };
    const apiServer = new ManagedProcess(
      resolved.kubeApiserver,
      Object.entries(flags).map(([k, v]) => `--${k}=${v}`),
      join(dir, "kube-apiserver.log"),
    );
    const server = `https://127.0.0.1:${apiPort}`;
    const timeout = options.startTimeoutMs ?? 60_000;
    let caPem = "";
    launch(etcd);
    await waitUntil(timeout, [etcd], async () => (await plainGet(`${etcdUrl}/health`)) === 200, "etcd healthy");
    launch(apiServer);
    await waitUntil(timeout, [etcd, apiServer], async () => {
      caPem = await readFile(join(dir, "certs", "apiserver.crt"), "utf8").catch(() => "");
      if (!caPem) return false;
      return (await tlsGet(server, "/readyz", caPem, adminToken)) === 200;
    }, "kube-apiserver ready");
    // Namespace "default" is made by a controller inside the API server shortly after /readyz turns green.
    await waitUntil(timeout, [apiServer], async () =>
      (await tlsGet(server, "/api/v1/namespaces/default", caPem, adminToken)) === 200, "namespace default");

    const kubeconfig = new KubeConfig();
    kubeconfig.loadFromOptions({
      clusters: [{ name, server, caData: Buffer.from(caPem).toString("base64"), skipTLSVerify: false }],
      users: [{ name: `${name}-admin`, token: adminToken }],
      contexts: [{ name, cluster: name, user: `${name}-admin` }],
      currentContext: name,
    });
    const kubeconfigYaml = stringify(JSON.parse(kubeconfig.exportConfig()));
    await writeFile(join(dir, "kubeconfig.yaml"), kubeconfigYaml, { mode: 0o600 });

    let controllerManager: ManagedProcess | undefined;
    if (options.controllerManager) {
      if (!resolved.kubeControllerManager) throw new Error("kube-controller-manager binary was not resolved");
      controllerManager = new ManagedProcess(
        resolved.kubeControllerManager,
        [
          `--kubeconfig=${join(dir, "kubeconfig.yaml")}`,
          "--leader-elect=false",
          "--secure-port=0",
          `--service-account-private-key-file=${join(dir, "sa.key")}`,
          "--use-service-account-credentials=false",
          // A small test cluster needs its garbage collector and workload controllers to act at once.
          "--concurrent-gc-syncs=5",
        ],
        join(dir, "kube-controller-manager.log"),
      );
      launch(controllerManager);
    }

    return new TestCluster({
      name,
      dir,
      server,
      kubeconfig,
      kubeconfigYaml,
      ports,
      etcd,
      apiServer,
      controllerManager,
      claims,
      caPem,
      adminToken,
    });
  }

  /** Process ids of everything this cluster runs, for leak checks. */
  get pids(): number[] {
    return [this.etcd.pid, this.apiServer.pid, this.controllerManager?.pid].filter((p): p is number => !!p);
  }

  get etcdUrl(): string {
    return `http://127.0.0.1:${this.ports.etcdClient}`;
  }

  installCRDs(paths: string[]): Promise<string[]> {
    return installCRDs(this.kubeconfig, paths, undefined, this.localServing);
  }

  /** Where the test's webhook server listens and its certificate, when started with `webhooks`. */
  get webhooks(): LocalWebhookServing {
    if (!this.localServing) throw new Error(`test cluster ${this.name} was started without webhooks`);
    return this.localServing;
  }

  /** Installs webhook configurations pointing at the local webhook server (see `webhooks` in the options). */
  installWebhooks(options: Pick<WebhookInstallOptions, "configurations" | "paths">): Promise<string[]> {
    return installWebhookConfigurations(this.kubeconfig, this.webhooks, options);
  }

  /** A kubeconfig for a ServiceAccount (created if missing) with a token minted by the TokenRequest API. */
  serviceAccountKubeConfig(namespace: string, name: string, options: ServiceAccountKubeConfigOptions = {}) {
    return serviceAccountKubeConfig(this.kubeconfig, namespace, name, options);
  }

  /** Stops the API server only (etcd keeps its data): clients see connection refused until startApiServer(). */
  async stopApiServer(): Promise<void> {
    await this.apiServer.stop();
  }

  async startApiServer(timeoutMs = 60_000): Promise<void> {
    this.apiServer.start();
    await waitUntil(timeoutMs, [this.apiServer], async () =>
      (await tlsGet(this.server, "/readyz", this.caPem, this.adminToken)) === 200, "kube-apiserver ready");
  }

  /**
   * Freezes the API server with SIGSTOP until resumeApiServer(): connections are accepted by the kernel but nothing is
   * answered, so clients see timeouts rather than refusals (a partition, or a hung server).
   */
  pauseApiServer(): void {
    this.apiServer.pause();
  }

  resumeApiServer(): void {
    this.apiServer.resume();
  }

  async restartApiServer(): Promise<void> {
    await this.stopApiServer();
    await this.startApiServer();
  }

  /** Compacts etcd history up to now, so that a watch from an older resourceVersion gets 410 Gone. */
  async compactEtcd(): Promise<number> {
    const range = await etcdPost(this.etcdUrl, "/v3/kv/range", { key: Buffer.from("/").toString("base64") });
    const revision = Number((range as { header: { revision: string } }).header.revision);
    await etcdPost(this.etcdUrl, "/v3/kv/compaction", { revision: String(revision), physical: true });
    return revision;
  }

  async logs(lines = 60): Promise<string> {
    const parts = [`--- ${this.name}: kube-apiserver ---\n${await this.apiServer.logTail(lines)}`];
    parts.push(`--- ${this.name}: etcd ---\n${await this.etcd.logTail(lines)}`);
    if (this.controllerManager) {
      parts.push(`--- ${this.name}: kube-controller-manager ---\n${await this.controllerManager.logTail(lines)}`);
    }
    return parts.join("\n");
  }

  private stopped = false;

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    await this.controllerManager?.stop();
    await this.apiServer.stop();
    await this.etcd.stop();
    await removeDir(this.dir);
    this.localServing?.release();
    releaseClaims(this.claims);
  }
}

function releaseClaims(claims: PortClaim[]): void {
  for (const c of claims) {
    c.release();
    reaper.forgetFile(c.file);
  }
}

async function removeDir(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true });
  reaper.forgetDir(dir);
}

async function waitUntil(
  timeoutMs: number,
  processes: ManagedProcess[],
  check: () => Promise<boolean>,
  what: string,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    for (const p of processes) if (!p.running) throw new Error(`${p.name} exited while waiting for ${what}`);
    if (await check().catch(() => false)) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await delay(100);
  }
}

async function plainGet(url: string): Promise<number> {
  const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
  await res.body?.cancel();
  return res.status;
}

async function etcdPost(base: string, path: string, body: unknown): Promise<unknown> {
  const res = await fetch(`${base}${path}`, {
    method: "POST",
    body: JSON.stringify(body),
    headers: { "content-type": "application/json" },
    signal: AbortSignal.timeout(10_000),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`etcd ${path}: ${res.status} ${text}`);
  return JSON.parse(text);
}

function tlsGet(server: string, path: string, ca: string, token: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(
      `${server}${path}`,
      { ca, headers: { authorization: `Bearer ${token}` }, timeout: 2000 },
      (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      },
    );
    req.on("timeout", () => req.destroy(new Error("timeout")));
    req.on("error", reject);
    req.end();
  });
}
