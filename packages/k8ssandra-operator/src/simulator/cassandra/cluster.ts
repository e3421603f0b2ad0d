import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { reaper } from "@operator-ts/runtime/envtest";
import { claimSubnet } from "./addresses.ts";
import { type DatacenterPlan, type LiveNode, LocalDatacenter } from "./datacenter.ts";
import { DEFAULT_HEAP } from "./jvm.ts";
import { type CassandraDistribution, ensureCassandra, type ResolveOptions } from "./resolve.ts";

export interface RealCassandraOptions {
  /** Cassandra version from Maven Central; default DEFAULT_CASSANDRA_VERSION (or $OPERATOR_TS_CASSANDRA_VERSION). */
  version?: string;
  /** Heap of each node (-Xms = -Xmx) when the datacenter's config gives none; default 256m. */
  heap?: string;
  /** Where jars are cached; default as for the envtest binaries. */
  cacheDir?: string;
  /** Progress lines (resolving jars, starting nodes, waiting for CQL); default stderr. */
  log?: (line: string) => void;
}

/** Where one datacenter's convergence stands. */
export type SyncState =
  | { phase: "working"; nodes: LiveNode[] }
  | { phase: "done"; nodes: LiveNode[] }
  | { phase: "failed"; nodes: LiveNode[]; error: string };

interface Job {
  generation: number;
  promise: Promise<void>;
  done: boolean;
  error?: string;
  finishedAt?: number;
}

/** How long a failed convergence waits before it is tried again. */
const RETRY_AFTER_FAILURE_MS = 10_000;

/**
 * The real-Cassandra side of the cass-operator stand-in: one LocalDatacenter per CassandraDatacenter (by uid), each
 * converged in the background while the controller polls (a node takes tens of seconds to start, and the controller
 * must not hold its worker that long). All nodes live under one temporary folder registered with the envtest
 * reaper, so a killed test runner leaves neither JVMs nor data behind.
 */
export class RealCassandra {
  private readonly options: RealCassandraOptions;
  private readonly log: (line: string) => void;
  private distribution: Promise<CassandraDistribution> | undefined;
  private root: Promise<string> | undefined;
  private readonly datacenters = new Map<string, Promise<LocalDatacenter>>();
  private readonly names = new Map<string, string>();
  private readonly jobs = new Map<string, Job>();
  private readonly removals = new Map<string, Job>();
  private readonly abort = new AbortController();

  constructor(options: RealCassandraOptions = {}) {
    this.options = options;
    this.log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  }

  get heap(): string {
    return this.options.heap ?? DEFAULT_HEAP;
  }

  /** Resolves the jars now (once per version per machine) rather than at the first datacenter. */
  prepare(): Promise<CassandraDistribution> {
    const resolve: ResolveOptions = { version: this.options.version, cacheDir: this.options.cacheDir, log: this.log };
    this.distribution ??= ensureCassandra(resolve);
    return this.distribution;
  }

  /** The folder under which every node of this stand-in keeps its files. */
  folder(): Promise<string> {
    this.root ??= mkdtemp(join(tmpdir(), "operator-ts-cassandra-")).then((dir) => {
      reaper.watchDir(dir);
      return dir;
    });
    return this.root;
  }

  private datacenter(uid: string): Promise<LocalDatacenter> {
    let dc = this.datacenters.get(uid);
    if (!dc) {
      dc = (async () => {
        const [distribution, root, subnet] = await Promise.all([this.prepare(), this.folder(), claimSubnet()]);
        return new LocalDatacenter(subnet, join(root, uid), distribution, this.log);
      })();
      this.datacenters.set(uid, dc);
      dc.catch(() => this.datacenters.delete(uid));
    }
    return dc;
  }

  private async liveOf(uid: string): Promise<LiveNode[]> {
    const dc = this.datacenters.get(uid);
    return dc ? (await dc.catch(() => undefined))?.live() ?? [] : [];
  }

