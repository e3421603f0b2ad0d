import { setTimeout as delay } from "node:timers/promises";
import type { KubeConfig } from "@kubernetes/client-node";
import { cache, Cluster, type ClusterOptions, type Controller, type Logger, Manager, type ManagerOptions, type Source } from "@operator-ts/runtime";
import { EventEmitter } from "eventemitter3";
import { ClusterHealth, type ClusterHealthOptions } from "./health/index.ts";
import { type ClusterAware, contextFingerprint, type EngageOptions } from "./providers/provider.ts";
import type { ClusterFilter, ClusterRequest } from "./reconcile.ts";

/** How one watch of a multi-cluster controller is made for each cluster it applies to. */
export interface ClusterSourceSpec {
  clusters: ClusterFilter;
  make(clusterName: string, cluster: Cluster): Source<ClusterRequest>;
}

interface Registered {
  controller: Controller<ClusterRequest>;
  specs: ClusterSourceSpec[];
}

interface Engaged {
  cluster: Cluster;
  stop: AbortController;
  stopped: Promise<void> | undefined;
  wake: Wake;
  /** The fingerprint of the kubeconfig it was engaged with, for engage's no-op; none for a Cluster given as is. */
  print: string | undefined;
}

export interface MultiClusterManagerOptions extends ManagerOptions {
  health?: ClusterHealthOptions;
  /** Options for every cluster added later (cache restrictions, transforms, field manager). */
  clusterDefaults?: Omit<ClusterOptions, "name">;
}

export type AddClusterOptions = EngageOptions;

/** What a MultiClusterManager tells its listeners: a cluster joined, or left. */
export interface ClusterEvents {
  added: (name: string) => void;
  removed: (name: string) => void;
}

export class ClusterNotFoundError extends Error {
  override readonly name = "ClusterNotFoundError";
  readonly cluster: string;
  constructor(cluster: string) {
    super(`cluster "${cluster}" is not known to this manager`);
    this.cluster = cluster;
  }
}

/** Lets waits for a retry end early: woken when the cluster turns reachable again. */
class Wake {
  private controller = new AbortController();
  get signal(): AbortSignal {
    return this.controller.signal;
  }
  now(): void {
    this.controller.abort();
    this.controller = new AbortController();
  }
}

/**
 * A remote cluster's source, made to survive what a remote cluster does: it stops with the cluster, and a start that
 * fails (the cluster is down, or lacks the CRD for now) is logged and retried in the background with backoff instead of
 * failing the controller that every other cluster shares. Each attempt starts a fresh source from the spec: a source
 * attaches to one controller once, and one whose start failed holds nothing worth keeping, so retrying means making
 * another rather than teaching every source kind to start twice. The wait between attempts ends as soon as the
 * cluster is seen reachable again.
 */
function remoteSource(make: () => Source<ClusterRequest>, engaged: Engaged, log: Logger, cluster: string): Source<ClusterRequest> {
  let started: Promise<Source<ClusterRequest> | undefined> | undefined;
  // The first attempt's source, made now so that the watch has a name before it starts.
  let next: Source<ClusterRequest> | undefined = make();
  const name = String(next);
  return {
    start: async (signal, queue) => {
      const both = AbortSignal.any([signal, engaged.stop.signal]);
      const backoff = new cache.Backoff({ initialMs: 1000 });
      started = (async () => {
        while (!both.aborted) {
          const source = next ?? make();
          next = undefined;
          try {
            await source.start(both, queue);
            return source;
          } catch (err) {
            if (both.aborted) break;
            const retryInMs = backoff.next();
            log.warn({ cluster, source: name, err, retryInMs }, "could not start a watch on a cluster; retrying");
            const woken = engaged.wake.signal;
            await delay(retryInMs, undefined, { signal: AbortSignal.any([both, woken]) }).catch(() => undefined);
            if (woken.aborted) backoff.reset();
          }
        }
        return undefined;
      })();
    },
    waitForSync: async (signal) => {
      const both = AbortSignal.any([signal, engaged.stop.signal]);
      const aborted = new Promise<undefined>((r) => both.addEventListener("abort", () => r(undefined), { once: true }));
      const source = started && (await Promise.race([started, aborted]));
      return source ? source.waitForSync(both) : false;
    },
    toString: () => `${name} on cluster ${cluster}`,
  };
}

