import { createHash } from "node:crypto";
import { dumpYaml } from "@kubernetes/client-node";
import type { ConfigMap, Deployment, Service } from "@operator-ts/runtime";
import {
  type CassandraDatacenter,
  CLUSTER_LABEL,
  type ContainerImage,
  cleanupForKubernetes,
  DATACENTER_LABEL,
  datacenterLabels,
  DEFAULT_RACK,
  parseDatacenterConfig,
  bytesQuantity,
  quantityValue,
  STARGATE_DEFAULT_HEAP_SIZE,
  type Stargate,
  seedServiceName,
  splitRacks,
} from "../api/index.ts";

/**
 * The objects a Stargate stands for, with K8ssandra's names and labels: one Deployment per rack of its datacenter, a
 * ClusterIP Service in front of all of them, and the ConfigMap of Cassandra settings the Stargate nodes read.
 */

export const NAME_LABEL = "app.kubernetes.io/name";
export const PART_OF_LABEL = "app.kubernetes.io/part-of";
export const COMPONENT_LABEL = "app.kubernetes.io/component";
export const CREATED_BY_LABEL = "app.kubernetes.io/created-by";
export const STARGATE_LABEL = "k8ssandra.io/stargate";
export const STARGATE_DEPLOYMENT_LABEL = "k8ssandra.io/stargate-deployment";
export const RESOURCE_HASH_ANNOTATION = "k8ssandra.io/resource-hash";
export const K8SSANDRA_CLUSTER_NAME_LABEL = "k8ssandra.io/cluster-name";
export const K8SSANDRA_CLUSTER_NAMESPACE_LABEL = "k8ssandra.io/cluster-namespace";

export const DEFAULT_STARGATE_REGISTRY = "docker.io";
export const DEFAULT_STARGATE_REPOSITORY = "stargateio";
export const DEFAULT_STARGATE_TAG = "v1.0.77";

export const STARGATE_PORTS = [
  { name: "graphql", port: 8080 },
  { name: "authorization", port: 8081 },
  { name: "rest", port: 8082 },
  { name: "health", port: 8084 },
  { name: "metrics", port: 8085 },
  { name: "grpc", port: 8090 },
  { name: "cassandra", port: 9042 },
] as const;

const CONFIG_DIR = "/config";
const CQL_CONFIG_KEY = "stargate-cql.yaml";
// K8ssandra passes on only these settings: the rest of cassandra.yaml describes storage nodes, not Stargate's.
const CASSANDRA_YAML_RETAINED = ["server_encryption_options"];
const CQL_YAML_RETAINED = [
  "rpc_keepalive",
  "native_transport_max_frame_size_in_mb",
  "native_transport_max_concurrent_connections",
  "native_transport_max_concurrent_connections_per_ip",
  "native_transport_flush_in_batches_legacy",
  "native_transport_allow_older_protocols",
  "native_transport_max_concurrent_requests_in_bytes_per_ip",
  "native_transport_max_concurrent_requests_in_bytes",
  "native_transport_idle_timeout_in_ms",
  "client_encryption_options",
];

type Json = Record<string, unknown>;
type PodSpec = NonNullable<NonNullable<Deployment["spec"]>["template"]["spec"]>;
type Container = PodSpec["containers"][number];
type EnvVar = NonNullable<Container["env"]>[number];

/** The fields a rack entry of spec.racks may override. */
interface StargateTemplate {
  heapSize?: number | string;
  containerImage?: ContainerImage;
  serviceAccount?: string;
  resources?: Json;
  livenessProbe?: Json;
  readinessProbe?: Json;
  nodeSelector?: Record<string, string>;
  tolerations?: Json[];
  affinity?: Json;
  allowStargateOnDataNodes?: boolean;
}

export function deploymentName(dc: CassandraDatacenter, rack: string): string {
  return cleanupForKubernetes(`${dc.spec.clusterName}-${dc.metadata.name}-${rack}-stargate-deployment`);
}

export function serviceName(dc: CassandraDatacenter): string {
  return cleanupForKubernetes(`${dc.spec.clusterName}-${dc.metadata.name}-stargate-service`);
}

