import { type Condition, conditions } from "@operator-ts/runtime";
import type { CassandraDatacenter, K8ssandraCluster, K8ssandraClusterStatus, K8ssandraDatacenterStatus } from "../../api/index.ts";

export const CASSANDRA_INITIALIZED = "CassandraInitialized";
export const READY = "Ready";
export const SPEC_VALID = "SpecValid";
export const UNSUPPORTED_FIELDS = "UnsupportedFields";
export const CLUSTERS_REACHABLE = "ClustersReachable";
/** Present (False) while the spec asks a datacenter that exists for another num_tokens, which is refused. */
export const NUM_TOKENS_UNCHANGED = "NumTokensUnchanged";
/** False while CQL cannot reach the datacenters (replication and rebuilds wait); absent when the operator uses no CQL. */
export const CASSANDRA_REACHABLE = "CassandraReachable";
/** False while a datacenter removed from the spec still holds user keyspaces' replicas (it is kept until they are moved). */
export const DATACENTERS_REMOVABLE = "DatacentersRemovable";
/** False while an error only a person can fix stops reconciliation (invalid spec, a name conflict, 403, 422...). */
export const RECONCILED = "Reconciled";

/** The status being built during one reconcile; written once at the end, and only if it changed. */
export class StatusBuilder {
  readonly status: K8ssandraClusterStatus;
  private readonly generation: number | undefined;

  constructor(k8c: K8ssandraCluster) {
    this.status = structuredClone(k8c.status ?? {});
    this.status.conditions ??= [];
    this.status.datacenters ??= {};
    this.generation = k8c.metadata.generation;
  }

  /** Sets a condition; true when its status, reason or message changed (the moment to record an Event). */
  condition(type: string, status: Condition["status"], reason: string, message: string): boolean {
    // Copied: setStatusCondition updates the condition in place.
    const before = { ...conditions.findStatusCondition(this.status.conditions as Condition[], type) };
    conditions.setStatusCondition(this.status.conditions as Condition[], { type, status, reason, message, observedGeneration: this.generation });
    return before.status !== status || before.reason !== reason || before.message !== message;
  }

  removeCondition(type: string): void {
    conditions.removeStatusCondition(this.status.conditions as Condition[], type);
  }

  isTrue(type: string): boolean {
    return conditions.isStatusConditionTrue(this.status.conditions as Condition[], type);
  }

  datacenter(name: string): K8ssandraDatacenterStatus {
    const map = this.status.datacenters!;
    map[name] ??= {};
    return map[name]!;
  }

  forget(name: string): void {
    delete this.status.datacenters![name];
  }

  recordDatacenter(name: string, context: string, dc: CassandraDatacenter | undefined): void {
    const entry = this.datacenter(name);
    if (context) entry.contextName = context;
    else delete entry.contextName;
    if (dc?.status) entry.cassandra = structuredClone(dc.status);
  }

  error(message: string | undefined): void {
    this.status.error = message ?? "None";
  }
}

/** Whether a recorded CassandraDatacenter status says Ready (for a cluster that cannot be asked right now). */
export function recordedReady(entry: K8ssandraDatacenterStatus | undefined): boolean {
  const status = entry?.cassandra;
  return status?.cassandraOperatorProgress === "Ready" && (status.conditions ?? []).some((c) => c.type === "Ready" && c.status === "True");
}