/**
 * The runtime Manager plus clusters that come and go: each added cluster gets its own Cluster (cache, client, health
 * probe) started inside the manager, and every registered multi-cluster controller engages it with its watches, all
 * feeding that controller's one queue. Removing a cluster detaches those watches and releases its informers, timers
 * and sockets; nothing else restarts.
 */
export class MultiClusterManager implements ClusterAware {
  readonly manager: Manager;
  readonly health: ClusterHealth;
  /** "added" once a cluster is engaged, "removed" once it is released: for work that depends on which clusters exist. */
  readonly events = new EventEmitter<ClusterEvents>();
  private readonly clusters = new Map<string, Engaged>();
  private readonly controllers: Registered[] = [];
  private readonly clusterDefaults: Omit<ClusterOptions, "name">;
  /** name -> the last engage or disengage of it: one at a time per name, so that re-entrant calls see each other. */
  private readonly turns = new Map<string, Promise<unknown>>();

  private constructor(manager: Manager, options: MultiClusterManagerOptions) {
    this.manager = manager;
    this.health = new ClusterHealth(options.health);
    this.clusterDefaults = options.clusterDefaults ?? {};
    manager.addReadyzCheck("clusters", this.health.readyzCheck());
    // A cluster that answers again is caught up now: its informers and pending watch starts stop waiting out backoffs
    // that grew while it was away.
    this.health.onChange((status) => {
      const engaged = status.state === "reachable" ? this.clusters.get(status.name) : undefined;
      if (!engaged) return;
      engaged.cluster.retryNow();
      engaged.wake.now();
    });
  }

  static async create(options: MultiClusterManagerOptions = {}): Promise<MultiClusterManager> {
    return new MultiClusterManager(await Manager.create(options), options);
  }

  /** Adds multi-cluster support to a Manager you built yourself. */
  static wrap(manager: Manager, options: Omit<MultiClusterManagerOptions, keyof ManagerOptions> = {}): MultiClusterManager {
    return new MultiClusterManager(manager, options);
  }

  /** The cluster of that name; "" is the manager's own. */
  getCluster(name: string): Cluster {
    if (name === "") return this.manager.cluster;
    const engaged = this.clusters.get(name);
    if (!engaged) throw new ClusterNotFoundError(name);
    return engaged.cluster;
  }

  hasCluster(name: string): boolean {
    return name === "" || this.clusters.has(name);
  }

  /** Every cluster's name, the home cluster ("") first. */
  clusterNames(): string[] {
    return ["", ...this.clusters.keys()];
  }

  /**
   * Adds a cluster, before or after start. Once the manager runs, the cluster's cache starts at once and every
   * controller engages it; with waitForSync the promise resolves after those watches synced (or the timeout passed:
   * an unreachable cluster stays added, marked unreachable, and catches up when it answers).
   */
  addCluster(name: string, from: KubeConfig | Cluster, options: AddClusterOptions = {}): Promise<Cluster> {
    return this.add(name, from, options, undefined);
  }

  /**
   * ClusterAware: adds the cluster, or does nothing when it is engaged with the same connection (the same Cluster, a
   * kubeconfig of the same fingerprint), or replaces it when with another. Calls for one name take turns.
   */
  engage(name: string, from: KubeConfig | Cluster, options: EngageOptions = {}): Promise<Cluster> {
    return this.inTurn(name, async () => {
      const print = from instanceof Cluster ? undefined : contextFingerprint(from);
      const current = this.clusters.get(name);
      if (current && (from instanceof Cluster ? current.cluster === from : print === current.print)) return current.cluster;
      await this.removeCluster(name);
      return this.add(name, from, options, print);
    });
  }

  /** ClusterAware: removeCluster, in turn with the engages of that name. */
  disengage(name: string): Promise<void> {
    return this.inTurn(name, () => this.removeCluster(name));
  }

  private inTurn<R>(name: string, fn: () => Promise<R>): Promise<R> {
    const turn = (this.turns.get(name) ?? Promise.resolve()).catch(() => undefined).then(fn);
    this.turns.set(name, turn);
    const forget = () => {
      if (this.turns.get(name) === turn) this.turns.delete(name);
    };
    turn.then(forget, forget);
    return turn;
  }

