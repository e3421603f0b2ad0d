import type cassandra from "cassandra-driver";
import { describe, expect, it } from "vitest";
import { scrub } from "../src/controllers/k8ssandracluster/cql.ts";
import { ensureSystemKeyspaces, extendUserKeyspaces, type KeyspaceReplication, keyspacesReplicatingTo } from "../src/controllers/k8ssandracluster/keyspaces.ts";
import { credentialsOf, systemReplicationFor } from "../src/controllers/k8ssandracluster/schema.ts";

const NTS = "org.apache.cassandra.locator.NetworkTopologyStrategy";

/** A driver client that records the statements it is given. */
function recorder(): { client: cassandra.Client; statements: string[] } {
  const statements: string[] = [];
  const client = { execute: async (q: string) => void statements.push(q) } as unknown as cassandra.Client;
  return { client, statements };
}

describe("keyspace replication over CQL", () => {
  it("gives each datacenter min(3, size) replicas of the system keyspaces", () => {
    expect(systemReplicationFor([{ name: "dc1", size: 5 }, { name: "dc2", size: 1 }])).toEqual({ dc1: 3, dc2: 1 });
  });

  it("alters only the system keyspaces whose replication differs, and drops datacenters not named", async () => {
    const keyspaces: KeyspaceReplication = new Map<string, Record<string, string>>([
      ["system_auth", { class: "org.apache.cassandra.locator.SimpleStrategy", replication_factor: "1" }],
      ["system_distributed", { class: NTS, dc1: "1" }],
      ["system_traces", { class: NTS, dc1: "1", gone: "1" }],
    ]);
    const { client, statements } = recorder();
    expect(await ensureSystemKeyspaces(client, keyspaces, { dc1: 1 })).toEqual(["system_auth", "system_traces"]);
    expect(statements).toEqual([
      `ALTER KEYSPACE "system_auth" WITH replication = {'class': 'NetworkTopologyStrategy', 'dc1': 1}`,
      `ALTER KEYSPACE "system_traces" WITH replication = {'class': 'NetworkTopologyStrategy', 'dc1': 1}`,
    ]);
    // The cache follows: a second pass changes nothing.
    expect(await ensureSystemKeyspaces(client, keyspaces, { dc1: 1 })).toEqual([]);
  });

  it("extends user keyspaces to a datacenter, keeping the others' replicas, and refuses what it cannot alter", async () => {
    const keyspaces: KeyspaceReplication = new Map<string, Record<string, string>>([
      ["app", { class: NTS, dc1: "3" }],
      ["simple", { class: "org.apache.cassandra.locator.SimpleStrategy", replication_factor: "1" }],
    ]);
    const { client, statements } = recorder();
    const result = await extendUserKeyspaces(client, keyspaces, "dc2", { app: 2, simple: 1, missing: 1 });
    expect(result.altered).toEqual(["app"]);
    expect(result.refused).toEqual([expect.stringMatching(/simple uses .*SimpleStrategy/), "keyspace missing does not exist"]);
    expect(statements).toEqual([`ALTER KEYSPACE "app" WITH replication = {'class': 'NetworkTopologyStrategy', 'dc1': 3, 'dc2': 2}`]);
  });

  it("names the user keyspaces that hold replicas in a datacenter, never the system ones", () => {
    const keyspaces: KeyspaceReplication = new Map<string, Record<string, string>>([
      ["app", { class: NTS, dc1: "1", dc2: "1" }],
      ["other", { class: NTS, dc1: "1" }],
      ["system_auth", { class: NTS, dc1: "1", dc2: "1" }],
    ]);
    expect(keyspacesReplicatingTo(keyspaces, "dc2")).toEqual(["app"]);
    expect(keyspacesReplicatingTo(keyspaces, "dc3")).toEqual([]);
  });

  it("keeps secrets out of error messages, and reads the superuser only when auth is on", () => {
    expect(scrub(new Error("login as dba with s3cret failed\nstack"), ["s3cret"])).toBe("login as dba with *** failed");
    const secret = { data: { username: Buffer.from("dba").toString("base64"), password: Buffer.from("pw").toString("base64") } };
    expect(credentialsOf(secret, true)).toEqual({ username: "dba", password: "pw" });
    expect(credentialsOf(secret, false)).toBeUndefined();
  });
});
