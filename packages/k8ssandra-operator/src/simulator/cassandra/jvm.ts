import { join } from "node:path";
import type { CassandraDatacenterConfig } from "../../api/index.ts";
import { quantityValue } from "../../api/quantity.ts";
import type { NodeDirs } from "./config.ts";

/**
 * The module access Cassandra needs on Java 17: it reaches into JDK internals (unsafe memory, JMX over RMI, the
 * attach API, reflection on java.lang/java.io/java.util), so each package it touches is exported or opened to the
 * class path, as its jvm17-server.options does.
 */
export const JAVA17_MODULE_ACCESS: string[] = [
  ...[
    "java.base/jdk.internal.misc",
    "java.base/java.lang.ref",
    "java.management.rmi/com.sun.jmx.remote.internal.rmi",
    "java.rmi/sun.rmi.registry",
    "java.rmi/sun.rmi.server",
    "java.sql/java.sql",
    "jdk.unsupported/sun.misc",
    "jdk.compiler/com.sun.tools.javac.file",
    "jdk.attach/sun.tools.attach",
  ].map((p) => `--add-exports=${p}=ALL-UNNAMED`),
  ...[
    "java.base/java.io",
    "java.base/java.lang",
    "java.base/java.lang.module",
    "java.base/java.lang.reflect",
    "java.base/java.util",
    "java.base/jdk.internal.loader",
    "java.base/jdk.internal.math",
    "java.base/jdk.internal.module",
    "java.base/jdk.internal.ref",
    "java.base/jdk.internal.reflect",
    "java.base/jdk.internal.util.jar",
    "java.base/sun.nio.ch",
    "jdk.compiler/com.sun.tools.javac",
    "jdk.management/com.sun.management.internal",
  ].map((p) => `--add-opens=${p}=ALL-UNNAMED`),
];

/** Heap when neither the stand-in's options nor the datacenter's config give one: enough for a test node. */
export const DEFAULT_HEAP = "256m";

export interface JvmInput {
  classpath: string;
  dirs: NodeDirs;
  jmxPort: number;
  /** The stand-in's heap (-Xms and -Xmx), used when the datacenter's config names none. */
  heap: string;
  config: CassandraDatacenterConfig;
}

/** A heap size as the JVM reads it: "512m" and "1G" stay, a Kubernetes quantity or a byte count becomes bytes. */
function heapFlag(value: unknown): string | undefined {
  if (value === undefined || value === null || value === "") return undefined;
  if (typeof value === "string" && /^\d+[kKmMgG]?$/.test(value.trim())) return value.trim();
  if (typeof value === "number" || typeof value === "string") return String(quantityValue(value));
  throw new Error(`heap size ${JSON.stringify(value)} is neither a number nor a quantity`);
}

function section(config: CassandraDatacenterConfig, name: string): Record<string, unknown> {
  const value = config[name];
  return value && typeof value === "object" && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

/** The heap the datacenter's config asks for, under any of the sections cass-operator's config builder reads. */
export function configuredHeap(config: CassandraDatacenterConfig): { initial?: string; max?: string } {
  const sections = ["jvm-server-options", "jvm11-server-options", "jvm-options"].map((s) => section(config, s));
  const pick = (key: string) => heapFlag(sections.map((s) => s[key]).find((v) => v !== undefined));
  return { initial: pick("initial_heap_size"), max: pick("max_heap_size") };
}

/** JVM options the datacenter's config adds as K8ssandra writes them (`additional-jvm-opts`). */
export function additionalJvmOptions(config: CassandraDatacenterConfig): string[] {
  const out: string[] = [];
  for (const name of ["jvm-server-options", "jvm11-server-options", "jvm-options", "cassandra-env-sh"]) {
    const extra = section(config, name)["additional-jvm-opts"];
    if (Array.isArray(extra)) out.push(...extra.filter((o): o is string => typeof o === "string"));
  }
  return out;
}

/** The java command line (after `java`) of one node. */
export function jvmArgs(input: JvmInput): string[] {
  const { dirs } = input;
  const heap = configuredHeap(input.config);
  const max = heap.max ?? heap.initial ?? input.heap;
  const initial = heap.initial ?? max;
  return [
    `-Xms${initial}`,
    `-Xmx${max}`,
    "-Xss256k",
    "-XX:+UseG1GC",
    // Two cores shared by several nodes and the tests: few GC and compiler threads each.
    "-XX:ParallelGCThreads=1",
    "-XX:ConcGCThreads=1",
    "-XX:CICompilerCount=2",
    "-XX:+UseThreadPriorities",
    "-XX:+PerfDisableSharedMem",
    "-XX:+HeapDumpOnOutOfMemoryError",
    `-XX:HeapDumpPath=${dirs.logs}`,
    "-ea",
    "-da:net.openhft...",
    "-Djava.net.preferIPv4Stack=true",
    "-Djdk.attach.allowAttachSelf=true",
    "-Dio.netty.tryReflectionSetAccessible=true",
    "-Dio.netty.allocator.useCacheForAllThreads=true",
    "-Dio.netty.allocator.maxOrder=11",
    ...JAVA17_MODULE_ACCESS,
    `-Dcassandra.config=file://${join(dirs.conf, "cassandra.yaml")}`,
    `-Dcassandra-rackdc.properties=file://${join(dirs.conf, "cassandra-rackdc.properties")}`,
    `-Dlogback.configurationFile=${join(dirs.conf, "logback.xml")}`,
    `-Dcassandra.logdir=${dirs.logs}`,
    `-Dcassandra.storagedir=${dirs.root}`,
    // JMX on 127.0.0.1 only, without authentication, for nodetool: the node's own port.
    `-Dcassandra.jmx.local.port=${input.jmxPort}`,
    "-Djava.rmi.server.hostname=127.0.0.1",
    "-Dcassandra-foreground=yes",
    // Test-cluster start-up: no 30 s ring delay, no wait for gossip to settle, the default superuser made at once.
    "-Dcassandra.ring_delay_ms=5000",
    "-Dcassandra.skip_wait_for_gossip_to_settle=0",
    "-Dcassandra.superuser_setup_delay_ms=0",
    ...additionalJvmOptions(input.config),
    "-cp",
    input.classpath,
    "org.apache.cassandra.service.CassandraDaemon",
  ];
}
