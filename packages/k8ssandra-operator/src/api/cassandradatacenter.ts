import { type ObjectMeta, resourceType } from "@operator-ts/runtime";
import type { Networking, PersistentVolumeClaimSpec, ResourceRequirements } from "./common.ts";

/**
 * CassandraDatacenter (cassandra.datastax.com/v1beta1) belongs to cass-operator, which installs its CRD; this operator
 * writes and reads the fields below and generates no CRD for it. Names and labels follow cass-operator, so that
 * objects made here look like the ones it would look for.
 */

export type ServerType = "cassandra" | "dse" | "hcd";

/** spec.config: cass-operator's JSON configuration, by config-builder section. */
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

export interface CassandraDatacenterRack {
  name: string;
  nodeAffinityLabels?: Record<string, string>;
  affinity?: Record<string, unknown>;
  zone?: string;
}

export interface CassandraDatacenterSpec {
  clusterName: string;
  serverType: ServerType;
  serverVersion: string;
  serverImage?: string;
  size: number;
  stopped?: boolean;
  storageConfig: {
    cassandraDataVolumeClaimSpec?: PersistentVolumeClaimSpec;
    additionalVolumes?: Record<string, unknown>[];
  };
  /**
   * The configuration as an object. The CRD cass-operator ships declares this field `format: byte`, and current API
   * servers reject an object there ("spec.config in body must be of type byte"), so write configSecret instead.
   */
  config?: CassandraDatacenterConfig;
  /** A Secret in the datacenter's namespace whose data key `config` holds the configuration as JSON (CONFIG_SECRET_KEY). */
  configSecret?: string;
  racks?: CassandraDatacenterRack[];
  additionalSeeds?: string[];
  superuserSecretName?: string;
  networking?: Networking;
  resources?: ResourceRequirements;
  datacenterName?: string;
  additionalLabels?: Record<string, string>;
  additionalAnnotations?: Record<string, string>;
  podTemplateSpec?: Record<string, unknown>;
  serviceAccountName?: string;
}

/** cass-operator's DatacenterCondition: reason and message are required by its CRD, even when empty. */
export interface DatacenterCondition {
  type: DatacenterConditionType | (string & {});
  status: "True" | "False" | "Unknown";
  reason: string;
  message: string;
  lastTransitionTime?: string;
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

export interface CassandraNodeStatus {
  hostID?: string;
  ip?: string;
  rack?: string;
}

export type ProgressState = "Updating" | "Ready";

export interface CassandraDatacenterStatus {
  cassandraOperatorProgress?: ProgressState | (string & {});
  conditions?: DatacenterCondition[];
  /** By pod name. */
  nodeStatuses?: Record<string, CassandraNodeStatus>;
  nodeReplacements?: string[];
  observedGeneration?: number;
  datacenterName?: string;
  lastServerNodeStarted?: string;
  lastRollingRestart?: string;
  quietPeriod?: string;
  superUserUpserted?: string;
  usersUpserted?: string;
  failedStarts?: string[];
  metadataVersion?: number;
  trackedTasks?: { apiVersion?: string; kind?: string; name?: string; namespace?: string; uid?: string }[];
}

export interface CassandraDatacenter {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
  spec: CassandraDatacenterSpec;
  status?: CassandraDatacenterStatus;
}

export const CassandraDatacenter = resourceType<CassandraDatacenter>("cassandra.datastax.com/v1beta1", "CassandraDatacenter");

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
