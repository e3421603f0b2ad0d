import { type CustomResource, defineCustomResource, int32, int64, Type } from "@operator-ts/runtime/crd";
import { dateTime, loose, objectReference, openString, type PersistentVolumeClaimSpec, type ResourceRequirements, stringMap } from "./common.ts";

/**
 * CassandraDatacenter (cassandra.datastax.com/v1beta1) belongs to cass-operator, which installs its own CRD in
 * production. This is the subset of its API that this operator writes and reads and that the simulator drives, with
 * cass-operator's field names, descriptions and validation. The CRD generated from it
 * (config/cass-operator-crd) is for the simulator, the demo and tests, in clusters without cass-operator; like
 * cass-operator's, its spec keeps every field it does not model, so cass-operator manifests apply unchanged.
 */

export type ServerType = "cassandra" | "dse" | "hcd";

/**
 * cass-operator's JSON configuration, by config-builder section: what the Secret named by spec.configSecret holds
 * under its `config` key.
 */
export interface CassandraDatacenterConfig {
  "cassandra-yaml"?: Record<string, unknown>;
  "dse-yaml"?: Record<string, unknown>;
  "jvm-options"?: Record<string, unknown>;
  "jvm-server-options"?: Record<string, unknown>;
  "jvm8-server-options"?: Record<string, unknown>;
  "jvm11-server-options"?: Record<string, unknown>;
  "cassandra-env-sh"?: { "additional-jvm-opts"?: string[]; [key: string]: unknown };
  [section: string]: unknown;
}

export type DatacenterConditionType =
  | "Ready"
  | "Initialized"
  | "ReplacingNodes"
  | "ScalingUp"
  | "ScalingDown"
  | "Updating"
  | "Stopped"
  | "Resuming"
  | "RollingRestart"
  | "Valid"
  | "Decommission"
  | "RequiresUpdate"
  | "ResizingVolumes"
  | "Healthy";

export type ProgressState = "Updating" | "Ready";

const rack = () =>
  Type.Object(
    {
      name: Type.String({ minLength: 2, description: "The rack name" }),
      nodeAffinityLabels: Type.Optional(stringMap("NodeAffinityLabels to pin the rack, using node affinity")),
      affinity: Type.Optional(
        loose<Record<string, unknown>>(
          "Affinity rules to set for this rack only. Merged with values from PodTemplateSpec Affinity as well as NodeAffinityLabels. If you wish to override all the default\nPodAntiAffinity rules, set allowMultipleWorkers to true, otherwise defaults are applied and then these Affinity settings are merged.",
        ),
      ),
      zone: Type.Optional(Type.String({ description: "Deprecated. Use nodeAffinityLabels instead. DeprecatedZone name to pin the rack, using node affinity" })),
    },
    { description: "Rack ..." },
  );

const additionalVolume = () =>
  Type.Object(
    {
      name: Type.String({ pattern: "[a-z0-9]([-a-z0-9]*[a-z0-9])?", description: "Name of the pvc / volume" }),
      mountPath: Type.String({ description: "Mount path into cassandra container" }),
      pvcSpec: Type.Optional(loose<PersistentVolumeClaimSpec>("PVCSpec is a persistent volume claim spec. Either this or VolumeSource is required.")),
      volumeSource: Type.Optional(
        loose<Record<string, unknown>>("VolumeSource to mount the volume from (such as ConfigMap / Secret). This or PVCSpec is required."),
      ),
    },
    { description: "AdditionalVolumes defines additional storage configurations" },
  );

