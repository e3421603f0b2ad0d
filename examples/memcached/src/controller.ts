import {
  type Client,
  conditions,
  controllerManagedBy,
  controllerutil,
  Deployment,
  type EventRecorder,
  ignoreNotFound,
  isAlreadyExists,
  isConflict,
  isNotFound,
  log,
  type Manager,
  type Request,
  type Result,
} from "@operator-ts/runtime";
import { Memcached } from "./api.ts";
import { DEFAULT_SIZE } from "./webhooks.ts";

export const FINALIZER = "cache.example.com/finalizer";
export const AVAILABLE = "Available";
export const PROGRESSING = "Progressing";
export const DEGRADED = "Degraded";

/** The Operator SDK tutorial's reconciler: one memcached Deployment of spec.size replicas per Memcached. */
export class MemcachedReconciler {
  private readonly client: Client;
  private readonly recorder: EventRecorder;

  constructor(client: Client, recorder: EventRecorder) {
    this.client = client;
    this.recorder = recorder;
  }

  async reconcile(req: Request): Promise<Result | void> {
    try {
      return await this.reconcileOnce(req);
    } catch (err) {
      // The cache had not yet seen this controller's own last write (a status update, the Deployment it created): the
      // next pass reads the newer object. Routine right after a create, so no error in the log.
      if (isConflict(err)) {
        log.fromContext().debug({ err: (err as Error).message }, "stale read from the cache; requeued");
        return { requeue: true };
      }
      throw err;
    }
  }

  private async reconcileOnce(req: Request): Promise<Result | void> {
    const logger = log.fromContext();
    let memcached: Memcached;
    try {
      memcached = await this.client.get(Memcached, req);
    } catch (err) {
      // Deleted after the event was queued: its Deployment goes with it through the owner reference.
      if (isNotFound(err)) return;
      throw err;
    }

    if (!memcached.status?.conditions?.length) {
      memcached = await this.setCondition(memcached, AVAILABLE, "Unknown", "Reconciling", "Starting reconciliation");
    }

    if (memcached.metadata.deletionTimestamp) {
      // A read from a cache that lags behind may show the finalizer that an earlier pass already removed.
      if (controllerutil.containsFinalizer(memcached, FINALIZER)) await this.finalize(memcached).catch(ignoreNotFound);
      return;
    }
    if (controllerutil.addFinalizer(memcached, FINALIZER)) {
      memcached = await this.client.update(memcached);
    }

    let deployment;
    try {
      deployment = await this.client.get(Deployment, req);
    } catch (err) {
      if (!isNotFound(err)) throw err;
      const desired = deploymentFor(memcached);
      controllerutil.setControllerReference(memcached, desired);
      try {
        await this.client.create(desired);
      } catch (createErr) {
        // Created by an earlier pass whose result the cache has yet to show: the pass that its own status and finalizer
        // writes bring right after the create, routinely. Logged only once it succeeds, so one create is one line.
        if (isAlreadyExists(createErr)) return { requeue: true };
        await this.setCondition(memcached, AVAILABLE, "False", "Reconciling", `Failed to create Deployment: ${(createErr as Error).message}`);
        throw createErr;
      }
      logger.info({ deployment: desired.metadata!.name }, "created a new Deployment");
      this.recorder.event(memcached, "Normal", "Created", `Created Deployment ${desired.metadata!.name} with ${memcached.spec.size ?? DEFAULT_SIZE} replicas`);
      return { requeueAfter: 60_000 };
    }

    // The defaulting webhook sets the size; an object written while webhooks were off may still lack it.
    const size = memcached.spec.size ?? DEFAULT_SIZE;
    if (deployment.spec?.replicas !== size) {
      deployment.spec = { ...deployment.spec!, replicas: size };
      try {
        await this.client.update(deployment);
      } catch (err) {
        await this.setCondition(memcached, AVAILABLE, "False", "Resizing", `Failed to update the size: ${(err as Error).message}`);
        throw err;
      }
      this.recorder.event(memcached, "Normal", "Scaled", `Scaled Deployment ${deployment.metadata!.name} to ${size} replicas`);
      // The Deployment's change brings us back through Owns(); status is written on that pass.
      return;
    }

    const ready = deployment.status?.readyReplicas ?? 0;
    memcached = await this.setCondition(memcached, AVAILABLE, "True", "Reconciling",
      `Deployment for custom resource (${memcached.metadata.name}) with ${size} replicas created successfully`);
    await this.setCondition(memcached, PROGRESSING, ready >= size ? "False" : "True",
      ready >= size ? "ReplicasReady" : "WaitingForReplicas", `${ready} of ${size} replicas ready`);
  }

  private async finalize(memcached: Memcached): Promise<void> {
    memcached = await this.setCondition(memcached, DEGRADED, "Unknown", "Finalizing",
      `Performing finalizer operations for the custom resource: ${memcached.metadata.name}`);
    // The tutorial's finalizer operation: tell people, through an Event, that the resource is going away.
    this.recorder.event(memcached, "Warning", "Deleting",
      `Custom Resource ${memcached.metadata.name} is being deleted from the namespace ${memcached.metadata.namespace}`);
    memcached = await this.setCondition(memcached, DEGRADED, "True", "Finalizing",
      `Finalizer operations for custom resource ${memcached.metadata.name} name were successfully accomplished`);
    controllerutil.removeFinalizer(memcached, FINALIZER);
    await this.client.update(memcached);
  }

  /** Sets one condition and writes status if it changed; returns the object as stored. */
  private async setCondition(memcached: Memcached, type: string, status: "True" | "False" | "Unknown", reason: string, message: string): Promise<Memcached> {
    const list = memcached.status?.conditions ?? [];
    if (!conditions.setStatusCondition(list, { type, status, reason, message, observedGeneration: memcached.metadata.generation })) {
      return memcached;
    }
    memcached.status = { ...memcached.status, conditions: list };
    return this.client.status().update(memcached);
  }
}

export function deploymentFor(memcached: Memcached): Deployment {
  const labels = {
    "app.kubernetes.io/name": "memcached-operator",
    "app.kubernetes.io/instance": memcached.metadata.name!,
    "app.kubernetes.io/managed-by": "memcached-operator",
  };
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name: memcached.metadata.name, namespace: memcached.metadata.namespace, labels },
    spec: {
      replicas: memcached.spec.size ?? DEFAULT_SIZE,
      selector: { matchLabels: labels },
      template: {
        metadata: { labels },
        spec: {
          securityContext: { runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" } },
          containers: [
            {
              name: "memcached",
              image: "memcached:1.6",
              imagePullPolicy: "IfNotPresent",
              command: ["memcached", "--memory-limit=64", "-o", "modern", "-v"],
              ports: [{ containerPort: memcached.spec.containerPort ?? 11211, name: "memcached" }],
              securityContext: {
                runAsNonRoot: true,
                runAsUser: 1001,
                allowPrivilegeEscalation: false,
                capabilities: { drop: ["ALL"] },
              },
            },
          ],
        },
      },
    },
  };
}

export async function setupMemcachedController(mgr: Manager): Promise<void> {
  const reconciler = new MemcachedReconciler(mgr.client, mgr.getEventRecorderFor("memcached-controller"));
  await controllerManagedBy(mgr).for(Memcached).owns(Deployment).complete(reconciler);
}