export function configMapName(dc: CassandraDatacenter): string {
  return `${cleanupForKubernetes(dc.spec.clusterName)}-${cleanupForKubernetes(dc.metadata.name!)}-cassandra-config`;
}

/** Stargate's CLUSTER_VERSION: 6.8 for DSE, 3.11 for Cassandra 3.x, 4.0 for everything newer (HCD included). */
export function clusterVersion(dc: CassandraDatacenter): "3.11" | "4.0" | "6.8" {
  if (dc.spec.serverType === "dse") return "6.8";
  return dc.spec.serverVersion.startsWith("3") ? "3.11" : "4.0";
}

/** spec.containerImage with K8ssandra's defaults filled in: the image name follows the server version. */
export function stargateImage(image: ContainerImage | undefined, dc: CassandraDatacenter): { ref: string; pullPolicy?: string; pullSecret?: string } {
  const version = clusterVersion(dc);
  const defaultName = version === "6.8" ? "stargate-dse-68" : version === "3.11" ? "stargate-3_11" : "stargate-4_0";
  const registry = image?.registry || DEFAULT_STARGATE_REGISTRY;
  const repository = image?.repository ?? DEFAULT_STARGATE_REPOSITORY;
  const name = image?.name || defaultName;
  const tag = image?.tag || DEFAULT_STARGATE_TAG;
  const path = [registry, repository, name].filter((p) => p).join("/");
  return { ref: `${path}:${tag}`, pullPolicy: image?.pullPolicy || undefined, pullSecret: image?.pullSecretRef?.name || undefined };
}

function rackTemplate(sg: Stargate, rack: string): StargateTemplate {
  const spec = sg.spec as StargateTemplate & { racks?: (StargateTemplate & { name?: string })[] };
  const override = spec.racks?.find((r) => r.name === rack) ?? {};
  const pick = (t: StargateTemplate): StargateTemplate => ({
    heapSize: t.heapSize,
    containerImage: t.containerImage,
    serviceAccount: t.serviceAccount,
    resources: t.resources,
    livenessProbe: t.livenessProbe,
    readinessProbe: t.readinessProbe,
    nodeSelector: t.nodeSelector,
    tolerations: t.tolerations,
    affinity: t.affinity,
    allowStargateOnDataNodes: t.allowStargateOnDataNodes,
  });
  const base = pick(spec);
  for (const [k, v] of Object.entries(pick(override))) if (v !== undefined) (base as Json)[k] = v;
  return base;
}

function commonLabels(sg: Stargate): Record<string, string> {
  const labels: Record<string, string> = {
    [NAME_LABEL]: "k8ssandra-operator",
    [PART_OF_LABEL]: "k8ssandra",
    [COMPONENT_LABEL]: "stargate",
    [STARGATE_LABEL]: sg.metadata.name!,
  };
  const cluster = sg.metadata.labels?.[K8SSANDRA_CLUSTER_NAME_LABEL];
  const namespace = sg.metadata.labels?.[K8SSANDRA_CLUSTER_NAMESPACE_LABEL];
  if (cluster && namespace) {
    labels[K8SSANDRA_CLUSTER_NAME_LABEL] = cluster;
    labels[K8SSANDRA_CLUSTER_NAMESPACE_LABEL] = namespace;
  }
  return labels;
}

function jvmOptions(sg: Stargate, template: StargateTemplate): string {
  const heap = quantityValue(template.heapSize ?? STARGATE_DEFAULT_HEAP_SIZE);
  let opts = `-XX:+CrashOnOutOfMemoryError -Xms${heap} -Xmx${heap}`;
  opts += ` -Dstargate.unsafe.cassandra_config_path=${CONFIG_DIR}/cassandra.yaml -Dstargate.cql.config_path=${CONFIG_DIR}/${CQL_CONFIG_KEY}`;
  const auth = (sg.spec as { authOptions?: { apiAuthMethod?: string; tokenTtlSeconds?: number; providerUrl?: string } }).authOptions;
  if (authEnabled(sg) && auth) {
    if (auth.apiAuthMethod === "JWT") {
      opts += ` -Dstargate.auth_id=AuthJwtService -Dstargate.auth.jwt_provider_url=${auth.providerUrl ?? ""}`;
    } else {
      opts += " -Dstargate.auth_id=AuthTableBasedService";
      if (auth.tokenTtlSeconds && auth.tokenTtlSeconds > 0) opts += ` -Dstargate.auth_tokenttl=${auth.tokenTtlSeconds}`;
    }
  }
  return opts;
}

