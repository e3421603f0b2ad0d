import { readFileSync } from "node:fs";
import { KubeConfig } from "@kubernetes/client-node";
import { Cluster, type ClusterOptions } from "../cluster/index.ts";
import type { Checker } from "../healthz/index.ts";
import { RestTransport } from "../client/transport.ts";
import { withRequestScope } from "../client/scope.ts";
import { LeaderElectionLostError, LeaderElector } from "../leaderelection/index.ts";
import { getLogger, type Logger } from "../log/index.ts";
import type { EventRecorder } from "../recorder/index.ts";
import { HttpServerRunnable, metricsRoutes, parseBindAddress, probeRoutes } from "./http.ts";
import { isServerRunnable, needsLeaderElection, type Runnable } from "../runnable/index.ts";

export interface ManagerOptions {
  /** Defaults to the default kubeconfig ($KUBECONFIG, ~/.kube/config, or in-cluster). */
  kubeconfig?: KubeConfig;
  /** Cache, client and connection options of the manager's own cluster. */
  cluster?: ClusterOptions;
  /** "host:port" or ":port" for /metrics; "0" (the default) disables it. */
  metricsBindAddress?: string;
  /** "host:port" or ":port" for /healthz and /readyz; "0" (the default) disables it. */
  healthProbeBindAddress?: string;
  leaderElection?: boolean;
  leaderElectionID?: string;
  /** Defaults to the pod's namespace when in a cluster, else "default". */
  leaderElectionNamespace?: string;
  leaderElectionIdentity?: string;
  leaseDurationMs?: number;
  renewDeadlineMs?: number;
  retryPeriodMs?: number;
  /** Give the lease up on shutdown (default true): a standby leads at once instead of after leaseDuration. */
  leaderElectionReleaseOnCancel?: boolean;
  /**
   * How long shutdown waits for runnables (in-flight reconciles among them); default 30 s. Not after leadership was
   * lost without being given up: then nothing is waited for (see start()).
   */
  gracefulShutdownTimeoutMs?: number;
  logger?: Logger;
}

type Group = "servers" | "caches" | "others" | "leaderElection";

interface Entry {
  runnable: Runnable;
  group: Group;
  done?: Promise<void>;
}

function isCluster(r: Runnable): r is Runnable & { waitForCacheSync(signal?: AbortSignal): Promise<boolean>; getCache(): unknown } {
  const c = r as Partial<Cluster>;
  return typeof c.getCache === "function" && typeof c.waitForCacheSync === "function";
}

function inClusterNamespace(): string | undefined {
  try {
    return readFileSync("/var/run/secrets/kubernetes.io/serviceaccount/namespace", "utf8").trim() || undefined;
  } catch {
    return undefined;
  }
}

/**
 * Starts and stops everything an operator runs: HTTP servers first, then caches (Clusters, waited on until synced),
 * then other runnables, then, once elected, the runnables that need leadership; shutdown goes in reverse order. A
 * runnable added after start() is started at once, and adding a Cluster resolves once its cache has synced. The first
 * runnable to fail stops the manager, and start() rejects with its error.
 */
export class Manager {
  readonly cluster: Cluster;
  readonly log: Logger;
  private readonly options: ManagerOptions;
  private readonly entries: Entry[] = [];
  private readonly healthChecks = new Map<string, Checker>();
  private readonly readyChecks = new Map<string, Checker>();
  private readonly groupAborts: Record<Group, AbortController> = {
    servers: new AbortController(),
    caches: new AbortController(),
    others: new AbortController(),
    leaderElection: new AbortController(),
  };
  private readonly stopAll = new AbortController();
  private state: "new" | "starting" | "running" | "stopping" | "stopped" = "new";
  private failure: unknown;
  private elector: LeaderElector | undefined;
  private electedResolve!: () => void;
  private readonly electedPromise = new Promise<void>((resolve) => (this.electedResolve = resolve));
  private isElected = false;
  private metricsServer: HttpServerRunnable | undefined;
  private probeServer: HttpServerRunnable | undefined;
  /** The Lease's own connection: a busy or stalled pool of the main client must not delay a renewal. */
  private readonly leaseTransport: RestTransport | undefined;
  private leadershipLost: LeaderElectionLostError | undefined;
  /** What leader-only work asks before each write: does this replica still lead by its monotonic clock? */
  private readonly fence = (): Error | undefined => {
    if (!this.elector || this.elector.stillLeading()) return undefined;
    return this.leadershipLost ?? new LeaderElectionLostError(`not the leader of lease ${this.options.leaderElectionID}`);
  };

