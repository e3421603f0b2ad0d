import { createHash } from "node:crypto";
import { KubeConfig } from "@kubernetes/client-node";
import {
  client,
  type Condition,
  conditions,
  Controller,
  type EventRecorder,
  handler,
  InformerCache,
  type KubeObject,
  type Logger,
  Patch,
  type ResourceType,
  type Result,
  type Shared,
  Secret,
  source,
} from "@operator-ts/runtime";
import { EventEmitter } from "eventemitter3";
import type { ClusterStatus } from "../health/index.ts";
import type { ClusterProvider, HomeClusterAware } from "./provider.ts";
import { CredentialLifecycle, type IdentityOptions, type RenewalOptions } from "./lifecycle.ts";

export interface SecretKeyRef {
  namespace: string;
  name: string;
  key: string;
}

export interface ObjectProviderOptions<T extends KubeObject> {
  /** Names this provider in logs, its controller's metrics and the Events it records. */
  name: string;
  /** The kind whose objects each stand for one cluster: Secret itself, or a ClientConfig-like custom resource. */
  type: ResourceType<T>;
  /** Watch only this namespace (default: all namespaces the credentials allow). */
  namespace?: string;
  /** Watch only objects with these labels. */
  labels?: Record<string, string>;
  /** The cluster's name for an object. */
  clusterName(obj: T): string;
  /** Where the object's kubeconfig is: in a Secret (possibly the object itself). */
  kubeconfigRef(obj: T): SecretKeyRef;
  /** Which context of that kubeconfig to use; default its current context. */
  context?(obj: T): string | undefined;
  /**
   * Report on each object whether its cluster is usable: a `Ready` condition in its status (the kind needs a status
   * subresource with `conditions`) and an Event when that changes (Warning for a problem). Default false.
   */
  reportStatus?: boolean;
  /**
   * Check each cluster's identity (its kube-system UID): recorded at first contact (with reportStatus, in
   * status.clusterIdentity), checked again before every add and after every reconnect; a cluster that answers as
   * another is released and reported (ClusterReplaced) until a person confirms the new UID.
   */
  identity?: IdentityOptions<T> & {
    /** One sentence telling a person how to confirm a new identity, for the condition's message. */
    howToConfirm?(obj: T, uid: string): string;
  };
  /**
   * Renew service-account tokens before they expire, with the token itself (TokenRequest on the remote cluster), and
   * write the new kubeconfig into the Secret; the credential is swapped in place. With reportStatus, status.credential
   * shows kind, expiry and last renewal, and a CredentialRenewed condition the renewal's trouble.
   */
  renewal?: RenewalOptions;
}

/** Why an object's cluster is usable or not: the `reason` of its Ready condition. */
export type ClusterObjectReason =
  | "SecretNotFound"
  | "InvalidKubeconfig"
  | "Unreachable"
  | "CredentialRejected"
  | "ClusterReplaced"
  | "Ready";

/** What a provider knows about one object's cluster. */
export interface ClusterObjectState {
  /** The object standing for the cluster. */
  object: { namespace?: string; name: string };
  cluster: string;
  reason: ClusterObjectReason;
  /** One line, for people; never holds the kubeconfig or its credentials. */
  message: string;
}

export interface ObjectProviderEvents {
  /** An object's state changed (or the object went away: state undefined). */
  changed: (cluster: string, state: ClusterObjectState | undefined) => void;
}

/** How often an object whose cluster was replaced is looked at again without a change to it. */
const REPLACED_RECHECK_MS = 30_000;

/** The condition type the provider reports on its objects. */
export const CLUSTER_READY_CONDITION = "Ready";
export { CREDENTIAL_RENEWED_CONDITION } from "./lifecycle.ts";

function fingerprint(kubeconfig: string, context: string | undefined): string {
  return createHash("sha256").update(kubeconfig).update("\u0000").update(context ?? "").digest("hex");
}

