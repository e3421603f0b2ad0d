import {
  type Client,
  type Condition,
  ConfigMap,
  conditions,
  controllerManagedBy,
  controllerutil,
  Deployment,
  client as kclient,
  type EventRecorder,
  handler,
  isAlreadyExists,
  isConflict,
  isNoMatch,
  isNotFound,
  type KubeObject,
  log,
  type Manager,
  Patch,
  type Reader,
  type Request,
  type Result,
  Service,
} from "@operator-ts/runtime";
import { CassandraDatacenter, readDatacenterConfig, Stargate, type StargateStatus } from "../api/index.ts";
import {
  cassandraYamlOf,
  desiredConfigMap,
  desiredDeployments,
  desiredService,
  RESOURCE_HASH_ANNOTATION,
  resourceHash,
  STARGATE_LABEL,
} from "./stargate-resources.ts";

export {
  configMapName,
  deploymentName,
  desiredConfigMap,
  desiredDeployments,
  desiredService,
  serviceName,
  STARGATE_DEPLOYMENT_LABEL,
  STARGATE_LABEL,
  stargateImage,
} from "./stargate-resources.ts";

export const STARGATE_CONTROLLER = "stargate-controller";
/** Cache index of Stargates by the CassandraDatacenter they serve. */
export const DATACENTER_REF_INDEX = "spec.datacenterRef.name";
export const READY = "Ready";

type Progress = NonNullable<StargateStatus["progress"]>;

/**
 * K8ssandra's Stargate controller: for each Stargate, once its CassandraDatacenter exists, one Deployment per rack, a
 * Service and the Cassandra settings ConfigMap, all owned by the Stargate; its status sums up the Deployments'.
 */
export class StargateReconciler {
  private readonly client: Client;
  private readonly apiReader: Reader;
  private readonly recorder: EventRecorder;

  constructor(client: Client, apiReader: Reader, recorder: EventRecorder) {
    this.client = client;
    this.apiReader = apiReader;
    this.recorder = recorder;
  }

