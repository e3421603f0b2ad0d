import { setTimeout as delay } from "node:timers/promises";
import { Gauge } from "prom-client";
import { metrics, type RestTransport } from "@operator-ts/runtime";

export type ClusterState = "reachable" | "unreachable" | "removed";

export interface ClusterStatus {
  name: string;
  state: ClusterState;
  /** When the cluster entered this state. */
  since: Date;
  /** Why it is unreachable: the last probe's error, free of credentials. */
  lastError?: string;
  /** False until the first probe answered (or failed): "reachable" is only assumed until then. */
  probed: boolean;
}

export interface ClusterHealthOptions {
  /** Probe period; default 5 s. An unreachable cluster is probed every second at most, so its return is seen soon. */
  intervalMs?: number;
  /** A probe slower than this counts as a failure; default 3 s. */
  timeoutMs?: number;
}

const reachableGauge = new Gauge({
  name: "multicluster_cluster_reachable",
  help: "Whether the API server of a cluster answered its last health probe (1) or not (0).",
  labelNames: ["cluster"] as const,
  registers: [metrics.registry],
});

type Listener = (status: ClusterStatus) => void;

/** What logs and metrics call the home cluster, whose name in requests and in this API is "". */
export const HOME_CLUSTER_LABEL = "home";

const label = (name: string) => ({ cluster: name || HOME_CLUSTER_LABEL });

/** The reason of an untilUnreachable() signal: the cluster stopped answering (or was removed). */
export class ClusterUnreachableError extends Error {
  override readonly name = "ClusterUnreachableError";
  readonly cluster: string;
  constructor(cluster: string, why: string) {
    super(`cluster ${cluster || HOME_CLUSTER_LABEL} is unreachable: ${why}`);
    this.cluster = cluster;
  }
}

interface Tracked {
  status: ClusterStatus;
  stop: AbortController;
  /** Aborted when the cluster turns unreachable or is untracked: see untilUnreachable(). */
  reachable?: AbortController;
}

/**
 * Tracks each cluster as reachable, unreachable (since when) or removed, by probing its API server's /readyz.
 * Reconcilers ask before they write to a remote cluster; readiness shows the details; a metric per cluster graphs it.
 */
export class ClusterHealth {
  private readonly tracked = new Map<string, Tracked>();
  private readonly removed = new Map<string, ClusterStatus>();
  private readonly listeners = new Set<Listener>();
  private readonly intervalMs: number;
  private readonly timeoutMs: number;

  constructor(options: ClusterHealthOptions = {}) {
    this.intervalMs = options.intervalMs ?? 5000;
    this.timeoutMs = options.timeoutMs ?? 3000;
  }

  /** Starts probing a cluster; it counts as reachable until a probe says otherwise. */
  track(name: string, transport: RestTransport): void {
    this.untrack(name, false);
    const stop = new AbortController();
    const status: ClusterStatus = { name, state: "reachable", since: new Date(), probed: false };
    this.tracked.set(name, { status, stop });
    this.removed.delete(name);
    reachableGauge.set(label(name), 1);
    void this.probeLoop(name, transport, stop.signal);
  }

  /** Stops probing; the cluster is reported as removed. */
  untrack(name: string, markRemoved = true): void {
    const t = this.tracked.get(name);
    if (!t) return;
    t.stop.abort();
    t.reachable?.abort(new ClusterUnreachableError(name, "it was removed"));
    this.tracked.delete(name);
    reachableGauge.remove(label(name));
    if (markRemoved) {
      const status: ClusterStatus = { name, state: "removed", since: new Date(), probed: true };
      this.removed.set(name, status);
      this.emit(status);
    }
  }

  status(name: string): ClusterStatus | undefined {
    return this.tracked.get(name)?.status ?? this.removed.get(name);
  }

  isReachable(name: string): boolean {
    return this.tracked.get(name)?.status.state === "reachable";
  }

  /**
   * A signal that aborts when the cluster turns unreachable or is removed (already aborted if it is not reachable now),
   * with a ClusterUnreachableError as its reason: work against one cluster stops the moment the probe gives up on it,
   * instead of waiting for its own request timeouts. A cluster that was never tracked is never probed: its signal
   * never aborts.
   */
  untilUnreachable(name: string): AbortSignal {
    const t = this.tracked.get(name);
    if (!t) return this.removed.has(name) ? AbortSignal.abort(new ClusterUnreachableError(name, "it was removed")) : new AbortController().signal;
    if (t.status.state !== "reachable") return AbortSignal.abort(new ClusterUnreachableError(name, t.status.lastError ?? "its last probe failed"));
    t.reachable ??= new AbortController();
    return t.reachable.signal;
  }

  all(): ClusterStatus[] {
    return [...[...this.tracked.values()].map((t) => t.status), ...this.removed.values()];
  }

  onChange(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Records the outcome of a request made elsewhere, so a failed write marks the cluster at once. */
  report(name: string, ok: boolean, error?: string): void {
    const t = this.tracked.get(name);
    if (!t) return;
    const state: ClusterState = ok ? "reachable" : "unreachable";
    if (t.status.state === state && t.status.probed) {
      if (!ok) t.status.lastError = error;
      return;
    }
    // The first answer is told to listeners even when it confirms the assumed state: it is the first that is known.
    const since = t.status.state === state ? t.status.since : new Date();
    t.status = { name, state, since, probed: true, ...(ok ? {} : { lastError: error }) };
    if (!ok) {
      t.reachable?.abort(new ClusterUnreachableError(name, error ?? "a request failed"));
      t.reachable = undefined;
    }
    reachableGauge.set(label(name), ok ? 1 : 0);
    this.emit(t.status);
  }

  /**
   * A readiness check that passes while the clusters are merely degraded (an unreachable data-plane cluster must not
   * take the operator out of service) and lists each cluster's state in ?verbose output.
   */
  readyzCheck(): () => string {
    return () =>
      this.all()
        .map((s) => (s.state === "unreachable" ? `${s.name || HOME_CLUSTER_LABEL} unreachable since ${s.since.toISOString()}` : `${s.name || HOME_CLUSTER_LABEL} ${s.state}`))
        .join(", ");
  }

  stop(): void {
    for (const name of [...this.tracked.keys()]) this.untrack(name, false);
  }

  private emit(status: ClusterStatus): void {
    for (const l of this.listeners) {
      try {
        l(status);
      } catch {
        // A listener's failure must not stop health tracking.
      }
    }
  }

  private async probeLoop(name: string, transport: RestTransport, signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      try {
        await transport.requestText("GET", "/readyz", { signal: AbortSignal.any([signal, AbortSignal.timeout(this.timeoutMs)]) });
        if (!signal.aborted) this.report(name, true);
      } catch (err) {
        if (signal.aborted) return;
        this.report(name, false, err instanceof Error ? err.message : String(err));
      }
      const wait = this.tracked.get(name)?.status.state === "unreachable" ? Math.min(this.intervalMs, 1000) : this.intervalMs;
      await delay(wait, undefined, { signal: signal }).catch(() => undefined);
    }
  }
}
