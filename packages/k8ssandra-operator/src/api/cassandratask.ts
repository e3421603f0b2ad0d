import { conditionSchema, type CustomResource, defineCustomResource, int32, Type } from "@operator-ts/runtime/crd";
import { dateTime, objectReference, openString, stringMap } from "./common.ts";

/**
 * CassandraTask (control.k8ssandra.io/v1alpha1) belongs to cass-operator: a list of jobs (rebuild, cleanup, restart,
 * ...) run against the pods of one CassandraDatacenter. This is the subset of its API that the K8ssandra operator
 * writes and the cass-operator stand-in executes, with cass-operator's names, descriptions and validation; its CRD
 * (config/cass-operator-crd) is for the simulator, the demo and tests, never for production, where cass-operator
 * installs its own.
 */

/** cass-operator's CommandType values. */
export type CassandraTaskCommand =
  | "rebuild"
  | "cleanup"
  | "restart"
  | "upgradesstables"
  | "replacenode"
  | "compaction"
  | "scrub"
  | "flush"
  | "garbagecollect"
  | "move"
  | "refresh"
  | "tsreload";

const jobArguments = () =>
  Type.Object(
    {
      keyspace_name: Type.Optional(Type.String()),
      source_datacenter: Type.Optional(Type.String()),
      pod_name: Type.Optional(Type.String()),
      rack: Type.Optional(Type.String()),
      tables: Type.Optional(Type.Array(Type.String())),
      jobs: Type.Optional(Type.Integer()),
      end_token: Type.Optional(Type.String()),
      start_token: Type.Optional(Type.String()),
      split_output: Type.Optional(Type.Boolean({ description: "Compaction arguments" })),
      no_validate: Type.Optional(Type.Boolean({ description: "Scrub arguments" })),
      no_snapshot: Type.Optional(Type.Boolean()),
      skip_corrupted: Type.Optional(Type.Boolean()),
      force: Type.Optional(Type.Boolean({ description: "Force is used to force the execution of a command even if the operator thinks it is unsafe" })),
      fast: Type.Optional(
        Type.Boolean({
          description:
            "Fast modifies the behavior of rolling restart to restart multiple nodes (or entire rack) at the same time.\nIf the cluster is degraded in availability, the fast path isn't used",
        }),
      ),
      new_tokens: Type.Optional(
        stringMap(
          "NewTokens is a map of pod names to their newly-assigned tokens. Required for the move\ncommand, ignored otherwise. Pods referenced in this map must exist; any existing pod not\nreferenced in this map will not be moved.",
        ),
      ),
    },
    { description: "Arguments are additional parameters for the command" },
  );

const job = () =>
  Type.Object({
    name: Type.String(),
    command: openString<CassandraTaskCommand>({ description: "Command defines what is run against Cassandra pods" }),
    args: Type.Optional(jobArguments()),
  });

/** metav1.Condition with the validation its Go markers give (cass-operator's CRD carries them; conditionSchema() is laxer). */
const taskCondition = () => {
  const base = conditionSchema().properties;
  return Type.Object(
    {
      ...base,
      type: Type.String({
        maxLength: 316,
        pattern: "^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])$",
        description: "type of condition in CamelCase or in foo.example.com/CamelCase.",
      }),
      reason: Type.String({
        maxLength: 1024,
        minLength: 1,
        pattern: "^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$",
        description: "reason contains a programmatic identifier indicating the reason for the condition's last transition.",
      }),
    },
    { description: "Condition contains details for one aspect of the current state of this API Resource." },
  );
};

