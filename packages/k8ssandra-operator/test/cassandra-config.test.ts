import { describe, expect, it } from "vitest";
import { type K8ssandraCluster, parseDatacenterConfig, unsupportedFields } from "../src/api/index.ts";
import { buildDatacenterConfig, defaultNumTokens, resolveNumTokens, systemReplicationOption } from "../src/controllers/k8ssandracluster/config.ts";
import { desiredDatacenter, desiredStargate } from "../src/controllers/k8ssandracluster/desired.ts";
import {
  computeInitialSystemReplication,
  missingKeyspaces,
  parseDcReplication,
  parseInitialSystemReplication,
} from "../src/controllers/k8ssandracluster/replication.ts";
import { validate } from "../src/controllers/k8ssandracluster/validate.ts";

function cluster(spec: Partial<K8ssandraCluster["spec"]> & { serverVersion?: string } = {}, annotations?: Record<string, string>): K8ssandraCluster {
  const { serverVersion = "4.1.5", ...rest } = spec;
  return {
    apiVersion: "k8ssandra.io/v1alpha1",
    kind: "K8ssandraCluster",
    metadata: { name: "demo", namespace: "db", ...(annotations ? { annotations } : {}) },
    spec: {
      cassandra: {
        serverVersion,
        storageConfig: { cassandraDataVolumeClaimSpec: { accessModes: ["ReadWriteOnce"], resources: { requests: { storage: "1Gi" } } } },
        datacenters: [{ metadata: { name: "dc1" }, size: 3 }, { metadata: { name: "dc2" }, size: 1, datacenterName: "real-dc2" }],
        ...rest.cassandra,
      },
      ...(rest.auth !== undefined ? { auth: rest.auth } : {}),
      ...(rest.stargate ? { stargate: rest.stargate } : {}),
    },
  };
}

/** The configuration desiredDatacenter writes into the config Secret, decoded. */
function configOf(k8c: K8ssandraCluster, position = 0, options: Parameters<typeof desiredDatacenter>[4] = {}) {
  const desired = desiredDatacenter(k8c, k8c.spec.cassandra!.datacenters![position]!, position, [], options);
  return { ...desired, config: parseDatacenterConfig(Buffer.from(desired.configSecret.data!.config!, "base64").toString())! };
}

