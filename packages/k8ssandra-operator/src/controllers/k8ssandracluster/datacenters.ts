import { type Cluster, type EventRecorder, ignoreNotFound, isAlreadyExists, Patch, Secret } from "@operator-ts/runtime";
import {
  CassandraDatacenter,
  cleanupForKubernetes,
  DECOMMISSION_ON_DELETE_ANNOTATION,
  isDatacenterSettled,
  K8ssandraCluster,
  readDatacenterConfig,
  Stargate,
} from "../../api/index.ts";
import type { SystemReplication } from "./config.ts";
import { cassandraClusterName, contextOf, type DatacenterTemplate, desiredDatacenter, desiredStargate, namespaceOf, stargateName } from "./desired.ts";
import { ownership, RESOURCE_HASH_ANNOTATION } from "./labels.ts";
import { DatacenterConflictError } from "./problems.ts";
import { REBUILD_ANNOTATION } from "./rebuild.ts";
import { recordedReady, type StatusBuilder } from "./status.ts";

/** "ns/name in cluster east": how messages and Events name a datacenter's object. */
export function datacenterWhere(k8c: K8ssandraCluster, dc: DatacenterTemplate): string {
  const context = contextOf(dc);
  return `${namespaceOf(k8c, dc)}/${dc.metadata.name}${context ? ` in cluster ${context}` : ""}`;
}

/**
 * Throws a DatacenterConflictError when an existing CassandraDatacenter of the wanted name is another's: its owner
 * labels name another K8ssandraCluster, or it belongs to another Cassandra cluster. One without owner labels and of
 * the same Cassandra cluster is adopted.
 */
function checkOwnership(k8c: K8ssandraCluster, dc: DatacenterTemplate, position: number, current: CassandraDatacenter, clusterName: string): void {
  const where = datacenterWhere(k8c, dc);
  const owner = ownership.ownerOf(current);
  const rename = `datacenter names must be unique per namespace and cluster: rename spec.cassandra.datacenters[${position}] or remove the other`;
  if (owner && (owner.name !== k8c.metadata.name || (owner.namespace ?? "") !== (k8c.metadata.namespace ?? ""))) {
    throw new DatacenterConflictError(`CassandraDatacenter ${where} belongs to K8ssandraCluster ${owner.namespace}/${owner.name}; ${rename}`);
  }
  if (current.spec.clusterName !== clusterName) {
    throw new DatacenterConflictError(`CassandraDatacenter ${where} belongs to Cassandra cluster "${current.spec.clusterName}", not "${clusterName}"; ${rename}`);
  }
}

/**
 * Creates or updates one datacenter in its cluster; the CassandraDatacenter once it is settled at its current spec
 * (and its Stargate handled). `seeds` are the other datacenters' nodes; `rebuild` marks a datacenter created now as
 * one to rebuild (the cluster already holds data). Errors are thrown for the caller to sort out (unreachable, a
 * problem for a person, or a retry).
 */
export async function reconcileDatacenter(
  cluster: Cluster,
  recorder: EventRecorder,
  k8c: K8ssandraCluster,
  dc: DatacenterTemplate,
  position: number,
  seeds: string[],
  status: StatusBuilder,
  config: { systemReplication: SystemReplication; refused: string[]; rebuild: boolean },
): Promise<CassandraDatacenter | undefined> {
  const context = contextOf(dc);
  const key = { namespace: namespaceOf(k8c, dc), name: dc.metadata.name };
  const where = datacenterWhere(k8c, dc);
  let current = await cluster.client.get(CassandraDatacenter, key).catch(ignoreNotFound);
  if (current) checkOwnership(k8c, dc, position, current, cassandraClusterName(k8c));
  // What an existing datacenter runs with decides what may change (num_tokens may not); one without any config has none.
  const running = current ? ((await readDatacenterConfig(cluster.apiReader, current)) ?? {}) : undefined;
  const { datacenter: desired, configSecret, refused } = desiredDatacenter(k8c, dc, position, seeds, {
    running,
    systemReplication: config.systemReplication,
  });
  if (refused) config.refused.push(refused);
  await ensureConfigSecret(cluster, configSecret);
  if (!current) {
    try {
      // After the hash: the mark is the operator's own state, not part of what the spec asks.
      if (config.rebuild) desired.metadata.annotations![REBUILD_ANNOTATION] = "true";
      await cluster.client.create(desired);
      status.recordDatacenter(key.name, context, undefined);
      recorder.event(k8c, "Normal", "DatacenterCreated", `created CassandraDatacenter ${where}${config.rebuild ? " (to be rebuilt from the live cluster)" : ""}`);
      return undefined;
    } catch (err) {
      // The cache lags the server (a cluster just back from an outage): go on with the server's copy.
      if (!isAlreadyExists(err)) throw err;
      current = await cluster.apiReader.get(CassandraDatacenter, key);
      checkOwnership(k8c, dc, position, current, cassandraClusterName(k8c));
    }
  }
  status.recordDatacenter(key.name, context, current);
  if (current.metadata.annotations?.[RESOURCE_HASH_ANNOTATION] !== desired.metadata.annotations![RESOURCE_HASH_ANNOTATION]) {
    await cluster.client.update<CassandraDatacenter>({
      ...current,
      metadata: {
        ...current.metadata,
        labels: { ...current.metadata.labels, ...desired.metadata.labels },
        annotations: { ...current.metadata.annotations, ...desired.metadata.annotations },
      },
      // The superuser Secret's name cannot change on a running datacenter.
      spec: { ...desired.spec, superuserSecretName: current.spec.superuserSecretName ?? desired.spec.superuserSecretName },
    });
    recorder.event(k8c, "Normal", "DatacenterUpdated", `updated CassandraDatacenter ${where}`);
    return undefined;
  }
  if (!isDatacenterSettled(current)) return undefined;
  if (!recordedReady(k8c.status?.datacenters?.[key.name])) recorder.event(k8c, "Normal", "DatacenterReady", `CassandraDatacenter ${where} is ready`);
  await reconcileStargate(cluster, recorder, k8c, dc, status);
  return current;
}

