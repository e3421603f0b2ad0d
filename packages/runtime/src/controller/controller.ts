import { randomUUID } from "node:crypto";
import { currentRequestScope, type RequestScope, withRequestScope } from "../client/scope.ts";
import { type Logger, getLogger, withLazyLogger } from "../log/index.ts";
import type { LeaderElectionRunnable, Runnable } from "../runnable/index.ts";
import { type ControllerMetrics, controllerMetrics } from "../metrics/controller.ts";
import { newQueueMetrics } from "../metrics/workqueue.ts";
import { type ReconcileFunc, type Reconciler, type Request, type Result, TerminalError, reconcilerFrom, requestKey } from "../reconcile/index.ts";
import type { Source } from "../source/index.ts";
import { type Clock, type RateLimiter, RateLimitingQueue, realClock } from "../workqueue/index.ts";

export interface ControllerOptions<Req = Request> {
  /** Unique per process: names the controller in logs and labels its metrics and its queue's. */
  name: string;
  reconciler: Reconciler<Req> | ReconcileFunc<Req>;
  /** Workers reconciling at once (default 1); one key is never reconciled by two at once. */
  maxConcurrentReconciles?: number;
  /** Default: the larger of per-item exponential backoff (5 ms .. 1000 s) and a 10 qps / burst 100 bucket. */
  rateLimiter?: RateLimiter;
  /** The identity of a request (default: namespace/name). Requests of any other shape need their own. */
  keyOf?: (req: Req) => string;
  /** Serve requests round-robin across the groups this names (the cluster, say), so no group starves the rest. */
  fairnessKeyOf?: (req: Req) => string;
  /** How long start() waits for the sources to sync before it fails (default 120 s). */
  cacheSyncTimeoutMs?: number;
  /** Whether the manager starts this controller only on the leader (default true). */
  needLeaderElection?: boolean;
  /** Default: the root logger; every line carries controller=<name>. */
  logger?: Logger;
  /** The fields identifying a request on each reconcile's logger (default: namespace and name). */
  logValues?: (req: Req) => Record<string, unknown>;
  /** Time for the queue's delays and rate limiting, the sync timeout and the reconcile-time metric. */
  clock?: Clock;
}

type State = "new" | "starting" | "running" | "stopped";

function defaultLogValues(req: unknown): Record<string, unknown> {
  const r = req as Partial<Request> | undefined;
  const out: Record<string, unknown> = {};
  if (r?.namespace !== undefined) out.namespace = r.namespace;
  if (r?.name !== undefined) out.name = r.name;
  return out;
}

function isTerminalError(err: unknown): boolean {
  // Like errors.Is: a TerminalError anywhere in the cause chain counts.
  for (let e = err, depth = 0; e instanceof Error && depth < 32; e = e.cause, depth++) {
    if (e instanceof TerminalError) return true;
  }
  return false;
}

function toError(err: unknown): Error {
  if (err instanceof Error) return err;
  let text: string;
  try {
    text = typeof err === "string" ? err : JSON.stringify(err) ?? String(err);
  } catch {
    text = Object.prototype.toString.call(err);
  }
  return new Error(`non-Error value thrown: ${text}`, { cause: err });
}

/**
 * Reconciles requests from a rate-limited work queue that its sources fill. start() starts the sources, waits for
 * them to sync, runs maxConcurrentReconciles workers, and returns once the signal has aborted and the reconciles in
 * flight have finished.
 */
export class Controller<Req = Request> implements Runnable, LeaderElectionRunnable {
  readonly name: string;
  /** The controller's queue, for advanced use (enqueueing from outside a source, inspecting depth). */
  readonly queue: RateLimitingQueue<Req>;
  private readonly reconciler: Reconciler<Req>;
  private readonly workers: number;
  private readonly cacheSyncTimeoutMs: number;
  private readonly leaderElection: boolean;
  private readonly log: Logger;
  private readonly logValues: (req: Req) => Record<string, unknown>;
  private readonly clock: Clock;
  private readonly metrics: ControllerMetrics;
  private readonly pending: { source: Source<Req>; waitForSync: boolean }[] = [];
  private runSignal: AbortSignal | undefined;
  private state: State = "new";