describe("the Cassandra configuration K8ssandra writes into each datacenter", () => {
  it("turns authentication on by default, and off with auth: false, always written out", () => {
    expect(configOf(cluster()).config["cassandra-yaml"]).toMatchObject({
      authenticator: "PasswordAuthenticator",
      authorizer: "CassandraAuthorizer",
      role_manager: "CassandraRoleManager",
      num_tokens: 16,
    });
    expect(configOf(cluster({ auth: true })).config["cassandra-yaml"]).toMatchObject({ authenticator: "PasswordAuthenticator" });
    expect(configOf(cluster({ auth: false })).config["cassandra-yaml"]).toMatchObject({
      authenticator: "AllowAllAuthenticator",
      authorizer: "AllowAllAuthorizer",
      role_manager: "CassandraRoleManager",
    });
    // A user's own choice wins, as in K8ssandra.
    const custom = cluster({ cassandra: { config: { cassandraYaml: { authenticator: "com.example.Custom" } } } });
    expect(configOf(custom).config["cassandra-yaml"]).toMatchObject({ authenticator: "com.example.Custom", authorizer: "CassandraAuthorizer" });
  });

  it("uses DSE's own authentication classes and dse.yaml switches on DSE", () => {
    const config = buildDatacenterConfig({ config: { dseYaml: { a: 1 } }, serverType: "dse", serverVersion: "6.8.50", auth: true, numTokens: 16 });
    expect(config["cassandra-yaml"]).toMatchObject({
      authenticator: "com.datastax.bdp.cassandra.auth.DseAuthenticator",
      authorizer: "com.datastax.bdp.cassandra.auth.DseAuthorizer",
      role_manager: "com.datastax.bdp.cassandra.auth.DseRoleManager",
      allocate_tokens_for_local_replication_factor: 3,
    });
    expect(config["dse-yaml"]).toEqual({
      a: 1,
      authentication_options: { enabled: "true" },
      authorization_options: { enabled: "true" },
      role_management_options: { mode: "internal" },
    });
    // DSE runs on Java 8 and creates no system keyspaces from the replication property.
    expect(config["jvm8-server-options"]).toEqual({ garbage_collector: "G1GC" });
    expect(config["cassandra-env-sh"]).toBeUndefined();
  });

  it("defaults num_tokens by server version and honours the user's value", () => {
    expect(defaultNumTokens("cassandra", "3.11.14")).toBe(256);
    expect(defaultNumTokens("cassandra", "4.0.17")).toBe(16);
    expect(defaultNumTokens("cassandra", "5.0.4")).toBe(16);
    expect(defaultNumTokens("hcd", "1.1.0")).toBe(16);
    expect(configOf(cluster({ serverVersion: "3.11.14" })).config["cassandra-yaml"]).toMatchObject({ num_tokens: 256, start_rpc: false });
    expect(configOf(cluster({ cassandra: { config: { cassandraYaml: { num_tokens: 8 } } } })).config["cassandra-yaml"]!.num_tokens).toBe(8);
  });

  it("keeps the num_tokens a datacenter runs with and refuses a change, without losing the rest of the spec", () => {
    // Running with 256 (created when that was the default): an unset num_tokens keeps it.
    const running = { "cassandra-yaml": { num_tokens: 256 } };
    expect(resolveNumTokens(undefined, running, 16)).toEqual({ value: 256 });
    expect(resolveNumTokens(256, running, 16)).toEqual({ value: 256 });
    expect(resolveNumTokens("256", running, 16)).toEqual({ value: 256 });
    expect(resolveNumTokens(32, running, 16)).toEqual({ value: 256, refused: { requested: 32, running: 256 } });
    // A datacenter that exists without num_tokens gets none invented; one that does not exist gets the default.
    expect(resolveNumTokens(undefined, {}, 16)).toEqual({ value: undefined });
    expect(resolveNumTokens(undefined, undefined, 16)).toEqual({ value: 16 });

    const k8c = cluster({ cassandra: { config: { cassandraYaml: { num_tokens: 32, concurrent_reads: 4 } } } });
    k8c.spec.cassandra!.datacenters![0]!.size = 5;
    const { config, refused, datacenter } = configOf(k8c, 0, { running: { "cassandra-yaml": { num_tokens: 16 } } });
    expect(config["cassandra-yaml"]).toMatchObject({ num_tokens: 16, concurrent_reads: 4 });
    expect(datacenter.spec.size).toBe(5);
    expect(refused).toMatch(/datacenter dc1: num_tokens cannot change.*runs with 16, the spec asks for 32/);
    const absent = configOf(cluster(), 0, { running: {} });
    expect(absent.config["cassandra-yaml"]).not.toHaveProperty("num_tokens");
    expect(absent.refused).toBeUndefined();
  });

  it("writes the system replication into the first datacenter only, with K8ssandra's own options first", () => {
    const k8c = cluster({ cassandra: { config: { jvmOptions: { additionalOptions: ["-Dfoo=true"] } } } });
    const first = configOf(k8c, 0, { systemReplication: { dc1: 3 } }).config;
    expect(first["cassandra-env-sh"]).toEqual({
      "additional-jvm-opts": [
        "-Dcassandra.allow_alter_rf_during_range_movement=true",
        "-Dcassandra.system_distributed_replication=dc1:3",
        "-Dfoo=true",
      ],
    });
    expect(first["jvm-server-options"]).toBeUndefined();
    const second = configOf(k8c, 1, { systemReplication: { dc1: 3 } }).config;
    expect(second["cassandra-env-sh"]!["additional-jvm-opts"]).toEqual(["-Dcassandra.allow_alter_rf_during_range_movement=true", "-Dfoo=true"]);
    expect(systemReplicationOption({ "real-dc2": 1, dc1: 3 })).toBe("-Dcassandra.system_distributed_replication=dc1:3,real-dc2:1");
    // Cassandra 3.11 cannot alter replication during range movements at all: no such option there.
    const old = configOf(cluster({ serverVersion: "3.11.14" }), 0, { systemReplication: { dc1: 3 } }).config;
    expect(old["cassandra-env-sh"]!["additional-jvm-opts"]).toEqual(["-Dcassandra.system_distributed_replication=dc1:3"]);
  });

  it("puts heap, garbage collector and extra options where config-builder reads them for each version", () => {
    const jvmOptions = { heapSize: "512Mi", additionalJvmServerOptions: ["-Da"], additionalJvm11ServerOptions: ["-Db"], additionalJvm8ServerOptions: ["-Dc"] };
    const modern = configOf(cluster({ cassandra: { config: { jvmOptions } } })).config;
    expect(modern["jvm-server-options"]).toEqual({ initial_heap_size: 512 * 2 ** 20, max_heap_size: 512 * 2 ** 20, "additional-jvm-opts": ["-Da"] });
    expect(modern["jvm11-server-options"]).toEqual({ garbage_collector: "G1GC", "additional-jvm-opts": ["-Db"] });
    expect(modern["jvm8-server-options"]).toEqual({ "additional-jvm-opts": ["-Dc"] });
    // Cassandra 5.0 (Java 17) gets the collector in jvm11-server-options too, as K8ssandra writes it.
    expect(configOf(cluster({ serverVersion: "5.0.4", cassandra: { config: { jvmOptions: { gc: "ZGC" } } } })).config["jvm11-server-options"]).toEqual({
      garbage_collector: "ZGC",
    });
    const legacy = configOf(cluster({ serverVersion: "3.11.14", cassandra: { config: { jvmOptions: { heapSize: "1Gi", gc: "CMS" } } } })).config;
    expect(legacy["jvm-options"]).toEqual({ initial_heap_size: 2 ** 30, max_heap_size: 2 ** 30, garbage_collector: "CMS" });
    expect(legacy["jvm11-server-options"]).toBeUndefined();
    // A datacenter's config merges over the cluster's.
    const k8c = cluster({ cassandra: { config: { jvmOptions: { gc: "ZGC", heapSize: "1Gi" } } } });
    k8c.spec.cassandra!.datacenters![0]!.config = { jvmOptions: { heapSize: "2Gi" } };
    const merged = configOf(k8c).config;
    expect(merged["jvm11-server-options"]).toEqual({ garbage_collector: "ZGC" });
    expect(merged["jvm-server-options"]).toMatchObject({ max_heap_size: 2 * 2 ** 30 });
  });

  it("gives Stargate the cluster's auth choice", () => {
    const stargate = { size: 1 };
    expect(desiredStargate(cluster({ stargate }), { metadata: { name: "dc1" }, size: 3 })!.spec.auth).toBe(true);
    expect(desiredStargate(cluster({ stargate, auth: false }), { metadata: { name: "dc1" }, size: 3 })!.spec.auth).toBe(false);
  });
});

