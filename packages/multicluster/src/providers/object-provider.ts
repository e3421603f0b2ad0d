import { createHash } from "node:crypto";
import { KubeConfig } from "@kubernetes/client-node";
import {
  client,
  Controller,
  handler,
  InformerCache,
  type KubeObject,
  type ResourceType,
  type Runnable,
  Secret,
  source,
} from "@operator-ts/runtime";
import type { MultiClusterManager } from "../manager.ts";

export interface SecretKeyRef {
  namespace: string;
  name: string;
  key: string;
}

export interface ObjectProviderOptions<T extends KubeObject> {
  /** Names this provider in logs and its controller's metrics. */
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
}

function fingerprint(kubeconfig: string, context: string | undefined): string {
  return createHash("sha256").update(kubeconfig).update("\u0000").update(context ?? "").digest("hex");
}

/**
 * Clusters from objects in the home cluster: each object names a cluster and points at a Secret holding its
 * kubeconfig. A new object adds a cluster, a changed kubeconfig (a rotated credential) replaces just that cluster,
 * a deleted object removes it, all while the manager runs. A bad or missing kubeconfig is logged (never its
 * content) and retried with backoff; the other clusters are untouched.
 */
export class ObjectClusterProvider<T extends KubeObject> implements Runnable {
  private readonly mcm: MultiClusterManager;
  private readonly options: ObjectProviderOptions<T>;
  private readonly cache: InformerCache;
  private readonly controller: Controller;
  /** object key -> the cluster it added and that cluster's kubeconfig fingerprint */
  private readonly owned = new Map<string, { cluster: string; fingerprint: string }>();

  constructor(mcm: MultiClusterManager, options: ObjectProviderOptions<T>) {
    this.mcm = mcm;
    this.options = options;
    const home = mcm.manager.cluster;
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
      logger: mcm.manager.log.child({ provider: options.name }),
    });
    this.controller.watch(source.kind(this.cache, options.type, handler.enqueueRequestForObject<T>()));
    if (options.type.kind !== "Secret" || options.type.apiVersion !== "v1") {
      // A rotated credential changes the Secret, not the object pointing at it: map Secret events back.
      this.controller.watch(
        source.kind(this.cache, Secret, handler.enqueueRequestsFromMapFunc((secret: Secret) => this.referencing(secret))),
      );
    }
  }

  needLeaderElection(): boolean {
    return false;
  }

  async start(signal: AbortSignal): Promise<void> {
    const cacheDone = this.cache.start(signal);
    try {
      await this.controller.start(signal);
    } finally {
      await cacheDone;
      for (const { cluster } of this.owned.values()) await this.mcm.removeCluster(cluster);
      this.owned.clear();
    }
  }

  private async referencing(secret: Secret): Promise<{ namespace?: string; name: string }[]> {
    const ns = secret.metadata?.namespace;
    const name = secret.metadata?.name;
    return (await this.cache.list(this.options.type)).items
      .filter((obj) => {
        const ref = this.options.kubeconfigRef(obj as T);
        return ref.namespace === ns && ref.name === name;
      })
      .map((obj) => ({ namespace: obj.metadata?.namespace, name: obj.metadata!.name! }));
  }

  private async reconcile(req: { namespace?: string; name: string }): Promise<void> {
    const key = `${req.namespace ?? ""}/${req.name}`;
    const log = this.mcm.manager.log.child({ provider: this.options.name, object: key });
    let obj: T | undefined;
    try {
      obj = await this.cache.get(this.options.type, req);
    } catch (err) {
      if (!client.isNotFound(err)) throw err;
    }
    const previous = this.owned.get(key);
    if (!obj || obj.metadata?.deletionTimestamp) {
      if (previous) {
        this.owned.delete(key);
        await this.mcm.removeCluster(previous.cluster);
        log.info({ cluster: previous.cluster }, "cluster removed: its object is gone");
      }
      return;
    }
    const clusterName = this.options.clusterName(obj);
    const ref = this.options.kubeconfigRef(obj);
    let secret: Secret;
    try {
      secret = await this.cache.get(Secret, { namespace: ref.namespace, name: ref.name });
    } catch (err) {
      if (client.isNotFound(err)) throw new Error(`kubeconfig Secret ${ref.namespace}/${ref.name} for cluster "${clusterName}" not found`);
      throw err;
    }
    const encoded = secret.data?.[ref.key];
    if (!encoded) throw new Error(`Secret ${ref.namespace}/${ref.name} has no key "${ref.key}" for cluster "${clusterName}"`);
    const text = Buffer.from(encoded, "base64").toString("utf8");
    const context = this.options.context?.(obj);
    const print = fingerprint(text, context);
    if (previous && previous.fingerprint === print && previous.cluster === clusterName) return;

    const kubeconfig = new KubeConfig();
    try {
      kubeconfig.loadFromString(text);
      if (context && kubeconfig.getContextObject(context)) kubeconfig.setCurrentContext(context);
      if (!kubeconfig.getCurrentCluster()) throw new Error("no current cluster");
    } catch {
      // The parser's message may quote the document; say only where the bad kubeconfig is.
      throw new Error(`Secret ${ref.namespace}/${ref.name} key "${ref.key}" does not hold a usable kubeconfig for cluster "${clusterName}"`);
    }
    if (previous && previous.cluster !== clusterName) await this.mcm.removeCluster(previous.cluster);
    this.owned.set(key, { cluster: clusterName, fingerprint: print });
    if (this.mcm.hasCluster(clusterName) && previous?.cluster === clusterName) {
      await this.mcm.replaceCluster(clusterName, kubeconfig, { waitForSync: false });
      log.info({ cluster: clusterName }, "cluster credentials changed: connection replaced");
    } else {
      await this.mcm.addCluster(clusterName, kubeconfig, { waitForSync: false });
      log.info({ cluster: clusterName }, "cluster added");
    }
  }
}

/** Clusters from kubeconfig Secrets selected by labels: one cluster per Secret, named by the Secret (or a label). */
export function kubeconfigSecretProvider(
  mcm: MultiClusterManager,
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
