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

function microTime(d = new Date()): string {
  return d.toISOString().replace(/\.(\d{3})Z$/, ".$1000Z");
}

const JITTER = 1.2;

/**
 * Leader election on a coordination.k8s.io Lease, after client-go's: expiry is judged by when *we* last saw the
 * record change (never by the holder's clock), writes use the resourceVersion for optimistic concurrency.
 */
export class LeaderElector {
  readonly identity: string;
  private readonly transport: RestTransport;
  private readonly opts: Required<Omit<LeaderElectionOptions, "identity" | "log">>;
  private readonly log: Logger;
  private observed: { record: Lease["spec"]; rawRecord: string; at: number } | undefined;
  private leading = false;

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

  isLeader(): boolean {
    return this.leading;
  }

  private get path(): string {
    return `/apis/coordination.k8s.io/v1/namespaces/${this.opts.namespace}/leases`;
  }

  /** Resolves once leadership is acquired; resolves false if the signal aborts first. */
  async acquire(signal: AbortSignal): Promise<boolean> {
    this.log.info({ lease: `${this.opts.namespace}/${this.opts.id}`, identity: this.identity }, "attempting to acquire leader lease");
    while (!signal.aborted) {
      if (await this.tryAcquireOrRenew()) {
        this.leading = true;
        leaderElectionMasterStatus.set({ name: this.opts.id }, 1);
        this.log.info({ lease: `${this.opts.namespace}/${this.opts.id}` }, "successfully acquired lease");
        return true;
      }
      await delay(this.opts.retryPeriodMs * (1 + Math.random() * (JITTER - 1)), undefined, { signal }).catch(() => {});
    }
    return false;
  }

  /**
   * Renews until the signal aborts (resolves, releasing the lease if configured) or a renewal cannot succeed within
   * renewDeadline (rejects: the caller must stop everything that needed leadership).
   */
  async renewUntil(signal: AbortSignal): Promise<void> {
    try {
      while (!signal.aborted) {
        const deadline = Date.now() + this.opts.renewDeadlineMs;
        let renewed = false;
        while (!signal.aborted && Date.now() < deadline) {
          if (await this.tryAcquireOrRenew()) {
            renewed = true;
            break;
          }
          await delay(this.opts.retryPeriodMs, undefined, { signal }).catch(() => {});
        }
        if (signal.aborted) break;
        if (!renewed) throw new Error(`leader election lost: lease ${this.opts.namespace}/${this.opts.id} not renewed within ${this.opts.renewDeadlineMs} ms`);
        await delay(this.opts.retryPeriodMs, undefined, { signal }).catch(() => {});
      }
      if (this.opts.releaseOnCancel) await this.release();
    } finally {
      this.leading = false;
      leaderElectionMasterStatus.set({ name: this.opts.id }, 0);
    }
  }

  private async tryAcquireOrRenew(): Promise<boolean> {
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
      current = await this.transport.request<Lease>("GET", `${this.path}/${this.opts.id}`);
    } catch (err) {
      if (!isNotFound(err)) {
        this.log.warn({ err: (err as Error).message }, "error retrieving lease");
        return false;
      }
      try {
        await this.transport.request("POST", this.path, {
          body: { apiVersion: "coordination.k8s.io/v1", kind: "Lease", metadata: { name: this.opts.id, namespace: this.opts.namespace }, spec },
        });
        this.observe(spec);
        return true;
      } catch (createErr) {
        if (!isAlreadyExists(createErr)) this.log.warn({ err: (createErr as Error).message }, "error creating lease");
        return false;
      }
    }
    const record = current.spec ?? {};
    const raw = JSON.stringify(record);
    if (!this.observed || this.observed.rawRecord !== raw) this.observe(record);
    const holder = record.holderIdentity ?? "";
    const iAmHolder = holder === this.identity;
    const durationMs = (record.leaseDurationSeconds ?? 0) * 1000;
    if (holder && !iAmHolder && this.observed!.at + durationMs > Date.now()) return false;

    if (iAmHolder) {
      spec.acquireTime = record.acquireTime ?? spec.acquireTime;
      spec.leaseTransitions = record.leaseTransitions ?? 0;
    } else {
      spec.leaseTransitions = (record.leaseTransitions ?? 0) + 1;
    }
    try {
      await this.transport.request("PUT", `${this.path}/${this.opts.id}`, {
        body: { ...current, spec },
      });
      this.observe(spec);
      return true;
    } catch (err) {
      if (!isConflict(err)) this.log.warn({ err: (err as Error).message }, "error updating lease");
      return false;
    }
  }

  private observe(record: Lease["spec"]): void {
    this.observed = { record, rawRecord: JSON.stringify(record), at: Date.now() };
  }

  private async release(): Promise<void> {
    try {
      const current = await this.transport.request<Lease>("GET", `${this.path}/${this.opts.id}`);
      if (current.spec?.holderIdentity !== this.identity) return;
      const now = microTime();
      await this.transport.request("PUT", `${this.path}/${this.opts.id}`, {
        body: {
          ...current,
          spec: { ...current.spec, holderIdentity: null, leaseDurationSeconds: 1, acquireTime: now, renewTime: now },
        },
      });
      this.log.info({ lease: `${this.opts.namespace}/${this.opts.id}` }, "released leader lease");
    } catch (err) {
      this.log.warn({ err: (err as Error).message }, "failed to release lease");
    }
  }
}
