import type { ClusterObjectState, ClusterRequest, MultiClusterManager } from "@operator-ts/multicluster";
import {
  client,
  controllerutil,
  type EventRecorder,
  ignoreNotFound,
  isAlreadyExists,
  isConnectionError,
  log,
  Patch,
  type Result,
  Secret,
} from "@operator-ts/runtime";
import {
  CassandraDatacenter,
  cleanupForKubernetes,
  DECOMMISSION_ON_DELETE_ANNOTATION,
  isDatacenterSettled,
  K8ssandraCluster,
  seedServiceName,
  Stargate,
  unsupportedFields,
} from "../../api/index.ts";
import { contextOf, datacentersOf, desiredDatacenter, desiredStargate, namespaceOf, type DatacenterTemplate, stargateName } from "./desired.ts";
import { FINALIZER, MANAGED_BY_LABEL, OPERATOR_NAME, ownership, RESOURCE_HASH_ANNOTATION } from "./labels.ts";
import { ensureSuperuserSecret, replicateSecrets, secretsToReplicate } from "./secrets.ts";
import { CASSANDRA_INITIALIZED, CLUSTERS_REACHABLE, READY, recordedReady, SPEC_VALID, StatusBuilder, UNSUPPORTED_FIELDS } from "./status.ts";
import { validate } from "./validate.ts";

/** How often to look again while a cluster is unreachable or a k8sContext has no ClientConfig yet. */
const RETRY_MS = 10_000;
/** How often to look again while children are being deleted. */
const CLEANUP_POLL_MS = 2_000;

/** Seeds of a ready datacenter: the addresses of its first nodes, else its seed Service. */
function seedsOf(dc: CassandraDatacenter): string[] {
  const nodes = Object.entries(dc.status?.nodeStatuses ?? {}).sort(([a], [b]) => a.localeCompare(b));
  const ips = nodes.map(([, n]) => n.ip).filter((ip): ip is string => Boolean(ip)).slice(0, 3);
  return ips.length ? ips : [`${seedServiceName(dc)}.${dc.metadata.namespace}.svc.cluster.local`];
}

/**
 * The control-plane controller of K8ssandraClusters: the superuser Secret and its replicas, one CassandraDatacenter
 * per datacenter in the cluster its k8sContext names (created one at a time, each after the previous is Ready),
 * Stargates once their datacenter is Ready, and a status gathered from every cluster.
 */
export class K8ssandraClusterReconciler {
  private readonly mcm: MultiClusterManager;
  private readonly recorder: EventRecorder;
  private readonly clientConfigs: { stateOf(context: string): ClusterObjectState | undefined } | undefined;

  constructor(mcm: MultiClusterManager, clientConfigs?: { stateOf(context: string): ClusterObjectState | undefined }) {
    this.mcm = mcm;
    this.clientConfigs = clientConfigs;
    this.recorder = mcm.manager.getEventRecorderFor("k8ssandracluster-controller");
  }

  async reconcile(req: ClusterRequest): Promise<Result | void> {
    if (req.cluster !== "") return;
    const home = this.mcm.manager.client;
    let k8c = await home.get(K8ssandraCluster, req).catch(ignoreNotFound);
    if (!k8c) return;
    if (k8c.metadata.deletionTimestamp) return this.finalize(k8c);
    if (controllerutil.addFinalizer(k8c, FINALIZER)) k8c = await home.update(k8c);

    const status = new StatusBuilder(k8c);
    try {
      return await this.reconcileSpec(k8c, status);
    } finally {
      await this.writeStatus(k8c, status);
    }
  }