type Problem = Omit<ClusterObjectState, "object" | "cluster"> & { reason: "SecretNotFound" | "InvalidKubeconfig" };

/**
 * Clusters from objects in the home cluster: each object names a cluster and points at a Secret holding its
 * kubeconfig. A new object adds a cluster, a changed kubeconfig (a rotated credential) replaces just that cluster,
 * a deleted object removes it, all while the manager runs. A missing Secret or a bad kubeconfig is reported (one log
 * line, and with reportStatus a condition and an Event; never the kubeconfig's content) and looked at again when the
 * Secret changes; a failed add is retried with backoff; the other clusters are untouched. stateOf() tells whoever
 * uses a cluster why it is missing or unusable.
 */
export class ObjectClusterProvider<T extends KubeObject> implements ClusterProvider {
  /** "changed" whenever an object's state does: for controllers that report on the clusters they use. */
  readonly events = new EventEmitter<ObjectProviderEvents>();
  private readonly mcm: HomeClusterAware;
  private readonly options: ObjectProviderOptions<T>;
  private readonly cache: InformerCache;
  private readonly controller: Controller;
  private readonly recorder: EventRecorder;
  private readonly log: Logger;
  /** Requests to look at an object again: its cluster's reachability changed. */
  private readonly recheck = new source.ChannelSource<KubeObject>();
  /** object key -> the cluster it added and that cluster's kubeconfig fingerprint; set only once the add succeeded */
  private readonly owned = new Map<string, { cluster: string; fingerprint: string; server: string }>();
  private readonly lifecycle: CredentialLifecycle<T>;
  /** object key -> its last reported state */
  private readonly states = new Map<string, ClusterObjectState>();

  constructor(mcm: HomeClusterAware, options: ObjectProviderOptions<T>) {
    this.mcm = mcm;
    this.options = options;
    const home = mcm.manager.cluster;
    this.log = mcm.manager.log.child({ provider: options.name });
    this.recorder = mcm.manager.getEventRecorderFor(`cluster-provider-${options.name}`);
    // A cache of its own, restricted to the provider's namespace and labels, so the home cluster's shared cache is
    // not made to watch every Secret of the cluster.
    const restriction = { namespaces: options.namespace ? [options.namespace] : undefined };
    this.cache = new InformerCache(home.transport, home.mapper, {
      ...restriction,
      byObject: options.labels ? [{ type: options.type as ResourceType, options: { labelSelector: options.labels } }] : undefined,
    });
    this.controller = new Controller({
      name: `cluster-provider-${options.name}`,
      reconciler: { reconcile: (req) => this.reconcile(req) },
      needLeaderElection: false,
      logger: this.log,
    });
    this.controller.watch(source.kind(this.cache, options.type, handler.enqueueRequestForObject<T>()));
    if (options.type.kind !== "Secret" || options.type.apiVersion !== "v1") {
      // A rotated credential changes the Secret, not the object pointing at it: map Secret events back.
      this.controller.watch(
        source.kind(this.cache, Secret, handler.enqueueRequestsFromMapFunc<Secret>((secret) => this.referencing(secret))),
      );
    }
    this.controller.watch(source.channel(this.recheck, handler.enqueueRequestForObject<KubeObject>()));
    mcm.health.onChange((status) => this.onHealth(status));
    this.lifecycle = new CredentialLifecycle<T>({
      mcm,
      log: this.log,
      renewal: options.renewal,
      identity: options.identity,
      recheck: (key) => this.recheckKey(key),
      // Read from the API server, not the cache: the update that follows is guarded by what is there now.
      readSecret: (ref) => mcm.manager.apiReader.get(Secret, ref),
    });
  }

  get name(): string {
    return this.options.name;
  }

  needLeaderElection(): boolean {
    return false;
  }

  /** The state of the object that provides this cluster, if one does. */
  stateOf(cluster: string): ClusterObjectState | undefined {
    for (const state of this.states.values()) if (state.cluster === cluster) return state;
    return undefined;
  }

