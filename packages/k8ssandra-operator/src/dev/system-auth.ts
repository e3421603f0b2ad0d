/**
 * Roles live in system_auth, which Cassandra creates with SimpleStrategy and one replica. Until the operator
 * replicates it to every datacenter (issue 10, section 2), a login can fail in a datacenter that holds no replica of
 * the superuser's role ("Cannot achieve consistency level LOCAL_QUORUM"). When that happens the demo does what
 * K8ssandra does: system_auth on NetworkTopologyStrategy in every datacenter, then a rebuild CassandraTask in each
 * datacenter that could not log in, streaming system_auth from one that could. When the operator has done it already,
 * every login works and nothing happens here.
 */
import { setTimeout as delay } from "node:timers/promises";
import type { Client } from "@operator-ts/runtime";
import { CassandraTask } from "../api/index.ts";
import { canLogIn, type Credentials, type Endpoint, withClient } from "./cross-dc.ts";

export interface DatacenterAccess extends Endpoint {
  /** The CassandraDatacenter's name and namespace in its Kubernetes cluster (a CassandraTask names it). */
  name: string;
  namespace: string;
  /** Where its CassandraTasks are written and read (as the cluster's admin: the demo stands in for the operator). */
  client: Client;
}

async function loginFailures(dcs: DatacenterAccess[], credentials: Credentials): Promise<Map<DatacenterAccess, string>> {
  const failures = new Map<DatacenterAccess, string>();
  for (const dc of dcs) {
    const result = await canLogIn(dc, credentials);
    if (result !== true) failures.set(dc, result);
  }
  return failures;
}

async function rebuild(dc: DatacenterAccess, source: string, say: (line: string) => void, timeoutMs: number): Promise<void> {
  const name = `demo-rebuild-system-auth-${dc.datacenter}`;
  await dc.client.create<CassandraTask>({
    apiVersion: CassandraTask.apiVersion,
    kind: CassandraTask.kind,
    metadata: { name, namespace: dc.namespace },
    spec: { datacenter: { name: dc.name, namespace: dc.namespace }, jobs: [{ name: "rebuild-system-auth", command: "rebuild", args: { keyspace_name: "system_auth", source_datacenter: source } }] },
  });
  say(`CassandraTask ${name}: rebuild of system_auth in ${dc.datacenter} from ${source}`);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const task = await dc.client.get(CassandraTask, { namespace: dc.namespace, name });
    if (task.status?.completionTime) {
      if ((task.status.failed ?? 0) > 0) {
        const errors = Object.values(task.status.podStatuses ?? {}).map((p) => p.error).filter(Boolean);
        throw new Error(`CassandraTask ${name} failed: ${errors.join("; ") || "see its status"}`);
      }
      say(`CassandraTask ${name}: completed`);
      return;
    }
    if (Date.now() > deadline) throw new Error(`CassandraTask ${name} did not complete within ${timeoutMs / 1000} s`);
    await delay(500);
  }
}

/** Makes the superuser's login work in every datacenter, saying what it had to do. */
export async function loginEverywhere(dcs: DatacenterAccess[], credentials: Credentials, say: (line: string) => void, timeoutMs = 120_000): Promise<void> {
  const failures = await loginFailures(dcs, credentials);
  if (failures.size === 0) return;
  const good = dcs.find((dc) => !failures.has(dc));
  const why = [...failures].map(([dc, reason]) => `${dc.datacenter}: ${reason}`).join("; ");
  if (!good) throw new Error(`the superuser can log in at no datacenter (${why})`);
  say(`the superuser cannot log in at ${[...failures.keys()].map((d) => d.datacenter).join(", ")} (${why})`);
  say("system_auth is not replicated to every datacenter yet (the operator's job, issue 10 section 2): the demo does it as K8ssandra does");
  const replication = dcs.map((dc) => `'${dc.datacenter}': 1`).join(", ");
  await withClient(good, credentials, `replicating system_auth through ${good.datacenter}`, (c) =>
    c.execute(`ALTER KEYSPACE system_auth WITH replication = {'class': 'NetworkTopologyStrategy', ${replication}}`),
  );
  say(`CQL: ALTER KEYSPACE system_auth WITH replication = {'class': 'NetworkTopologyStrategy', ${replication}} through ${good.datacenter}`);
  for (const dc of failures.keys()) await rebuild(dc, good.datacenter, say, timeoutMs);
  // Cassandra caches a role lookup for a couple of seconds (roles_validity): a refusal just before may linger.
  const deadline = Date.now() + 30_000;
  for (;;) {
    const left = await loginFailures([...failures.keys()], credentials);
    if (left.size === 0) break;
    if (Date.now() > deadline) throw new Error(`the superuser still cannot log in after the rebuild: ${[...left].map(([dc, r]) => `${dc.datacenter}: ${r}`).join("; ")}`);
    await delay(1000);
  }
  say(`the superuser logs in at every datacenter: ${dcs.map((d) => d.datacenter).join(", ")}`);
}
