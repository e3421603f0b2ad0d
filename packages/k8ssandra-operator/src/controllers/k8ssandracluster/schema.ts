import type { Secret } from "@operator-ts/runtime";
import type cassandra from "cassandra-driver";
import type { K8ssandraCluster, K8ssandraDatacenterStatus } from "../../api/index.ts";
import type { SystemReplication } from "./config.ts";
import { type CqlCredentials, type CqlSessions, type CqlTarget, isUnreachable, scrub } from "./cql.ts";
import { type DatacenterTemplate } from "./desired.ts";
import { type KeyspaceReplication, readKeyspaces } from "./keyspaces.ts";
import { cassandraDatacenterName, MAX_SYSTEM_REPLICAS } from "./replication.ts";
import { recordedReady } from "./status.ts";

/** The superuser from its Secret, for CQL; undefined when auth is off (anonymous sessions). */
export function credentialsOf(secret: Secret | undefined, auth: boolean): CqlCredentials | undefined {
  if (!auth || !secret?.data) return undefined;
  const decode = (key: string) => (secret.data?.[key] === undefined ? undefined : Buffer.from(secret.data[key]!, "base64").toString("utf8"));
  const username = decode("username");
  const password = decode("password");
  return username && password ? { username, password } : undefined;
}

/** The addresses of a datacenter's nodes, as its CassandraDatacenter reports them (cass-operator: the pods' IPs). */
export function nodeAddresses(entry: K8ssandraDatacenterStatus | undefined): string[] {
  return Object.entries(entry?.cassandra?.nodeStatuses ?? {})
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([, n]) => n.ip)
    .filter((ip): ip is string => Boolean(ip));
}

/** System keyspace replicas for these datacenters: min(3, size) in each. */
export function systemReplicationFor(dcs: { name: string; size: number }[]): SystemReplication {
  return Object.fromEntries(dcs.map((d) => [d.name, Math.min(MAX_SYSTEM_REPLICAS, Math.max(1, d.size))]));
}

/**
 * CQL during one reconcile of one K8ssandraCluster: a session on the first datacenter (in the order given) that
 * answers, the keyspaces' replication read once and kept current as it is altered, and what could not be reached
 * (for the CassandraReachable condition). Failures are recorded, never thrown past the caller's step.
 */
export class ClusterCql {
  readonly unreachable: string[] = [];
  readonly failures: string[] = [];
  /** A rebuild is under way: nothing watched says when it ends, so the reconcile looks again soon. */
  rebuilding = false;
  private connection: Promise<{ client: cassandra.Client; keyspaces: KeyspaceReplication; via: string } | undefined> | undefined;
  private readonly sessions: CqlSessions;
  private readonly key: string;
  readonly credentials: CqlCredentials | undefined;

  constructor(sessions: CqlSessions, k8c: K8ssandraCluster, credentials: CqlCredentials | undefined) {
    this.sessions = sessions;
    this.key = `${k8c.metadata.namespace}/${k8c.metadata.name}`;
    this.credentials = credentials;
  }

  /** Ready datacenters with addresses, from the status being built: where a session may open. */
  static targets(status: Record<string, K8ssandraDatacenterStatus>, order: { name: string; cassandraName: string }[], credentials: CqlCredentials | undefined): CqlTarget[] {
    return order
      .filter((d) => recordedReady(status[d.name]) && nodeAddresses(status[d.name]).length)
      .map((d) => ({ datacenter: d.cassandraName, addresses: nodeAddresses(status[d.name]), credentials }));
  }

  /** A session and the keyspaces, or undefined (recorded) when no datacenter answers. Opened once per reconcile. */
  connect(targets: CqlTarget[]): Promise<{ client: cassandra.Client; keyspaces: KeyspaceReplication; via: string } | undefined> {
    this.connection ??= (async () => {
      const why: string[] = [];
      for (const target of targets) {
        try {
          const client = await this.sessions.session(this.key, target);
          return { client, keyspaces: await readKeyspaces(client), via: target.datacenter };
        } catch (err) {
          // A kept session whose nodes went away fails here: the next reconcile connects afresh.
          this.sessions.drop(this.key, target.datacenter);
          why.push(scrub(err, [this.credentials?.password]));
        }
      }
      this.unreachable.push(targets.length ? why.join("; ") : "no ready datacenter reports node addresses");
      return undefined;
    })();
    return this.connection;
  }

  /** Runs a step on the session; a failure is recorded (scrubbed) and the result is undefined. */
  async step<T>(what: string, fn: (client: cassandra.Client, keyspaces: KeyspaceReplication) => Promise<T>, targets: CqlTarget[]): Promise<T | undefined> {
    const conn = await this.connect(targets);
    if (!conn) return undefined;
    try {
      return await fn(conn.client, conn.keyspaces);
    } catch (err) {
      const message = `${what} (via datacenter ${conn.via}): ${scrub(err, [this.credentials?.password])}`;
      if (isUnreachable(err)) {
        this.unreachable.push(message);
        this.sessions.drop(this.key, conn.via);
      } else this.failures.push(message);
      return undefined;
    }
  }
}

/** The Cassandra name and the object name of each datacenter template, in spec order. */
export function namesOf(dcs: DatacenterTemplate[]): { name: string; cassandraName: string; size: number }[] {
  return dcs.map((dc) => ({ name: dc.metadata.name, cassandraName: cassandraDatacenterName(dc), size: dc.size }));
}