/**
 * Records what a datacenter the ordered creation has not reached yet looks like, when it exists: its status keeps
 * coming back while a datacenter before it holds the others up, and a name conflict shows before it is reached.
 */
export async function observeDatacenter(cluster: Cluster, k8c: K8ssandraCluster, dc: DatacenterTemplate, position: number, status: StatusBuilder): Promise<void> {
  const current = await cluster.client.get(CassandraDatacenter, { namespace: namespaceOf(k8c, dc), name: dc.metadata.name }).catch(ignoreNotFound);
  if (!current) return;
  checkOwnership(k8c, dc, position, current, cassandraClusterName(k8c));
  status.recordDatacenter(dc.metadata.name, contextOf(dc), current);
}

/** Writes the datacenter's config Secret when missing or different; read uncached, so no cluster-wide Secret watch. */
async function ensureConfigSecret(cluster: Cluster, desired: Secret): Promise<void> {
  const key = { namespace: desired.metadata!.namespace, name: desired.metadata!.name! };
  const current = await cluster.apiReader.get(Secret, key).catch(ignoreNotFound);
  if (!current) await cluster.client.create(desired);
  else if (JSON.stringify(current.data) !== JSON.stringify(desired.data)) await cluster.client.update({ ...current, data: desired.data });
}

async function reconcileStargate(cluster: Cluster, recorder: EventRecorder, k8c: K8ssandraCluster, dc: DatacenterTemplate, status: StatusBuilder): Promise<void> {
  const desired = desiredStargate(k8c, dc);
  const key = { namespace: namespaceOf(k8c, dc), name: stargateName(k8c, dc) };
  let current = await cluster.client.get(Stargate, key).catch(ignoreNotFound);
  const entry = status.datacenter(dc.metadata.name);
  if (!desired) {
    if (current && ownership.ownerOf(current)?.name === k8c.metadata.name) await cluster.client.delete(current).catch(ignoreNotFound);
    delete entry.stargate;
    return;
  }
  if (!current) {
    try {
      await cluster.client.create(desired);
      recorder.event(k8c, "Normal", "StargateCreated", `created Stargate ${key.namespace}/${key.name}${dc.k8sContext ? ` in cluster ${dc.k8sContext}` : ""}`);
      return;
    } catch (err) {
      // The cache lags the server: go on with the server's copy.
      if (!isAlreadyExists(err)) throw err;
      current = await cluster.apiReader.get(Stargate, key);
    }
  }
  if (current.metadata.annotations?.[RESOURCE_HASH_ANNOTATION] !== desired.metadata.annotations![RESOURCE_HASH_ANNOTATION]) {
    await cluster.client.update<Stargate>({
      ...current,
      metadata: {
        ...current.metadata,
        labels: { ...current.metadata.labels, ...desired.metadata.labels },
        annotations: { ...current.metadata.annotations, ...desired.metadata.annotations },
      },
      spec: desired.spec,
    });
  }
  if (current.status) entry.stargate = structuredClone(current.status);
}

/**
 * Datacenters in the status but no longer in the spec, in one cluster: deleted with cass-operator's decommission
 * annotation; the status forgets each once it is gone.
 */
export async function removeDatacenters(cluster: Cluster, recorder: EventRecorder, k8c: K8ssandraCluster, status: StatusBuilder, context: string, names: string[]): Promise<void> {
  const namespace = k8c.metadata.namespace!;
  const owned = await cluster.apiReader.list(CassandraDatacenter, { labelSelector: ownership.labelsFor(k8c) });
  for (const name of names) {
    const found = owned.items.find((d) => d.metadata.name === name);
    if (!found) {
      status.forget(name);
      recorder.event(k8c, "Normal", "DatacenterRemoved", `datacenter ${name} removed${context ? ` from cluster ${context}` : ""}`);
      continue;
    }
    status.datacenter(name).decommissionProgress = "Decommissioning";
    const sg = await cluster.apiReader
      .get(Stargate, { namespace: found.metadata.namespace ?? namespace, name: `${cleanupForKubernetes(found.spec.clusterName)}-${name}-stargate` })
      .catch(ignoreNotFound);
    if (sg) await cluster.client.delete(sg).catch(ignoreNotFound);
    if (found.metadata.deletionTimestamp) continue;
    if (found.metadata.annotations?.[DECOMMISSION_ON_DELETE_ANNOTATION] !== "true") {
      await cluster.client.patch(found, Patch.merge({ metadata: { annotations: { [DECOMMISSION_ON_DELETE_ANNOTATION]: "true" } } }));
    }
    await cluster.client.delete(found).catch(ignoreNotFound);
    recorder.event(k8c, "Normal", "DatacenterDecommissioning", `deleting CassandraDatacenter ${found.metadata.namespace}/${name} for decommission`);
  }
}
