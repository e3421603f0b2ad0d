import type { V1PersistentVolumeClaimSpec, V1ResourceRequirements } from "@kubernetes/client-node";
import type { Json } from "@operator-ts/runtime";
import { int32, quantity, type Static, Type } from "@operator-ts/runtime/crd";

/**
 * Schemas that K8ssandraCluster, Stargate and (in spirit) CassandraDatacenter share. Field names are K8ssandra's, so
 * that its manifests apply unchanged.
 */

export type ResourceRequirements = Json<V1ResourceRequirements>;
export type PersistentVolumeClaimSpec = Json<V1PersistentVolumeClaimSpec>;

/** An object the API server keeps as written: typed for TypeScript, checked only by whoever consumes it. */
export function loose<T>(description: string) {
  return Type.Unsafe<T>({ type: "object", description, "x-kubernetes-preserve-unknown-fields": true });
}

/** A list of such objects. */
export function looseList<T>(description: string) {
  return Type.Unsafe<T[]>({
    type: "array",
    description,
    items: { type: "object", "x-kubernetes-preserve-unknown-fields": true },
  });
}

/** A string in the CRD, with the values its owner uses offered to TypeScript (any other string still passes). */
export const openString = <T extends string>(options: { description?: string } = {}) =>
  Type.Unsafe<T | (string & {})>({ type: "string", ...options });

/** An RFC 3339 time, as metav1.Time is written. */
export const dateTime = (description?: string) => Type.String({ format: "date-time", ...(description ? { description } : {}) });

/** core/v1 ObjectReference, as controller-gen describes it; atomic, as its Go type is marked. */
export const objectReference = (description: string) =>
  Type.Object(
    {
      apiVersion: Type.Optional(Type.String({ description: "API version of the referent." })),
      fieldPath: Type.Optional(
        Type.String({
          description:
            'If referring to a piece of an object instead of an entire object, this string\nshould contain a valid JSON/Go field access statement, such as desiredState.manifest.containers[2].\nFor example, if the object reference is to a container within a pod, this would take on a value like:\n"spec.containers{name}" (where "name" refers to the name of the container that triggered\nthe event) or if no container name is specified "spec.containers[2]" (container with\nindex 2 in this pod). This syntax is chosen only to have some well-defined way of\nreferencing a part of an object.',
        }),
      ),
      kind: Type.Optional(
        Type.String({ description: "Kind of the referent.\nMore info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#types-kinds" }),
      ),
      name: Type.Optional(Type.String({ description: "Name of the referent.\nMore info: https://kubernetes.io/docs/concepts/overview/working-with-objects/names/#names" })),
      namespace: Type.Optional(
        Type.String({ description: "Namespace of the referent.\nMore info: https://kubernetes.io/docs/concepts/overview/working-with-objects/namespaces/" }),
      ),
      resourceVersion: Type.Optional(
        Type.String({
          description:
            "Specific resourceVersion to which this reference is made, if any.\nMore info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#concurrency-control-and-consistency",
        }),
      ),
      uid: Type.Optional(Type.String({ description: "UID of the referent.\nMore info: https://kubernetes.io/docs/concepts/overview/working-with-objects/names/#uids" })),
    },
    { description, "x-kubernetes-map-type": "atomic" },
  );

export const stringMap = (description: string) => Type.Record(Type.String(), Type.String(), { description });

export const resources = () =>
  loose<ResourceRequirements>("Compute resources (core/v1 ResourceRequirements: limits, requests) of the container.");

/** cass-operator's StorageConfig. */
export const storageConfig = () =>
  Type.Object(
    {
      cassandraDataVolumeClaimSpec: Type.Optional(
        loose<PersistentVolumeClaimSpec>("The PersistentVolumeClaim spec of each Cassandra node's data volume."),
      ),
      additionalVolumes: Type.Optional(looseList<Record<string, unknown>>("Further volumes mounted into the cassandra container.")),
    },
    { description: "Storage of the Cassandra nodes. Must be set at cluster or datacenter level." },
  );
export type StorageConfig = Static<ReturnType<typeof storageConfig>>;