  private constructor(cluster: Cluster, options: ManagerOptions, leaseTransport?: RestTransport) {
    this.cluster = cluster;
    this.options = options;
    this.log = options.logger ?? getLogger();
    this.entries.push({ runnable: cluster, group: "caches" });
    const metricsBind = parseBindAddress(options.metricsBindAddress ?? "0");
    if (metricsBind) {
      this.metricsServer = new HttpServerRunnable("metrics", metricsBind, metricsRoutes(), this.log);
      this.entries.push({ runnable: this.metricsServer, group: "servers" });
    }
    const probeBind = parseBindAddress(options.healthProbeBindAddress ?? "0");
    if (probeBind) {
      this.probeServer = new HttpServerRunnable("health probes", probeBind, probeRoutes(this.healthChecks, this.readyChecks), this.log);
      this.entries.push({ runnable: this.probeServer, group: "servers" });
    }
    if (options.leaderElection) {
      if (!options.leaderElectionID) throw new Error("leaderElectionID is required when leaderElection is enabled");
      this.leaseTransport = leaseTransport ?? cluster.transport;
      this.elector = new LeaderElector(this.leaseTransport, {
        id: options.leaderElectionID,
        namespace: options.leaderElectionNamespace ?? inClusterNamespace() ?? "default",
        identity: options.leaderElectionIdentity,
        leaseDurationMs: options.leaseDurationMs,
        renewDeadlineMs: options.renewDeadlineMs,
        retryPeriodMs: options.retryPeriodMs,
        releaseOnCancel: options.leaderElectionReleaseOnCancel,
        log: this.log.child({ component: "leader-election" }),
      });
      // Synchronous, so that whatever found leadership gone sees leader-only work already told to stop.
      this.elector.lost.addEventListener("abort", () => this.onLeadershipLost(this.elector!.lost.reason as LeaderElectionLostError), { once: true });
    } else {
      this.markElected();
    }
  }

  static async create(options: ManagerOptions = {}): Promise<Manager> {
    let kubeconfig = options.kubeconfig;
    if (!kubeconfig) {
      kubeconfig = new KubeConfig();
      kubeconfig.loadFromDefault();
    }
    const cluster = await Cluster.create(kubeconfig, { logger: options.logger, ...options.cluster });
    const leaseTransport = options.leaderElection
      ? await RestTransport.fromKubeConfig(kubeconfig, {
          userAgent: `${options.cluster?.userAgent ?? "operator-ts"}/leader-election`,
          connections: 1,
          requestTimeoutMs: options.renewDeadlineMs ?? 10_000,
        })
      : undefined;
    return new Manager(cluster, options, leaseTransport);
  }

  get client() {
    return this.cluster.client;
  }

  get cache() {
    return this.cluster.cache;
  }

  get apiReader() {
    return this.cluster.apiReader;
  }

  get mapper() {
    return this.cluster.mapper;
  }

  getEventRecorderFor(component: string): EventRecorder {
    return this.cluster.getEventRecorderFor(component);
  }

  addHealthzCheck(name: string, check: Checker): void {
    this.healthChecks.set(name, check);
  }

  addReadyzCheck(name: string, check: Checker): void {
    this.readyChecks.set(name, check);
  }

  /** True between start() and the beginning of shutdown. */
  isRunning(): boolean {
    return this.state === "starting" || this.state === "running";
  }

