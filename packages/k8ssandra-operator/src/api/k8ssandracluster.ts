import { conditionsSchema, type CustomResource, defineCustomResource, int32, int64, type Static, Type } from "@operator-ts/runtime/crd";
import type { CassandraDatacenterStatus } from "./cassandradatacenter.ts";
import { cassandraConfig, loose, networking, racks, resources, stargateTemplateFields, storageConfig, stringMap } from "./common.ts";
import type { StargateStatus } from "./stargate.ts";

/**
 * K8ssandraCluster (k8ssandra.io/v1alpha1), manifest-compatible with K8ssandra's for the fields this operator acts on.
 * Everything else K8ssandra accepts (reaper, medusa, telemetry, tolerations, ...) is kept as written so that its
 * manifests apply, and listed by unsupportedFields() so the controller can say that it ignores them.
 */

/** The datacenter options that may be set for the whole cluster and overridden per datacenter (DC value wins). */
const datacenterOptions = () => ({
  serverVersion: Type.Optional(Type.String({ pattern: "(\\d+\\.\\d+\\.\\d+)", description: "Cassandra (or DSE/HCD) version, such as 4.1.5." })),
  serverImage: Type.Optional(Type.String({ description: "A management-api image; cass-operator picks one from the version when empty." })),
  storageConfig: Type.Optional(storageConfig()),
  config: Type.Optional(cassandraConfig()),
  racks: Type.Optional(racks()),
  networking: Type.Optional(networking()),
  resources: Type.Optional(resources()),
});

export const stargateClusterTemplate = () =>
  Type.Object(stargateTemplateFields(false), {
    additionalProperties: true,
    description: "Stargate for every datacenter (deprecated by K8ssandra, still honoured). Merged under each datacenter's stargate.",
  });
export type StargateClusterTemplate = Static<ReturnType<typeof stargateClusterTemplate>>;

const stargateDatacenterTemplate = () =>
  Type.Object(stargateTemplateFields(false), {
    additionalProperties: true,
    description: "Stargate for this datacenter, merged over spec.stargate.",
  });

const datacenterTemplate = () =>
  Type.Object(
    {
      metadata: Type.Object(
        {
          name: Type.String({
            minLength: 1,
            maxLength: 63,
            pattern: "^[a-z]([-a-z0-9]*[a-z0-9])?$",
            description: "Name of the CassandraDatacenter object, a DNS-1035 label; datacenterName overrides the name inside Cassandra.",
          }),
          namespace: Type.Optional(Type.String({ description: "Namespace of the CassandraDatacenter; defaults to the K8ssandraCluster's." })),
          labels: Type.Optional(stringMap("Labels put on the CassandraDatacenter.")),
          annotations: Type.Optional(stringMap("Annotations put on the CassandraDatacenter.")),
        },
        { additionalProperties: true },
      ),
      k8sContext: Type.Optional(Type.String({ description: "The ClientConfig context of the cluster this datacenter runs in; empty means the control plane's." })),
      size: int32({ minimum: 1, description: "Number of Cassandra nodes." }),
      stopped: Type.Optional(Type.Boolean({ default: false, description: "Scale the datacenter to zero pods while keeping its data." })),
      datacenterName: Type.Optional(
        // Bounded so that the API server can bound the cost of the CEL rule comparing it across updates.
        Type.String({ maxLength: 253, description: "The datacenter's name inside Cassandra, when it must differ from metadata.name." }),
      ),
      stargate: Type.Optional(stargateDatacenterTemplate()),
      ...datacenterOptions(),
    },
    { additionalProperties: true },
  );
export type CassandraDatacenterTemplate = Static<ReturnType<typeof datacenterTemplate>>;

/** More than any K8ssandra cluster has (each datacenter is a cass-operator datacenter of its own). */
export const MAX_DATACENTERS = 64;

/**
 * The rules of K8ssandra's validating webhook that need nothing but the object, as CEL the API server runs itself:
 * they hold with or without the operator's webhook. The webhook (src/webhook) checks them too, and what needs more.
 */
const cassandraRules = [
  {
    // A transition rule: only checked on update. Added, removed or changed alike, as K8ssandra's webhook compares.
    rule: "has(self.clusterName) == has(oldSelf.clusterName) && (!has(self.clusterName) || self.clusterName == oldSelf.clusterName)",
    message: "clusterName cannot be changed",
    fieldPath: ".clusterName",
    reason: "FieldValueForbidden",
  },
];

const datacentersRules = [
  { rule: "self.all(a, self.exists_one(b, b.metadata.name == a.metadata.name))", message: "datacenter names (metadata.name) must be unique" },
  {
    // The name inside Cassandra (datacenterName, else metadata.name) of a datacenter that stays cannot change.
    rule:
      "oldSelf.all(o, self.all(n, n.metadata.name != o.metadata.name || " +
      "(has(n.datacenterName) ? n.datacenterName : n.metadata.name) == (has(o.datacenterName) ? o.datacenterName : o.metadata.name)))",
    message: "a datacenter cannot be renamed: its datacenterName is fixed once it exists",
    reason: "FieldValueForbidden",
  },
];

