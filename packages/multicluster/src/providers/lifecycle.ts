import type { KubeConfig } from "@kubernetes/client-node";
import { ApiError, cache, type Client, type Condition, conditions, type Logger, RestTransport, type Secret } from "@operator-ts/runtime";
import type { HomeClusterAware } from "./provider.ts";
import {
  type CredentialInfo,
  credentialExpiryGauge,
  describeCredential,
  renewalDueAt,
  requestServiceAccountToken,
  withToken,
} from "./credentials.ts";
import { ClusterIdentityError, IdentityGate, readClusterIdentity } from "./identity.ts";

export interface IdentityOptions<T> {
  /** The kube-system UID recorded on the object at first contact (its status), if any. */
  recorded(obj: T): string | undefined;
  /** The UID a person confirmed as the cluster's new identity (an annotation), if any. */
  confirmed(obj: T): string | undefined;
}

export interface RenewalOptions {
  /** Renew a service-account token once this share of its lifetime has passed; default 0.8. */
  share?: number;
  /** First wait after a failed renewal, doubled up to maxRetryMs; default 1 s. */
  initialRetryMs?: number;
  /** Default 60 s. */
  maxRetryMs?: number;
}

/** The condition saying whether a renewable credential was renewed in time (with `renewal`). */
export const CREDENTIAL_RENEWED_CONDITION = "CredentialRenewed";

/** What status says about an object's credential and its cluster's identity: no secret in it. */
export interface CredentialStatus {
  kind: string;
  expiresAt?: string;
  lastRenewal?: string;
  /** The service account a renewable token belongs to, namespace/name. */
  serviceAccount?: string;
}

export interface IdentityStatus {
  uid: string;
  recordedAt: string;
}

/** One object's credential and identity, as the provider tracks them. */
export interface Tracked {
  cluster: string;
  info: CredentialInfo;
  context: string;
  ref: { namespace: string; name: string; key: string };
  lastRenewal?: Date;
  renewalError?: { since: Date; message: string };
  backoff: cache.Backoff;
  timer?: NodeJS.Timeout;
  /** The token the timer was set for: a new one sets it again. */
  timerFor?: string;
  gate?: IdentityGate;
  identity?: IdentityStatus;
  /** The UID found where the recorded cluster was expected; cleared when a person confirms it. */
  replacedBy?: string;
  /** The credential may not read kube-system: the identity is not checked (said once). */
  uncheckable?: boolean;
  /** The remote API server refused the credential (401) the last time it was used here. */
  rejected?: string;
}

/** Verdict of checking a cluster's identity before it is (re)added. */
export type IdentityVerdict = { ok: true } | { ok: false; found: string; expected: string } | { ok: true; unknown: string };

