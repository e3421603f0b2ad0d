import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { setTimeout as delay } from "node:timers/promises";
import { claimPort, ManagedProcess, type PortClaim, reaper } from "@operator-ts/runtime/envtest";
import type { CassandraDatacenterConfig } from "../../api/index.ts";
import { cassandraYaml, logbackXml, type NodeDirs, rackdcProperties, TOOLS_LOGBACK_XML } from "./config.ts";
import { answersCql, type Credentials } from "./cql.ts";
import { jvmArgs } from "./jvm.ts";
import { nodetool } from "./nodetool.ts";
import type { CassandraDistribution } from "./resolve.ts";

export interface NodeIdentity {
  /** The pod cass-operator would run this node in. */
  pod: string;
  clusterName: string;
  datacenter: string;
  rack: string;
  address: string;
}

export interface NodeStart {
  config: CassandraDatacenterConfig;
  seeds: string[];
  heap: string;
  /** How long to wait for CQL; default 5 minutes (a 2-core machine under load is slow). */
  timeoutMs?: number;
  signal?: AbortSignal;
}

/**
 * One Cassandra node: a JVM on its own loopback address with its own folders (data, commit log, hints, saved caches,
 * logs) under root, kept across stop and start as a pod's volume would be, and removed by destroy(). Its JMX port is
 * claimed for nodetool; the JVM and the folder are registered with the envtest reaper until released.
 */
export class CassandraNode {
  readonly identity: NodeIdentity;
  readonly dirs: NodeDirs;
  private readonly distribution: CassandraDistribution;
  private readonly log: (line: string) => void;
  private process: ManagedProcess | undefined;
  private jmx: PortClaim | undefined;
  /** The command line the running JVM was started with: a different one means a restart. */
  private startedWith: string | undefined;
  private ready = false;

  constructor(identity: NodeIdentity, root: string, distribution: CassandraDistribution, log: (line: string) => void) {
    this.identity = identity;
    this.distribution = distribution;
    this.log = log;
    this.dirs = {
      root,
      conf: join(root, "conf"),
      data: join(root, "data"),
      commitlog: join(root, "commitlog"),
      hints: join(root, "hints"),
      savedCaches: join(root, "saved_caches"),
      cdcRaw: join(root, "cdc_raw"),
      logs: join(root, "logs"),
    };
  }

  get running(): boolean {
    return this.process?.running ?? false;
  }

  /** True from the moment CQL answered until the node is stopped. */
  get isReady(): boolean {
    return this.ready && this.running;
  }

  get pid(): number | undefined {
    return this.running ? this.process?.pid : undefined;
  }

  get jmxPort(): number | undefined {
    return this.jmx?.port;
  }

  /** What the JVM would be started with for this input; compare with runningWith() to see whether to restart. */
  async commandFor(input: NodeStart): Promise<string[]> {
    return jvmArgs({ classpath: this.distribution.classpath, dirs: this.dirs, jmxPort: await this.jmxClaim(), heap: input.heap, config: input.config });
  }

  runningWith(): string | undefined {
    return this.running ? this.startedWith : undefined;
  }

  private async jmxClaim(): Promise<number> {
    this.jmx ??= await claimPort("127.0.0.1");
    return this.jmx.port;
  }

