import { createHash } from "node:crypto";
import type { KubeConfig } from "@kubernetes/client-node";
import { type Cluster, type ClusterOptions, type Logger, log, type Manager, type Runnable } from "@operator-ts/runtime";
import type { ClusterHealth } from "../health/index.ts";

/** How a cluster is engaged. */
export interface EngageOptions {
  /** Wait until the watches engaged for this cluster have synced; default true. */
  waitForSync?: boolean;
  /** Give up waiting after this long (the cluster stays engaged and catches up later); default 60 s. */
  syncTimeoutMs?: number;
  cluster?: Omit<ClusterOptions, "name">;
}

/**
 * What a cluster provider needs from whoever runs the clusters (after multicluster-runtime's `Aware`), so that
 * providers know nothing of the manager and can be tested against a fake. engage is re-entrant: engaging a name that
 * is engaged with the same connection (the same Cluster, or a kubeconfig with the same fingerprint) does nothing, with
 * another one replaces it. A rejected engage left nothing engaged under that name; the provider retries it.
 */
export interface ClusterAware {
  engage(name: string, from: KubeConfig | Cluster, options?: EngageOptions): Promise<Cluster>;
  /** Releases the cluster of that name; one that is not engaged is no error. */
  disengage(name: string): Promise<void>;
  hasCluster(name: string): boolean;
}

/**
 * What providers that live in the home cluster need besides: its Manager (client, cache, Events, leadership), the
 * clusters' health, and a running cluster to swap credentials into in place. MultiClusterManager is one.
 */
export interface HomeClusterAware extends ClusterAware {
  readonly manager: Manager;
  readonly health: ClusterHealth;
  getCluster(name: string): Cluster;
}

/** A source of clusters: runs until the signal aborts, engaging and disengaging clusters on a ClusterAware. */
export interface ClusterProvider extends Runnable {
  /** Names the provider in logs. */
  readonly name: string;
  needLeaderElection(): boolean;
}

/** A provider's logger: its own if given, else its manager's (when the ClusterAware is one), else the process's. */
export function providerLogger(aware: ClusterAware, provider: string, own: Logger | undefined): Logger {
  const manager = (aware as Partial<HomeClusterAware>).manager;
  return (own ?? manager?.log ?? log.getLogger()).child({ provider });
}

/** One kubeconfig context as a stable fingerprint: a change of server, CA or credentials changes it. */
export function contextFingerprint(kc: KubeConfig, context: string = kc.getCurrentContext()): string {
  const ctx = kc.getContextObject(context);
  const cluster = ctx ? kc.getCluster(ctx.cluster) : null;
  const user = ctx ? kc.getUser(ctx.user) : null;
  return createHash("sha256").update(JSON.stringify({ ctx, cluster, user })).digest("hex");
}
