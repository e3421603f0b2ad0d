import type cassandra from "cassandra-driver";
import type { SystemReplication } from "./config.ts";

/**
 * Keyspace replication over CQL: the system keyspaces K8ssandra keeps on NetworkTopologyStrategy across every
 * datacenter, user keyspaces extended to a datacenter being added, and which keyspaces still hold a datacenter.
 */

/** The system keyspaces whose replication follows the datacenters (logins, repairs and traces in each of them). */
export const REPLICATED_SYSTEM_KEYSPACES = ["system_auth", "system_distributed", "system_traces"] as const;

/** Keyspaces Cassandra manages itself (LocalStrategy and the like): never altered, never a user keyspace. */
function isSystemKeyspace(name: string): boolean {
  return name.startsWith("system") || name.startsWith("dse_") || name === "solr_admin";
}

const NTS = "org.apache.cassandra.locator.NetworkTopologyStrategy";

/** Replication of each keyspace, as system_schema.keyspaces holds it (`class` plus options). */
export type KeyspaceReplication = Map<string, Record<string, string>>;

export async function readKeyspaces(client: cassandra.Client): Promise<KeyspaceReplication> {
  const rs = await client.execute("SELECT keyspace_name, replication FROM system_schema.keyspaces");
  return new Map(rs.rows.map((r) => [String(r.get("keyspace_name")), (r.get("replication") ?? {}) as Record<string, string>]));
}

function isNts(replication: Record<string, string> | undefined): boolean {
  const cls = replication?.class ?? "";
  return cls === NTS || cls === "NetworkTopologyStrategy";
}

/** The per-datacenter replicas of a NetworkTopologyStrategy keyspace (empty for any other strategy). */
function replicasOf(replication: Record<string, string> | undefined): Record<string, number> {
  if (!isNts(replication)) return {};
  return Object.fromEntries(Object.entries(replication!).filter(([k]) => k !== "class").map(([dc, n]) => [dc, Number(n)]));
}

function sameReplicas(a: Record<string, number>, b: Record<string, number>): boolean {
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  return [...keys].every((k) => (a[k] ?? 0) === (b[k] ?? 0));
}

function quoteName(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

function replicationLiteral(replicas: Record<string, number>): string {
  const entries = Object.entries(replicas)
    .filter(([, n]) => n > 0)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([dc, n]) => `'${dc.replace(/'/g, "''")}': ${n}`);
  return `{'class': 'NetworkTopologyStrategy', ${entries.join(", ")}}`;
}

async function alter(client: cassandra.Client, keyspaces: KeyspaceReplication, keyspace: string, replicas: Record<string, number>): Promise<void> {
  await client.execute(`ALTER KEYSPACE ${quoteName(keyspace)} WITH replication = ${replicationLiteral(replicas)}`);
  keyspaces.set(keyspace, {
    class: NTS,
    ...Object.fromEntries(Object.entries(replicas).filter(([, n]) => n > 0).map(([dc, n]) => [dc, String(n)])),
  });
}

/**
 * System keyspaces set to exactly this replication (datacenters not named lose their replicas); returns the
 * keyspaces altered. A keyspace that does not exist yet (system_traces on a fresh node) is left for the next pass.
 */
export async function ensureSystemKeyspaces(client: cassandra.Client, keyspaces: KeyspaceReplication, replication: SystemReplication): Promise<string[]> {
  const altered: string[] = [];
  for (const ks of REPLICATED_SYSTEM_KEYSPACES) {
    const current = keyspaces.get(ks);
    if (!current) continue;
    if (isNts(current) && sameReplicas(replicasOf(current), replication)) continue;
    await alter(client, keyspaces, ks, replication);
    altered.push(ks);
  }
  return altered;
}

/**
 * User keyspaces given replicas in a datacenter (the dc-replication annotation's entry for it), their replicas in
 * the other datacenters kept; returns what was altered, and the keyspaces named that cannot be (missing, or not on
 * NetworkTopologyStrategy, which K8ssandra requires for a multi-datacenter keyspace).
 */
export async function extendUserKeyspaces(
  client: cassandra.Client,
  keyspaces: KeyspaceReplication,
  datacenter: string,
  wanted: Record<string, number>,
): Promise<{ altered: string[]; refused: string[] }> {
  const altered: string[] = [];
  const refused: string[] = [];
  for (const [ks, replicas] of Object.entries(wanted)) {
    const current = keyspaces.get(ks);
    if (!current) {
      refused.push(`keyspace ${ks} does not exist`);
      continue;
    }
    if (!isNts(current)) {
      refused.push(`keyspace ${ks} uses ${current.class}, not NetworkTopologyStrategy`);
      continue;
    }
    const now = replicasOf(current);
    if ((now[datacenter] ?? 0) === replicas) continue;
    await alter(client, keyspaces, ks, { ...now, [datacenter]: replicas });
    altered.push(ks);
  }
  return { altered, refused };
}

/** User keyspaces with replicas in the datacenter: it may not be removed while any do. */
export function keyspacesReplicatingTo(keyspaces: KeyspaceReplication, datacenter: string): string[] {
  return [...keyspaces]
    .filter(([name, replication]) => !isSystemKeyspace(name) && (replicasOf(replication)[datacenter] ?? 0) > 0)
    .map(([name]) => name)
    .sort();
}