describe("K8ssandra's replication annotations", () => {
  it("computes the initial system replication from the first datacenter, by its Cassandra name", () => {
    expect(computeInitialSystemReplication(cluster())).toEqual({ dc1: 3 });
    const small = cluster();
    small.spec.cassandra!.datacenters = [{ metadata: { name: "dc2" }, datacenterName: "real-dc2", size: 1 }];
    small.spec.externalDatacenters = ["old"];
    expect(JSON.stringify(computeInitialSystemReplication(small))).toBe('{"old":3,"real-dc2":1}');
  });

  it("reads the initial system replication in K8ssandra's current and older forms, and says what is wrong otherwise", () => {
    expect(parseInitialSystemReplication('{"dc1":3}')).toEqual({ value: { dc1: 3 } });
    expect(parseInitialSystemReplication('{"datacenters":["dc1","dc2"],"replicationFactor":3}')).toEqual({ value: { dc1: 3, dc2: 3 } });
    expect(parseInitialSystemReplication("{dc1:3}").error).toMatch(/initial-system-replication is not JSON/);
    expect(parseInitialSystemReplication('{"dc1":"three"}').error).toMatch(/datacenter "dc1" "three" replicas/);
  });

  it("parses dc-replication into a typed value, with a clear error for anything else", () => {
    expect(parseDcReplication('{"dc2": {"ks1": 3, "ks2": 1}}')).toEqual({ value: { dc2: { ks1: 3, ks2: 1 } } });
    expect(parseDcReplication('{"dc2": {"ks1": 0}}')).toEqual({ value: { dc2: { ks1: 0 } } });
    expect(parseDcReplication('{"dc2": {"ks1": 3}').error).toMatch(/k8ssandra.io\/dc-replication is not JSON; expected JSON such as/);
    expect(parseDcReplication("[1]").error).toMatch(/is not a JSON object/);
    expect(parseDcReplication('{"dc2": 3}').error).toMatch(/datacenter "dc2" 3, not an object of keyspaces/);
    expect(parseDcReplication('{"dc2": {"ks1": -1}}').error).toMatch(/keyspace "ks1" in datacenter "dc2" -1 replicas/);
    expect(parseDcReplication('{"dc2": {"ks1": 1.5}}').error).toMatch(/1.5 replicas/);
    // Every user keyspace must be named for each datacenter, as K8ssandra requires.
    expect(missingKeyspaces({ dc2: { ks1: 3, ks2: 0 }, dc3: { ks1: 1 } }, ["ks1", "ks2"])).toEqual(["dc3/ks2"]);
    expect(missingKeyspaces({ dc2: { ks1: 3 } }, ["ks1"])).toEqual([]);
  });

  it("reports unreadable annotations as invalid spec", () => {
    const bad = cluster({}, { "k8ssandra.io/dc-replication": "{nope", "k8ssandra.io/initial-system-replication": "3" });
    expect(validate(bad, () => true).errors).toEqual([
      expect.stringMatching(/initial-system-replication is not a JSON object/),
      expect.stringMatching(/dc-replication is not JSON/),
    ]);
    expect(validate(cluster({}, { "k8ssandra.io/dc-replication": '{"dc2":{"ks":3}}' }), () => true).errors).toEqual([]);
  });
});