  constructor(opts: ControllerOptions<Req>) {
    if (!opts.name) throw new Error("controller: a name is required");
    const workers = opts.maxConcurrentReconciles ?? 1;
    if (!Number.isInteger(workers) || workers < 1) {
      throw new Error(`controller "${opts.name}": maxConcurrentReconciles must be a positive integer (got ${workers})`);
    }
    this.name = opts.name;
    this.reconciler = reconcilerFrom(opts.reconciler);
    this.workers = workers;
    this.cacheSyncTimeoutMs = opts.cacheSyncTimeoutMs ?? 120_000;
    this.leaderElection = opts.needLeaderElection ?? true;
    this.log = (opts.logger ?? getLogger()).child({ controller: opts.name });
    this.logValues = opts.logValues ?? defaultLogValues;
    this.clock = opts.clock ?? realClock;
    this.queue = new RateLimitingQueue<Req>({
      name: opts.name,
      controller: opts.name,
      keyOf: opts.keyOf ?? (requestKey as (req: Req) => string),
      metricsProvider: newQueueMetrics,
      fairnessKeyOf: opts.fairnessKeyOf,
      clock: this.clock,
      rateLimiter: opts.rateLimiter,
    });
    this.metrics = controllerMetrics(opts.name, workers);
  }

  needLeaderElection(): boolean {
    return this.leaderElection;
  }

  /**
   * Adds a source. Before start() it is started with the controller (and waited for); on a running controller it
   * starts at once, and resolves once attached (it is not waited for). On a stopped controller it does nothing. The
   * source detaches when the controller stops. With waitForSync false, a source given before start() does not hold
   * the workers back until it syncs: for sources on other clusters, one of which may be unreachable.
   */
  async watch(source: Source<Req>, options: { waitForSync?: boolean } = {}): Promise<void> {
    if (this.state === "stopped") return;
    if (!this.runSignal) {
      this.pending.push({ source, waitForSync: options.waitForSync ?? true });
      return;
    }
    await this.startSource(source, this.runSignal);
  }

  async start(signal: AbortSignal): Promise<void> {
    if (this.state !== "new") throw new Error(`controller "${this.name}": already started; a controller runs once`);
    this.state = "starting";
    const run = new AbortController();
    const onAbort = (): void => run.abort(signal.reason);
    if (signal.aborted) run.abort(signal.reason);
    else signal.addEventListener("abort", onAbort, { once: true });
    run.signal.addEventListener("abort", () => this.queue.shutDown(), { once: true });
    this.runSignal = run.signal;
    try {
      const pending = this.pending.splice(0);
      for (const p of pending) await this.startSource(p.source, run.signal);
      const gating = pending.filter((p) => p.waitForSync).map((p) => p.source);
      if (!(await this.waitForSync(gating, run.signal))) return;
      this.state = "running";
      this.log.info({ workerCount: this.workers }, "Starting workers");
      // The manager's scope for leader-only work (its write fence), as start() was called in it.
      const scope = currentRequestScope();
      const workers = Array.from({ length: this.workers }, () => this.worker(run.signal, scope));
      await Promise.all(workers);
      this.log.info("All workers finished");
    } finally {
      signal.removeEventListener("abort", onAbort);
      run.abort();
      this.state = "stopped";
    }
  }

  private async startSource(source: Source<Req>, signal: AbortSignal): Promise<void> {
    this.log.info({ source: String(source) }, "Starting EventSource");
    try {
      await source.start(signal, this.queue);
    } catch (err) {
      throw new Error(`controller "${this.name}": starting ${String(source)} failed: ${toError(err).message}`, { cause: err });
    }
  }