  /** Resolves when this replica leads (at once without leader election). */
  elected(): Promise<void> {
    return this.electedPromise;
  }

  /**
   * Runs fn as leader-only work, from anywhere (a timer, a provider's reconcile): once this replica leads, its writes
   * are fenced as a leader runnable's are, so that a replica paused past its lease writes nothing when it wakes.
   * Without leader election fn runs at once, unfenced.
   */
  async runAsLeader<R>(fn: () => Promise<R>): Promise<R> {
    await this.electedPromise;
    return withRequestScope(this.elector ? { fence: this.fence } : undefined, fn);
  }

  get identity(): string | undefined {
    return this.elector?.identity;
  }

  /** Where /metrics listens, once started (useful with port 0). */
  metricsAddress() {
    return this.metricsServer?.address();
  }

  probeAddress() {
    return this.probeServer?.address();
  }

  /**
   * Adds a runnable. Before start() it waits for start; after, it is started at once (a Cluster's promise resolves
   * when its cache has synced; a runnable needing leadership starts when this replica leads).
   */
  async add(runnable: Runnable): Promise<void> {
    if (this.state === "stopping" || this.state === "stopped") throw new Error("manager is shutting down");
    const group: Group = isCluster(runnable)
      ? "caches"
      : isServerRunnable(runnable)
        ? "servers"
        : needsLeaderElection(runnable)
          ? "leaderElection"
          : "others";
    const entry: Entry = { runnable, group };
    this.entries.push(entry);
    if (this.state === "new") return;
    if (group === "leaderElection" && !this.isElected) return;
    this.launch(entry);
    if (group === "caches" && isCluster(runnable)) await this.waitSynced(runnable);
  }

  private launch(entry: Entry): void {
    if (entry.done) return;
    const signal = this.groupAborts[entry.group].signal;
    // Leader-only work writes only while this replica leads; other runnables start outside the caller's scope.
    const scope = entry.group === "leaderElection" && this.elector ? { fence: this.fence } : undefined;
    entry.done = withRequestScope(scope, () => Promise.resolve().then(() => entry.runnable.start(signal)))
      .catch((err: unknown) => this.fail(err))
      .finally(() => {
        // Runnables that end while the manager runs (a removed cluster, say) are forgotten, so churn does not grow it.
        const index = this.entries.indexOf(entry);
        if (this.state === "running" && index >= 0) this.entries.splice(index, 1);
      });
  }

  private async waitSynced(cluster: { waitForCacheSync(signal?: AbortSignal): Promise<boolean> }): Promise<void> {
    const synced = await cluster.waitForCacheSync(this.stopAll.signal);
    if (!synced && !this.stopAll.signal.aborted) throw new Error("cache did not sync");
  }

  private fail(err: unknown): void {
    if (this.failure === undefined) {
      this.failure = err ?? new Error("runnable failed");
      this.log.error({ err }, "runnable failed, stopping the manager");
    }
    this.stopAll.abort();
  }

  /**
   * Leadership ended without being given up. Leader-only work is told to stop before anything else runs (its signal
   * aborts now, and its writes are fenced already); then the manager stops without a graceful drain, as
   * controller-runtime's does: the work must not go on while another replica leads.
   */
  private onLeadershipLost(err: LeaderElectionLostError): void {
    this.leadershipLost = err;
    this.groupAborts.leaderElection.abort(err);
    this.fail(err);
  }

  private markElected(): void {
    this.isElected = true;
    this.electedResolve();
  }

  private entriesOf(group: Group): Entry[] {
    return this.entries.filter((e) => e.group === group);
  }