  /**
   * Starts (or keeps running) the convergence of this datacenter to this plan and says where it stands. A plan for
   * a newer generation waits for the running one to finish, then starts; a failed one is retried after a pause.
   */
  async sync(uid: string, key: string, generation: number, plan: DatacenterPlan): Promise<SyncState> {
    this.names.set(key, uid);
    const job = this.jobs.get(uid);
    const nodes = await this.liveOf(uid);
    if (job && !job.done) return { phase: "working", nodes };
    if (job && job.generation === generation) {
      if (!job.error) return { phase: "done", nodes };
      if (Date.now() - (job.finishedAt ?? 0) < RETRY_AFTER_FAILURE_MS) return { phase: "failed", nodes, error: job.error };
    }
    const next: Job = { generation, done: false, promise: Promise.resolve() };
    next.promise = (async () => {
      try {
        const dc = await this.datacenter(uid);
        await dc.converge(plan, this.abort.signal);
      } catch (err) {
        // The driver's messages carry its stack: the first line says what failed.
        next.error = (err as Error).message.split("\n")[0]!;
        if (!this.abort.signal.aborted) this.log(`cassandra: datacenter ${plan.datacenter}: ${next.error}`);
      } finally {
        next.done = true;
        next.finishedAt = Date.now();
      }
    })();
    this.jobs.set(uid, next);
    return { phase: "working", nodes };
  }

  /** Whether the nodes run as this generation asked (false after a restart of the stand-in, for instance). */
  isCurrent(uid: string, generation: number): boolean {
    const job = this.jobs.get(uid);
    return job !== undefined && job.done && !job.error && job.generation === generation;
  }

  /** The nodes of a datacenter as they are now. */
  nodes(uid: string): Promise<LiveNode[]> {
    return this.liveOf(uid);
  }

  /** The LocalDatacenter of a CassandraDatacenter that has nodes here, for tasks. */
  async local(uid: string): Promise<LocalDatacenter | undefined> {
    return this.datacenters.get(uid)?.catch(() => undefined);
  }

  /** `host:9042` of every ready node of the datacenter `namespace/name`: where a client connects. */
  async contactPoints(namespace: string, name: string): Promise<string[]> {
    const uid = this.names.get(`${namespace}/${name}`);
    return uid ? ((await this.local(uid))?.contactPoints() ?? []) : [];
  }

  /**
   * The CassandraDatacenter is deleted: its nodes leave the ring first when asked (decommission-on-delete), then
   * stop, and their data goes. Polled like sync(): "working" until the removal is over, then "done" once.
   */
  remove(uid: string, decommission: boolean): "working" | "done" {
    const removal = this.removals.get(uid);
    if (removal?.done) {
      this.removals.delete(uid);
      return "done";
    }
    if (removal) return "working";
    const running = this.jobs.get(uid);
    const job: Job = { generation: Number.NaN, done: false, promise: Promise.resolve() };
    job.promise = (async () => {
      try {
        await running?.promise;
        const dc = await this.local(uid);
        this.datacenters.delete(uid);
        this.jobs.delete(uid);
        for (const [key, value] of this.names) if (value === uid) this.names.delete(key);
        await dc?.remove(decommission, this.abort.signal);
      } catch (err) {
        this.log(`cassandra: removing a datacenter: ${(err as Error).message}`);
      } finally {
        job.done = true;
      }
    })();
    this.removals.set(uid, job);
    return "working";
  }

  /** The datacenter `namespace/name` was deleted without its finalizer running: its nodes go, without decommission. */
  forget(namespace: string, name: string): void {
    const uid = this.names.get(`${namespace}/${name}`);
    if (uid) this.remove(uid, false);
  }

  /** Kills every node (no graceful drain: the data goes with it) and removes every data folder; the stand-in is done. */
  async shutdown(): Promise<void> {
    this.abort.abort();
    await Promise.allSettled([...this.jobs.values(), ...this.removals.values()].map((j) => j.promise));
    const dcs = await Promise.allSettled([...this.datacenters.values()]);
    await Promise.allSettled(dcs.map((d) => (d.status === "fulfilled" ? d.value.shutdown() : undefined)));
    this.datacenters.clear();
    this.jobs.clear();
    if (this.root) {
      const root = await this.root;
      await rm(root, { recursive: true, force: true });
      reaper.forgetDir(root);
    }
  }
}