  async reconcile(req: Request): Promise<Result | void> {
    const logger = log.fromContext();
    let sg: Stargate;
    try {
      sg = await this.client.get(Stargate, req);
    } catch (err) {
      // Deleted: what it owned goes with it through the owner references.
      if (isNotFound(err)) return;
      throw err;
    }
    if (sg.metadata.deletionTimestamp) return;
    const size = sg.spec.size ?? 1;

    let dc: CassandraDatacenter | undefined;
    try {
      dc = await this.client.get(CassandraDatacenter, { namespace: sg.metadata.namespace, name: sg.spec.datacenterRef.name });
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
    if (!dc) {
      // The CassandraDatacenter watch brings us back once it is created.
      await this.writeStatus(sg, {
        progress: "Pending",
        readyReplicasRatio: `0/${size}`,
        replicas: 0,
        readyReplicas: 0,
        updatedReplicas: 0,
        availableReplicas: 0,
      }, "False", "DatacenterNotFound", `CassandraDatacenter ${sg.spec.datacenterRef.name} does not exist`);
      return;
    }

    let deployments: Deployment[];
    let service: Service;
    try {
      await this.apply(sg, desiredConfigMap(sg, dc, await this.cassandraYaml(dc)));
      deployments = [];
      for (const desired of desiredDeployments(sg, dc)) deployments.push(await this.apply(sg, desired));
      await this.deleteStale(sg, new Set(deployments.map((d) => d.metadata!.name!)));
      service = await this.apply(sg, desiredService(sg, dc));
    } catch (err) {
      // A cache that has not yet seen our last write: try again with fresh state rather than report an error.
      if (isAlreadyExists(err) || isConflict(err)) return { requeue: true };
      if (err instanceof controllerutil.AlreadyOwnedError) {
        await this.writeStatus(sg, { ...this.counts(sg, []), progress: "Pending" }, "False", "NameConflict", err.message);
        return;
      }
      throw err;
    }

    const counts = this.counts(sg, deployments);
    const running = counts.readyReplicas === size;
    const progress: Progress = running ? "Running" : "Deploying";
    await this.writeStatus(
      sg,
      { ...counts, progress, deploymentRefs: deployments.map((d) => d.metadata!.name!), serviceRef: service.metadata!.name! },
      running ? "True" : "False",
      running ? "AllReplicasReady" : "ReplicasNotReady",
      `${counts.readyReplicasRatio} Stargate replicas ready`,
    );
    if (!running) logger.debug({ ready: counts.readyReplicasRatio }, "waiting for Stargate replicas");
  }

  /** The datacenter's cassandra.yaml settings; a new configuration changes the datacenter too, whose watch brings us back. */
  private async cassandraYaml(dc: CassandraDatacenter): Promise<Record<string, unknown> | undefined> {
    return cassandraYamlOf(await readDatacenterConfig(this.apiReader, dc));
  }

  private counts(sg: Stargate, deployments: Deployment[]) {
    const sum = (f: (d: Deployment) => number | undefined) => deployments.reduce((n, d) => n + (f(d) ?? 0), 0);
    const readyReplicas = sum((d) => d.status?.readyReplicas);
    return {
      replicas: sum((d) => d.status?.replicas),
      readyReplicas,
      updatedReplicas: sum((d) => d.status?.updatedReplicas),
      availableReplicas: sum((d) => d.status?.availableReplicas),
      readyReplicasRatio: `${readyReplicas}/${sg.spec.size ?? 1}`,
    };
  }

  /**
   * Creates or updates one owned object. The hash of the desired object is kept in an annotation: only when it
   * changes is the object rewritten, so fields the API server defaults never count as drift. Deployment replicas are
   * compared too, so a hand-scaled Deployment is set back.
   */
  private async apply<T extends Deployment | Service | ConfigMap>(sg: Stargate, desired: T): Promise<T> {
    const hash = resourceHash(desired);
    const obj = { apiVersion: desired.apiVersion, kind: desired.kind, metadata: { name: desired.metadata!.name, namespace: desired.metadata!.namespace } } as T;
    const result = await controllerutil.createOrUpdate(this.client, obj, (live) => {
      const stale =
        live.metadata?.annotations?.[RESOURCE_HASH_ANNOTATION] !== hash ||
        (live.kind === "Deployment" && (live as Deployment).spec?.replicas !== (desired as Deployment).spec?.replicas);
      if (stale) {
        live.metadata = {
          ...live.metadata,
          labels: { ...live.metadata?.labels, ...desired.metadata!.labels },
          annotations: { ...live.metadata?.annotations, [RESOURCE_HASH_ANNOTATION]: hash },
        };
        if (live.kind === "Service") {
          // clusterIP and the other fields the API server allocates stay as they are.
          const spec = (live as Service).spec ?? {};
          (live as Service).spec = { ...spec, ...(desired as Service).spec };
        } else if (live.kind === "Deployment") {
          (live as Deployment).spec = (desired as Deployment).spec;
        } else {
          (live as ConfigMap).data = (desired as ConfigMap).data;
        }
      }
      controllerutil.setControllerReference(sg, live);
    }, { apiReader: this.apiReader });
    if (result !== "unchanged") {
      log.fromContext().info({ kind: desired.kind, object: desired.metadata!.name, result }, `${desired.kind} ${result}`);
      this.recorder.event(sg, "Normal", result === "created" ? `Created${desired.kind}` : `Updated${desired.kind}`,
        `${result === "created" ? "Created" : "Updated"} ${desired.kind} ${desired.metadata!.name}`);
    }
    return obj;
  }

  /** Deployments of this Stargate for racks it no longer uses (racks removed, or fewer replicas than racks). */
  private async deleteStale(sg: Stargate, keep: Set<string>): Promise<void> {
    const list = await this.client.list(Deployment, { namespace: sg.metadata.namespace, labelSelector: { [STARGATE_LABEL]: sg.metadata.name! } });
    for (const d of list.items) {
      if (keep.has(d.metadata!.name!) || !isControlledBy(d, sg)) continue;
      await this.client.delete(d, { propagationPolicy: "Background" }).catch((err: unknown) => {
        if (!isNotFound(err)) throw err;
      });
      this.recorder.event(sg, "Normal", "DeletedDeployment", `Deleted Deployment ${d.metadata!.name}`);
    }
  }

  private async writeStatus(
    sg: Stargate,
    fields: Omit<StargateStatus, "conditions">,
    ready: Condition["status"],
    reason: string,
    message: string,
  ): Promise<void> {
    const conds = (sg.status?.conditions ?? []).map((c) => ({ ...c })) as Condition[];
    conditions.setStatusCondition(conds, { type: READY, status: ready, reason, message, observedGeneration: sg.metadata.generation });
    const status: StargateStatus = { ...sg.status, ...fields, conditions: conds };
    if (kclient.deepEqual(status, sg.status)) return;
    await this.client.status().patch(sg, Patch.merge({ status }));
  }
}

function isControlledBy(obj: KubeObject, owner: Stargate): boolean {
  return obj.metadata?.ownerReferences?.some((r) => r.controller && r.uid === owner.metadata.uid) ?? false;
}

/**
 * Registers the Stargate controller; it runs in every cluster that hosts datacenters, control plane or not. A
 * cluster without cass-operator's CRD hosts no datacenter, so there is nothing for it to do (a control plane that is
 * not also a data plane): it is not registered, and installing cass-operator later takes an operator restart.
 */
export async function setupStargateController(mgr: Manager): Promise<void> {
  const hostsDatacenters = await mgr.mapper.mapping(CassandraDatacenter).then(() => true, (err: unknown) => {
    if (isNoMatch(err)) return false;
    throw err;
  });
  if (!hostsDatacenters) {
    mgr.log.info("cass-operator's CassandraDatacenter CRD is not installed here: the Stargate controller is not started");
    return;
  }
  await mgr.cache.indexField(Stargate, DATACENTER_REF_INDEX, (sg) => [sg.spec.datacenterRef.name]);
  const reconciler = new StargateReconciler(mgr.client, mgr.apiReader, mgr.getEventRecorderFor(STARGATE_CONTROLLER));
  const toStargates = handler.enqueueRequestsFromMapFunc<CassandraDatacenter>(async (dc) => {
    const list = await mgr.cache.list(Stargate, { namespace: dc.metadata.namespace, matchingFields: { [DATACENTER_REF_INDEX]: dc.metadata.name! } });
    return list.items.map((sg) => ({ namespace: sg.metadata.namespace, name: sg.metadata.name! }));
  });
  await controllerManagedBy(mgr)
    .named("stargate")
    .for(Stargate)
    .owns(Deployment)
    .owns(Service)
    .owns(ConfigMap)
    .watches(CassandraDatacenter, toStargates)
    .complete(reconciler);
}
