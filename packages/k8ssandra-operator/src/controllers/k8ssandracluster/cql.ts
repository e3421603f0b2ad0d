import { createHash } from "node:crypto";
import cassandra from "cassandra-driver";
import { isAuthFailure } from "../../cql/auth.ts";

/** How the operator reaches Cassandra over CQL. */
export interface CqlOptions {
  /** The nodes' native transport port; default 9042. */
  port?: number;
  /** Per connection attempt; default 5 s. */
  connectTimeoutMs?: number;
  /** Per request (schema changes wait for agreement within it); default 20 s. */
  requestTimeoutMs?: number;
}

export interface CqlCredentials {
  username: string;
  password: string;
}

/** Where one datacenter's nodes answer, and who logs in (no credentials when auth is off). */
export interface CqlTarget {
  /** The datacenter's name in Cassandra: the session's local datacenter. */
  datacenter: string;
  addresses: string[];
  credentials?: CqlCredentials;
}

/** CQL could not reach a datacenter (refused, timed out, or the login failed): retried like an unreachable API server. */
export class CqlUnreachableError extends Error {
  readonly authFailed: boolean;
  constructor(message: string, authFailed: boolean) {
    super(message);
    this.name = "CqlUnreachableError";
    this.authFailed = authFailed;
  }
}

/** Whether an error means the nodes were not reached (as opposed to a statement they refused). */
export function isUnreachable(err: unknown): boolean {
  return (
    err instanceof CqlUnreachableError ||
    err instanceof cassandra.errors.NoHostAvailableError ||
    err instanceof cassandra.errors.OperationTimedOutError ||
    err instanceof cassandra.errors.AuthenticationError
  );
}

/**
 * An error's first line with every secret replaced: driver messages name hosts and statements, and a statement or a
 * server's echo could hold a password, so nothing from the driver reaches a log, an Event or the status unscrubbed.
 */
export function scrub(err: unknown, secrets: (string | undefined)[]): string {
  let text = (err instanceof Error ? err.message : String(err)).split("\n")[0]!;
  for (const secret of secrets) if (secret) text = text.split(secret).join("***");
  return text;
}

interface Entry {
  fingerprint: string;
  client: Promise<cassandra.Client>;
}

/**
 * One driver client per K8ssandraCluster and datacenter, kept between reconciles (a connection takes a handshake and
 * a login) and replaced when the datacenter's addresses or the credentials change; closed with the K8ssandraCluster.
 * Each client is bound to its datacenter (localDataCenter and an allow-list of its nodes), so a statement runs where
 * the caller chose, and one datacenter being down leaves the sessions of the others usable.
 */
export class CqlSessions {
  private readonly options: Required<CqlOptions>;
  private readonly entries = new Map<string, Entry>();

  constructor(options: CqlOptions = {}) {
    this.options = { port: options.port ?? 9042, connectTimeoutMs: options.connectTimeoutMs ?? 5000, requestTimeoutMs: options.requestTimeoutMs ?? 20_000 };
  }

  /** A connected client for this datacenter of this cluster; rejects with a CqlUnreachableError (scrubbed) when none connects. */
  async session(cluster: string, target: CqlTarget): Promise<cassandra.Client> {
    const key = `${cluster}/${target.datacenter}`;
    // The password is part of the identity of a session, but only as a digest: the map holds no secret.
    const fingerprint = createHash("sha256")
      .update(JSON.stringify([[...target.addresses].sort(), target.credentials?.username ?? "", target.credentials?.password ?? ""]))
      .digest("hex");
    let entry = this.entries.get(key);
    if (entry && entry.fingerprint !== fingerprint) {
      this.entries.delete(key);
      void entry.client.then((c) => c.shutdown()).catch(() => {});
      entry = undefined;
    }
    if (!entry) {
      entry = { fingerprint, client: this.connect(target) };
      this.entries.set(key, entry);
      const created = entry;
      // A failed connect is not kept: the next reconcile tries again.
      created.client.catch(() => {
        if (this.entries.get(key) === created) this.entries.delete(key);
      });
    }
    return entry.client;
  }

  private async connect(target: CqlTarget): Promise<cassandra.Client> {
    if (!target.addresses.length) throw new CqlUnreachableError(`datacenter ${target.datacenter} reports no node addresses`, false);
    const points = target.addresses.map((a) => `${a}:${this.options.port}`);
    const lb = cassandra.policies.loadBalancing;
    const client = new cassandra.Client({
      contactPoints: points,
      localDataCenter: target.datacenter,
      authProvider: target.credentials ? new cassandra.auth.PlainTextAuthProvider(target.credentials.username, target.credentials.password) : undefined,
      policies: { loadBalancing: new lb.AllowListPolicy(new lb.DCAwareRoundRobinPolicy(target.datacenter), points) },
      socketOptions: { connectTimeout: this.options.connectTimeoutMs, readTimeout: this.options.requestTimeoutMs },
      protocolOptions: { maxSchemaAgreementWaitSeconds: Math.ceil(this.options.requestTimeoutMs / 1000) },
      pooling: { warmup: false },
    });
    try {
      await client.connect();
      return client;
    } catch (err) {
      await client.shutdown().catch(() => {});
      const auth = isAuthFailure(err);
      const why = auth ? "the superuser's login was refused" : scrub(err, [target.credentials?.password]);
      throw new CqlUnreachableError(`CQL at datacenter ${target.datacenter} (${target.addresses.join(", ")}): ${why}`, auth);
    }
  }

  /** Closes every session of one K8ssandraCluster (deleted, or its CQL no longer wanted). */
  async close(cluster: string): Promise<void> {
    const closing: Promise<unknown>[] = [];
    for (const [key, entry] of this.entries) {
      if (!key.startsWith(`${cluster}/`)) continue;
      this.entries.delete(key);
      closing.push(entry.client.then((c) => c.shutdown()).catch(() => {}));
    }
    await Promise.all(closing);
  }

  /** Closes a session that failed mid-use, so the next reconcile connects afresh. */
  drop(cluster: string, datacenter: string): void {
    const key = `${cluster}/${datacenter}`;
    const entry = this.entries.get(key);
    if (!entry) return;
    this.entries.delete(key);
    void entry.client.then((c) => c.shutdown()).catch(() => {});
  }

  async closeAll(): Promise<void> {
    const all = [...this.entries.values()];
    this.entries.clear();
    await Promise.all(all.map((e) => e.client.then((c) => c.shutdown()).catch(() => {})));
  }
}
