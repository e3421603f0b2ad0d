import {
  allClusters,
  type ClusterObjectState,
  type ClusterRequest,
  forCluster,
  homeCluster,
  mcControllerManagedBy,
  type MultiClusterManager,
} from "@operator-ts/multicluster";
import { handler, isNoMatch, type Predicate, Secret, source } from "@operator-ts/runtime";
import { CassandraDatacenter, K8ssandraCluster, Stargate } from "../../api/index.ts";
import { type CqlOptions, CqlSessions } from "./cql.ts";
import { ownership, REPLICATED_BY_LABEL } from "./labels.ts";
import { K8ssandraClusterReconciler } from "./reconciler.ts";

export { K8ssandraClusterReconciler } from "./reconciler.ts";
export * from "./labels.ts";
export {
  CASSANDRA_INITIALIZED,
  CASSANDRA_REACHABLE,
  CLUSTERS_REACHABLE,
  DATACENTERS_REMOVABLE,
  NUM_TOKENS_UNCHANGED,
  READY,
  RECONCILED,
  SPEC_VALID,
  UNSUPPORTED_FIELDS,
} from "./status.ts";
export { type CqlOptions, CqlSessions } from "./cql.ts";
export { REBUILD_ANNOTATION, rebuildTaskName } from "./rebuild.ts";
export { REPLICATED_SYSTEM_KEYSPACES } from "./keyspaces.ts";
export { desiredDatacenter, desiredStargate, stargateName, superuserSecretName } from "./desired.ts";
export { authEnabled, buildDatacenterConfig, defaultNumTokens, type SystemReplication } from "./config.ts";
export {
  DC_REPLICATION_ANNOTATION,
  type DcReplication,
  dcReplicationOf,
  INITIAL_SYSTEM_REPLICATION_ANNOTATION,
  missingKeyspaces,
  parseDcReplication,
  parseInitialSystemReplication,
} from "./replication.ts";

const replicatedSecret: Predicate<Secret> = {
  create: (e) => Boolean(e.object.metadata?.labels?.[REPLICATED_BY_LABEL]),
  update: (e) => Boolean(e.objectNew.metadata?.labels?.[REPLICATED_BY_LABEL]),
  delete: (e) => Boolean(e.object.metadata?.labels?.[REPLICATED_BY_LABEL]),
  generic: () => false,
};

/**
 * Registers the K8ssandraCluster controller: K8ssandraClusters in the control plane; CassandraDatacenters and
 * Stargates in every cluster, mapped back to their K8ssandraCluster by K8ssandra's labels; and a nudge to every
 * K8ssandraCluster when a cluster joins, leaves, or changes reachability (a ClientConfig arrived, a cluster returned).
 */
export interface K8ssandraClusterControllerOptions {
  /** Where the data-plane clusters come from: told why a k8sContext's ClientConfig is not usable, and when that changes. */
  clientConfigs?: {
    stateOf(context: string): ClusterObjectState | undefined;
    events: { on(event: "changed", listener: () => void): unknown };
  };
  /**
   * CQL to the datacenters' nodes (their pods' addresses, as K8ssandra requires them routable from the control
   * plane), as the superuser: system keyspace replication, user keyspaces extended to added datacenters, rebuilds,
   * and the keyspace check before a datacenter is removed. Off (false, the default here) only where the datacenters
   * run no Cassandra, such as the instant cass-operator simulator; the operator's CLI turns it on.
   */
  cql?: boolean | CqlOptions;
}

export async function setupK8ssandraClusterController(mcm: MultiClusterManager, options: K8ssandraClusterControllerOptions = {}): Promise<void> {
  const sessions = options.cql ? new CqlSessions(options.cql === true ? {} : options.cql) : undefined;
  if (sessions) {
    // The sessions live as long as the manager: closed when it stops.
    await mcm.manager.add({
      start: (signal) => new Promise<void>((resolve) => signal.addEventListener("abort", () => void sessions.closeAll().then(resolve), { once: true })),
      needLeaderElection: () => false,
    } as { start(signal: AbortSignal): Promise<void>; needLeaderElection(): boolean });
  }
  const reconciler = new K8ssandraClusterReconciler(mcm, options.clientConfigs, sessions);
  const nudges = new source.ChannelSource<K8ssandraCluster>();
  const nudgeAll = () => {
    if (!mcm.manager.isRunning()) return;
    mcm.manager.cache
      .list(K8ssandraCluster)
      .then((list) => list.items.forEach((k8c) => nudges.send(k8c)))
      .catch((err: unknown) => mcm.manager.log.warn({ err }, "could not list K8ssandraClusters to re-check them"));
  };
  mcm.events.on("added", nudgeAll);
  mcm.events.on("removed", nudgeAll);
  mcm.health.onChange(nudgeAll);
  options.clientConfigs?.events.on("changed", nudgeAll);

  // The control plane need not be a data plane: without cass-operator's CRD there, its DCs are simply not watched.
  const homeHasDatacenters = await mcm.manager.mapper.mapping(CassandraDatacenter).then(() => true, (err: unknown) => {
    if (isNoMatch(err)) return false;
    throw err;
  });
  const childClusters = homeHasDatacenters ? allClusters : (name: string) => name !== "";
  const toOwner = ownership.enqueueOwner();

  await mcControllerManagedBy(mcm)
    .named("k8ssandracluster")
    .for(K8ssandraCluster)
    .watches(CassandraDatacenter, toOwner, { clusters: childClusters })
    .watches(Stargate, toOwner, { clusters: childClusters })
    .watches(Secret, toOwner, { clusters: homeCluster, predicates: [replicatedSecret] })
    .watchesRawSource(source.channel(nudges, forCluster(handler.enqueueRequestForObject<K8ssandraCluster>())("") as handler.EventHandler<K8ssandraCluster, ClusterRequest>))
    .withOptions({ maxConcurrentReconciles: 4 })
    .complete(reconciler);
}