  /** False if the controller was stopped while waiting; throws on timeout. */
  private async waitForSync(sources: Source<Req>[], signal: AbortSignal): Promise<boolean> {
    if (sources.length === 0) return !signal.aborted;
    this.log.info("Starting Controller");
    const timeout = new AbortController();
    const timer = this.clock.setTimeout(() => timeout.abort(), this.cacheSyncTimeoutMs);
    const either = AbortSignal.any([signal, timeout.signal]);
    let synced: boolean[];
    try {
      synced = await Promise.all(sources.map((s) => s.waitForSync(either)));
    } catch (err) {
      throw new Error(`controller "${this.name}": waiting for the sources to sync failed: ${toError(err).message}`, { cause: err });
    } finally {
      this.clock.clearTimeout(timer);
    }
    if (signal.aborted) return false;
    const unsynced = sources.filter((_, i) => !synced[i]);
    if (unsynced.length > 0) {
      throw new Error(
        `controller "${this.name}": timed out after ${this.cacheSyncTimeoutMs} ms waiting for ${unsynced.map(String).join(", ")} to sync ` +
          "(is the kind installed, and may the manager list and watch it?)",
      );
    }
    return true;
  }

  private async worker(signal: AbortSignal, outer: RequestScope | undefined): Promise<void> {
    // Writes made by a reconcile that pass no signal of their own take the controller's: abandoned when it stops.
    const scope: RequestScope = { ...outer, signal };
    for (;;) {
      const req = await this.queue.get();
      if (req === undefined) return;
      // A worker may be the first thing to run after the process was paused past its lease: it asks before it
      // reconciles, and finding leadership gone stops the controller (the manager aborts its signal synchronously).
      if (scope.fence?.()) {
        this.queue.done(req);
        return;
      }
      try {
        await withRequestScope(scope, () => this.reconcileHandler(req, signal));
      } catch (err) {
        // Only the controller's own plumbing gets here (logValues, the logger): keep the worker alive and retry.
        this.log.error({ err }, "handling a reconcile request failed");
        this.queue.addRateLimited(req);
      } finally {
        this.queue.done(req);
      }
    }
  }

  private async reconcileHandler(req: Req, signal: AbortSignal): Promise<void> {
    const values = this.logValues(req);
    let log: Logger | undefined;
    const logger = () => (log ??= this.log.child({ ...values, reconcileID: randomUUID() }));
    const started = this.clock.now();
    this.metrics.workerStarted();
    let result: Result | void;
    try {
      result = await withLazyLogger(logger, () => this.reconciler.reconcile(req, signal));
    } catch (thrown) {
      this.onError(req, thrown, logger(), signal);
      return;
    } finally {
      this.metrics.workerFinished();
      this.metrics.observeSeconds((this.clock.now() - started) / 1000);
    }
    if (result && typeof result.requeueAfter === "number" && result.requeueAfter > 0) {
      this.queue.forget(req);
      this.queue.addAfter(req, result.requeueAfter);
      this.metrics.result("requeue_after");
    } else if (result && result.requeue) {
      this.queue.addRateLimited(req);
      this.metrics.result("requeue");
    } else {
      this.queue.forget(req);
      this.metrics.result("success");
    }
  }

  private onError(req: Req, thrown: unknown, log: Logger, signal: AbortSignal): void {
    const err = toError(thrown);
    this.metrics.error();
    this.metrics.result("error");
    if (isTerminalError(err)) {
      this.metrics.terminalError();
      this.queue.forget(req);
      log.error({ err }, "Reconciler error (terminal, not requeued)");
      return;
    }
    this.queue.addRateLimited(req);
    if (signal.aborted && (thrown === signal.reason || err.name === "AbortError")) {
      log.info({ err }, "Reconcile interrupted by shutdown");
      return;
    }
    log.error({ err }, "Reconciler error");
  }
}