/** JVM options by K8ssandra's names. The ones typed here are those the operator turns into cass-operator's config. */
export const jvmOptions = () =>
  Type.Object(
    {
      heapSize: Type.Optional(quantity({ description: "Deprecated shorthand for heap_initial_size and heap_max_size together." })),
      heap_initial_size: Type.Optional(quantity({ description: "-Xms." })),
      heap_max_size: Type.Optional(quantity({ description: "-Xmx." })),
      additionalOptions: Type.Optional(Type.Array(Type.String(), { description: "Extra JVM options (cassandra-env.sh)." })),
      additionalJvmServerOptions: Type.Optional(Type.Array(Type.String(), { description: "Extra options for jvm-server.options." })),
      additionalJvm8ServerOptions: Type.Optional(Type.Array(Type.String(), { description: "Extra options for jvm8-server.options." })),
      additionalJvm11ServerOptions: Type.Optional(Type.Array(Type.String(), { description: "Extra options for jvm11-server.options." })),
      // No schema default (K8ssandra's CRD has G1GC): a defaulted datacenter value would hide the cluster's; the operator defaults it.
      gc: Type.Optional(
        Type.Union(["G1GC", "CMS", "ZGC", "Shenandoah", "Graal", "Custom"].map((gc) => Type.Literal(gc)), {
          description: "The garbage collector (default G1GC); Custom leaves it to additional options.",
        }),
      ),
    },
    // K8ssandra knows many more (gc, vm_*, ...); they are kept so manifests apply, and reported as unsupported.
    { additionalProperties: true, description: "JVM options." },
  );

export const cassandraConfig = () =>
  Type.Object(
    {
      cassandraYaml: Type.Optional(loose<Record<string, unknown>>("cassandra.yaml settings, passed to cass-operator as they are.")),
      dseYaml: Type.Optional(loose<Record<string, unknown>>("dse.yaml settings (DSE only), passed to cass-operator as they are.")),
      jvmOptions: Type.Optional(jvmOptions()),
    },
    { description: "Cassandra configuration." },
  );
export type CassandraConfig = Static<ReturnType<typeof cassandraConfig>>;

export const racks = () =>
  Type.Array(
    Type.Object(
      {
        name: Type.String({ minLength: 2, description: "The rack name." }),
        nodeAffinityLabels: Type.Optional(stringMap("Node labels the rack's pods must be scheduled on.")),
      },
      { additionalProperties: true },
    ),
    { description: "Racks of the datacenter; the nodes are spread evenly across them." },
  );
export type Rack = Static<ReturnType<typeof racks>>[number];

export const networking = () =>
  Type.Object(
    {
      hostNetwork: Type.Optional(Type.Boolean({ description: "Run the Cassandra pods in the host's network namespace." })),
      nodePort: Type.Optional(
        Type.Object({
          native: Type.Optional(int32()),
          nativeSSL: Type.Optional(int32()),
          internode: Type.Optional(int32()),
          internodeSSL: Type.Optional(int32()),
        }),
      ),
    },
    { description: "Networking of the Cassandra pods." },
  );
export type Networking = Static<ReturnType<typeof networking>>;

/** K8ssandra's images.Image. */
export interface ContainerImage {
  registry?: string;
  repository?: string;
  name?: string;
  tag?: string;
  pullPolicy?: string;
  pullSecretRef?: { name?: string };
}

export const STARGATE_DEFAULT_SIZE = 1;
export const STARGATE_DEFAULT_HEAP_SIZE = "256Mi";

/**
 * Fields of a Stargate template at every level (K8ssandra's StargateTemplate plus the size of StargateClusterTemplate).
 * Only the Stargate resource itself takes defaults: in a K8ssandraCluster the datacenter template is merged over the
 * cluster's, and a defaulted datacenter value would hide the cluster's.
 */
export const stargateTemplateFields = (withDefaults: boolean) => ({
  size: Type.Optional(
    int32({ minimum: 1, ...(withDefaults ? { default: STARGATE_DEFAULT_SIZE } : {}), description: "Stargate instances per datacenter, spread across its racks (default 1)." }),
  ),
  heapSize: Type.Optional(
    quantity({ ...(withDefaults ? { default: STARGATE_DEFAULT_HEAP_SIZE } : {}), description: "JVM heap of each Stargate instance (default 256Mi)." }),
  ),
  containerImage: Type.Optional(loose<ContainerImage>("The Stargate image (registry, repository, name, tag, pullPolicy); defaulted from the server version.")),
  serviceAccount: Type.Optional(Type.String({ description: "Service account of the Stargate pods." })),
  resources: Type.Optional(resources()),
});