const spec = () =>
  Type.Object(
    {
      clusterName: Type.String({
        minLength: 2,
        description:
          "The name by which CQL clients and instances will know the cluster. If the same\ncluster name is shared by multiple Datacenters in the same Kubernetes namespace,\nthey will join together in a multi-datacenter cluster.",
      }),
      serverType: Type.Union([Type.Literal("cassandra"), Type.Literal("dse"), Type.Literal("hcd")], {
        description: 'Server type: "cassandra", "dse" or "hcd"',
      }),
      serverVersion: Type.String({
        pattern: "(\\d+\\.\\d+\\.\\d+)",
        description: "Version string for config builder,\nused to generate Cassandra server configuration",
      }),
      serverImage: Type.Optional(
        Type.String({
          description:
            "Cassandra server image name. Use of ImageConfig to match ServerVersion is recommended instead of this value.\nThis value will override anything set in the ImageConfig matching the ServerVersion\nMore info: https://kubernetes.io/docs/concepts/containers/images",
        }),
      ),
      size: int32({ minimum: 1, description: "Desired number of Cassandra server nodes" }),
      stopped: Type.Optional(
        Type.Boolean({
          description:
            'A stopped CassandraDatacenter will have no running server pods, like using "stop" with\ntraditional System V init scripts. Other Kubernetes resources will be left intact, and volumes\nwill re-attach when the CassandraDatacenter workload is resumed.',
        }),
      ),
      storageConfig: Type.Object(
        {
          cassandraDataVolumeClaimSpec: Type.Optional(
            loose<PersistentVolumeClaimSpec>(
              "PersistentVolumeClaimSpec describes the common attributes of storage devices\nand allows a Source for provider-specific attributes",
            ),
          ),
          additionalVolumes: Type.Optional(Type.Array(additionalVolume())),
        },
        { description: "StorageConfig describes the persistent storage request of each server node" },
      ),
      // As cass-operator declares it (a json.RawMessage marked as bytes): current API servers reject an object here
      // ("spec.config in body must be of type byte", k8ssandra/cass-operator#837), so this operator writes configSecret.
      config: Type.Optional(
        Type.Unsafe<string>({
          type: "string",
          format: "byte",
          "x-kubernetes-preserve-unknown-fields": true,
          description: "Config for the server, in YAML format",
        }),
      ),
      configSecret: Type.Optional(
        Type.String({
          description:
            'ConfigSecret is the name of a secret that contains configuration for Cassandra. The\nsecret is expected to have a property named config whose value should be a JSON\nformatted string that should look like this:\n\n   config: |-\n     {\n       "cassandra-yaml": {\n         "read_request_timeout_in_ms": 10000\n       },\n       "jmv-options": {\n         "max_heap_size": 1024M\n       }\n     }\n\nConfigSecret is mutually exclusive with Config. ConfigSecret takes precedence and\nwill be used exclusively if both properties are set. The operator sets a watch such\nthat an update to the secret will trigger an update of the StatefulSets.',
        }),
      ),
      racks: Type.Optional(
        Type.Array(rack(), {
          description:
            "A list of the named racks in the datacenter, representing independent failure domains. The\nnumber of racks should match the replication factor in the keyspaces you plan to create, and\nthe number of racks cannot easily be changed once a datacenter is deployed.",
        }),
      ),
      additionalSeeds: Type.Optional(Type.Array(Type.String())),
      superuserSecretName: Type.Optional(
        Type.String({
          description:
            "This secret defines the username and password for the Cassandra server superuser.\nIf it is omitted, we will generate a secret instead.",
        }),
      ),
      networking: Type.Optional(
        Type.Object({
          hostNetwork: Type.Optional(Type.Boolean()),
          nodePort: Type.Optional(
            Type.Object({
              native: Type.Optional(Type.Integer()),
              nativeSSL: Type.Optional(Type.Integer()),
              internode: Type.Optional(Type.Integer()),
              internodeSSL: Type.Optional(Type.Integer()),
            }),
          ),
        }),
      ),
      resources: Type.Optional(loose<ResourceRequirements>("Kubernetes resource requests and limits, per pod")),
      datacenterName: Type.Optional(
        Type.String({
          description:
            "DatacenterName allows to override the name of the Cassandra datacenter. In Cassandra the DC name will be overridden by this value.\nThis setting can create conflicts if multiple DCs coexist in the same namespace if metadata.name for a DC with no override is set to the same value as the override name of another DC.\nUse cautiously.",
        }),
      ),
      additionalLabels: Type.Optional(
        stringMap(
          "Additional Labels allows to define additional labels that will be included in all objects created by the operator. Note, user can override values set by default from the cass-operator and doing so could break cass-operator functionality.",
        ),
      ),
      additionalAnnotations: Type.Optional(
        stringMap(
          "Additional Annotations allows to define additional labels that will be included in all objects created by the operator. Note, user can override values set by default from the cass-operator and doing so could break cass-operator functionality.",
        ),
      ),
      podTemplateSpec: Type.Optional(
        loose<Record<string, unknown>>(
          "PodTemplate provides customisation options (labels, annotations, affinity rules, resource requests, and so on) for the cassandra pods",
        ),
      ),
      serviceAccountName: Type.Optional(
        Type.String({
          description:
            "ServiceAccountName is the Kubernetes service account to use for the server pods. This takes presedence over DeprecatedServiceAccount and both take precedence over\nsetting it in the PodTemplateSpec.",
        }),
      ),
    },
    // cass-operator's spec keeps unknown fields too: the many it has that this operator never writes stay as written.
    { additionalProperties: true, description: "CassandraDatacenterSpec defines the desired state of a CassandraDatacenter" },
  );

