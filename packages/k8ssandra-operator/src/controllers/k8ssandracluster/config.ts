import { type CassandraConfig, type CassandraDatacenterConfig, type K8ssandraCluster, quantityValue, type ServerType } from "../../api/index.ts";

/**
 * The Cassandra configuration K8ssandra writes into each CassandraDatacenter (cass-operator's config-builder JSON):
 * the user's settings under K8ssandra's names, plus what K8ssandra always sets: authentication, num_tokens, the
 * replication of the system keyspaces and a garbage collector. Pure: everything it needs comes in as arguments.
 */

export const SYSTEM_REPLICATION_OPTION = "-Dcassandra.system_distributed_replication";
export const ALLOW_ALTER_RF_OPTION = "-Dcassandra.allow_alter_rf_during_range_movement=true";
export const DEFAULT_GC = "G1GC";

/** Replicas of system_auth, system_distributed and system_traces by datacenter name (as Cassandra knows it). */
export type SystemReplication = Record<string, number>;

export function authEnabled(k8c: Pick<K8ssandraCluster, "spec">): boolean {
  return k8c.spec.auth !== false;
}

function majorVersion(version: string): number {
  return Number(version.split(".")[0]);
}

/** Cassandra 3.x: its JVM options live in jvm.options, where every later server (DSE 6.8, HCD 1.x) has jvm-server.options. */
function isCassandra3(serverType: ServerType, serverVersion: string): boolean {
  return serverType === "cassandra" && majorVersion(serverVersion) === 3;
}

/** K8ssandra's num_tokens when the spec sets none: 256 on Cassandra 3.x (its own default), 16 everywhere else. */
export function defaultNumTokens(serverType: ServerType, serverVersion: string): number {
  return isCassandra3(serverType, serverVersion) ? 256 : 16;
}

/**
 * The num_tokens a datacenter gets. A node cannot change its token count once it has joined (k8ssandra/k8ssandra#1029),
 * so a datacenter that exists keeps the count it was created with (also when the spec leaves it to a default that has
 * since changed); a different requested count is refused, and the running one kept.
 * `running` is the datacenter's current configuration, or undefined when it does not exist yet (or cannot be read).
 */
export function resolveNumTokens(
  requested: unknown,
  running: CassandraDatacenterConfig | undefined,
  fallback: number,
): { value: unknown; refused?: { requested: unknown; running: unknown } } {
  if (!running) return { value: requested ?? fallback };
  const current = running["cassandra-yaml"]?.num_tokens;
  if (requested !== undefined && String(requested) !== String(current)) return { value: current, refused: { requested, running: current } };
  return { value: current };
}

function putIfAbsent(target: Record<string, unknown>, path: string, value: unknown): void {
  const keys = path.split("/");
  let node = target;
  for (const key of keys.slice(0, -1)) {
    const next = node[key];
    if (next === undefined || next === null) node[key] = {};
    else if (typeof next !== "object" || Array.isArray(next)) return;
    node = node[key] as Record<string, unknown>;
  }
  const last = keys[keys.length - 1]!;
  if (node[last] === undefined || node[last] === null) node[last] = value;
}

/**
 * Authenticator, authorizer and role manager, written explicitly whichever way auth goes (leaving them to the image's
 * defaults was K8ssandra's regression #1558); a value the user set wins, as in K8ssandra.
 */
export function applyAuthSettings(cassandraYaml: Record<string, unknown>, dseYaml: Record<string, unknown>, auth: boolean, serverType: ServerType): void {
  if (auth && serverType === "dse") {
    putIfAbsent(cassandraYaml, "authenticator", "com.datastax.bdp.cassandra.auth.DseAuthenticator");
    putIfAbsent(cassandraYaml, "authorizer", "com.datastax.bdp.cassandra.auth.DseAuthorizer");
    putIfAbsent(cassandraYaml, "role_manager", "com.datastax.bdp.cassandra.auth.DseRoleManager");
    putIfAbsent(dseYaml, "authentication_options/enabled", "true");
    putIfAbsent(dseYaml, "authorization_options/enabled", "true");
    putIfAbsent(dseYaml, "role_management_options/mode", "internal");
  } else if (auth) {
    putIfAbsent(cassandraYaml, "authenticator", "PasswordAuthenticator");
    putIfAbsent(cassandraYaml, "authorizer", "CassandraAuthorizer");
  } else {
    putIfAbsent(cassandraYaml, "authenticator", "AllowAllAuthenticator");
    putIfAbsent(cassandraYaml, "authorizer", "AllowAllAuthorizer");
  }
  putIfAbsent(cassandraYaml, "role_manager", "CassandraRoleManager");
}

