import type {
  CassandraDatacenter,
  CassandraDatacenterStatus,
  CassandraNodeStatus,
  DatacenterCondition,
  DatacenterConditionType,
} from "../api/index.ts";
import type { SimulatedNode } from "./topology.ts";

/** What cass-operator is doing while it reports progress Updating; each names the condition it holds True meanwhile. */
export type ChangeKind = "Initializing" | "Stopping" | "Resuming" | "ScalingUp" | "ScalingDown" | "Updating";

/** Conditions that are True only while a change is under way. */
const TRANSIENT: DatacenterConditionType[] = ["ScalingUp", "ScalingDown", "Updating", "Resuming"];

export function timestamp(date = new Date()): string {
  return date.toISOString().replace(/\.\d{3}Z$/, "Z");
}

function isTrue(status: CassandraDatacenterStatus, type: DatacenterConditionType): boolean {
  return status.conditions?.some((c) => c.type === type && c.status === "True") ?? false;
}

/** Sets a condition; its lastTransitionTime moves only when its status does. */
function setCondition(
  conditions: DatacenterCondition[],
  type: DatacenterConditionType,
  status: DatacenterCondition["status"],
  reason: string,
  message: string,
  now: string,
): void {
  const existing = conditions.find((c) => c.type === type);
  if (!existing) {
    conditions.push({ type, status, reason, message, lastTransitionTime: now });
    return;
  }
  if (existing.status !== status) existing.lastTransitionTime = now;
  existing.status = status;
  existing.reason = reason;
  existing.message = message;
}

/** Which change a spec asks of the datacenter as its status last described it. */
export function changeKind(dc: CassandraDatacenter, nodes: SimulatedNode[]): ChangeKind {
  const status = dc.status ?? {};
  const stoppedNow = isTrue(status, "Stopped");
  if (dc.spec.stopped) return stoppedNow ? "Updating" : "Stopping";
  if (stoppedNow) return "Resuming";
  if (!isTrue(status, "Initialized")) return "Initializing";
  const running = Object.keys(status.nodeStatuses ?? {}).length;
  if (nodes.length > running) return "ScalingUp";
  if (nodes.length < running) return "ScalingDown";
  return "Updating";
}

/** The status cass-operator shows while it works on a change (or cannot, when `invalid` says why). */
export function updatingStatus(dc: CassandraDatacenter, kind: ChangeKind, nodes: SimulatedNode[], invalid: string | undefined, now: string): CassandraDatacenterStatus {
  const status = structuredClone(dc.status ?? {});
  const conditions = status.conditions ?? [];
  if (invalid) {
    setCondition(conditions, "Valid", "False", "ValidationFailed", invalid, now);
    return { ...status, cassandraOperatorProgress: "Updating", conditions };
  }
  setCondition(conditions, "Valid", "True", "", "", now);
  const running = Object.keys(status.nodeStatuses ?? {}).length;
  switch (kind) {
    case "Initializing":
      setCondition(conditions, "Ready", "False", "NodesStarting", `starting ${nodes.length} nodes`, now);
      break;
    case "Stopping":
      setCondition(conditions, "Stopped", "True", "StoppingDatacenter", `stopping ${running} nodes`, now);
      setCondition(conditions, "Ready", "False", "Stopped", "the datacenter is stopped", now);
      break;
    case "Resuming":
      setCondition(conditions, "Stopped", "False", "Resuming", "the datacenter is resuming", now);
      setCondition(conditions, "Resuming", "True", "StartingNodes", `starting ${nodes.length} nodes`, now);
      break;
    case "ScalingUp":
      setCondition(conditions, "ScalingUp", "True", "AddingNodes", `scaling up from ${running} to ${nodes.length} nodes`, now);
      break;
    case "ScalingDown":
      setCondition(conditions, "ScalingDown", "True", "DecommissioningNodes", `scaling down from ${running} to ${nodes.length} nodes`, now);
      break;
    case "Updating":
      setCondition(conditions, "Updating", "True", "RollingUpdate", "applying the new spec to every node", now);
      break;
  }
  return { ...status, cassandraOperatorProgress: "Updating", conditions };
}

/** The status once cass-operator is done: every desired node up (none when stopped), the generation observed. */
export function readyStatus(dc: CassandraDatacenter, kind: ChangeKind, nodes: SimulatedNode[], now: string): CassandraDatacenterStatus {
  const status = structuredClone(dc.status ?? {});
  const conditions = status.conditions ?? [];
  setCondition(conditions, "Valid", "True", "", "", now);
  for (const type of TRANSIENT) {
    if (conditions.some((c) => c.type === type)) setCondition(conditions, type, "False", "", "", now);
  }
  const nodeStatuses: Record<string, CassandraNodeStatus> = {};
  for (const n of nodes) nodeStatuses[n.pod] = { hostID: n.hostID, ip: n.ip, rack: n.rack };
  if (dc.spec.stopped) {
    setCondition(conditions, "Stopped", "True", "Stopped", "all nodes are stopped", now);
    setCondition(conditions, "Ready", "False", "Stopped", "the datacenter is stopped", now);
  } else {
    if (conditions.some((c) => c.type === "Stopped")) setCondition(conditions, "Stopped", "False", "", "", now);
    setCondition(conditions, "Ready", "True", "AllNodesReady", `${nodes.length}/${dc.spec.size} nodes ready`, now);
    setCondition(conditions, "Initialized", "True", "AllNodesStarted", "every node has started once", now);
  }
  const started = !dc.spec.stopped && ["Initializing", "Resuming", "ScalingUp"].includes(kind);
  return {
    ...status,
    cassandraOperatorProgress: "Ready",
    conditions,
    nodeStatuses,
    nodeReplacements: status.nodeReplacements ?? [],
    observedGeneration: dc.metadata.generation,
    // cass-operator records the name its resources were labelled with once the datacenter is first Ready.
    datacenterName: status.datacenterName ?? dc.metadata.name,
    ...(started ? { lastServerNodeStarted: now } : {}),
    ...(kind === "Initializing" ? { usersUpserted: now, superUserUpserted: now } : {}),
  };
}