/** cass-operator's DatacenterCondition: reason and message are required, even when empty. */
const datacenterConditionSchema = () =>
  Type.Object({
    type: openString<DatacenterConditionType>(),
    status: Type.Unsafe<"True" | "False" | "Unknown">({ type: "string" }),
    reason: Type.String(),
    message: Type.String(),
    lastTransitionTime: Type.Optional(dateTime()),
  });

const status = () =>
  Type.Object(
    {
      cassandraOperatorProgress: Type.Optional(openString<ProgressState>({ description: "Last known progress state of the Cassandra Operator" })),
      conditions: Type.Optional(Type.Array(datacenterConditionSchema())),
      datacenterName: Type.Optional(
        Type.String({
          description:
            "DatacenterName is the name of the override used for the CassandraDatacenter\nThis field is used to perform validation checks preventing a user from changing the override",
        }),
      ),
      failedStarts: Type.Optional(Type.Array(Type.String(), { description: "FailedStarts tracks the pods that failed to start by the operator last time it tried" })),
      lastRollingRestart: Type.Optional(dateTime()),
      lastServerNodeStarted: Type.Optional(dateTime("The timestamp when the operator last started a Server node\nwith the management API")),
      metadataVersion: Type.Optional(int64()),
      nodeReplacements: Type.Optional(Type.Array(Type.String())),
      /** By pod name. */
      nodeStatuses: Type.Optional(
        Type.Record(
          Type.String(),
          Type.Object({ hostID: Type.Optional(Type.String()), ip: Type.Optional(Type.String()), rack: Type.Optional(Type.String()) }),
        ),
      ),
      observedGeneration: Type.Optional(int64()),
      quietPeriod: Type.Optional(dateTime()),
      superUserUpserted: Type.Optional(
        dateTime("Deprecated. Use usersUpserted instead. The timestamp at\nwhich CQL superuser credentials were last upserted to the\nmanagement API"),
      ),
      trackedTasks: Type.Optional(
        Type.Array(objectReference("ObjectReference contains enough information to let you inspect or modify the referred object."), {
          description: "TrackedTasks tracks the tasks for completion that were created by the cass-operator",
        }),
      ),
      usersUpserted: Type.Optional(
        dateTime("The timestamp at which managed cassandra users' credentials\nwere last upserted to the management API"),
      ),
    },
    { description: "CassandraDatacenterStatus defines the observed state of CassandraDatacenter" },
  );

export const CassandraDatacenter = defineCustomResource({
  group: "cassandra.datastax.com",
  version: "v1beta1",
  kind: "CassandraDatacenter",
  scope: "Namespaced",
  shortNames: ["cassdc", "cassdcs"],
  description: "CassandraDatacenter is the Schema for the cassandradatacenters API",
  spec: spec(),
  status: status(),
});

export type CassandraDatacenter = CustomResource<typeof CassandraDatacenter>;
export type CassandraDatacenterSpec = CassandraDatacenter["spec"];
export type CassandraDatacenterStatus = NonNullable<CassandraDatacenter["status"]>;
export type DatacenterCondition = NonNullable<CassandraDatacenterStatus["conditions"]>[number];
export type CassandraNodeStatus = NonNullable<CassandraDatacenterStatus["nodeStatuses"]>[string];
export type CassandraDatacenterRack = NonNullable<CassandraDatacenterSpec["racks"]>[number];

// cass-operator's labels and annotations.
export const CLUSTER_LABEL = "cassandra.datastax.com/cluster";
export const DATACENTER_LABEL = "cassandra.datastax.com/datacenter";
export const RACK_LABEL = "cassandra.datastax.com/rack";
export const SEED_NODE_LABEL = "cassandra.datastax.com/seed-node";
export const NODE_STATE_LABEL = "cassandra.datastax.com/node-state";
export const CASS_OPERATOR_FINALIZER = "finalizer.cassandra.datastax.com";
export const DECOMMISSION_ON_DELETE_ANNOTATION = "cassandra.datastax.com/decommission-on-delete";
export const SKIP_USER_CREATION_ANNOTATION = "cassandra.datastax.com/skip-user-creation";
export const DEFAULT_RACK = "default";
/** The data key of the Secret named by spec.configSecret. */
export const CONFIG_SECRET_KEY = "config";

