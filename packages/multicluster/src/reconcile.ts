import type { reconcile } from "@operator-ts/runtime";

/** A request with the name of the cluster its event came from: "" is the manager's own (home) cluster. */
export interface ClusterRequest extends reconcile.Request {
  cluster: string;
}

/** Work-queue identity: the same object in two clusters is two pieces of work. */
export function clusterRequestKey(req: ClusterRequest): string {
  return `${req.cluster}\u0000${req.namespace ?? ""}/${req.name}`;
}

/** Which clusters a watch applies to. */
export type ClusterFilter = (clusterName: string) => boolean;

export const allClusters: ClusterFilter = () => true;
export const homeCluster: ClusterFilter = (name) => name === "";
export const remoteClusters: ClusterFilter = (name) => name !== "";
export const clustersNamed = (...names: string[]): ClusterFilter => {
  const set = new Set(names);
  return (name) => set.has(name);
};