  async start(signal: AbortSignal): Promise<void> {
    const cacheDone = this.cache.start(signal);
    try {
      await this.controller.start(signal);
    } finally {
      await cacheDone;
      this.lifecycle.stop();
      for (const { cluster } of this.owned.values()) await this.mcm.disengage(cluster);
      this.owned.clear();
    }
  }

  private onHealth(status: ClusterStatus): void {
    for (const [key, owned] of this.owned) if (owned.cluster === status.name) this.recheckKey(key);
  }

  private recheckKey(key: string): void {
    const [namespace, name] = splitKey(key);
    this.recheck.send({ apiVersion: this.options.type.apiVersion, kind: this.options.type.kind, metadata: { namespace, name } });
  }

  /** Releases the cluster an object added, if it did. */
  private async release(key: string): Promise<void> {
    const previous = this.owned.get(key);
    this.lifecycle.released(key);
    if (!previous) return;
    this.owned.delete(key);
    await this.mcm.disengage(previous.cluster);
  }

  private async referencing(secret: Shared<Secret>): Promise<{ namespace?: string; name: string }[]> {
    const ns = secret.metadata?.namespace;
    const name = secret.metadata?.name;
    return (await this.cache.list(this.options.type)).items
      .filter((obj) => {
        const ref = this.options.kubeconfigRef(obj as T);
        return ref.namespace === ns && ref.name === name;
      })
      .map((obj) => ({ namespace: obj.metadata?.namespace, name: obj.metadata!.name! }));
  }

  private async reconcile(req: { namespace?: string; name: string }): Promise<Result | void> {
    const key = `${req.namespace ?? ""}/${req.name}`;
    const log = this.log.child({ object: key });
    let obj: T | undefined;
    try {
      obj = await this.cache.get(this.options.type, req);
    } catch (err) {
      if (!client.isNotFound(err)) throw err;
    }
    const previous = this.owned.get(key);
    if (!obj || obj.metadata?.deletionTimestamp) {
      this.lifecycle.forget(key);
      if (previous) {
        await this.release(key);
        log.info({ cluster: previous.cluster }, "cluster removed: its object is gone");
      }
      const gone = this.states.get(key);
      if (gone) {
        this.states.delete(key);
        this.events.emit("changed", gone.cluster, undefined);
      }
      return;
    }
    const clusterName = this.options.clusterName(obj);
    const loaded = await this.loadKubeconfig(obj, clusterName);
    if ("reason" in loaded) {
      // The Secret's watch brings the object back here when it is fixed: nothing to retry meanwhile.
      await this.report(obj, clusterName, loaded, log);
      return;
    }
    const { kubeconfig, print } = loaded;
    const ref = this.options.kubeconfigRef(obj);
    const tracked = this.lifecycle.observe(key, obj, clusterName, kubeconfig, ref);
    const server = kubeconfig.getCurrentCluster()!.server.replace(/\/$/, "");
    if (previous && previous.fingerprint !== print && previous.cluster === clusterName && previous.server === server && this.mcm.hasCluster(clusterName)) {
      // A renewed token or rotated certificate for the same server: the running cluster keeps its caches and watches.
      await this.mcm.getCluster(clusterName).updateCredentials(kubeconfig);
      previous.fingerprint = print;
      log.info({ cluster: clusterName, credential: tracked.info.kind }, "cluster credentials changed: swapped in place");
      // What the probes said was about the old credential: the next probe's answer brings the object back.
      tracked.rejected = undefined;
      if (this.mcm.health.status(clusterName)?.state === "unreachable") return;
    } else if (!previous || previous.fingerprint !== print || previous.cluster !== clusterName) {
      // A replace is a remove and an add: forgotten first, so that a failed add is retried as an add.
      await this.release(key);
      if (this.lifecycle.checksIdentity) {
        const verdict = await this.lifecycle.checkBeforeAdd(key, obj, kubeconfig);
        if (!verdict.ok) return this.reportReplaced(obj, clusterName, verdict.found, log);
      }
      // Engage would replace a cluster of that name engaged by someone else (another object, another provider):
      // that is a conflict to report and retry, not a connection to take over.
      if (this.mcm.hasCluster(clusterName)) throw new Error(`cluster "${clusterName}" is already engaged by another source`);
      const cluster = await this.mcm.engage(clusterName, kubeconfig, { waitForSync: false });
      this.lifecycle.guard(key, clusterName, cluster.transport);
      this.owned.set(key, { cluster: clusterName, fingerprint: print, server });
      log.info({ cluster: clusterName }, previous?.cluster === clusterName ? "cluster endpoint changed: connection replaced" : "cluster added");
    } else if (this.lifecycle.checksIdentity) {
      // Looked at again (a reconnect, a health change, a person's confirmation): still the same cluster?
      const verdict = await this.lifecycle.verifyRunning(key, obj);
      if (!verdict.ok) {
        await this.release(key);
        log.warn({ cluster: clusterName }, "cluster released: it answers as another cluster");
        // Looked at once more at once: a confirmation already given lets the new cluster in.
        this.recheckKey(key);
        return this.reportReplaced(obj, clusterName, verdict.found, log);
      }
    }
    const health = this.mcm.health.status(clusterName);
    // Until the first probe answers, whether the server is up is not known: the probe's result brings us back.
    if (!health?.probed) return;
    if (health.state === "unreachable" && this.lifecycle.checksIdentity && !tracked.rejected) {
      // Refused or unreachable? Asking tells the two apart (a 401 is remembered).
      await this.lifecycle.verifyRunning(key, obj);
    }
    if (health.state === "unreachable" && tracked.rejected) {
      const message = `the API server of cluster "${clusterName}" rejects its credential (${tracked.info.kind}): it expired or was revoked; give the cluster a new one`;
      await this.report(obj, clusterName, { reason: "CredentialRejected", message }, log);
    } else if (health.state === "unreachable") {
      const message = `the API server of cluster "${clusterName}" does not answer${health.lastError ? `: ${health.lastError}` : ""}`;
      await this.report(obj, clusterName, { reason: "Unreachable", message }, log);
    } else {
      await this.report(obj, clusterName, { reason: "Ready", message: `cluster "${clusterName}" is connected` }, log);
    }
  }