function authEnabled(sg: Stargate): boolean {
  return sg.spec.auth !== false;
}

function defaultResources(template: StargateTemplate): Json {
  const heap = quantityValue(template.heapSize ?? STARGATE_DEFAULT_HEAP_SIZE);
  return {
    requests: { cpu: "200m", memory: bytesQuantity(heap * 2) },
    limits: { cpu: "1", memory: bytesQuantity(heap * 4) },
  };
}

function probe(given: Json | undefined, path: string): Json {
  // Timings may be set by the user; the handler may not, as Stargate answers only there.
  return { timeoutSeconds: 10, initialDelaySeconds: 30, failureThreshold: 5, ...given, httpGet: { path, port: "health" }, exec: undefined, tcpSocket: undefined, grpc: undefined };
}

function affinity(template: StargateTemplate, dc: CassandraDatacenter, rack: string): Json | undefined {
  if (template.affinity) return template.affinity;
  const out: Json = {};
  const nodeLabels = dc.spec.racks?.find((r) => r.name === rack)?.nodeAffinityLabels;
  if (nodeLabels && Object.keys(nodeLabels).length) {
    out.nodeAffinity = {
      requiredDuringSchedulingIgnoredDuringExecution: {
        nodeSelectorTerms: [{ matchExpressions: Object.entries(nodeLabels).map(([key, value]) => ({ key, operator: "In", values: [value] })) }],
      },
    };
  }
  if (!template.allowStargateOnDataNodes) {
    const labels = datacenterLabels(dc);
    out.podAntiAffinity = {
      requiredDuringSchedulingIgnoredDuringExecution: [
        {
          labelSelector: { matchLabels: { [CLUSTER_LABEL]: labels[CLUSTER_LABEL], [DATACENTER_LABEL]: labels[DATACENTER_LABEL] } },
          topologyKey: "kubernetes.io/hostname",
        },
      ],
    };
  }
  return Object.keys(out).length ? out : undefined;
}

/** Drops undefined values, so that desired objects compare and hash as the API server would store them. */
function clean<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

/** A stable hash of what we want an object to be, kept in an annotation so that only real changes are written. */
export function resourceHash(desired: unknown): string {
  return createHash("sha256").update(JSON.stringify(desired)).digest("base64");
}

