import { type Client, Patch } from "@operator-ts/runtime";
import type { CassandraDatacenterTemplate, K8ssandraCluster } from "../../api/index.ts";
import type { SystemReplication } from "./config.ts";

/**
 * K8ssandra's replication annotations on a K8ssandraCluster: the replication of the system keyspaces the cluster was
 * created with, and the replication of user keyspaces to apply when a datacenter is added.
 */

/** The replication of system_auth, system_distributed and system_traces at creation, as JSON (`{"dc1":3}`); set once. */
export const INITIAL_SYSTEM_REPLICATION_ANNOTATION = "k8ssandra.io/initial-system-replication";
/** User keyspace replication for datacenters being added, as JSON: `{"dc2": {"ks1": 3, "ks2": 1}}`; 0 leaves a keyspace out. */
export const DC_REPLICATION_ANNOTATION = "k8ssandra.io/dc-replication";

/** Replicas per system keyspace per datacenter: at most 3, at most the datacenter's size. */
export const MAX_SYSTEM_REPLICAS = 3;

/** The name Cassandra knows a datacenter by. */
export function cassandraDatacenterName(dc: Pick<CassandraDatacenterTemplate, "metadata" | "datacenterName">): string {
  return dc.datacenterName || dc.metadata.name;
}

/**
 * The system replication a new cluster starts with: its first datacenter only (Cassandra 4.1 writes the superuser
 * with EACH_QUORUM, so no datacenter may be named before it exists; later ones are added by altering the keyspaces),
 * plus the external datacenters, as K8ssandra computes it.
 */
export function computeInitialSystemReplication(k8c: K8ssandraCluster): SystemReplication {
  const replication: SystemReplication = {};
  const first = k8c.spec.cassandra?.datacenters?.[0];
  if (first) replication[cassandraDatacenterName(first)] = Math.min(MAX_SYSTEM_REPLICAS, first.size);
  for (const name of k8c.spec.externalDatacenters ?? []) replication[name] = MAX_SYSTEM_REPLICAS;
  // Sorted, as Go writes a map: the annotation reads the same whichever operator wrote it.
  return Object.fromEntries(Object.entries(replication).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

const isReplicaCount = (v: unknown): v is number => typeof v === "number" && Number.isInteger(v) && v >= 0;

export type Parsed<T> = { value: T; error?: undefined } | { value?: undefined; error: string };

/**
 * The initial-system-replication annotation: `{"dc1":3}`, or K8ssandra's older form
 * `{"datacenters":["dc1"],"replicationFactor":3}` (read as the same thing).
 */
export function parseInitialSystemReplication(text: string): Parsed<SystemReplication> {
  const problem = (why: string): Parsed<SystemReplication> => ({
    error: `annotation ${INITIAL_SYSTEM_REPLICATION_ANNOTATION} ${why}; expected JSON such as {"dc1":3} (remove it to have it computed again)`,
  });
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return problem("is not JSON");
  }
  if (!isRecord(json)) return problem("is not a JSON object");
  if (Array.isArray(json.datacenters) && "replicationFactor" in json) {
    const rf = json.replicationFactor;
    if (!isReplicaCount(rf) || !json.datacenters.every((d) => typeof d === "string")) return problem("has an invalid datacenters/replicationFactor pair");
    return { value: Object.fromEntries((json.datacenters as string[]).map((dc) => [dc, rf])) };
  }
  for (const [dc, rf] of Object.entries(json)) {
    if (!isReplicaCount(rf)) return problem(`gives datacenter "${dc}" ${JSON.stringify(rf)} replicas, not a whole number of at least 0`);
  }
  return { value: json as SystemReplication };
}

/** Replicas of each user keyspace in each datacenter: `{"dc2": {"ks1": 3}}`. */
export type DcReplication = Record<string, Record<string, number>>;

/** The dc-replication annotation as a typed value, or what is wrong with it. */
export function parseDcReplication(text: string): Parsed<DcReplication> {
  const problem = (why: string): Parsed<DcReplication> => ({
    error: `annotation ${DC_REPLICATION_ANNOTATION} ${why}; expected JSON such as {"dc2": {"ks1": 3, "ks2": 1}}`,
  });
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return problem("is not JSON");
  }
  if (!isRecord(json)) return problem("is not a JSON object");
  for (const [dc, keyspaces] of Object.entries(json)) {
    if (!isRecord(keyspaces)) return problem(`gives datacenter "${dc}" ${JSON.stringify(keyspaces)}, not an object of keyspaces`);
    for (const [ks, rf] of Object.entries(keyspaces)) {
      if (!isReplicaCount(rf)) return problem(`gives keyspace "${ks}" in datacenter "${dc}" ${JSON.stringify(rf)} replicas, not a whole number of at least 0`);
    }
  }
  return { value: json as DcReplication };
}

/**
 * The `datacenter/keyspace` pairs the annotation leaves out: K8ssandra requires every user keyspace for each datacenter
 * it names (0 to leave one out explicitly), so that nothing is replicated, or not, by surprise.
 */
export function missingKeyspaces(replication: DcReplication, userKeyspaces: string[]): string[] {
  return Object.entries(replication).flatMap(([dc, keyspaces]) => userKeyspaces.filter((ks) => !(ks in keyspaces)).map((ks) => `${dc}/${ks}`));
}

/** The cluster's dc-replication annotation, parsed; undefined when it has none. */
export function dcReplicationOf(k8c: K8ssandraCluster): Parsed<DcReplication> | undefined {
  const text = k8c.metadata.annotations?.[DC_REPLICATION_ANNOTATION];
  return text === undefined ? undefined : parseDcReplication(text);
}

/**
 * The cluster's initial system replication: read from its annotation, or computed and written there (with a merge
 * patch, so nothing else of the object is touched). An annotation that cannot be read is the caller's to report:
 * validate() does.
 */
export async function ensureInitialSystemReplication(client: Client, k8c: K8ssandraCluster): Promise<SystemReplication> {
  const text = k8c.metadata.annotations?.[INITIAL_SYSTEM_REPLICATION_ANNOTATION];
  if (text !== undefined) {
    const parsed = parseInitialSystemReplication(text);
    if (parsed.error !== undefined) throw new Error(parsed.error);
    // The older form is rewritten in the current one, as K8ssandra does.
    if (JSON.stringify(parsed.value) === JSON.stringify(JSON.parse(text))) return parsed.value;
    await write(client, k8c, parsed.value);
    return parsed.value;
  }
  const replication = computeInitialSystemReplication(k8c);
  await write(client, k8c, replication);
  return replication;
}

async function write(client: Client, k8c: K8ssandraCluster, replication: SystemReplication): Promise<void> {
  const value = JSON.stringify(replication);
  await client.patch(k8c, Patch.merge({ metadata: { annotations: { [INITIAL_SYSTEM_REPLICATION_ANNOTATION]: value } } }));
  k8c.metadata.annotations = { ...k8c.metadata.annotations, [INITIAL_SYSTEM_REPLICATION_ANNOTATION]: value };
}
