import { stringify } from "yaml";
import type { CassandraDatacenterConfig } from "../../api/index.ts";

/** Where one node keeps its files. */
export interface NodeDirs {
  root: string;
  conf: string;
  data: string;
  commitlog: string;
  hints: string;
  savedCaches: string;
  cdcRaw: string;
  logs: string;
}

export interface NodeConfigInput {
  clusterName: string;
  datacenter: string;
  rack: string;
  address: string;
  seeds: string[];
  dirs: NodeDirs;
  /** The datacenter's config (configSecret JSON): its `cassandra-yaml` section is laid over the test default. */
  config: CassandraDatacenterConfig;
}

/**
 * What a small test node needs beyond Cassandra's built-in defaults: small memtables and caches, one compactor, no
 * commit log sync pressure, and the settings every stock cassandra.yaml has (Config has no default for them). Auth is
 * on, as in the images cass-operator runs, so a superuser is what a client logs in with; the datacenter's config may
 * say otherwise.
 */
const TEST_DEFAULTS: Record<string, unknown> = {
  num_tokens: 16,
  allocate_tokens_for_local_replication_factor: 3,
  partitioner: "org.apache.cassandra.dht.Murmur3Partitioner",
  authenticator: "PasswordAuthenticator",
  authorizer: "CassandraAuthorizer",
  role_manager: "CassandraRoleManager",
  commitlog_sync: "periodic",
  commitlog_sync_period: "10000ms",
  commitlog_segment_size: "8MiB",
  memtable_heap_space: "32MiB",
  memtable_offheap_space: "32MiB",
  key_cache_size: "8MiB",
  counter_cache_size: "0MiB",
  file_cache_size: "16MiB",
  networking_cache_size: "8MiB",
  concurrent_compactors: 1,
  concurrent_reads: 4,
  concurrent_writes: 4,
  concurrent_counter_writes: 4,
  native_transport_max_threads: 16,
  disk_optimization_strategy: "ssd",
  auto_snapshot: false,
  hinted_handoff_enabled: true,
  // A 2-core machine shared with other work: generous timeouts keep a slow moment from failing a request.
  read_request_timeout: "20000ms",
  write_request_timeout: "20000ms",
  range_request_timeout: "30000ms",
  request_timeout: "30000ms",
};

/** Keys the stand-in owns for each node: the datacenter's config cannot move a node off its address or folders. */
function nodeSettings(input: NodeConfigInput): Record<string, unknown> {
  const { dirs } = input;
  return {
    cluster_name: input.clusterName,
    listen_address: input.address,
    rpc_address: input.address,
    broadcast_address: input.address,
    broadcast_rpc_address: input.address,
    storage_port: 7000,
    native_transport_port: 9042,
    start_native_transport: true,
    endpoint_snitch: "GossipingPropertyFileSnitch",
    seed_provider: [{ class_name: "org.apache.cassandra.locator.SimpleSeedProvider", parameters: [{ seeds: input.seeds.join(",") }] }],
    data_file_directories: [dirs.data],
    commitlog_directory: dirs.commitlog,
    hints_directory: dirs.hints,
    saved_caches_directory: dirs.savedCaches,
    cdc_raw_directory: dirs.cdcRaw,
  };
}

/** The cassandra.yaml settings the datacenter's config leaves to the stand-in's defaults, and those it sets. */
export function effectiveYaml(config: CassandraDatacenterConfig): Record<string, unknown> {
  return { ...TEST_DEFAULTS, ...(config["cassandra-yaml"] ?? {}) };
}

/** Whether clients must log in: the authenticator (a class name, short or long, or `{ class_name }`) is a password one. */
export function requiresLogin(config: CassandraDatacenterConfig): boolean {
  const value = effectiveYaml(config).authenticator;
  const name = typeof value === "object" && value !== null ? (value as { class_name?: unknown }).class_name : value;
  return typeof name === "string" && /(^|\.)PasswordAuthenticator$/.test(name);
}

/** The node's cassandra.yaml: test defaults, then the datacenter's `cassandra-yaml`, then what the node must own. */
export function cassandraYaml(input: NodeConfigInput): string {
  return stringify({ ...effectiveYaml(input.config), ...nodeSettings(input) });
}

/** GossipingPropertyFileSnitch reads the node's datacenter and rack from here. */
export function rackdcProperties(datacenter: string, rack: string): string {
  return `dc=${datacenter}\nrack=${rack}\nprefer_local=true\n`;
}

/** Cassandra ships its logback.xml in conf/, not in the jar: this one writes system.log at INFO and nothing to stdout. */
export function logbackXml(logs: string): string {
  return `<configuration scan="false">
  <appender name="SYSTEMLOG" class="ch.qos.logback.core.rolling.RollingFileAppender">
    <file>${logs}/system.log</file>
    <rollingPolicy class="ch.qos.logback.core.rolling.SizeAndTimeBasedRollingPolicy">
      <fileNamePattern>${logs}/system.log.%d{yyyy-MM-dd}.%i.zip</fileNamePattern>
      <maxFileSize>20MB</maxFileSize>
      <maxHistory>2</maxHistory>
      <totalSizeCap>100MB</totalSizeCap>
    </rollingPolicy>
    <encoder><pattern>%-5level [%thread] %date{ISO8601} %F:%L - %msg%n</pattern></encoder>
  </appender>
  <root level="INFO"><appender-ref ref="SYSTEMLOG"/></root>
  <logger name="org.apache.cassandra" level="INFO"/>
</configuration>
`;
}

/** For nodetool: warnings and errors only, to stderr. */
export const TOOLS_LOGBACK_XML = `<configuration scan="false">
  <appender name="STDERR" class="ch.qos.logback.core.ConsoleAppender">
    <target>System.err</target>
    <encoder><pattern>%-5level %msg%n</pattern></encoder>
  </appender>
  <root level="WARN"><appender-ref ref="STDERR"/></root>
</configuration>
`;
