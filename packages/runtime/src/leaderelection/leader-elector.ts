import { randomBytes } from "node:crypto";
import { hostname } from "node:os";
import { setTimeout as delay } from "node:timers/promises";
import { isAlreadyExists, isConflict, isNotFound } from "../client/errors.ts";
import type { RestTransport } from "../client/transport.ts";
import type { Logger } from "../log/index.ts";
import { leaderElectionMasterStatus } from "../metrics/leaderelection.ts";

export interface LeaderElectionOptions {
  /** The Lease's name. */
  id: string;
  namespace: string;
  /** Who we are; defaults to hostname + random suffix, as controller-runtime does. */
  identity?: string;
  /** controller-runtime's defaults: 15 s, 10 s, 2 s. */
  leaseDurationMs?: number;
  renewDeadlineMs?: number;
  retryPeriodMs?: number;
  /** Give the lease up on shutdown so a standby takes over at once instead of after leaseDuration. */
  releaseOnCancel?: boolean;
  log: Logger;
}

/** Leadership ended without being given up: the lease was not renewed in time, or another replica holds it. */
export class LeaderElectionLostError extends Error {
  override readonly name = "LeaderElectionLostError";
}

interface Lease {
  apiVersion: "coordination.k8s.io/v1";
  kind: "Lease";
  metadata: { name: string; namespace: string; resourceVersion?: string };
  spec: {
    holderIdentity?: string | null;
    leaseDurationSeconds?: number;
    acquireTime?: string | null;
    renewTime?: string | null;
    leaseTransitions?: number;
  };
}

type Attempt = { ok: true } | { ok: false; holder?: string };

function microTime(d = new Date()): string {
  return d.toISOString().replace(/\.(\d{3})Z$/, ".$1000Z");
}

const JITTER = 1.2;

/**
 * Leader election on a coordination.k8s.io Lease, after client-go's: expiry is judged by when *we* last saw the
 * record change (never by the holder's clock), writes use the resourceVersion for optimistic concurrency.
 *
 * Time is read from the monotonic clock (performance.now), which goes on counting while the process is stopped: a
 * leader paused past its lease wakes knowing its last renewal is stale, whatever its timers and wall clock say.
 * Leadership lasts renewDeadline from the start of the last successful renewal; stillLeading() checks that, and the
 * first caller to find it past (or the renew loop seeing another holder) ends leadership synchronously: `lost` aborts
 * before that call returns. An elector leads once; after losing it, make a new one.
 */
export class LeaderElector {
  readonly identity: string;
  private readonly transport: RestTransport;
  private readonly opts: Required<Omit<LeaderElectionOptions, "identity" | "log">>;
  private readonly log: Logger;
  private observed: { record: Lease["spec"]; rawRecord: string; at: number } | undefined;
  private leading = false;
  /** performance.now() when the last successful acquire or renew attempt began: the lease is ours from then on. */
  private renewedAt = -Infinity;
  private readonly lostController = new AbortController();

  constructor(transport: RestTransport, options: LeaderElectionOptions) {
    this.transport = transport;
    this.identity = options.identity ?? `${hostname()}_${randomBytes(8).toString("hex")}`;
    this.log = options.log;
    this.opts = {
      id: options.id,
      namespace: options.namespace,
      leaseDurationMs: options.leaseDurationMs ?? 15_000,
      renewDeadlineMs: options.renewDeadlineMs ?? 10_000,
      retryPeriodMs: options.retryPeriodMs ?? 2_000,
      releaseOnCancel: options.releaseOnCancel ?? true,
    };
    if (this.opts.leaseDurationMs <= this.opts.renewDeadlineMs) throw new Error("leaseDuration must be greater than renewDeadline");
    if (this.opts.renewDeadlineMs <= this.opts.retryPeriodMs * JITTER) throw new Error("renewDeadline must be greater than retryPeriod*1.2");
  }

  /** Aborts, with a LeaderElectionLostError as its reason, the moment leadership is lost without being given up. */
  get lost(): AbortSignal {
    return this.lostController.signal;
  }

  isLeader(): boolean {
    return this.stillLeading();
  }

  /**
   * Whether this replica still leads by its own monotonic clock: its last successful renewal began less than
   * renewDeadline ago. Finding it has not ends leadership here and now, so call it before anything only a leader
   * may do. It is cheap: one clock reading.
   */
  stillLeading(): boolean {
    if (this.leading) {
      const age = performance.now() - this.renewedAt;
      if (age >= this.opts.renewDeadlineMs) {
        this.lose(`lease ${this.leaseName} not renewed for ${Math.round(age)} ms, past the renew deadline of ${this.opts.renewDeadlineMs} ms`);
      }
    }
    return this.leading;
  }

  private get leaseName(): string {
    return `${this.opts.namespace}/${this.opts.id}`;
  }

  private get path(): string {
    return `/apis/coordination.k8s.io/v1/namespaces/${this.opts.namespace}/leases`;
  }

  /** Resolves once leadership is acquired; resolves false if the signal aborts first. */
  async acquire(signal: AbortSignal): Promise<boolean> {
    if (this.lost.aborted) throw new Error("this elector has lost its leadership; make a new one");
    this.log.info({ lease: this.leaseName, identity: this.identity }, "attempting to acquire leader lease");
    while (!signal.aborted) {
      const startedAt = performance.now();
      const attempt = await this.tryAcquireOrRenew(signal, this.opts.renewDeadlineMs);
      // An attempt that took longer than the renew deadline (a paused process) left a lease we could not rely on.
      if (attempt.ok && !signal.aborted && performance.now() - startedAt < this.opts.renewDeadlineMs) {
        this.renewedAt = startedAt;
        this.leading = true;
        leaderElectionMasterStatus.set({ name: this.opts.id }, 1);
        this.log.info({ lease: this.leaseName }, "successfully acquired lease");
        return true;
      }
      await delay(this.opts.retryPeriodMs * (1 + Math.random() * (JITTER - 1)), undefined, { signal }).catch(() => {});
    }
    return false;
  }