  /** Reports a replaced cluster; looked at again now and then, since the recorded one may come back at the address. */
  private async reportReplaced(obj: T, cluster: string, found: string, log: Logger): Promise<Result> {
    const hint = this.options.identity?.howToConfirm?.(obj, found);
    const message = `the API server of cluster "${cluster}" answers as another cluster (kube-system uid ${found}); nothing is written there${hint ? `. ${hint}` : ""}`;
    await this.report(obj, cluster, { reason: "ClusterReplaced", message }, log);
    return { requeueAfter: REPLACED_RECHECK_MS };
  }

  /** The object's kubeconfig, or why there is none; never says what the kubeconfig holds. */
  private async loadKubeconfig(obj: T, clusterName: string): Promise<{ kubeconfig: KubeConfig; print: string } | Problem> {
    const ref = this.options.kubeconfigRef(obj);
    let secret: Secret;
    try {
      secret = await this.cache.get(Secret, { namespace: ref.namespace, name: ref.name });
    } catch (err) {
      if (!client.isNotFound(err)) throw err;
      return { reason: "SecretNotFound", message: `kubeconfig Secret ${ref.namespace}/${ref.name} for cluster "${clusterName}" not found` };
    }
    const encoded = secret.data?.[ref.key];
    if (!encoded) {
      return { reason: "InvalidKubeconfig", message: `Secret ${ref.namespace}/${ref.name} has no key "${ref.key}" for cluster "${clusterName}"` };
    }
    const text = Buffer.from(encoded, "base64").toString("utf8");
    const context = this.options.context?.(obj);
    const kubeconfig = new KubeConfig();
    try {
      kubeconfig.loadFromString(text);
      if (context && kubeconfig.getContextObject(context)) kubeconfig.setCurrentContext(context);
      if (!kubeconfig.getCurrentCluster()?.server) throw new Error("no current cluster");
    } catch {
      // The parser's message may quote the document; say only where the bad kubeconfig is.
      return {
        reason: "InvalidKubeconfig",
        message: `Secret ${ref.namespace}/${ref.name} key "${ref.key}" does not hold a usable kubeconfig for cluster "${clusterName}"`,
      };
    }
    return { kubeconfig, print: fingerprint(text, context) };
  }

