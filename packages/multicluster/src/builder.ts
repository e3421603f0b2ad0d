import {
  Builder,
  type Cluster,
  Controller,
  type ControllerOptions,
  handler,
  type KubeObject,
  metadataOnly,
  type PartialObjectMetadata,
  type Predicate,
  reconcile,
  type ResourceType,
  type Source,
  source,
} from "@operator-ts/runtime";
import { HOME_CLUSTER_LABEL } from "./health/index.ts";
import type { ClusterSourceSpec, MultiClusterManager } from "./manager.ts";
import { ClusterStampedQueue } from "./queue.ts";
import { allClusters, type ClusterFilter, type ClusterRequest, clusterRequestKey, homeCluster } from "./reconcile.ts";

/** Makes the event handler of one cluster's watch; it may enqueue requests for any cluster (cross-cluster owners). */
export type ClusterHandlerFactory<T extends KubeObject> = (clusterName: string) => handler.EventHandler<T, ClusterRequest>;

/**
 * Runs a single-cluster handler of the runtime in one cluster, stamping its requests with that cluster's name: the
 * way enqueueRequestForObject, enqueueRequestForOwner and map functions are reused unchanged.
 */
export function forCluster<T extends KubeObject>(inner: handler.EventHandler<T, reconcile.Request>): ClusterHandlerFactory<T> {
  return (clusterName) => ({
    create: (e, q) => inner.create(e, new ClusterStampedQueue(q, clusterName)),
    update: (e, q) => inner.update(e, new ClusterStampedQueue(q, clusterName)),
    delete: (e, q) => inner.delete(e, new ClusterStampedQueue(q, clusterName)),
    generic: (e, q) => inner.generic(e, new ClusterStampedQueue(q, clusterName)),
  });
}

interface WatchOptions<T extends KubeObject> {
  /** Default: every cluster for watches() and owns(), the home cluster for for(). */
  clusters?: ClusterFilter;
  predicates?: Predicate<T>[];
}

export type MultiClusterBuilderOptions = Omit<ControllerOptions<ClusterRequest>, "name" | "reconciler" | "keyOf" | "fairnessKeyOf">;

/**
 * The builder for multi-cluster controllers: like the runtime's, with a cluster filter per watch. One controller,
 * one queue; requests carry their cluster's name; clusters added later are engaged automatically.
 */
export class MultiClusterBuilder {
  private readonly mcm: MultiClusterManager;
  private readonly specs: ClusterSourceSpec[] = [];
  private readonly filters: Predicate<KubeObject>[] = [];
  private forType: ResourceType | undefined;
  private name: string | undefined;
  private options: MultiClusterBuilderOptions = {};

  constructor(mcm: MultiClusterManager) {
    this.mcm = mcm;
  }

  for<T extends KubeObject>(type: ResourceType<T>, options: WatchOptions<T> = {}): this {
    this.forType = type;
    return this.watches(type, forCluster(handler.enqueueRequestForObject<T>()), { clusters: homeCluster, ...options });
  }

  /**
   * Same-cluster ownership through ownerReferences; for children in other clusters use CrossClusterOwnership.
   * metadataOnly: each cluster's informer holds only the owned objects' metadata, as the runtime builder's owns().
   */
  owns<T extends KubeObject>(
    type: ResourceType<T>,
    options: WatchOptions<PartialObjectMetadata<T>> & { onlyControllers?: boolean; metadataOnly: true },
  ): this;
  owns<T extends KubeObject>(type: ResourceType<T>, options?: WatchOptions<T> & { onlyControllers?: boolean; metadataOnly?: false }): this;
  owns(type: ResourceType, options: WatchOptions<KubeObject> & { onlyControllers?: boolean; metadataOnly?: boolean } = {}): this {
    if (!this.forType) throw new Error("owns() needs for() first");
    const owner = handler.enqueueRequestForOwner<KubeObject>(this.forType, { onlyControllers: options.onlyControllers ?? true });
    const watched = options.metadataOnly ? (metadataOnly(type) as unknown as ResourceType) : type;
    return this.watches(watched, forCluster(owner), options);
  }

  watches<T extends KubeObject>(type: ResourceType<T>, factory: ClusterHandlerFactory<T>, options: WatchOptions<T> = {}): this {
    const predicates = (options.predicates ?? []) as Predicate<KubeObject>[];
    const filters = this.filters;
    this.specs.push({
      clusters: options.clusters ?? allClusters,
      make: (clusterName: string, cluster: Cluster) =>
        source.kind(cluster.cache, type as ResourceType, factory(clusterName) as handler.EventHandler<KubeObject, ClusterRequest>, ...filters, ...predicates),
    });
    return this;
  }

  /** A source of your own feeding the shared queue once (a channel, a timer); cluster filters do not apply to it. */
  watchesRawSource(raw: Source<ClusterRequest>): this {
    this.specs.push({ clusters: homeCluster, make: () => raw });
    return this;
  }

  withEventFilter<T extends KubeObject = KubeObject>(predicate: Predicate<T>): this {
    this.filters.push(predicate as Predicate<KubeObject>);
    return this;
  }

  withOptions(options: MultiClusterBuilderOptions): this {
    this.options = { ...this.options, ...options };
    return this;
  }

  named(name: string): this {
    this.name = name;
    return this;
  }

  async complete(reconciler: reconcile.Reconciler<ClusterRequest> | reconcile.ReconcileFunc<ClusterRequest>): Promise<Controller<ClusterRequest>> {
    const name = Builder.reserveName(this.mcm.manager, this.name, this.forType);
    const controller = new Controller<ClusterRequest>({
      ...this.options,
      name,
      reconciler: reconcile.reconcilerFrom(reconciler),
      keyOf: clusterRequestKey,
      // One cluster's burst of events must not starve the others in the shared queue.
      fairnessKeyOf: (req) => req.cluster,
      logValues: (req) => ({ cluster: req.cluster || HOME_CLUSTER_LABEL, namespace: req.namespace, name: req.name }),
      logger: this.options.logger ?? this.mcm.manager.log,
    });
    await this.mcm.register(controller, this.specs);
    return controller;
  }
}

export function mcControllerManagedBy(mcm: MultiClusterManager): MultiClusterBuilder {
  return new MultiClusterBuilder(mcm);
}