  /**
   * Renews every retryPeriod until the signal aborts (resolves, releasing the lease if configured) or leadership is
   * lost (rejects with a LeaderElectionLostError, after `lost` has aborted): a renewal that does not succeed within
   * renewDeadline of the last one, each attempt's requests aborted at that deadline, or another holder on the Lease.
   */
  async renewUntil(signal: AbortSignal): Promise<void> {
    const stop = AbortSignal.any([signal, this.lost]);
    try {
      while (!signal.aborted && this.stillLeading()) {
        await delay(this.opts.retryPeriodMs, undefined, { signal: stop }).catch(() => {});
        if (signal.aborted || !this.stillLeading()) break;
        const startedAt = performance.now();
        // Whole milliseconds (AbortSignal.timeout takes no fraction), rounded down so as never to outlast the deadline.
        const remainingMs = Math.max(1, Math.floor(this.renewedAt + this.opts.renewDeadlineMs - startedAt));
        const attempt = await this.tryAcquireOrRenew(AbortSignal.any([stop, AbortSignal.timeout(remainingMs)]), remainingMs);
        if (attempt.ok) {
          // Not revived if it was lost while the attempt ran: a lost elector stays lost.
          if (this.leading) this.renewedAt = startedAt;
        } else if (attempt.holder) {
          this.lose(`lease ${this.leaseName} is held by ${attempt.holder}`);
        }
      }
      if (signal.aborted && this.opts.releaseOnCancel && this.leading) await this.release();
    } finally {
      this.leading = false;
      leaderElectionMasterStatus.set({ name: this.opts.id }, 0);
    }
    if (this.lost.aborted && !signal.aborted) throw this.lost.reason;
  }

  private lose(why: string): void {
    if (!this.leading) return;
    this.leading = false;
    leaderElectionMasterStatus.set({ name: this.opts.id }, 0);
    const err = new LeaderElectionLostError(`leader election lost: ${why}`);
    this.log.error({ lease: this.leaseName, identity: this.identity, err }, "leader election lost");
    this.lostController.abort(err);
  }

  /** One GET and at most one write, each aborted with the signal and given at most timeoutMs. */
  private async tryAcquireOrRenew(signal: AbortSignal, timeoutMs: number): Promise<Attempt> {
    const request = { signal, timeoutMs };
    const now = new Date();
    const spec: Lease["spec"] = {
      holderIdentity: this.identity,
      leaseDurationSeconds: Math.round(this.opts.leaseDurationMs / 1000),
      acquireTime: microTime(now),
      renewTime: microTime(now),
      leaseTransitions: 0,
    };
    let current: Lease;
    try {
      current = await this.transport.request<Lease>("GET", `${this.path}/${this.opts.id}`, request);
    } catch (err) {
      if (!isNotFound(err)) {
        this.log.warn({ err }, "error retrieving lease");
        return { ok: false };
      }
      try {
        await this.transport.request("POST", this.path, {
          ...request,
          body: { apiVersion: "coordination.k8s.io/v1", kind: "Lease", metadata: { name: this.opts.id, namespace: this.opts.namespace }, spec },
        });
        this.observe(spec);
        return { ok: true };
      } catch (createErr) {
        if (!isAlreadyExists(createErr)) this.log.warn({ err: createErr }, "error creating lease");
        return { ok: false };
      }
    }
    const record = current.spec ?? {};
    const raw = JSON.stringify(record);
    if (!this.observed || this.observed.rawRecord !== raw) this.observe(record);
    const holder = record.holderIdentity ?? "";
    const iAmHolder = holder === this.identity;
    const durationMs = (record.leaseDurationSeconds ?? 0) * 1000;
    // A leader that finds another holder has lost, however old that holder's record looks.
    if (holder && !iAmHolder && (this.leading || this.observed!.at + durationMs > performance.now())) return { ok: false, holder };

    if (iAmHolder) {
      spec.acquireTime = record.acquireTime ?? spec.acquireTime;
      spec.leaseTransitions = record.leaseTransitions ?? 0;
    } else {
      spec.leaseTransitions = (record.leaseTransitions ?? 0) + 1;
    }
    try {
      await this.transport.request("PUT", `${this.path}/${this.opts.id}`, { ...request, body: { ...current, spec } });
      this.observe(spec);
      return { ok: true };
    } catch (err) {
      if (!isConflict(err)) this.log.warn({ err }, "error updating lease");
      return { ok: false };
    }
  }

  private observe(record: Lease["spec"]): void {
    this.observed = { record, rawRecord: JSON.stringify(record), at: performance.now() };
  }

  private async release(): Promise<void> {
    const request = { signal: AbortSignal.timeout(this.opts.renewDeadlineMs), timeoutMs: this.opts.renewDeadlineMs };
    try {
      const current = await this.transport.request<Lease>("GET", `${this.path}/${this.opts.id}`, request);
      if (current.spec?.holderIdentity !== this.identity) return;
      const now = microTime();
      await this.transport.request("PUT", `${this.path}/${this.opts.id}`, {
        ...request,
        body: {
          ...current,
          spec: { ...current.spec, holderIdentity: null, leaseDurationSeconds: 1, acquireTime: now, renewTime: now },
        },
      });
      this.log.info({ lease: this.leaseName }, "released leader lease");
    } catch (err) {
      this.log.warn({ err }, "failed to release lease");
    }
  }
}