/** How often a standby looks whether it leads now, with a renewal due. */
const STANDBY_RECHECK_MS = 5_000;
// setTimeout holds at most ~24.8 days; a longer wait is cut and resumed.
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * The lifecycle of remote credentials and identities for an ObjectClusterProvider: renews service-account tokens
 * before they expire (writing the new kubeconfig into the object's Secret, which the provider then swaps in place),
 * checks that each cluster stays the one first seen, and says what status should show about both.
 */
export class CredentialLifecycle<T> {
  private readonly tracked = new Map<string, Tracked>();
  private readonly mcm: HomeClusterAware;
  private readonly home: Client;
  private readonly log: Logger;
  private readonly renewal: RenewalOptions | undefined;
  private readonly identity: IdentityOptions<T> | undefined;
  /** Look at the object of this key again (its status changes, or its cluster must be released). */
  private readonly recheck: (key: string) => void;
  private readonly readSecret: (ref: { namespace: string; name: string }) => Promise<Secret>;

  constructor(options: {
    mcm: HomeClusterAware;
    log: Logger;
    renewal?: RenewalOptions;
    identity?: IdentityOptions<T>;
    recheck: (key: string) => void;
    readSecret: (ref: { namespace: string; name: string }) => Promise<Secret>;
  }) {
    this.mcm = options.mcm;
    this.home = options.mcm.manager.client;
    this.log = options.log;
    this.renewal = options.renewal;
    this.identity = options.identity;
    this.recheck = options.recheck;
    this.readSecret = options.readSecret;
    void this.mcm.manager.elected().then(() => (this.leading = true));
  }

  /** Only the leader renews (without leader election, every manager leads): standbys would race it for the Secret. */
  private leading = false;

  get checksIdentity(): boolean {
    return this.identity !== undefined;
  }

  get(key: string): Tracked | undefined {
    return this.tracked.get(key);
  }

  /** Records the credential an object's kubeconfig holds now; a new renewable token gets its renewal timer. */
  observe(key: string, obj: T, cluster: string, kubeconfig: KubeConfig, ref: Tracked["ref"]): Tracked {
    const info = describeCredential(kubeconfig);
    let t = this.tracked.get(key);
    if (!t) {
      t = { cluster, info, context: kubeconfig.getCurrentContext(), ref, backoff: new cache.Backoff({ initialMs: this.renewal?.initialRetryMs ?? 1000, maxMs: this.renewal?.maxRetryMs ?? 60_000 }) };
      const recorded = this.identity?.recorded(obj);
      if (recorded) t.identity = { uid: recorded, recordedAt: "" };
      this.tracked.set(key, t);
    }
    if (t.cluster !== cluster) credentialExpiryGauge.remove({ cluster: t.cluster });
    Object.assign(t, { cluster, info, context: kubeconfig.getCurrentContext(), ref });
    if (info.expiresAt) credentialExpiryGauge.set({ cluster }, Math.floor(info.expiresAt.getTime() / 1000));
    else credentialExpiryGauge.remove({ cluster });
    this.schedule(key, t, kubeconfig.getCurrentUser()?.token);
    return t;
  }

  /**
   * Before a cluster is added: is the server at this kubeconfig the cluster recorded for the object? A person's
   * confirmation (the new UID) makes a new identity the recorded one. A server that cannot be asked is not judged.
   */
  async checkBeforeAdd(key: string, obj: T, kubeconfig: KubeConfig): Promise<IdentityVerdict> {
    const t = this.tracked.get(key)!;
    let found: string;
    let transport: RestTransport | undefined;
    try {
      transport = await RestTransport.fromKubeConfig(kubeconfig, { userAgent: "operator-ts-identity-check" });
      found = await readClusterIdentity(transport);
      t.rejected = undefined;
    } catch (err) {
      if (err instanceof ApiError && err.code === 401) t.rejected = err.message;
      return { ok: true, unknown: (err as Error).message };
    } finally {
      await transport?.destroy().catch(() => undefined);
    }
    return this.judge(key, t, obj, found);
  }

  private judge(key: string, t: Tracked, obj: T, found: string): IdentityVerdict {
    const expected = t.identity?.uid;
    if (!expected) {
      t.identity = { uid: found, recordedAt: new Date().toISOString() };
      this.log.info({ object: key, cluster: t.cluster, uid: found }, "cluster identity recorded");
      return { ok: true };
    }
    if (found === expected) {
      t.replacedBy = undefined;
      return { ok: true };
    }
    if (this.identity?.confirmed(obj) === found) {
      this.log.warn({ object: key, cluster: t.cluster, was: expected, uid: found }, "new cluster identity confirmed by a person");
      t.identity = { uid: found, recordedAt: new Date().toISOString() };
      t.replacedBy = undefined;
      return { ok: true };
    }
    t.replacedBy = found;
    return { ok: false, found, expected };
  }

  /** Guards the added cluster's writes by its identity from now on. */
  guard(key: string, cluster: string, transport: RestTransport): void {
    const t = this.tracked.get(key);
    if (!t || !this.identity) return;
    t.gate?.close();
    t.gate = new IdentityGate({
      cluster,
      transport,
      expected: t.identity?.uid,
      onIdentity: (uid) => {
        t.identity ??= { uid, recordedAt: new Date().toISOString() };
        this.recheck(key);
      },
      onUncheckable: (why) => {
        if (t.uncheckable) return;
        t.uncheckable = true;
        this.log.warn({ object: key, cluster, err: why }, "cannot read the cluster's kube-system namespace: its identity is not checked");
      },
      onMismatch: (found) => {
        t.replacedBy = found;
        this.log.warn({ object: key, cluster, uid: found, recorded: t.identity?.uid }, "cluster answers as another cluster: writes stopped");
        this.recheck(key);
      },
    });
  }

  /**
   * Reads the running cluster's identity again (a reconnect, a health change): a mismatch makes the gate refuse
   * writes and is returned; a 401 is remembered as a rejected credential.
   */
  async verifyRunning(key: string, obj: T): Promise<IdentityVerdict> {
    const t = this.tracked.get(key);
    if (!t?.gate) return { ok: true };
    try {
      await t.gate.verify();
      t.rejected = undefined;
      return { ok: true };
    } catch (err) {
      if (err instanceof ClusterIdentityError) {
        // The gate refuses for good; whether a person already confirmed the new one is judged like before an add.
        const verdict = this.judge(key, t, obj, err.found);
        return verdict.ok ? { ok: false, found: err.found, expected: err.expected } : verdict;
      }
      t.rejected = err instanceof ApiError && err.code === 401 ? err.message : undefined;
      return { ok: true, unknown: (err as Error).message };
    }
  }

  /** The cluster was released: its gate goes, the record stays (identity and renewal history). */
  released(key: string): void {
    const t = this.tracked.get(key);
    t?.gate?.close();
    if (t) t.gate = undefined;
  }

  forget(key: string): void {
    const t = this.tracked.get(key);
    if (!t) return;
    clearTimeout(t.timer);
    t.gate?.close();
    credentialExpiryGauge.remove({ cluster: t.cluster });
    this.tracked.delete(key);
  }

  stop(): void {
    for (const key of [...this.tracked.keys()]) this.forget(key);
  }

  credentialStatus(t: Tracked): CredentialStatus {
    const s: CredentialStatus = { kind: t.info.kind };
    if (t.info.expiresAt) s.expiresAt = t.info.expiresAt.toISOString();
    if (t.lastRenewal) s.lastRenewal = t.lastRenewal.toISOString();
    if (t.info.serviceAccount && this.renewal) s.serviceAccount = `${t.info.serviceAccount.namespace}/${t.info.serviceAccount.name}`;
    return s;
  }

  /**
   * Adds status.credential, status.clusterIdentity and the CredentialRenewed condition to a status patch (conditions
   * edited in `current`); a renewal that starts failing is told to `warn` once. Says whether anything changed.
   */
  statusInto(
    obj: { metadata?: { generation?: number } },
    t: Tracked,
    current: Condition[],
    patch: Record<string, unknown>,
    status: { credential?: unknown; clusterIdentity?: unknown } | undefined,
    warn: (reason: string, message: string) => void,
  ): boolean {
    let changed = false;
    if (this.renewal) {
      const credential = this.credentialStatus(t);
      if (JSON.stringify(credential) !== JSON.stringify(status?.credential)) changed = true;
      // A merge patch keeps fields it does not name: the ones no longer known are cleared by name.
      patch.credential = { expiresAt: null, lastRenewal: null, serviceAccount: null, ...credential };
      if (this.renews(t)) {
        const failing = t.renewalError;
        const expiry = t.info.expiresAt ? `; the credential expires at ${t.info.expiresAt.toISOString()}` : "";
        const condition = failing
          ? { status: "False" as const, reason: "RenewalFailing", message: `renewal failing since ${failing.since.toISOString()}: ${failing.message}${expiry}` }
          : { status: "True" as const, reason: "Renewed", message: `renewed before expiry${expiry}` };
        const before = current.find((c) => c.type === CREDENTIAL_RENEWED_CONDITION);
        if (failing && before?.status !== "False") warn("CredentialRenewalFailing", condition.message);
        changed = conditions.setStatusCondition(current, { type: CREDENTIAL_RENEWED_CONDITION, ...condition, observedGeneration: obj.metadata?.generation }) || changed;
      }
    }
    if (this.identity && t.identity?.uid) {
      const recorded = status?.clusterIdentity as { uid?: string } | undefined;
      if (recorded?.uid !== t.identity.uid) {
        t.identity = { uid: t.identity.uid, recordedAt: t.identity.recordedAt || new Date().toISOString() };
        patch.clusterIdentity = t.identity;
        changed = true;
      }
    }
    return changed;
  }

  /** Whether renewal applies to this object's credential (a service-account token, renewal switched on). */
  renews(t: Tracked): boolean {
    return Boolean(this.renewal && t.info.serviceAccount);
  }

  private schedule(key: string, t: Tracked, token: string | undefined): void {
    if (!this.renewal || !t.info.serviceAccount) {
      clearTimeout(t.timer);
      t.timer = undefined;
      return;
    }
    // A retry after a failure is already set for this token; a new token (renewed, or re-created by hand) starts over.
    if (t.timer && t.timerFor === token) return;
    clearTimeout(t.timer);
    if (t.timerFor !== token && t.timerFor !== undefined) {
      t.renewalError = undefined;
      t.backoff.reset();
    }
    t.timerFor = token;
    const due = renewalDueAt(t.info, this.renewal.share ?? 0.8)!;
    this.setTimer(key, t, due.getTime() - Date.now());
  }

  private setTimer(key: string, t: Tracked, ms: number): void {
    t.timer = setTimeout(() => void this.fire(key, t), Math.max(0, Math.min(ms, MAX_TIMER_MS)));
    t.timer.unref?.();
  }

  private async fire(key: string, t: Tracked): Promise<void> {
    if (this.tracked.get(key) !== t) return;
    const due = renewalDueAt(t.info, this.renewal?.share ?? 0.8);
    if (due && due.getTime() > Date.now() + 1000) return this.setTimer(key, t, due.getTime() - Date.now());
    if (!this.leading) return this.setTimer(key, t, STANDBY_RECHECK_MS);
    // The new token's arrival (the Secret's watch) may set the next timer before this renewal's end is seen here:
    // only this renewal's own timer is cleared or re-armed, so that one renewal is ever pending.
    const mine = t.timer;
    try {
      // Fenced as leader-only work: a replica deposed while it was paused writes no Secret when it wakes.
      await this.mcm.manager.runAsLeader(() => this.renew(t));
      t.lastRenewal = new Date();
      t.renewalError = undefined;
      t.backoff.reset();
      if (t.timer === mine) t.timer = undefined;
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      t.renewalError = { since: t.renewalError?.since ?? new Date(), message };
      const retryInMs = t.backoff.next();
      this.log.warn({ object: key, cluster: t.cluster, err: message, retryInMs, expiresAt: t.info.expiresAt?.toISOString() }, "could not renew a cluster's credential; retrying");
      if (this.tracked.get(key) === t && t.timer === mine) this.setTimer(key, t, retryInMs);
    }
    this.recheck(key);
  }

  /** One renewal: a TokenRequest on the remote cluster with the token held now, written into the object's Secret. */
  private async renew(t: Tracked): Promise<void> {
    const cluster = this.mcm.getCluster(t.cluster);
    const { token, expiresAt } = await requestServiceAccountToken(cluster.transport, t.info);
    const secret = await this.readSecret(t.ref);
    const encoded = secret.data?.[t.ref.key];
    if (!encoded) throw new Error(`Secret ${t.ref.namespace}/${t.ref.name} has no key "${t.ref.key}"`);
    const next = withToken(Buffer.from(encoded, "base64").toString("utf8"), t.context, token);
    // Guarded by the resourceVersion read: a Secret changed meanwhile (create-clientconfig ran) is not overwritten.
    await this.home.update<Secret>({ ...secret, data: { ...secret.data, [t.ref.key]: Buffer.from(next).toString("base64") } });
    this.log.info({ cluster: t.cluster, expiresAt: expiresAt?.toISOString() }, "cluster credential renewed");
  }
}