  private async add(name: string, from: KubeConfig | Cluster, options: AddClusterOptions, print: string | undefined): Promise<Cluster> {
    if (name === "") throw new Error('"" names the home cluster; give added clusters a name');
    if (this.clusters.has(name)) throw new Error(`cluster "${name}" is already added; use replaceCluster to change it`);
    const cluster =
      from instanceof Cluster
        ? from
        : await Cluster.create(from, { ...this.clusterDefaults, ...options.cluster, name, logger: this.manager.log.child({ cluster: name }) });
    const engaged: Engaged = { cluster, stop: new AbortController(), stopped: undefined, wake: new Wake(), print };
    this.clusters.set(name, engaged);
    this.health.track(name, cluster.transport);
    const runnable = {
      start: (signal: AbortSignal) => (engaged.stopped = cluster.start(AbortSignal.any([signal, engaged.stop.signal]))),
      getCache: () => cluster.cache,
      waitForCacheSync: (signal?: AbortSignal) => cluster.waitForCacheSync(signal),
      needLeaderElection: () => false,
    };
    try {
      await this.manager.add(runnable);
    } catch (err) {
      // Not added after all: leave nothing behind, so that the caller's retry starts from scratch.
      this.clusters.delete(name);
      engaged.stop.abort();
      this.health.untrack(name, false);
      await engaged.stopped;
      throw err;
    }
    const sources = this.engageCluster(name, engaged);
    this.manager.log.info({ cluster: name, server: cluster.transport.server }, "cluster added");
    this.events.emit("added", name);
    if ((options.waitForSync ?? true) && this.manager.isRunning()) await this.waitForSources(name, sources, options.syncTimeoutMs ?? 60_000);
    return cluster;
  }

  /** Removes a cluster: its watches detach from every controller, its cache, timers and connections are released. */
  async removeCluster(name: string): Promise<void> {
    const engaged = this.clusters.get(name);
    if (!engaged) return;
    this.clusters.delete(name);
    engaged.stop.abort();
    this.health.untrack(name);
    await engaged.stopped;
    this.manager.log.info({ cluster: name }, "cluster removed");
    this.events.emit("removed", name);
  }

  /** Swaps a cluster's connection (a rotated credential, a moved endpoint) without touching any other cluster. */
  async replaceCluster(name: string, kubeconfig: KubeConfig, options: AddClusterOptions = {}): Promise<Cluster> {
    await this.removeCluster(name);
    return this.addCluster(name, kubeconfig, options);
  }

  /** Registers a multi-cluster controller (the builder does this) and engages every cluster already present. */
  async register(controller: Controller<ClusterRequest>, specs: ClusterSourceSpec[]): Promise<void> {
    const entry = { controller, specs };
    this.controllers.push(entry);
    this.engageController(entry, "", undefined);
    for (const [name, engaged] of this.clusters) this.engageController(entry, name, engaged);
    await this.manager.add(controller);
  }

  start(signal?: AbortSignal): Promise<void> {
    this.health.track("", this.manager.cluster.transport);
    return this.manager.start(signal).finally(() => this.health.stop());
  }

  private engageCluster(name: string, engaged: Engaged): Source<ClusterRequest>[] {
    return this.controllers.flatMap((entry) => this.engageController(entry, name, engaged));
  }

  private engageController(entry: Registered, name: string, engaged: Engaged | undefined): Source<ClusterRequest>[] {
    const cluster = engaged?.cluster ?? this.manager.cluster;
    const sources: Source<ClusterRequest>[] = [];
    for (const spec of entry.specs) {
      if (!spec.clusters(name)) continue;
      const source = engaged ? remoteSource(() => spec.make(name, cluster), engaged, this.manager.log, name) : spec.make(name, cluster);
      // Remote clusters join without holding up the controller's start: one that is down must not block the others.
      void entry.controller.watch(source, { waitForSync: name === "" }).catch((err: unknown) => {
        this.manager.log.error({ cluster: name, err }, "could not engage a watch");
      });
      sources.push(source);
    }
    return sources;
  }

  private async waitForSources(name: string, sources: Source<ClusterRequest>[], timeoutMs: number): Promise<void> {
    if (!sources.length) return;
    const signal = AbortSignal.timeout(timeoutMs);
    const synced = await Promise.all(sources.map((s) => s.waitForSync(signal)));
    if (!synced.every(Boolean) && this.clusters.has(name)) {
      this.manager.log.warn({ cluster: name, timeoutMs }, "cluster's watches did not sync in time; it will catch up when reachable");
    }
  }
}
