import { type ObjectMeta, resourceType } from "@operator-ts/runtime";

/**
 * The part of cass-operator's CassandraTask (control.k8ssandra.io/v1alpha1) the stand-in reads and writes. A minimal
 * local type until the API package has its own; field names are cass-operator's.
 */
export interface CassandraTaskJob {
  name: string;
  command: string;
  args?: {
    keyspace_name?: string;
    source_datacenter?: string;
    pod_name?: string;
    rack?: string;
    tables?: string[];
    jobs?: number;
    [key: string]: unknown;
  };
}

export interface TaskCondition {
  type: string;
  status: "True" | "False" | "Unknown";
  reason: string;
  message: string;
  lastTransitionTime: string;
}

export interface PodProcessingStatus {
  status: "WAITING" | "RUNNING" | "COMPLETED" | "ERROR";
  error?: string;
  startTime?: string;
  completionTime?: string;
}

export interface CassandraTask {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
  spec: {
    datacenter?: { name?: string; namespace?: string };
    scheduledTime?: string;
    jobs?: CassandraTaskJob[];
    restartPolicy?: string;
    ttlSecondsAfterFinished?: number;
    concurrencyPolicy?: string;
  };
  status?: {
    conditions?: TaskCondition[];
    startTime?: string;
    completionTime?: string;
    active?: number;
    succeeded?: number;
    failed?: number;
    podStatuses?: Record<string, PodProcessingStatus>;
  };
}

export const CassandraTask = resourceType<CassandraTask>("control.k8ssandra.io/v1alpha1", "CassandraTask");

/** cass-operator's label for a task's state: "active" while it runs, "completed" after. */
export const TASK_STATUS_LABEL = "control.k8ssandra.io/status";