/** The Deployments of a Stargate, by name: one per rack that gets at least one replica (as K8ssandra does). */
export function desiredDeployments(sg: Stargate, dc: CassandraDatacenter): Deployment[] {
  const racks = dc.spec.racks?.length ? dc.spec.racks.map((r) => r.name) : [DEFAULT_RACK];
  const sizes = splitRacks(sg.spec.size ?? 1, racks.length);
  const out: Deployment[] = [];
  for (const [i, rack] of racks.entries()) {
    const replicas = sizes[i]!;
    if (replicas === 0) break;
    const name = deploymentName(dc, rack);
    const template = rackTemplate(sg, rack);
    const image = stargateImage(template.containerImage, dc);
    const labels = commonLabels(sg);
    const podLabels = { ...labels, [STARGATE_DEPLOYMENT_LABEL]: name };
    const hostNetwork = dc.spec.networking?.hostNetwork === true;
    const env: EnvVar[] = [
      { name: "LISTEN", valueFrom: { fieldRef: { fieldPath: "status.podIP" } } },
      { name: "JAVA_OPTS", value: jvmOptions(sg, template) },
      { name: "CLUSTER_NAME", value: dc.spec.clusterName },
      { name: "CLUSTER_VERSION", value: clusterVersion(dc) },
      { name: "SEED", value: `${seedServiceName(dc)}.${dc.metadata.namespace}.svc` },
      { name: "DATACENTER_NAME", value: dc.spec.datacenterName || dc.metadata.name! },
      { name: "RACK_NAME", value: rack },
      { name: "DISABLE_BUNDLES_WATCH", value: "true" },
    ];
    if (dc.spec.serverType === "dse") env.push({ name: "DSE", value: "1" });
    // Stargate turns auth on when this variable is present at all.
    if (authEnabled(sg)) env.push({ name: "ENABLE_AUTH", value: "true" });
    const deployment = clean<Deployment>({
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { name, namespace: sg.metadata.namespace, labels },
      spec: {
        replicas,
        selector: { matchLabels: { [STARGATE_DEPLOYMENT_LABEL]: name } },
        template: {
          metadata: { labels: podLabels },
          spec: {
            serviceAccountName: template.serviceAccount ?? "default",
            hostNetwork: hostNetwork || undefined,
            dnsPolicy: hostNetwork ? "ClusterFirstWithHostNet" : "ClusterFirst",
            imagePullSecrets: image.pullSecret ? [{ name: image.pullSecret }] : undefined,
            containers: [
              {
                name,
                image: image.ref,
                imagePullPolicy: image.pullPolicy,
                ports: [
                  ...STARGATE_PORTS.map((p) => ({ name: p.name === "cassandra" ? "native" : p.name, containerPort: p.port })),
                  { name: "inter-node-msg", containerPort: 8609 },
                  { name: "intra-node", containerPort: 7000 },
                  { name: "tls-intra-node", containerPort: 7001 },
                ],
                env,
                resources: (template.resources ?? defaultResources(template)) as Container["resources"],
                livenessProbe: probe(template.livenessProbe, "/checker/liveness") as Container["livenessProbe"],
                readinessProbe: probe(template.readinessProbe, "/checker/readiness") as Container["readinessProbe"],
                volumeMounts: [{ name: "cassandra-config", mountPath: CONFIG_DIR }],
              },
            ],
            nodeSelector: template.nodeSelector,
            tolerations: template.tolerations as PodSpec["tolerations"],
            affinity: affinity(template, dc, rack) as PodSpec["affinity"],
            volumes: [{ name: "cassandra-config", configMap: { name: configMapName(dc) } }],
          },
        },
      },
    });
    out.push(deployment);
  }
  return out;
}

export function desiredService(sg: Stargate, dc: CassandraDatacenter): Service {
  return {
    apiVersion: "v1",
    kind: "Service",
    metadata: {
      name: serviceName(dc),
      namespace: sg.metadata.namespace,
      labels: { ...commonLabels(sg), [CREATED_BY_LABEL]: "stargate-controller" },
    },
    spec: {
      type: "ClusterIP",
      ports: STARGATE_PORTS.map((p) => ({ name: p.name, port: p.port, protocol: "TCP", targetPort: p.port })),
      selector: { [STARGATE_LABEL]: sg.metadata.name! },
    },
  };
}

function retained(section: unknown, keys: string[]): Json {
  const out: Json = {};
  if (section && typeof section === "object") {
    for (const k of keys) if ((section as Json)[k] !== undefined) out[k] = (section as Json)[k];
  }
  return out;
}

function yamlOf(obj: Json): string {
  return Object.keys(obj).length ? dumpYaml(obj) : "";
}

/** The cassandra.yaml section of a datacenter configuration, in any form parseDatacenterConfig() reads. */
export function cassandraYamlOf(config: unknown): Json | undefined {
  const section = parseDatacenterConfig(config)?.["cassandra-yaml"];
  return section && typeof section === "object" ? (section as Json) : undefined;
}

/** The settings of the datacenter's cassandra.yaml that Stargate nodes need, mounted at /config. */
export function desiredConfigMap(sg: Stargate, dc: CassandraDatacenter, cassandraYaml: Json | undefined): ConfigMap {
  return {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: { name: configMapName(dc), namespace: sg.metadata.namespace, labels: commonLabels(sg) },
    data: {
      "cassandra.yaml": yamlOf(retained(cassandraYaml, CASSANDRA_YAML_RETAINED)),
      [CQL_CONFIG_KEY]: yamlOf(retained(cassandraYaml, CQL_YAML_RETAINED)),
    },
  };
}
