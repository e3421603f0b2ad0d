import { client, handler, type KubeObject, type ResourceType, type Shared } from "@operator-ts/runtime";
import type { ClusterHandlerFactory } from "../builder.ts";
import type { MultiClusterManager } from "../manager.ts";
import type { ClusterRequest } from "../reconcile.ts";

/** The labels that name an owner on its children in other clusters. */
export interface OwnerLabelKeys {
  name: string;
  namespace: string;
  /** Omit when owners always live in the home cluster (K8ssandra's labels, for one). */
  cluster?: string;
}

export const DEFAULT_OWNER_LABELS: OwnerLabelKeys = {
  name: "multicluster.operator-ts.io/owner-name",
  namespace: "multicluster.operator-ts.io/owner-namespace",
  cluster: "multicluster.operator-ts.io/owner-cluster",
};

const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

function labelValue(key: string, value: string): string {
  if (value.length > 63 || !LABEL_VALUE.test(value)) {
    throw new Error(`"${value}" cannot be the value of label ${key}: label values are at most 63 alphanumerics, '-', '_' or '.'`);
  }
  return value;
}

export interface CleanupResult {
  /** Children still present (being deleted, or in clusters that could not be asked). */
  remaining: number;
  /** Clusters that could not be listed or written: their children are still to do. */
  unreachable: string[];
}

/**
 * Ownership across clusters. Owner references and garbage collection stop at a cluster's edge, so children in other
 * clusters carry labels naming their owner; events on them map back to the owner's request, and a finalizer on the
 * owner deletes them everywhere.
 */
export class CrossClusterOwnership {
  readonly keys: OwnerLabelKeys;

  constructor(keys: OwnerLabelKeys = DEFAULT_OWNER_LABELS) {
    this.keys = keys;
  }

  /** The labels to put on a child of this owner. */
  labelsFor(owner: KubeObject, ownerCluster = ""): Record<string, string> {
    const m = owner.metadata ?? {};
    if (!m.name) throw new Error("owner has no metadata.name");
    const labels: Record<string, string> = {
      [this.keys.name]: labelValue(this.keys.name, m.name),
      [this.keys.namespace]: labelValue(this.keys.namespace, m.namespace ?? ""),
    };
    if (this.keys.cluster) labels[this.keys.cluster] = labelValue(this.keys.cluster, ownerCluster);
    return labels;
  }

  /** Writes the owner labels onto the child (in place) and returns it. */
  setOwner<T extends KubeObject>(child: T, owner: KubeObject, ownerCluster = ""): T {
    child.metadata = child.metadata ?? {};
    child.metadata.labels = { ...child.metadata.labels, ...this.labelsFor(owner, ownerCluster) };
    return child;
  }

  /** The owner a child's labels name, or undefined when it has none. */
  ownerOf(child: Shared<KubeObject>): ClusterRequest | undefined {
    const labels = child.metadata?.labels ?? {};
    const name = labels[this.keys.name];
    if (!name) return undefined;
    const namespace = labels[this.keys.namespace];
    const cluster = this.keys.cluster ? (labels[this.keys.cluster] ?? "") : "";
    return namespace ? { cluster, namespace, name } : { cluster, name };
  }

  /** A handler for children in any cluster: their events enqueue the owner, in the owner's cluster. */
  enqueueOwner<T extends KubeObject>(): ClusterHandlerFactory<T> {
    const mapped = handler.enqueueRequestsFromMapFunc<T, ClusterRequest>((obj) => {
      const owner = this.ownerOf(obj);
      return owner ? [owner] : [];
    });
    return () => mapped;
  }

  /**
   * Deletes this owner's children of the given kinds in every cluster (or those named) and reports how many remain.
   * A finalizer calls it until remaining is 0, requeueing in between: deletion is asynchronous (finalizers of the
   * children, unreachable clusters), and the owner must not disappear before its children do.
   */
  async deleteChildren(
    mcm: MultiClusterManager,
    owner: KubeObject,
    ownerCluster: string,
    types: ResourceType[],
    options: { clusters?: string[]; extraLabels?: Record<string, string>; namespaces?: string[] } = {},
  ): Promise<CleanupResult> {
    // With namespaces, each list stays inside them: an identity allowed only there is then enough.
    const scopes = options.namespaces?.length ? [...new Set(options.namespaces)] : [undefined];
    const clusters = options.clusters ?? mcm.clusterNames();
    // extraLabels narrow the selection, e.g. to the children this operator made among others carrying owner labels.
    const selector = { ...this.labelsFor(owner, ownerCluster), ...options.extraLabels };
    let remaining = 0;
    const unreachable: string[] = [];
    await Promise.all(
      clusters.map(async (name) => {
        if (!mcm.hasCluster(name)) return;
        const cluster = mcm.getCluster(name);
        try {
          for (const type of types) {
            // Read from the API server: a cache may not watch this kind, and a stale read would end cleanup early.
            // A kind this cluster does not serve has no children here; the other kinds still do.
            const items: KubeObject[] = [];
            for (const namespace of scopes) {
              const list = await cluster.apiReader.list(type, { labelSelector: selector, namespace }).catch((err: unknown) => {
                if (client.isNoMatch(err)) return { items: [] as KubeObject[] };
                throw err;
              });
              items.push(...list.items);
            }
            for (const item of items) {
              remaining++;
              if (item.metadata?.deletionTimestamp) continue;
              await cluster.client.delete({ ...item, apiVersion: type.apiVersion, kind: type.kind }).catch((err: unknown) => {
                if (!client.isNotFound(err)) throw err;
              });
            }
          }
        } catch (err) {
          unreachable.push(name);
          if (client.isConnectionError(err)) mcm.health.report(name, false, (err as Error).message);
        }
      }),
    );
    return { remaining, unreachable };
  }
}
