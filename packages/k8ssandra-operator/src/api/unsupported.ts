import type { K8ssandraCluster } from "./k8ssandracluster.ts";

/**
 * Which parts of a K8ssandraCluster spec this operator acts on: the contract between the schema, which accepts all
 * of K8ssandra's fields, and the controller, which must act on every field marked here. `true` covers a whole subtree
 * (passed on as written), an object lists the fields acted on (the same object describes every element of a list),
 * and a function accepts the values that need no action (a default, an empty list).
 */
export type Support = true | ((value: unknown) => boolean) | { readonly [field: string]: Support };

/**
 * What the Stargate controller reads from a Stargate template (see rackTemplate and jvmOptions in
 * controllers/stargate-resources.ts). Probes are honoured as K8ssandra does: the timings as written, the handler its own.
 */
const stargateTemplate = {
  heapSize: true,
  containerImage: true,
  serviceAccount: true,
  resources: true,
  livenessProbe: true,
  readinessProbe: true,
  nodeSelector: true,
  tolerations: true,
  affinity: true,
  allowStargateOnDataNodes: true,
} satisfies Record<string, Support>;

const stargate: Support = {
  size: true,
  ...stargateTemplate,
  // Per-rack overrides, found by rack name.
  racks: { name: true, ...stargateTemplate },
  authOptions: { apiAuthMethod: true, tokenTtlSeconds: true, providerUrl: true },
};

const datacenterOptions = {
  serverVersion: true,
  serverImage: true,
  // Passed to cass-operator as written, which acts on all of it.
  storageConfig: true,
  racks: true,
  networking: true,
  resources: true,
  config: {
    cassandraYaml: true,
    dseYaml: true,
    // Turned into cass-operator's jvm and cassandra-env sections: the heap, the collector and the extra options only.
    jvmOptions: {
      heapSize: true,
      heap_initial_size: true,
      heap_max_size: true,
      gc: true,
      additionalOptions: true,
      additionalJvmServerOptions: true,
      additionalJvm8ServerOptions: true,
      additionalJvm11ServerOptions: true,
    },
  },
} satisfies Record<string, Support>;

const empty = (value: unknown) => Array.isArray(value) && value.length === 0;

/** The fields of spec this operator honours; anything else present is reported by unsupportedFields(). */
export const SUPPORTED_SPEC: Support = {
  // Authenticator, authorizer and role manager in every datacenter, and Stargate's auth.
  auth: true,
  cassandra: {
    clusterName: true,
    serverType: true,
    superuserSecretRef: true,
    additionalSeeds: true,
    datacenters: {
      metadata: { name: true, namespace: true, labels: true, annotations: true },
      k8sContext: true,
      size: true,
      stopped: true,
      datacenterName: true,
      stargate,
      ...datacenterOptions,
    },
    ...datacenterOptions,
  },
  stargate,
  externalDatacenters: empty,
  secretsProvider: (value) => value === "internal",
};

/**
 * JSON paths (`spec.reaper`, `spec.cassandra.datacenters[1].telemetry`) of the fields present in the spec that this
 * operator does not act on: K8ssandra features it leaves out. The manifest still applies; the controller reports these.
 */
export function unsupportedFields(k8c: Pick<K8ssandraCluster, "spec">): string[] {
  const found: string[] = [];
  walk(k8c.spec, SUPPORTED_SPEC, "spec", found);
  return found;
}

function walk(value: unknown, support: Support, path: string, found: string[]): void {
  if (value === undefined || value === null || support === true) return;
  if (typeof support === "function") {
    if (!support(value)) found.push(path);
    return;
  }
  if (Array.isArray(value)) {
    value.forEach((item, i) => walk(item, support, `${path}[${i}]`, found));
    return;
  }
  if (typeof value !== "object") return;
  for (const [field, child] of Object.entries(value)) {
    if (child === undefined || child === null) continue;
    const sub = support[field];
    const childPath = /^[A-Za-z_][A-Za-z0-9_]*$/.test(field) ? `${path}.${field}` : `${path}[${JSON.stringify(field)}]`;
    if (sub === undefined) found.push(childPath);
    else walk(child, sub, childPath, found);
  }
}
