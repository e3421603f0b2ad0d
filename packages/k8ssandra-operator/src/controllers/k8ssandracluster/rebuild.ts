import { type Cluster, type EventRecorder, ignoreNotFound, Patch } from "@operator-ts/runtime";
import { CassandraDatacenter, CassandraTask, cleanupForKubernetes, type K8ssandraCluster } from "../../api/index.ts";
import { cassandraClusterName, type DatacenterTemplate, namespaceOf } from "./desired.ts";
import { childLabels } from "./labels.ts";
import type { StatusBuilder } from "./status.ts";

/**
 * Set on a CassandraDatacenter created in a cluster that already served data: it joined empty, and holds none of the
 * data until a rebuild streams it from another datacenter. On the object, so the decision outlives the operator;
 * removed once the rebuild succeeded.
 */
export const REBUILD_ANNOTATION = "k8ssandra.io/rebuild-dc";

export function rebuildTaskName(k8c: K8ssandraCluster, dc: DatacenterTemplate): string {
  return `${cleanupForKubernetes(cassandraClusterName(k8c))}-${dc.metadata.name}-rebuild`;
}

export function needsRebuild(dc: CassandraDatacenter): boolean {
  return dc.metadata.annotations?.[REBUILD_ANNOTATION] === "true";
}

function condition(task: CassandraTask, type: string) {
  return task.status?.conditions?.find((c) => c.type === type);
}

/**
 * The rebuild of a datacenter added to a live cluster, from `source` (another datacenter's Cassandra name), as a
 * cass-operator CassandraTask in the datacenter's own cluster; its progress goes to the K8ssandraCluster's status.
 * True once it has succeeded (and the mark is gone); a failed rebuild is reported and run again.
 */
export async function reconcileRebuild(
  cluster: Cluster,
  recorder: EventRecorder,
  k8c: K8ssandraCluster,
  dc: DatacenterTemplate,
  current: CassandraDatacenter,
  source: string,
  status: StatusBuilder,
): Promise<boolean> {
  const entry = status.datacenter(dc.metadata.name);
  const key = { namespace: namespaceOf(k8c, dc), name: rebuildTaskName(k8c, dc) };
  const task = await cluster.apiReader.get(CassandraTask, key).catch(ignoreNotFound);
  if (!task) {
    await cluster.client.create<CassandraTask>({
      apiVersion: CassandraTask.apiVersion,
      kind: CassandraTask.kind,
      metadata: { ...key, labels: childLabels(k8c) },
      spec: {
        datacenter: { name: current.metadata.name!, namespace: current.metadata.namespace! },
        jobs: [{ name: `${dc.metadata.name}-rebuild`, command: "rebuild", args: { source_datacenter: source } }],
      },
    });
    entry.rebuildProgress = `Pending: rebuild from ${source}`;
    recorder.event(k8c, "Normal", "RebuildStarted", `datacenter ${dc.metadata.name} rebuilds from ${source} (CassandraTask ${key.namespace}/${key.name})`);
    return false;
  }
  if (condition(task, "Complete")?.status !== "True") {
    const pods = Object.values(task.status?.podStatuses ?? {});
    const done = pods.filter((p) => p.status === "COMPLETED").length;
    entry.rebuildProgress = task.status?.startTime ? `Running: ${done}/${pods.length} pods rebuilt from ${source}` : `Pending: rebuild from ${source}`;
    return false;
  }
  if (condition(task, "Failed")?.status === "True") {
    const why = condition(task, "Failed")?.message || "failed";
    const errors = Object.entries(task.status?.podStatuses ?? {}).filter(([, p]) => p.error).map(([pod, p]) => `${pod}: ${p.error}`);
    entry.rebuildProgress = `Failed: ${[why, ...errors].join("; ")}; retrying`;
    recorder.event(k8c, "Warning", "RebuildFailed", `rebuild of datacenter ${dc.metadata.name} from ${source} failed (${why}); running it again`);
    // A new task is the retry: cass-operator does not run a finished one again.
    await cluster.client.delete(task).catch(ignoreNotFound);
    return false;
  }
  await cluster.client.patch(current, Patch.merge({ metadata: { annotations: { [REBUILD_ANNOTATION]: null } } }));
  entry.rebuildProgress = `Completed: rebuilt from ${source}`;
  recorder.event(k8c, "Normal", "RebuildCompleted", `datacenter ${dc.metadata.name} rebuilt from ${source}`);
  return true;
}