  /** Writes the node's configuration, starts its JVM and waits until CQL answers. */
  async start(input: NodeStart): Promise<void> {
    if (this.running) return;
    const { pod, address } = this.identity;
    for (const dir of Object.values(this.dirs)) await mkdir(dir, { recursive: true });
    reaper.watchDir(this.dirs.root);
    const nodeInput = { ...this.identity, seeds: input.seeds, dirs: this.dirs, config: input.config };
    await writeFile(join(this.dirs.conf, "cassandra.yaml"), cassandraYaml(nodeInput));
    await writeFile(join(this.dirs.conf, "cassandra-rackdc.properties"), rackdcProperties(this.identity.datacenter, this.identity.rack));
    await writeFile(join(this.dirs.conf, "logback.xml"), logbackXml(this.dirs.logs));
    await writeFile(join(this.dirs.conf, "logback-tools.xml"), TOOLS_LOGBACK_XML);
    const args = await this.commandFor(input);
    this.process = new ManagedProcess("java", args, join(this.dirs.logs, "stdout.log"), { cwd: this.dirs.root });
    this.startedWith = args.join(" ");
    this.ready = false;
    const started = Date.now();
    this.log(`cassandra: starting ${pod} at ${address} (seeds ${input.seeds.join(",")})`);
    this.process.start();
    const exited = this.process.exited().then((code) => ({ exited: code }));
    const timeoutMs = input.timeoutMs ?? 300_000;
    let lastReport = started;
    for (;;) {
      input.signal?.throwIfAborted();
      const answered = await Promise.race([answersCql(address), exited]);
      if (answered === true) break;
      if (typeof answered === "object") {
        throw new Error(`${pod}: Cassandra exited with ${answered.exited} before answering CQL; last log lines:\n${await this.logTail()}`);
      }
      if (Date.now() - started > timeoutMs) {
        await this.stop();
        throw new Error(`${pod}: no CQL answer at ${address}:9042 within ${timeoutMs} ms; last log lines:\n${await this.logTail()}`);
      }
      if (Date.now() - lastReport >= 10_000) {
        lastReport = Date.now();
        this.log(`cassandra: waiting for CQL on ${pod} at ${address}, ${Math.round((Date.now() - started) / 1000)}s`);
      }
      await delay(1000);
    }
    this.ready = true;
    this.log(`cassandra: ${pod} answers CQL at ${address}:9042 after ${Math.round((Date.now() - started) / 1000)}s`);
  }

  /** The host ID `nodetool info` reports. */
  async hostIdFromNodetool(signal?: AbortSignal): Promise<string> {
    const id = /^ID\s*:\s*([0-9a-f-]{36})/m.exec(await this.nodetool(["info"], signal))?.[1];
    if (!id) throw new Error(`${this.identity.pod}: nodetool info shows no host ID`);
    return id;
  }

  async nodetool(args: string[], signal?: AbortSignal): Promise<string> {
    const jmxPort = this.jmx?.port;
    if (!this.running || jmxPort === undefined) throw new Error(`${this.identity.pod} is not running`);
    return nodetool({ classpath: this.distribution.classpath, jmxPort, logback: join(this.dirs.conf, "logback-tools.xml") }, args, signal);
  }

  /** Stops the JVM (SIGTERM lets Cassandra flush and leave gossip cleanly; SIGKILL after 60 s). Data stays. */
  async stop(): Promise<void> {
    this.ready = false;
    if (this.process?.running) this.log(`cassandra: stopping ${this.identity.pod}`);
    await this.process?.stop(60_000);
  }

  /**
   * Kills the JVM without letting it drain: a graceful stop flushes memtables and leaves gossip (~15 s a node here),
   * which is wasted when the data is deleted right after. Only for a node whose data goes.
   */
  private async kill(): Promise<void> {
    this.ready = false;
    await this.process?.stop(0);
  }

  /** Leaves the ring (its ranges streamed to the others), then is killed: a decommissioned node's data is useless. */
  async decommission(signal?: AbortSignal, options: { force?: boolean } = {}): Promise<void> {
    this.log(`cassandra: decommissioning ${this.identity.pod}${options.force ? " (forced)" : ""}`);
    await this.nodetool(["decommission", ...(options.force ? ["--force"] : [])], signal);
    await this.kill();
  }

  /** Kills the node and removes its folders and its JMX port claim: the pod and its volume are gone. */
  async destroy(): Promise<void> {
    await this.kill();
    await rm(this.dirs.root, { recursive: true, force: true });
    reaper.forgetDir(this.dirs.root);
    this.jmx?.release();
    this.jmx = undefined;
  }

  /** Resident memory of the JVM in bytes (from /proc), for measurements; undefined when not running. */
  async rssBytes(): Promise<number | undefined> {
    const pid = this.process?.pid;
    if (!pid || !this.running) return undefined;
    const status = await readFile(`/proc/${pid}/status`, "utf8").catch(() => "");
    const kb = /VmRSS:\s+(\d+) kB/.exec(status)?.[1];
    return kb ? Number(kb) * 1024 : undefined;
  }

  async logTail(lines = 30): Promise<string> {
    const text = await readFile(join(this.dirs.logs, "system.log"), "utf8").catch(async () => (await this.process?.logTail(lines)) ?? "");
    return text.split("\n").slice(-lines).join("\n");
  }
}