  private async reconcileSpec(k8c: K8ssandraCluster, status: StatusBuilder): Promise<Result | void> {
    const logger = log.fromContext();
    const unsupported = unsupportedFields(k8c);
    if (unsupported.length) {
      const message = `ignored by this operator: ${unsupported.join(", ")}`;
      if (status.condition(UNSUPPORTED_FIELDS, "True", "FieldsNotSupported", message)) this.recorder.event(k8c, "Warning", "UnsupportedFields", message);
    } else {
      status.removeCondition(UNSUPPORTED_FIELDS);
    }

    const validation = validate(k8c, (ctx) => this.mcm.hasCluster(ctx));
    if (validation.errors.length) {
      const message = validation.errors.join("; ");
      if (status.condition(SPEC_VALID, "False", "InvalidSpec", message)) this.recorder.event(k8c, "Warning", "InvalidSpec", message);
      status.error(message);
      logger.info({ problems: validation.errors.length }, "invalid spec: waiting for it to be fixed");
      return;
    }
    status.condition(SPEC_VALID, "True", "Valid", "");

    const { secret, problem } = await ensureSuperuserSecret(this.mcm.manager.client, k8c);
    if (problem) {
      if (status.condition(READY, "False", "SuperuserSecretMissing", problem)) this.recorder.event(k8c, "Warning", "SuperuserSecretMissing", problem);
      status.error(problem);
      return { requeueAfter: RETRY_MS };
    }

    const dcs = datacentersOf(k8c);
    const known = dcs.filter((dc) => this.mcm.hasCluster(contextOf(dc)));
    const targets = known.map((dc) => ({ cluster: contextOf(dc), namespace: namespaceOf(k8c, dc) }));
    const secrets = await secretsToReplicate(this.mcm.manager.client, k8c, secret);
    const unreachable = new Set(await replicateSecrets(this.mcm, k8c, secrets, targets));
    for (const dc of known) if (!this.mcm.health.isReachable(contextOf(dc))) unreachable.add(contextOf(dc));

    await this.removeDatacenters(k8c, status, unreachable);

    let ready = 0;
    let blocked = false;
    const seeds: string[] = [];
    for (const [position, dc] of dcs.entries()) {
      const context = contextOf(dc);
      const name = dc.metadata.name;
      if (!this.mcm.hasCluster(context)) {
        status.datacenter(name).contextName = context;
        blocked = true;
        break;
      }
      if (unreachable.has(context)) {
        // What we last saw stands in for a datacenter we cannot ask: if it was Ready, the ones after it proceed.
        if (recordedReady(status.datacenter(name))) {
          ready++;
          continue;
        }
        blocked = true;
        break;
      }
      const settled = await this.reconcileDatacenter(k8c, dc, position, seeds, status, unreachable);
      if (!settled) {
        blocked = true;
        break;
      }
      ready++;
    }

    status.status.readyDatacenters = `${ready}/${dcs.length}`;
    const missing = validation.unknownContexts;
    const down = [...unreachable];
    if (down.length || missing.length) {
      const parts = [
        ...down.map((c) => `cluster ${c} unreachable${this.since(c)}`),
        ...missing.map((c) => this.whyMissing(c)),
      ];
      const message = parts.join("; ");
      if (status.condition(CLUSTERS_REACHABLE, "False", missing.length ? "UnknownContext" : "Unreachable", message)) {
        this.recorder.event(k8c, "Warning", missing.length ? "UnknownContext" : "ClusterUnreachable", message);
      }
      status.error(message);
    } else {
      status.condition(CLUSTERS_REACHABLE, "True", "Reachable", "");
      status.error(undefined);
    }
    const allReady = !blocked && ready === dcs.length;
    status.condition(READY, allReady ? "True" : "False", allReady ? "DatacentersReady" : "DatacentersNotReady", `${ready} of ${dcs.length} datacenters ready`);
    if (allReady) {
      // Set once and never taken back, as K8ssandra does: the cluster has been fully up at least once.
      if (!status.isTrue(CASSANDRA_INITIALIZED)) {
        status.condition(CASSANDRA_INITIALIZED, "True", "AllDatacentersReady", "");
        this.recorder.event(k8c, "Normal", "CassandraInitialized", `all ${dcs.length} datacenters are ready`);
      }
      if (!down.length) status.status.observedGeneration = k8c.metadata.generation;
    }
    if (down.length || missing.length) return { requeueAfter: RETRY_MS };
  }

  /** Why a k8sContext has no cluster: no ClientConfig names it, or the one that does is not usable (and why). */
  private whyMissing(context: string): string {
    const state = this.clientConfigs?.stateOf(context);
    if (!state) return `no ClientConfig for k8sContext ${context}`;
    return `ClientConfig ${state.object.namespace}/${state.object.name} for k8sContext ${context} is not usable (${state.reason}): ${state.message}`;
  }

  private since(cluster: string): string {
    const s = this.mcm.health.status(cluster);
    return s?.state === "unreachable" ? ` since ${s.since.toISOString()}` : "";
  }

