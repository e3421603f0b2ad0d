import { join } from "node:path";
import { setTimeout as delay } from "node:timers/promises";
import type { CassandraDatacenterConfig } from "../../api/index.ts";
import { nodeAddress, type SubnetClaim } from "./addresses.ts";
import { cassandraYaml, requiresLogin } from "./config.ts";
import { type Credentials, upsertSuperuser } from "./cql.ts";
import { CassandraNode } from "./node.ts";
import type { CassandraDistribution } from "./resolve.ts";

/** One node as cass-operator would lay it out: its pod, rack and whether it is a seed. */
export interface PlannedNode {
  pod: string;
  rack: string;
  seed: boolean;
}

/** What a datacenter should run now, read from its CassandraDatacenter and Secrets. */
export interface DatacenterPlan {
  clusterName: string;
  /** The Cassandra datacenter name (spec.datacenterName, else the object's name). */
  datacenter: string;
  /** The nodes that should run, in start order; empty when stopped. */
  nodes: PlannedNode[];
  stopped: boolean;
  config: CassandraDatacenterConfig;
  additionalSeeds: string[];
  superuser: Credentials | undefined;
  /** False when the CassandraDatacenter says skip-user-creation: an earlier datacenter of the cluster made the superuser. */
  createSuperuser: boolean;
  heap: string;
}

/** A node as the API sees it: its pod, address, whether CQL answers, and (once known) its host ID. */
export interface LiveNode {
  pod: string;
  rack: string;
  address: string;
  ready: boolean;
  hostID?: string;
}

/** How long the superuser upsert keeps retrying while auth settles on a fresh node. */
const AUTH_SETTLE_MS = 120_000;

/**
 * The Cassandra nodes of one CassandraDatacenter: each on 127.0.<subnet>.<n>, started one at a time (Cassandra lets
 * one node join at a time), decommissioned when the datacenter shrinks, stopped and started again with their data
 * when it is stopped and resumed. converge() does what cass-operator's reconcile loop does for one spec.
 */
export class LocalDatacenter {
  private readonly nodes = new Map<string, CassandraNode>();
  private readonly hostIds = new Map<string, string>();
  private readonly subnet: SubnetClaim;
  private readonly root: string;
  private readonly distribution: CassandraDistribution;
  private readonly log: (line: string) => void;
  /** The configuration each running node was started with, seeds aside: a different one is a rolling restart. */
  private readonly fingerprints = new Map<string, string>();
  /** The plan last converged to: what a restarted node runs with. */
  private plan: DatacenterPlan | undefined;

  constructor(subnet: SubnetClaim, root: string, distribution: CassandraDistribution, log: (line: string) => void) {
    this.subnet = subnet;
    this.root = root;
    this.distribution = distribution;
    this.log = log;
  }

  /** Every node that has an address (started at least once and not removed), whether or not it runs now. */
  live(): LiveNode[] {
    return [...this.nodes.values()].map((n) => ({
      pod: n.identity.pod,
      rack: n.identity.rack,
      address: n.identity.address,
      ready: n.isReady,
      hostID: this.hostIds.get(n.identity.pod),
    }));
  }

  node(pod: string): CassandraNode | undefined {
    return this.nodes.get(pod);
  }

  /** The addresses clients can reach now. */
  contactPoints(): string[] {
    return [...this.nodes.values()].filter((n) => n.isReady).map((n) => `${n.identity.address}:9042`);
  }

  private nodeFor(plan: DatacenterPlan, planned: PlannedNode): CassandraNode {
    let node = this.nodes.get(planned.pod);
    if (node) return node;
    const used = new Set([...this.nodes.values()].map((n) => n.identity.address));
    let n = 1;
    while (used.has(nodeAddress(this.subnet.subnet, n))) n++;
    const address = nodeAddress(this.subnet.subnet, n);
    node = new CassandraNode(
      { pod: planned.pod, clusterName: plan.clusterName, datacenter: plan.datacenter, rack: planned.rack, address },
      join(this.root, planned.pod),
      this.distribution,
      this.log,
    );
    this.nodes.set(planned.pod, node);
    return node;
  }

  /**
   * A starting node's seeds as cass-operator's seed Service gives them: the datacenter's ready seed nodes (never the
   * node itself while it starts, so a new node bootstraps), then spec.additionalSeeds; a cluster's very first node
   * seeds itself.
   */
  private seedsFor(plan: DatacenterPlan, node: CassandraNode): string[] {
    const seeds = plan.nodes
      .filter((p) => p.seed && p.pod !== node.identity.pod)
      .map((p) => this.nodes.get(p.pod))
      .filter((n): n is CassandraNode => n?.isReady ?? false)
      .map((n) => n.identity.address);
    const all = [...new Set([...seeds, ...plan.additionalSeeds])];
    return all.length ? all : [node.identity.address];
  }

  private async fingerprint(plan: DatacenterPlan, node: CassandraNode): Promise<string> {
    const args = await node.commandFor({ config: plan.config, seeds: [], heap: plan.heap });
    const yaml = cassandraYaml({ ...node.identity, seeds: [], dirs: node.dirs, config: plan.config });
    return `${args.join(" ")}\n${yaml}`;
  }