  /**
   * Runs until the signal aborts or a runnable fails; then shuts down in order and resolves (or rejects).
   *
   * With leader election, losing the lease (not renewed within renewDeadline by this process's monotonic clock, or
   * found held by another replica) stops leader-only work at once and rejects with a LeaderElectionLostError without
   * waiting for any runnable: controller-runtime's behaviour, whose callers exit the process on that error. Do the
   * same (the k8ssandra-operator CLI exits with status 1); a deposed replica must not linger.
   */
  async start(signal?: AbortSignal): Promise<void> {
    if (this.state !== "new") throw new Error("manager already started");
    this.state = "starting";
    const onAbort = () => this.stopAll.abort();
    signal?.addEventListener("abort", onAbort, { once: true });
    if (signal?.aborted) this.stopAll.abort();
    try {
      for (const e of this.entriesOf("servers")) this.launch(e);
      await Promise.all(this.entriesOf("servers").map((e) => (isServerRunnable(e.runnable) ? e.runnable.address() : undefined)));
      for (const e of this.entriesOf("caches")) this.launch(e);
      await Promise.all(this.entriesOf("caches").map((e) => this.waitSynced(e.runnable as Cluster)));
      for (const e of this.entriesOf("others")) this.launch(e);
      this.state = "running";
      let renewal: Promise<void> | undefined;
      if (this.elector && !this.stopAll.signal.aborted) {
        const renewAbort = new AbortController();
        this.stopAll.signal.addEventListener("abort", () => {
          // Leadership is given up only after the runnables that needed it have stopped.
          void this.whenStopped("leaderElection").then(() => renewAbort.abort());
        }, { once: true });
        if (await this.elector.acquire(this.stopAll.signal)) {
          this.markElected();
          renewal = withRequestScope(undefined, () => this.elector!.renewUntil(renewAbort.signal)).catch((err: unknown) => this.fail(err));
        }
      }
      if (this.isElected) for (const e of this.entriesOf("leaderElection")) this.launch(e);
      if (!this.stopAll.signal.aborted) {
        await new Promise<void>((resolve) => this.stopAll.signal.addEventListener("abort", () => resolve(), { once: true }));
      }
      await this.shutdown(renewal);
    } catch (err) {
      this.fail(err);
      await this.shutdown(undefined);
    } finally {
      signal?.removeEventListener("abort", onAbort);
      this.state = "stopped";
    }
    if (this.failure !== undefined) throw this.failure;
  }

  private whenStopped(group: Group): Promise<unknown> {
    return Promise.all(this.entriesOf(group).map((e) => e.done));
  }

  private async shutdown(renewal: Promise<void> | undefined): Promise<void> {
    this.state = "stopping";
    if (this.leadershipLost) {
      for (const g of Object.values(this.groupAborts)) g.abort(this.leadershipLost);
      this.closeLeaseTransport();
      return;
    }
    const timeoutMs = this.options.gracefulShutdownTimeoutMs ?? 30_000;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<"timeout">((resolve) => (timer = setTimeout(() => resolve("timeout"), timeoutMs)));
    const ordered = async () => {
      for (const group of ["leaderElection", "others", "caches", "servers"] as Group[]) {
        this.groupAborts[group].abort();
        await this.whenStopped(group);
        if (group === "leaderElection") await renewal;
      }
    };
    const outcome = await Promise.race([ordered().then(() => "done" as const), timeout]);
    clearTimeout(timer);
    this.closeLeaseTransport();
    if (outcome === "timeout") {
      for (const g of Object.values(this.groupAborts)) g.abort();
      this.fail(new Error(`runnables did not stop within the graceful shutdown timeout of ${timeoutMs} ms`));
    }
  }

  private closeLeaseTransport(): void {
    if (this.leaseTransport && this.leaseTransport !== this.cluster.transport) void this.leaseTransport.destroy().catch(() => undefined);
  }
}

/** An AbortSignal that fires on SIGTERM or SIGINT; a second signal exits at once (controller-runtime's SetupSignalHandler). */
export function setupSignalHandler(): AbortSignal {
  const controller = new AbortController();
  let received = 0;
  const handler = (sig: NodeJS.Signals) => {
    received++;
    if (received > 1) process.exit(1);
    getLogger().info({ signal: sig }, "shutting down");
    controller.abort();
  };
  process.on("SIGTERM", handler);
  process.on("SIGINT", handler);
  return controller.signal;
}