const DNS1035 = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const DNS1035_PARTS = /[a-z]([-a-z0-9]*[a-z0-9])?/g;
const DNS1123_LABEL_PARTS = /(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?/g;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const DNS1123_SUBDOMAIN_PARTS = /[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/g;

/** cass-operator's CleanupForKubernetes: names that are not DNS-1035 labels are lowercased and stripped to one. */
export function cleanupForKubernetes(name: string): string {
  if (DNS1035.test(name) && name.length <= 63) return name;
  return (name.toLowerCase().replaceAll("_", "-").match(DNS1035_PARTS) ?? []).join("");
}

/** cass-operator's CleanupSubdomain, which it applies to rack names. */
export function cleanupSubdomain(name: string): string {
  if (DNS1123_SUBDOMAIN.test(name) && name.length <= 253) return name;
  return (name.toLowerCase().replaceAll("_", "-").match(DNS1123_SUBDOMAIN_PARTS) ?? []).join("");
}

/** cass-operator's CleanLabelValue: what it puts in the cluster and datacenter labels. */
export function cleanLabelValue(value: string): string {
  return (value.replaceAll(" ", "").match(DNS1123_LABEL_PARTS) ?? []).join("");
}

/** Labels cass-operator puts on every object of a datacenter (and selects its pods by). */
export function datacenterLabels(dc: CassandraDatacenter): Record<string, string> {
  return { [CLUSTER_LABEL]: cleanLabelValue(dc.spec.clusterName), [DATACENTER_LABEL]: cleanLabelValue(dc.metadata.name!) };
}

/** The headless Service of the cluster's seed pods, shared by its datacenters in one namespace. */
export function seedServiceName(dc: CassandraDatacenter): string {
  return `${cleanupForKubernetes(dc.spec.clusterName)}-seed-service`;
}

export function additionalSeedServiceName(dc: CassandraDatacenter): string {
  return `${cleanupForKubernetes(dc.spec.clusterName)}-${cleanupForKubernetes(dc.metadata.name!)}-additional-seed-service`;
}

export function allPodsServiceName(dc: CassandraDatacenter): string {
  return `${cleanupForKubernetes(dc.spec.clusterName)}-${cleanupForKubernetes(dc.metadata.name!)}-all-pods-service`;
}

export function statefulSetName(dc: CassandraDatacenter, rack: string): string {
  return `${cleanupForKubernetes(dc.spec.clusterName)}-${cleanupForKubernetes(dc.metadata.name!)}-${cleanupSubdomain(rack)}-sts`;
}

/** The pod of a rack's StatefulSet: `<cluster>-<dc>-<rack>-sts-<n>`. */
export function podName(dc: CassandraDatacenter, rack: string, ordinal: number): string {
  return `${statefulSetName(dc, rack)}-${ordinal}`;
}

/** The racks cass-operator uses: the spec's, or one named "default". */
export function rackNames(dc: CassandraDatacenter): string[] {
  return dc.spec.racks?.length ? dc.spec.racks.map((r) => r.name) : [DEFAULT_RACK];
}

/** cass-operator's SplitRacks: n spread over k racks, the first ones taking the remainder. */
export function splitRacks(n: number, racks: number): number[] {
  const per = Math.floor(n / racks);
  const extra = n % racks;
  return Array.from({ length: racks }, (_, i) => per + (i < extra ? 1 : 0));
}

export function datacenterCondition(dc: CassandraDatacenter, type: DatacenterConditionType): DatacenterCondition | undefined {
  return dc.status?.conditions?.find((c) => c.type === type);
}

/**
 * Whether cass-operator has finished with the current spec, as K8ssandra waits for it: progress Ready, the spec's
 * generation observed, and Ready=True (Stopped=True for a stopped datacenter).
 */
export function isDatacenterSettled(dc: CassandraDatacenter): boolean {
  if (dc.status?.cassandraOperatorProgress !== "Ready") return false;
  if (dc.status.observedGeneration !== dc.metadata.generation) return false;
  return datacenterCondition(dc, dc.spec.stopped ? "Stopped" : "Ready")?.status === "True";
}
