import { type EventRecorder } from "@operator-ts/runtime";
import type { CassandraDatacenter, K8ssandraCluster } from "../../api/index.ts";
import type { ClusterWork } from "./clusterwork.ts";
import type { CqlTarget } from "./cql.ts";
import { datacenterWhere } from "./datacenters.ts";
import { contextOf, type DatacenterTemplate, datacentersOf } from "./desired.ts";
import { ensureSystemKeyspaces, extendUserKeyspaces, keyspacesReplicatingTo } from "./keyspaces.ts";
import { needsRebuild, reconcileRebuild } from "./rebuild.ts";
import { cassandraDatacenterName, dcReplicationOf } from "./replication.ts";
import type { ClusterCql } from "./schema.ts";
import { DATACENTERS_REMOVABLE, type StatusBuilder } from "./status.ts";

/** The CQL steps of a reconcile that decide when a datacenter may join the cluster's readiness, or leave it. */

/**
 * Which removed datacenters may go: none while a user keyspace still replicates to it (Cassandra would refuse the
 * decommission, or the data there would be lost). The others are reported with DatacentersRemovable=False.
 */
export async function removable(
  recorder: EventRecorder,
  k8c: K8ssandraCluster,
  status: StatusBuilder,
  cql: ClusterCql,
  removed: string[],
  targets: () => CqlTarget[],
): Promise<string[]> {
  // One already deleting is not asked again: its nodes are leaving.
  const pending = removed.filter((name) => status.datacenter(name).decommissionProgress !== "Decommissioning");
  const going = removed.filter((name) => !pending.includes(name));
  if (!pending.length) {
    status.removeCondition(DATACENTERS_REMOVABLE);
    return going;
  }
  const held = await cql.step("checking keyspaces before removing datacenters", async (_c, ks) => pending.map((name) => ({ name, keyspaces: keyspacesReplicatingTo(ks, name) })), targets());
  if (!held) return going;
  const blocked = held.filter((h) => h.keyspaces.length);
  if (!blocked.length) {
    status.removeCondition(DATACENTERS_REMOVABLE);
    return removed;
  }
  const message = blocked
    .map((b) => `datacenter ${b.name} still holds replicas of keyspace${b.keyspaces.length > 1 ? "s" : ""} ${b.keyspaces.join(", ")}: alter their replication (and drop it from the k8ssandra.io/dc-replication annotation) before removing it`)
    .join("; ");
  if (status.condition(DATACENTERS_REMOVABLE, "False", "KeyspacesReplicated", message)) recorder.event(k8c, "Warning", "DatacenterRemovalRefused", message);
  return [...going, ...held.filter((h) => !h.keyspaces.length).map((h) => h.name)];
}

/**
 * What a settled datacenter needs from CQL before it counts as ready: the system keyspaces replicated to every
 * datacenter in the ring (to this one as soon as it has joined, before the cluster counts it ready), and for every
 * datacenter after the first (marked for rebuild when created) the user keyspaces the dc-replication annotation
 * names for it, then a rebuild from the first datacenter.
 */
export async function joinRing(
  recorder: EventRecorder,
  k8c: K8ssandraCluster,
  dc: DatacenterTemplate,
  position: number,
  current: CassandraDatacenter,
  status: StatusBuilder,
  work: ClusterWork,
  cql: ClusterCql,
  ring: () => Record<string, number>,
  targets: () => CqlTarget[],
): Promise<boolean> {
  const replication = ring();
  const altered = await cql.step("replicating the system keyspaces", (c, ks) => ensureSystemKeyspaces(c, ks, replication), targets());
  if (altered === undefined) return false;
  if (altered.length) recorder.event(k8c, "Normal", "SystemReplicationUpdated", `${altered.join(", ")} replicated to ${JSON.stringify(replication)}`);
  if (position === 0 || !needsRebuild(current)) return true;

  const name = cassandraDatacenterName(dc);
  const wanted = dcReplicationOf(k8c)?.value?.[name];
  if (wanted) {
    const extended = await cql.step(`extending user keyspaces to ${name}`, (c, ks) => extendUserKeyspaces(c, ks, name, wanted), targets());
    if (!extended) return false;
    if (extended.altered.length) recorder.event(k8c, "Normal", "KeyspacesReplicated", `${extended.altered.join(", ")} now replicated to ${name}`);
    if (extended.refused.length) {
      const message = `datacenter ${name} cannot get the replication the k8ssandra.io/dc-replication annotation asks: ${extended.refused.join("; ")}`;
      work.problems.push({ reason: "ReplicationNotApplied", message });
      return false;
    }
  }
  const source = cassandraDatacenterName(datacentersOf(k8c)[0]!);
  const rebuilt = await work.run(contextOf(dc), `rebuilding ${datacenterWhere(k8c, dc)}`, (cluster) => reconcileRebuild(cluster, recorder, k8c, dc, current, source, status));
  if (rebuilt !== true) cql.rebuilding = true;
  return rebuilt === true;
}