  /** Creates or updates one datacenter; true once it is settled at its current spec (and its Stargate handled). */
  private async reconcileDatacenter(
    k8c: K8ssandraCluster,
    dc: DatacenterTemplate,
    position: number,
    seeds: string[],
    status: StatusBuilder,
    unreachable: Set<string>,
  ): Promise<boolean> {
    const context = contextOf(dc);
    const cluster = this.mcm.getCluster(context);
    const { datacenter: desired, configSecret } = desiredDatacenter(k8c, dc, position, seeds);
    const key = { namespace: desired.metadata.namespace, name: desired.metadata.name! };
    const where = `${key.namespace}/${key.name}${context ? ` in cluster ${context}` : ""}`;
    try {
      if (configSecret) await this.ensureConfigSecret(context, configSecret);
      let current = await cluster.client.get(CassandraDatacenter, key).catch(ignoreNotFound);
      if (!current) {
        try {
          await cluster.client.create(desired);
          status.recordDatacenter(key.name, context, undefined);
          this.recorder.event(k8c, "Normal", "DatacenterCreated", `created CassandraDatacenter ${where}`);
          return false;
        } catch (err) {
          // The cache lags the server (a cluster just back from an outage): go on with the server's copy.
          if (!isAlreadyExists(err)) throw err;
          current = await cluster.apiReader.get(CassandraDatacenter, key);
        }
      }
      status.recordDatacenter(key.name, context, current);
      if (current.spec.clusterName !== desired.spec.clusterName) {
        throw new Error(`CassandraDatacenter ${where} belongs to Cassandra cluster "${current.spec.clusterName}", not "${desired.spec.clusterName}"`);
      }
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
        this.recorder.event(k8c, "Normal", "DatacenterUpdated", `updated CassandraDatacenter ${where}`);
        return false;
      }
      if (!isDatacenterSettled(current)) return false;
      if (!recordedReadyBefore(k8c, key.name)) this.recorder.event(k8c, "Normal", "DatacenterReady", `CassandraDatacenter ${where} is ready`);
      seeds.push(...seedsOf(current));
      await this.reconcileStargate(k8c, dc, status);
      return true;
    } catch (err) {
      if (!isConnectionError(err)) throw err;
      unreachable.add(context);
      this.mcm.health.report(context, false, (err as Error).message);
      return recordedReady(status.datacenter(key.name));
    }
  }

  /** Writes the datacenter's config Secret when missing or different; read uncached, so no cluster-wide Secret watch. */
  private async ensureConfigSecret(context: string, desired: Secret): Promise<void> {
    const cluster = this.mcm.getCluster(context);
    const key = { namespace: desired.metadata!.namespace, name: desired.metadata!.name! };
    const current = await cluster.apiReader.get(Secret, key).catch(ignoreNotFound);
    if (!current) await cluster.client.create(desired);
    else if (JSON.stringify(current.data) !== JSON.stringify(desired.data)) await cluster.client.update({ ...current, data: desired.data });
  }

  private async reconcileStargate(k8c: K8ssandraCluster, dc: DatacenterTemplate, status: StatusBuilder): Promise<void> {
    const cluster = this.mcm.getCluster(contextOf(dc));
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
        this.recorder.event(k8c, "Normal", "StargateCreated", `created Stargate ${key.namespace}/${key.name}${dc.k8sContext ? ` in cluster ${dc.k8sContext}` : ""}`);
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

  /** Datacenters in the status but no longer in the spec: deleted with cass-operator's decommission annotation. */
  private async removeDatacenters(k8c: K8ssandraCluster, status: StatusBuilder, unreachable: Set<string>): Promise<void> {
    const wanted = new Set(datacentersOf(k8c).map((dc) => dc.metadata.name));
    for (const [name, entry] of Object.entries(status.status.datacenters ?? {})) {
      if (wanted.has(name)) continue;
      const context = entry.contextName ?? "";
      if (!this.mcm.hasCluster(context) || unreachable.has(context)) continue;
      const cluster = this.mcm.getCluster(context);
      const namespace = k8c.metadata.namespace!;
      const found = await cluster.apiReader
        .list(CassandraDatacenter, { labelSelector: ownership.labelsFor(k8c) })
        .then((list) => list.items.find((d) => d.metadata.name === name));
      if (!found) {
        status.forget(name);
        this.recorder.event(k8c, "Normal", "DatacenterRemoved", `datacenter ${name} removed${context ? ` from cluster ${context}` : ""}`);
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
      this.recorder.event(k8c, "Normal", "DatacenterDecommissioning", `deleting CassandraDatacenter ${found.metadata.namespace}/${name} for decommission`);
    }
  }

  /** Deletes every child in every cluster, waits until they are gone, then lets the K8ssandraCluster go. */
  private async finalize(k8c: K8ssandraCluster): Promise<Result | void> {
    if (!controllerutil.containsFinalizer(k8c, FINALIZER)) return;
    const contexts = new Set<string>([""]);
    for (const dc of datacentersOf(k8c)) contexts.add(contextOf(dc));
    for (const entry of Object.values(k8c.status?.datacenters ?? {})) contexts.add(entry.contextName ?? "");
    const reachable = [...contexts].filter((c) => this.mcm.hasCluster(c));
    // Listing stays in the namespaces this K8ssandraCluster uses: a data-plane identity may read Secrets only there.
    const namespaces = [k8c.metadata.namespace!, ...datacentersOf(k8c).map((dc) => namespaceOf(k8c, dc))];
    const result = await ownership.deleteChildren(this.mcm, k8c, "", [Stargate, CassandraDatacenter, Secret], {
      clusters: reachable,
      extraLabels: { [MANAGED_BY_LABEL]: OPERATOR_NAME },
      namespaces,
    });
    if (result.remaining > 0 || result.unreachable.length) {
      log.fromContext().info({ remaining: result.remaining, unreachable: result.unreachable }, "waiting for children to be deleted");
      return { requeueAfter: CLEANUP_POLL_MS };
    }
    controllerutil.removeFinalizer(k8c, FINALIZER);
    await this.mcm.manager.client.update(k8c).catch(ignoreNotFound);
  }

  private async writeStatus(k8c: K8ssandraCluster, status: StatusBuilder): Promise<void> {
    const patch = client.createMergePatch({ status: k8c.status ?? {} }, { status: status.status });
    if (!patch || Object.keys(patch as object).length === 0) return;
    await this.mcm.manager.client.status().patch(k8c, Patch.merge(patch)).catch(ignoreNotFound);
  }
}

function recordedReadyBefore(k8c: K8ssandraCluster, name: string): boolean {
  return recordedReady(k8c.status?.datacenters?.[name]);
}
