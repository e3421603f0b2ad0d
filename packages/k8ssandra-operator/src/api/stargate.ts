import { conditionsSchema, type CustomResource, defineCustomResource, int32, Type } from "@operator-ts/runtime/crd";
import { loose, looseList, stargateTemplateFields } from "./common.ts";

/** Stargate (stargate.k8ssandra.io/v1alpha1): Stargate API nodes in front of one CassandraDatacenter. */
export const Stargate = defineCustomResource({
  group: "stargate.k8ssandra.io",
  version: "v1alpha1",
  kind: "Stargate",
  scope: "Namespaced",
  shortNames: ["sg"],
  description: "Stargate deploys Stargate API nodes for a CassandraDatacenter in the same namespace.",
  spec: Type.Object(
    {
      datacenterRef: Type.Object(
        { name: Type.String({ minLength: 1 }) },
        { description: "The CassandraDatacenter, in this namespace, that Stargate serves." },
      ),
      ...stargateTemplateFields(true),
      auth: Type.Optional(Type.Boolean({ default: true, description: "Stargate authentication." })),
      racks: Type.Optional(looseList<Record<string, unknown>>("Per-rack overrides, by rack name.")),
      livenessProbe: Type.Optional(loose<Record<string, unknown>>("Liveness probe of the Stargate container.")),
      readinessProbe: Type.Optional(loose<Record<string, unknown>>("Readiness probe of the Stargate container.")),
    },
    // The rest of K8ssandra's StargateSpec (affinity, tolerations, telemetry, authOptions, ...) is kept as written.
    { additionalProperties: true },
  ),
  status: Type.Object({
    progress: Type.Optional(
      Type.Union([Type.Literal("Pending"), Type.Literal("Deploying"), Type.Literal("Running")], { description: "Pending, Deploying or Running." }),
    ),
    conditions: Type.Optional(conditionsSchema("Ready.")),
    deploymentRefs: Type.Optional(Type.Array(Type.String(), { description: "The Deployments made for this Stargate, one per rack." })),
    serviceRef: Type.Optional(Type.String({ description: "The Service made for this Stargate." })),
    readyReplicasRatio: Type.Optional(Type.String({ pattern: "^\\d+/\\d+$", description: "Ready replicas out of the size, as \"1/3\"." })),
    replicas: int32({ description: "Pods of the Stargate Deployments." }),
    readyReplicas: int32({ description: "Ready pods of the Stargate Deployments." }),
    updatedReplicas: int32({ description: "Pods with the current template." }),
    availableReplicas: int32({ description: "Available pods of the Stargate Deployments." }),
  }),
  printerColumns: [
    { name: "DC", type: "string", jsonPath: ".spec.datacenterRef.name" },
    { name: "Status", type: "string", jsonPath: ".status.progress" },
    { name: "Ready", type: "string", jsonPath: ".status.readyReplicasRatio" },
    { name: "Up-to-date", type: "integer", jsonPath: ".status.updatedReplicas" },
    { name: "Available", type: "integer", jsonPath: ".status.availableReplicas" },
    { name: "Age", type: "date", jsonPath: ".metadata.creationTimestamp" },
  ],
});

export type Stargate = CustomResource<typeof Stargate>;
export type StargateSpec = Stargate["spec"];
export type StargateStatus = NonNullable<Stargate["status"]>;