  /** Records an object's state; a change is logged once, told to listeners and, with reportStatus, written and evented. */
  private async report(obj: T, cluster: string, state: Omit<ClusterObjectState, "object" | "cluster">, log: Logger): Promise<void> {
    const key = `${obj.metadata?.namespace ?? ""}/${obj.metadata!.name!}`;
    const next: ClusterObjectState = { object: { namespace: obj.metadata?.namespace, name: obj.metadata!.name! }, cluster, ...state };
    const before = this.states.get(key);
    const changed = before?.reason !== next.reason || before.message !== next.message || before.cluster !== next.cluster;
    this.states.set(key, next);
    if (changed) {
      if (next.reason === "Ready") log.info({ cluster }, "cluster usable");
      else log.warn({ cluster, reason: next.reason, err: next.message }, "cluster not usable");
      this.events.emit("changed", cluster, next);
      if (this.options.reportStatus && before?.reason !== next.reason) {
        this.recorder.event(obj, next.reason === "Ready" ? "Normal" : "Warning", next.reason, next.message);
      }
    }
    if (this.options.reportStatus) await this.writeCondition(obj, next);
  }

  private async writeCondition(obj: T, state: ClusterObjectState): Promise<void> {
    const status = (obj as { status?: { conditions?: Condition[]; credential?: unknown; clusterIdentity?: unknown } }).status;
    const current = (status?.conditions ?? []).map((c) => ({ ...c }));
    const ready = state.reason === "Ready";
    let changed = conditions.setStatusCondition(current, {
      type: CLUSTER_READY_CONDITION,
      status: ready ? "True" : "False",
      reason: state.reason,
      message: state.message,
      observedGeneration: obj.metadata?.generation,
    });
    const patch: Record<string, unknown> = { conditions: current };
    const tracked = this.lifecycle.get(`${obj.metadata?.namespace ?? ""}/${obj.metadata!.name!}`);
    if (tracked) {
      const event = (reason: string, message: string) => this.recorder.event(obj, "Warning", reason, message);
      changed = this.lifecycle.statusInto(obj as KubeObject, tracked, current, patch, status, event) || changed;
    }
    if (!changed) return;
    await this.mcm.manager.client
      .status()
      .patch(obj, Patch.merge({ status: patch }))
      .catch(client.ignoreNotFound);
  }
}

function splitKey(key: string): [string | undefined, string] {
  const slash = key.indexOf("/");
  return [key.slice(0, slash) || undefined, key.slice(slash + 1)];
}

/** Clusters from kubeconfig Secrets selected by labels: one cluster per Secret, named by the Secret (or a label). */
export function kubeconfigSecretProvider(
  mcm: HomeClusterAware,
  options: { namespace: string; labels: Record<string, string>; key?: string; clusterNameLabel?: string },
): ObjectClusterProvider<Secret> {
  return new ObjectClusterProvider<Secret>(mcm, {
    name: "kubeconfig-secrets",
    type: Secret,
    namespace: options.namespace,
    labels: options.labels,
    clusterName: (s) => (options.clusterNameLabel && s.metadata?.labels?.[options.clusterNameLabel]) || s.metadata!.name!,
    kubeconfigRef: (s) => ({ namespace: s.metadata!.namespace!, name: s.metadata!.name!, key: options.key ?? "kubeconfig" }),
  });
}