const cassandraClusterTemplate = () =>
  Type.Object(
    {
      clusterName: Type.Optional(Type.String({ description: "The Cassandra cluster name; defaults to the K8ssandraCluster's name. Immutable." })),
      serverType: Type.Optional(
        Type.Union([Type.Literal("cassandra"), Type.Literal("dse"), Type.Literal("hcd")], { default: "cassandra", description: "Server distribution." }),
      ),
      superuserSecretRef: Type.Optional(
        Type.Object({ name: Type.Optional(Type.String()) }, { description: "Secret with username and password; defaults to <cluster>-superuser." }),
      ),
      additionalSeeds: Type.Optional(Type.Array(Type.String(), { description: "Seed addresses outside this K8ssandraCluster." })),
      metadata: Type.Optional(loose<Record<string, unknown>>("Labels and annotations for the cluster's objects (not supported by this operator).")),
      datacenters: Type.Optional(
        Type.Array(datacenterTemplate(), {
          description: "The datacenters, created one after the other.",
          // The CEL rules compare every pair of datacenters: the API server refuses rules whose cost it cannot bound.
          maxItems: MAX_DATACENTERS,
          "x-kubernetes-validations": datacentersRules,
        }),
      ),
      ...datacenterOptions(),
    },
    { additionalProperties: true, description: "The Cassandra cluster.", "x-kubernetes-validations": cassandraRules },
  );
export type CassandraClusterTemplate = Static<ReturnType<typeof cassandraClusterTemplate>>;

const datacenterStatus = () =>
  Type.Object(
    {
      contextName: Type.Optional(Type.String({ description: "The datacenter's k8sContext; absent for the control plane." })),
      decommissionProgress: Type.Optional(Type.String({ description: "UpdatingReplication or Decommissioning while the datacenter is removed." })),
      rebuildProgress: Type.Optional(
        Type.String({ description: "Pending, Running, Completed or Failed (with details) for a datacenter added to a live cluster and rebuilt from another." }),
      ),
      cassandra: Type.Optional(loose<CassandraDatacenterStatus>("A copy of the CassandraDatacenter's status.")),
      stargate: Type.Optional(loose<StargateStatus>("A copy of the Stargate's status.")),
    },
    { additionalProperties: true },
  );
export type K8ssandraDatacenterStatus = Static<ReturnType<typeof datacenterStatus>>;

export const K8ssandraCluster = defineCustomResource({
  group: "k8ssandra.io",
  version: "v1alpha1",
  kind: "K8ssandraCluster",
  scope: "Namespaced",
  shortNames: ["k8c", "k8cs"],
  description: "K8ssandraCluster is a Cassandra cluster whose datacenters may run in several Kubernetes clusters.",
  spec: Type.Object(
    {
      auth: Type.Optional(Type.Boolean({ default: true, description: "Cassandra authentication (and Stargate's)." })),
      cassandra: Type.Optional(cassandraClusterTemplate()),
      stargate: Type.Optional(stargateClusterTemplate()),
      reaper: Type.Optional(loose<Record<string, unknown>>("Cassandra Reaper (not supported by this operator).")),
      medusa: Type.Optional(loose<Record<string, unknown>>("Medusa backups (not supported by this operator).")),
      externalDatacenters: Type.Optional(Type.Array(Type.String(), { description: "Datacenters outside the operator (not supported by this operator)." })),
      secretsProvider: Type.Optional(
        Type.Union([Type.Literal("internal"), Type.Literal("external")], {
          default: "internal",
          description: "external (secrets injected from elsewhere) is not supported by this operator.",
        }),
      ),
    },
    { additionalProperties: true },
  ),
  status: Type.Object({
    conditions: Type.Optional(conditionsSchema("CassandraInitialized, RequiresUpdate, and whether the spec holds fields this operator ignores.")),
    datacenters: Type.Optional(Type.Record(Type.String(), datacenterStatus(), { description: "By datacenter metadata.name." })),
    readyDatacenters: Type.Optional(Type.String({ pattern: "^\\d+/\\d+$", description: "Ready datacenters out of those in the spec, as \"1/2\"." })),
    error: Type.Optional(Type.String({ default: "None", description: "The last reconcile error, or None." })),
    observedGeneration: Type.Optional(int64({ description: "The generation the last fully successful reconcile saw." })),
  }),
  printerColumns: [
    { name: "Ready", type: "string", jsonPath: ".status.readyDatacenters", description: "Ready datacenters" },
    { name: "Error", type: "string", jsonPath: ".status.error" },
    { name: "Initialized", type: "string", jsonPath: '.status.conditions[?(@.type=="CassandraInitialized")].status', priority: 1 },
    { name: "Age", type: "date", jsonPath: ".metadata.creationTimestamp" },
  ],
});

export type K8ssandraCluster = CustomResource<typeof K8ssandraCluster>;
export type K8ssandraClusterSpec = K8ssandraCluster["spec"];
export type K8ssandraClusterStatus = NonNullable<K8ssandraCluster["status"]>;
