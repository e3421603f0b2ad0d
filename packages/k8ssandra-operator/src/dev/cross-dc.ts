/**
 * The demo's proof that two datacenters in two Kubernetes clusters are one Cassandra cluster: a keyspace replicated to
 * both, a row written through one datacenter's node and read back through the other's, each at a LOCAL consistency
 * level so that only the local datacenter's replica answers.
 */
import { randomUUID } from "node:crypto";
import { setTimeout as delay } from "node:timers/promises";
import cassandra from "cassandra-driver";

export interface Endpoint {
  /** The datacenter's name as Cassandra knows it (the snitch's dc). */
  datacenter: string;
  /** `host:9042` of one of its nodes. */
  contactPoint: string;
}

export interface Credentials {
  username: string;
  password: string;
}

export const DEMO_KEYSPACE = "demo";
const { consistencies } = cassandra.types;

function clientFor(endpoint: Endpoint, credentials: Credentials): cassandra.Client {
  return new cassandra.Client({
    contactPoints: [endpoint.contactPoint],
    // The driver coordinates only through this datacenter's nodes: the other one is remote to it.
    localDataCenter: endpoint.datacenter,
    authProvider: new cassandra.auth.PlainTextAuthProvider(credentials.username, credentials.password),
    socketOptions: { connectTimeout: 10_000, readTimeout: 30_000 },
  });
}

export async function withClient<T>(endpoint: Endpoint, credentials: Credentials, what: string, fn: (c: cassandra.Client) => Promise<T>): Promise<T> {
  const client = clientFor(endpoint, credentials);
  try {
    try {
      await client.connect();
    } catch (err) {
      // The driver's message names hosts and the server's reason, never the password it sent.
      throw new Error(`${what}: could not log in at ${endpoint.contactPoint} as ${credentials.username}: ${(err as Error).message.split("\n")[0]}`);
    }
    return await fn(client);
  } finally {
    await client.shutdown().catch(() => {});
  }
}

/** true when the credentials open a session through this datacenter, else the server's (or driver's) reason. */
export async function canLogIn(endpoint: Endpoint, credentials: Credentials): Promise<true | string> {
  const client = clientFor(endpoint, credentials);
  try {
    await client.connect();
    return true;
  } catch (err) {
    const inner = Object.values(((err as { innerErrors?: Record<string, Error> }).innerErrors ?? {}) as Record<string, Error>)[0];
    return (inner ?? (err as Error)).message.split("\n")[0]!;
  } finally {
    await client.shutdown().catch(() => {});
  }
}

/**
 * Creates the keyspace (NetworkTopologyStrategy, one replica in each datacenter: each has one node here), writes a
 * row through `writer` at LOCAL_QUORUM and reads it through `reader` at LOCAL_ONE. The write reaches the other
 * datacenter asynchronously, so the read is repeated for a while until the row is there.
 */
export async function rowAcrossDatacenters(
  writer: Endpoint,
  reader: Endpoint,
  credentials: Credentials,
  say: (line: string) => void,
  timeoutMs = 60_000,
): Promise<{ written: string; read: string }> {
  const replication = [writer, reader].map((e) => `'${e.datacenter}': 1`).join(", ");
  const id = randomUUID();
  const message = `hello from ${writer.datacenter}`;
  await withClient(writer, credentials, `writing in ${writer.datacenter}`, async (c) => {
    await c.execute(`CREATE KEYSPACE IF NOT EXISTS ${DEMO_KEYSPACE} WITH replication = {'class': 'NetworkTopologyStrategy', ${replication}}`);
    await c.execute(`CREATE TABLE IF NOT EXISTS ${DEMO_KEYSPACE}.greetings (id uuid PRIMARY KEY, message text, written_in text, written_at timestamp)`);
    say(`CQL: keyspace ${DEMO_KEYSPACE} with {'class': 'NetworkTopologyStrategy', ${replication}}, table ${DEMO_KEYSPACE}.greetings`);
    const rs = await c.execute(
      `INSERT INTO ${DEMO_KEYSPACE}.greetings (id, message, written_in, written_at) VALUES (?, ?, ?, toTimestamp(now()))`,
      [id, message, writer.datacenter],
      { prepare: true, consistency: consistencies.localQuorum },
    );
    say(`CQL: wrote in ${writer.datacenter} through ${rs.info.queriedHost} at LOCAL_QUORUM: id=${id} message='${message}'`);
  });
  const read = await withClient(reader, credentials, `reading in ${reader.datacenter}`, async (c) => {
    const started = Date.now();
    for (;;) {
      const rs = await c.execute(`SELECT message, written_in, written_at FROM ${DEMO_KEYSPACE}.greetings WHERE id = ?`, [id], {
        prepare: true,
        consistency: consistencies.localOne,
      });
      const row = rs.first();
      if (row) {
        // Every request of this client is coordinated in its local datacenter: system.local names it.
        const local = (await c.execute("SELECT data_center FROM system.local")).first();
        say(
          `CQL: read in ${reader.datacenter} through ${rs.info.queriedHost} (its system.local: data_center ${local?.get("data_center")}) at LOCAL_ONE: ` +
            `message='${row.get("message")}' written_in=${row.get("written_in")} written_at=${(row.get("written_at") as Date).toISOString()}` +
            `${Date.now() - started > 1000 ? ` (there after ${Math.round((Date.now() - started) / 1000)} s)` : ""}`,
        );
        return String(row.get("message"));
      }
      if (Date.now() - started > timeoutMs) throw new Error(`the row written in ${writer.datacenter} was not readable in ${reader.datacenter} at LOCAL_ONE within ${timeoutMs / 1000} s`);
      await delay(500);
    }
  });
  return { written: message, read };
}
