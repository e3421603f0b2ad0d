import { randomBytes } from "node:crypto";
import cassandra from "cassandra-driver";
import { isAuthFailure } from "../../cql/auth.ts";

export interface Credentials {
  username: string;
  password: string;
}

/**
 * A driver client for one node only: every request is coordinated by it, so LOCAL consistency levels mean its
 * datacenter, whichever that is (no localDataCenter needed).
 */
export function nodeClient(address: string, credentials?: Credentials): cassandra.Client {
  const lb = cassandra.policies.loadBalancing;
  return new cassandra.Client({
    contactPoints: [`${address}:9042`],
    authProvider: credentials ? new cassandra.auth.PlainTextAuthProvider(credentials.username, credentials.password) : undefined,
    policies: { loadBalancing: new lb.AllowListPolicy(new lb.RoundRobinPolicy(), [`${address}:9042`]) },
    socketOptions: { connectTimeout: 5000, readTimeout: 30_000 },
    pooling: { warmup: false },
  });
}

/**
 * Whether the node answers CQL: a session opens, or the node itself refuses our credentials (it answered; auth is
 * on). Anything else (refused connection, timeout) means not yet.
 */
export async function answersCql(address: string, credentials?: Credentials): Promise<boolean> {
  const client = nodeClient(address, credentials);
  try {
    await client.connect();
    return true;
  } catch (err) {
    return isAuthFailure(err);
  } finally {
    await client.shutdown().catch(() => {});
  }
}

/** Runs fn with a session on one node, closing it after. */
export async function withSession<T>(address: string, credentials: Credentials | undefined, fn: (c: cassandra.Client) => Promise<T>): Promise<T> {
  const client = nodeClient(address, credentials);
  try {
    await client.connect();
    return await fn(client);
  } finally {
    await client.shutdown().catch(() => {});
  }
}

/** Whether these credentials open a session on the node (false when the node refuses them). */
export async function canLogIn(address: string, credentials: Credentials): Promise<boolean> {
  try {
    await withSession(address, credentials, async () => undefined);
    return true;
  } catch (err) {
    if (isAuthFailure(err)) return false;
    throw err;
  }
}

const DEFAULT_ROLE: Credentials = { username: "cassandra", password: "cassandra" };

function quoteName(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/**
 * What cass-operator has the management API do once a datacenter's first node answers: the superuser from
 * superuserSecretName exists with that password. The stand-in also makes the default `cassandra` role unusable
 * (a random password, no login), as a production cluster is expected to. Logs in as the superuser when it already
 * exists (a restart, a second datacenter of the cluster), otherwise as the default role. Idempotent.
 */
export async function upsertSuperuser(address: string, superuser: Credentials): Promise<void> {
  if (superuser.username === DEFAULT_ROLE.username) throw new Error("the superuser must not be the default role cassandra");
  let as = superuser;
  if (!(await canLogIn(address, superuser))) {
    if (!(await canLogIn(address, DEFAULT_ROLE))) {
      throw new Error(`neither the superuser nor the default role can log in at ${address} (are the roles in system_auth readable there?)`);
    }
    as = DEFAULT_ROLE;
  }
  await withSession(address, as, async (c) => {
    const role = quoteName(superuser.username);
    const password = quoteLiteral(superuser.password);
    await run(c, `CREATE ROLE IF NOT EXISTS ${role} WITH SUPERUSER = true AND LOGIN = true AND PASSWORD = ${password}`, "create the superuser role");
    // No role may change its own superuser status, so logged in as itself it only renews its password.
    const options = as === superuser ? `PASSWORD = ${password}` : `SUPERUSER = true AND LOGIN = true AND PASSWORD = ${password}`;
    await run(c, `ALTER ROLE ${role} WITH ${options}`, "set the superuser's password");
  });
  await withSession(address, superuser, async (c) => {
    await run(c, `ALTER ROLE cassandra WITH LOGIN = false AND PASSWORD = ${quoteLiteral(randomBytes(24).toString("base64url"))}`, "disable the default role");
  });
}

function quoteLiteral(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

/**
 * CQL takes role passwords only as literals, so these statements hold a secret: a failure is reported by what was
 * being done and the server's error class, never with the statement or a message that could quote it.
 */
async function run(c: cassandra.Client, statement: string, what: string): Promise<void> {
  try {
    await c.execute(statement);
  } catch (err) {
    const code = (err as { code?: number }).code;
    throw new Error(`could not ${what}: ${(err as Error).name}${code === undefined ? "" : ` (code 0x${code.toString(16)})`}`);
  }
}