describe("UnsupportedFields says what the operator really acts on", () => {
  it("counts auth and the Stargate fields the Stargate controller honours as supported, and still lists the rest", () => {
    const k8c = cluster({ auth: false, stargate: { size: 1 } });
    const template = {
      size: 1,
      heapSize: "256Mi",
      livenessProbe: { initialDelaySeconds: 60 },
      readinessProbe: { periodSeconds: 5 },
      affinity: { nodeAffinity: {} },
      nodeSelector: { a: "b" },
      tolerations: [{ key: "k", operator: "Exists" }],
      allowStargateOnDataNodes: true,
      racks: [{ name: "r1", heapSize: "512Mi", affinity: {} }],
      authOptions: { apiAuthMethod: "JWT", providerUrl: "http://keycloak" },
    };
    k8c.spec.cassandra!.datacenters![0]!.stargate = template as never;
    k8c.spec.cassandra!.config = { jvmOptions: { gc: "G1GC", additionalJvm11ServerOptions: ["-Dx"] }, dseYaml: {} };
    expect(unsupportedFields(k8c)).toEqual([]);
    (k8c.spec.cassandra!.datacenters![0]!.stargate as Record<string, unknown>).cassandraConfigMapRef = { name: "cm" };
    (k8c.spec.cassandra!.datacenters![0]!.stargate as Record<string, unknown>).telemetry = {};
    (k8c.spec.cassandra!.config.jvmOptions as Record<string, unknown>).gc_g1_max_gc_pause_ms = 600;
    expect(unsupportedFields(k8c).sort()).toEqual([
      "spec.cassandra.config.jvmOptions.gc_g1_max_gc_pause_ms",
      "spec.cassandra.datacenters[0].stargate.cassandraConfigMapRef",
      "spec.cassandra.datacenters[0].stargate.telemetry",
    ]);
  });
});
