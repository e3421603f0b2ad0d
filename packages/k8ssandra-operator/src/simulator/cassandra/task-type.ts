import type { CassandraTaskStatus } from "../../api/index.ts";

export { CassandraTask, type CassandraTaskJob } from "../../api/index.ts";

/** One condition of a CassandraTask's status, as cass-operator writes it. */
export type TaskCondition = NonNullable<CassandraTaskStatus["conditions"]>[number];

/** One pod's progress in a CassandraTask's status.podStatuses. */
export type PodProcessingStatus = NonNullable<CassandraTaskStatus["podStatuses"]>[string];

/** cass-operator's label for a task's state: "active" while it runs, "completed" after. */
export const TASK_STATUS_LABEL = "control.k8ssandra.io/status";