export const CassandraTask = defineCustomResource({
  group: "control.k8ssandra.io",
  version: "v1alpha1",
  kind: "CassandraTask",
  scope: "Namespaced",
  description: "CassandraTask is the Schema for the cassandrajobs API",
  spec: Type.Object(
    {
      datacenter: Type.Optional(
        objectReference("Which datacenter this task is targeting. Note, this must be a datacenter which the current cass-operator\ncan access"),
      ),
      jobs: Type.Optional(Type.Array(job(), { description: "Jobs defines the jobs this task will execute (and their order)" })),
      scheduledTime: Type.Optional(
        dateTime(
          "ScheduledTime indicates the earliest possible time this task is executed. This does not necessarily\nequal to the time it is actually executed (if other tasks are blocking for example). If not set,\nthe task will be executed immediately.",
        ),
      ),
      ttlSecondsAfterFinished: Type.Optional(
        int32({
          description:
            "TTLSecondsAfterFinished defines how long the completed job will kept before being cleaned up. If set to 0\nthe task will not be cleaned up by the cass-operator. If unset, the default time (86400s) is used.",
        }),
      ),
      restartPolicy: Type.Optional(
        openString<"OnFailure" | "Never">({ description: "RestartPolicy indicates the behavior n case of failure. Default is OnFailure." }),
      ),
      concurrencyPolicy: Type.Optional(
        openString<"Allow" | "Forbid">({
          description:
            'Specifics if this task can be run concurrently with other active tasks. Valid values are:\n- "Allow": allows multiple Tasks to run concurrently on Cassandra cluster\n- "Forbid" (default): only a single task is executed at once\nThe "Allow" property is only valid if all the other active Tasks have "Allow" as well.',
        }),
      ),
    },
    // cass-operator has more (maxConcurrentPods, retries, ...): kept as written, so its manifests apply unchanged.
    { additionalProperties: true, description: "CassandraTaskSpec defines the desired state of CassandraTask" },
  ),
  status: Type.Object(
    {
      conditions: Type.Optional(
        Type.Array(taskCondition(), {
          description:
            'The latest available observations of an object\'s current state. When a Job\nfails, one of the conditions will have type "Failed" and status true. When\na Job is suspended, one of the conditions will have type "Suspended" and\nstatus true; when the Job is resumed, the status of this condition will\nbecome false. When a Job is completed, one of the conditions will have\ntype "Complete" and status true.',
          "x-kubernetes-list-type": "atomic",
        }),
      ),
      startTime: Type.Optional(dateTime("Represents time when the job controller started processing a job.")),
      completionTime: Type.Optional(
        dateTime("Represents time when the job was completed. The completion time is only set when the job finishes successfully."),
      ),
      succeeded: Type.Optional(Type.Integer({ description: "The number of pods which reached phase Succeeded." })),
      failed: Type.Optional(Type.Integer({ description: "The number of pods which reached phase Failed." })),
      active: Type.Optional(Type.Integer({ description: "The number of actively running pods." })),
      podStatuses: Type.Optional(
        Type.Record(
          Type.String(),
          Type.Object(
            {
              status: Type.String({ description: "Status of the pod processing." }),
              startTime: Type.Optional(dateTime("Represents time when the job controller started processing this pod.")),
              completionTime: Type.Optional(dateTime("Represents time when the pod was completed (success or fail).")),
              error: Type.Optional(Type.String({ description: "Error message if failed." })),
              jobId: Type.Optional(Type.String({ description: "JobID for async operations (mgmt-api)." })),
              retries: Type.Optional(Type.Integer({ description: "Retry count" })),
            },
            { description: "PodProcessingStatus represents the status of a pod being processed by a CassandraTask." },
          ),
          { description: "PodStatuses tracks the processing status of each pod for bookkeeping.\nKeys are pod names (not including pod UID to handle recreation scenarios)." },
        ),
      ),
    },
    { description: "CassandraTaskStatus defines the observed state of CassandraJob" },
  ),
  printerColumns: [
    { name: "Datacenter", type: "string", jsonPath: ".spec.datacenter.name", description: "Datacenter which the task targets" },
    { name: "Job", type: "string", jsonPath: ".spec.jobs[0].command", description: "The job that is executed" },
    { name: "Scheduled", type: "date", jsonPath: ".spec.scheduledTime", description: "When the execution of the task is allowed at earliest" },
    { name: "Started", type: "date", jsonPath: ".status.startTime", description: "When the execution of the task started" },
    { name: "Completed", type: "date", jsonPath: ".status.completionTime", description: "When the execution of the task finished" },
  ],
});

export type CassandraTask = CustomResource<typeof CassandraTask>;
export type CassandraTaskSpec = CassandraTask["spec"];
export type CassandraTaskStatus = NonNullable<CassandraTask["status"]>;
export type CassandraTaskJob = NonNullable<CassandraTaskSpec["jobs"]>[number];