/** The JVM property Cassandra reads when it first creates its system keyspaces: `dc1:3,dc2:3`, datacenters sorted. */
export function systemReplicationOption(replication: SystemReplication): string {
  const factors = Object.keys(replication)
    .sort()
    .map((dc) => `${dc}:${replication[dc]}`);
  return `${SYSTEM_REPLICATION_OPTION}=${factors.join(",")}`;
}

export interface ConfigInputs {
  /** spec.cassandra.config merged with the datacenter's. */
  config: CassandraConfig | undefined;
  serverType: ServerType;
  serverVersion: string;
  auth: boolean;
  /** Undefined leaves num_tokens out (a running datacenter that never had it). */
  numTokens: unknown;
  /** Only for the first datacenter of a Cassandra or HCD cluster: the later ones join keyspaces that already exist. */
  systemReplication?: SystemReplication;
}

function section(out: CassandraDatacenterConfig, name: string): Record<string, unknown> {
  out[name] ??= {};
  return out[name] as Record<string, unknown>;
}

/** The datacenter's configuration by config-builder section, as K8ssandra builds it. */
export function buildDatacenterConfig(inputs: ConfigInputs): CassandraDatacenterConfig {
  const { config, serverType, serverVersion } = inputs;
  const cassandra3 = isCassandra3(serverType, serverVersion);
  const cassandraYaml: Record<string, unknown> = structuredClone(config?.cassandraYaml ?? {});
  const dseYaml: Record<string, unknown> = structuredClone(config?.dseYaml ?? {});
  applyAuthSettings(cassandraYaml, dseYaml, inputs.auth, serverType);
  if (inputs.numTokens === undefined) delete cassandraYaml.num_tokens;
  else cassandraYaml.num_tokens = inputs.numTokens;
  // Thrift is gone after 3.x; K8ssandra turns it off there. DSE and HCD do not allocate tokens by replication factor unasked.
  if (cassandra3) putIfAbsent(cassandraYaml, "start_rpc", false);
  if (serverType === "dse" || serverType === "hcd") putIfAbsent(cassandraYaml, "allocate_tokens_for_local_replication_factor", 3);

  const out: CassandraDatacenterConfig = { "cassandra-yaml": cassandraYaml };
  if (Object.keys(dseYaml).length) out["dse-yaml"] = dseYaml;

  const jvm = config?.jvmOptions;
  const heapSection = cassandra3 ? "jvm-options" : "jvm-server-options";
  const initial = jvm?.heap_initial_size ?? jvm?.heapSize;
  const max = jvm?.heap_max_size ?? jvm?.heapSize;
  if (initial !== undefined) section(out, heapSection).initial_heap_size = quantityValue(initial);
  if (max !== undefined) section(out, heapSection).max_heap_size = quantityValue(max);
  // K8ssandra's CRD defaults gc to G1GC; the section follows the JVM the server runs on (Cassandra 5.0 included, as K8ssandra writes it).
  const gcSection = cassandra3 ? "jvm-options" : serverType === "dse" ? "jvm8-server-options" : "jvm11-server-options";
  section(out, gcSection).garbage_collector = jvm?.gc ?? DEFAULT_GC;
  const extra: [string[] | undefined, string][] = [
    [jvm?.additionalJvmServerOptions, "jvm-server-options"],
    [jvm?.additionalJvm8ServerOptions, "jvm8-server-options"],
    [jvm?.additionalJvm11ServerOptions, "jvm11-server-options"],
  ];
  for (const [options, name] of extra) if (options?.length) section(out, name)["additional-jvm-opts"] = [...options];

  // cassandra-env.sh options; K8ssandra puts its own before the user's.
  const env = [...(jvm?.additionalOptions ?? [])];
  const prepend = (option: string) => {
    if (!env.includes(option)) env.unshift(option);
  };
  const cassandraLike = serverType === "cassandra" || serverType === "hcd";
  if (cassandraLike && inputs.systemReplication && Object.keys(inputs.systemReplication).length) prepend(systemReplicationOption(inputs.systemReplication));
  // Replication must be changeable while ranges move, or datacenters cannot be added (and Stargate fails, stargate#1274).
  if (cassandraLike && !cassandra3) prepend(ALLOW_ALTER_RF_OPTION);
  if (env.length) out["cassandra-env-sh"] = { "additional-jvm-opts": env };
  return out;
}
