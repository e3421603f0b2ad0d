import type { MultiClusterManager } from "@operator-ts/multicluster";
import { type Cluster, isConnectionError, log } from "@operator-ts/runtime";
import { type Problem, problemOf } from "./problems.ts";

/**
 * How long one step of work on one cluster may take. Past it the cluster counts as unreachable for the rest of the
 * reconcile (and the health tracker hears of it), so a silent API server costs the other clusters at most this once.
 */
export const CLUSTER_STEP_TIMEOUT_MS = 5_000;

/** Settles with p, or rejects with the signal's reason once it aborts (p is left to end on its own). */
export function abortable<T>(p: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    if (signal.aborted) onAbort();
    else signal.addEventListener("abort", onAbort, { once: true });
    p.then(
      (value) => {
        signal.removeEventListener("abort", onAbort);
        resolve(value);
      },
      (err: unknown) => {
        signal.removeEventListener("abort", onAbort);
        reject(err);
      },
    );
  });
}

/**
 * The work of one reconcile on the clusters a K8ssandraCluster spans. A step on a cluster known to be unreachable is
 * skipped, never waited on; a step runs under a deadline and stops as soon as the health probe gives up on its
 * cluster; a failed step is recorded (unreachable, a problem for a person, or an error to retry with backoff) rather
 * than thrown, so one cluster's trouble never holds up the steps on the others. Steps on different clusters run
 * concurrently when the caller starts them together.
 */
export class ClusterWork {
  /** Clusters that did not answer, or that the health probe says are down. */
  readonly unreachable = new Set<string>();
  /** Errors that retrying cannot fix. */
  readonly problems: Problem[] = [];
  /** Errors that may pass: the reconcile is retried with backoff. */
  readonly transient: unknown[] = [];
  private readonly mcm: MultiClusterManager;
  private readonly signal: AbortSignal;
  private readonly timeoutMs: number;

  constructor(mcm: MultiClusterManager, signal: AbortSignal, timeoutMs = CLUSTER_STEP_TIMEOUT_MS) {
    this.mcm = mcm;
    this.signal = signal;
    this.timeoutMs = timeoutMs;
  }

  /**
   * Runs one step on a cluster; its result, or undefined when the step was skipped or failed (it never rejects). The step gets a signal
   * (deadline, cluster down, shutdown); the client takes no signal yet, so the wait is cut short here and the request
   * left to end by its own timeout.
   */
  async run<T>(cluster: string, what: string, step: (cluster: Cluster, signal: AbortSignal) => Promise<T>): Promise<T | undefined> {
    if (!this.mcm.hasCluster(cluster)) return undefined;
    if (this.unreachable.has(cluster)) return undefined;
    const health = this.mcm.health.status(cluster);
    if (health && health.state !== "reachable") {
      this.unreachable.add(cluster);
      return undefined;
    }
    const signal = AbortSignal.any([this.signal, AbortSignal.timeout(this.timeoutMs), this.mcm.health.untilUnreachable(cluster)]);
    try {
      return await abortable(step(this.mcm.getCluster(cluster), signal), signal);
    } catch (err) {
      // Shutting down: the reconcile ends by itself (the caller checks its signal); a step never rejects, so steps
      // started together and awaited later cannot leave a rejection unhandled.
      if (this.signal.aborted) return undefined;
      if (signal.aborted || isConnectionError(err)) {
        const why = signal.aborted && (signal.reason as Error)?.name === "TimeoutError" ? `no answer within ${this.timeoutMs} ms` : (err as Error).message;
        if (!this.unreachable.has(cluster)) log.fromContext().info({ cluster, step: what, err: why }, "cluster did not answer; skipping it until it does");
        this.unreachable.add(cluster);
        this.mcm.health.report(cluster, false, why);
        return undefined;
      }
      const problem = problemOf(err, what);
      if (problem) this.problems.push(problem);
      else this.transient.push(err);
      return undefined;
    }
  }
}