  /** Brings the nodes to the plan; resolves once every planned node answers CQL with the superuser in place. */
  async converge(plan: DatacenterPlan, signal?: AbortSignal): Promise<LiveNode[]> {
    this.plan = plan;
    if (plan.stopped) {
      for (const node of [...this.nodes.values()].reverse()) await node.stop();
      return this.live();
    }
    const wanted = new Set(plan.nodes.map((n) => n.pod));
    // Scale down: the nodes no longer planned leave the ring, the last ones first, while others still run.
    for (const node of [...this.nodes.values()].reverse()) {
      if (wanted.has(node.identity.pod)) continue;
      signal?.throwIfAborted();
      const othersRunning = [...this.nodes.values()].some((n) => n !== node && n.running && wanted.has(n.identity.pod));
      // Forced, as cass-operator's management API call is (decommission?force=true): Cassandra 5 otherwise refuses to
      // leave fewer nodes than a keyspace's replication factor (system_distributed has 3, a small datacenter fewer).
      if (node.running && othersRunning) await node.decommission(signal, { force: true });
      await node.destroy();
      this.nodes.delete(node.identity.pod);
      this.hostIds.delete(node.identity.pod);
      this.fingerprints.delete(node.identity.pod);
    }
    for (const planned of plan.nodes) {
      signal?.throwIfAborted();
      const node = this.nodeFor(plan, planned);
      const fingerprint = await this.fingerprint(plan, node);
      if (node.running && this.fingerprints.get(planned.pod) === fingerprint) continue;
      if (node.running) {
        this.log(`cassandra: restarting ${planned.pod} for its new configuration`);
        await node.stop();
      }
      await node.start({ config: plan.config, seeds: this.seedsFor(plan, node), heap: plan.heap, signal });
      this.fingerprints.set(planned.pod, fingerprint);
    }
    const credentials = requiresLogin(plan.config) ? plan.superuser : undefined;
    const first = plan.nodes[0] && this.nodes.get(plan.nodes[0].pod);
    if (first && credentials && plan.createSuperuser) await retryWhileAuthSettles(() => this.upsertSuperuser(first, plan, credentials), signal);
    for (const planned of plan.nodes) {
      const node = this.nodes.get(planned.pod)!;
      // As the management API does: from the node itself, so no login is needed (a joining datacenter has no roles yet).
      if (!this.hostIds.has(planned.pod)) this.hostIds.set(planned.pod, await retryWhileAuthSettles(() => node.hostIdFromNodetool(), signal));
    }
    return this.live();
  }

  /**
   * Roles are cluster-wide: when a joining datacenter's node cannot read them yet (system_auth not replicated to it,
   * which is the K8ssandra operator's job), the upsert goes through the seeds it joined by, as the management API's
   * write would reach the replicas wherever they are.
   */
  private async upsertSuperuser(first: CassandraNode, plan: DatacenterPlan, credentials: Credentials): Promise<void> {
    const candidates = [first.identity.address, ...plan.additionalSeeds.map((s) => s.replace(/:\d+$/, ""))];
    let failure: unknown;
    for (const address of candidates) {
      try {
        return await upsertSuperuser(address, credentials);
      } catch (err) {
        failure ??= err;
      }
    }
    throw failure;
  }

  /** Restarts one node (a CassandraTask `restart`), with the configuration it last ran with. */
  async restart(pod: string, signal?: AbortSignal): Promise<void> {
    const node = this.nodes.get(pod);
    const plan = this.plan;
    if (!node || !plan) throw new Error(`${pod} is not a node of this datacenter`);
    await node.stop();
    await node.start({ config: plan.config, seeds: this.seedsFor(plan, node), heap: plan.heap, signal });
  }

  /**
   * The datacenter goes: with decommission, each node leaves the ring first (the cluster's other datacenters keep
   * running without it), except a node that is the last of its cluster. Then every node stops and its data goes.
   */
  async remove(decommission: boolean, signal?: AbortSignal): Promise<void> {
    // As cass-operator: decommission only in a multi-datacenter cluster; a lone datacenter is simply deleted.
    const running = [...this.nodes.values()].find((n) => n.running);
    const multiDc = decommission && running ? datacenterNames(await running.nodetool(["status"], signal)).length > 1 : false;
    for (const node of [...this.nodes.values()].reverse()) {
      if (multiDc && node.running) {
        // Forced, as cass-operator decommissions a datacenter being deleted: Cassandra would otherwise refuse to let
        // its last nodes go while a keyspace (system_auth, until the K8ssandra operator drops it after) keeps replicas here.
        await node.decommission(signal, { force: true }).catch((err: Error) => this.log(`cassandra: ${node.identity.pod} did not decommission (${err.message.split("\n")[0]}); stopping it`));
      }
      await node.destroy();
    }
    this.nodes.clear();
    this.subnet.release();
  }

  /** Kills every node and removes its data (the stand-in shuts down; nothing is to survive it). */
  async shutdown(): Promise<void> {
    await Promise.all([...this.nodes.values()].map((n) => n.destroy()));
    this.nodes.clear();
    this.subnet.release();
  }
}

/**
 * A fresh node answers CQL before its auth tables are ready (the default role appears, and system_auth becomes
 * readable, a few seconds later): those failures are retried for a while, others too, since the causes look alike.
 */
async function retryWhileAuthSettles<T>(fn: () => Promise<T>, signal?: AbortSignal): Promise<T> {
  const deadline = Date.now() + AUTH_SETTLE_MS;
  for (;;) {
    try {
      return await fn();
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await delay(1000, undefined, { signal });
    }
  }
}

/** The datacenters `nodetool status` lists ("Datacenter: dc1" headings). */
export function datacenterNames(status: string): string[] {
  return [...status.matchAll(/^Datacenter: (\S+)/gm)].map((m) => m[1]!);
}
