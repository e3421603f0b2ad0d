import { KubeConfig } from "@kubernetes/client-node";
import {
  type Client,
  controllerManagedBy,
  isConflict,
  isNotFound,
  log,
  Manager,
  type ObjectKey,
  type OwnerReference,
  Pod,
  type Reader,
  type Request,
  type Result,
  Secret,
  Service,
} from "@operator-ts/runtime";
import {
  CASS_OPERATOR_FINALIZER,
  CassandraDatacenter,
  cleanLabelValue,
  CLUSTER_LABEL,
  CONFIG_SECRET_KEY,
  DATACENTER_LABEL,
  datacenterLabels,
  DECOMMISSION_ON_DELETE_ANNOTATION,
  NODE_STATE_LABEL,
  RACK_LABEL,
  SEED_NODE_LABEL,
  seedServiceName,
} from "../api/index.ts";
import { type ChangeKind, changeKind, readyStatus, timestamp, updatingStatus } from "./status.ts";
import { setupStargateDeploymentSimulator } from "./deployments.ts";
import { desiredNodes, invalidSpec, type SimulatedNode } from "./topology.ts";
import { type LiveNode, planFor, RealCassandra, type RealCassandraOptions, setupCassandraTaskRunner } from "./cassandra/index.ts";

export interface CassOperatorSimulatorOptions {
  /** How long a datacenter stays Updating after each change before it turns Ready; default 0 (the next reconcile). */
  readyDelayMs?: number;
  /**
   * Also make the pods cass-operator would run, labelled as it labels them (seeds included) and reporting their IPs,
   * so that seeds can be found by label as K8ssandra finds them. They never run: no scheduler picks them up. Default true.
   */
  pods?: boolean;
  /** startSimulator only: also report Stargate's Deployments ready, as a kubelet would (see deployments.ts). */
  stargateDeployments?: boolean;
  /**
   * Run real Cassandra: one JVM per node on its own loopback address (see cassandra/), Ready only when its nodes
   * answer CQL, with the superuser from superuserSecretName. Needs Java 17+ and Maven (jars are fetched once). Off by
   * default: the instant simulator is for fast tests and benchmarks. `true` takes the defaults.
   */
  cassandra?: boolean | RealCassandraOptions;
  /**
   * Also run CassandraTasks as cass-operator does (nodetool on real nodes; at once without them). Needs the
   * CassandraTask CRD. Default: on with real Cassandra, off otherwise.
   */
  tasks?: boolean;
}

export const SIMULATOR_NAME = "cass-operator-simulator";
const MANAGED_BY = { "app.kubernetes.io/managed-by": "cass-operator" };
/** How often a datacenter waiting for its configSecret looks again. */
const CONFIG_RETRY_MS = 1000;
/** How often real nodes being started, stopped or decommissioned are looked at. */
const REAL_POLL_MS = 1000;

interface Change {
  uid: string;
  generation: number;
  kind: ChangeKind;
  since: number;
  /** The problem last written to status (empty: the Updating status for this change was written without one). */
  announced?: string;
}

/**
 * A stand-in for cass-operator in clusters that have its CRD but not the operator: for each CassandraDatacenter it
 * reports progress Updating, then Ready after readyDelayMs, with the conditions (Ready, Initialized, Valid, Stopped,
 * ScalingUp/ScalingDown/Updating/Resuming), node statuses and observedGeneration cass-operator would write, and it
 * keeps the seed Service (and, optionally, the pods) cass-operator would keep. It holds no finalizer: what it made for
 * a datacenter goes when the datacenter does. For tests and demos only: the operator never imports it.
 */
export class CassOperatorSimulator {
  private readonly client: Client;
  private readonly reader: Reader;
  private readonly readyDelayMs: number;
  private readonly pods: boolean;
  private readonly changes = new Map<string, Change>();
  /** Present when the stand-in runs real Cassandra. */
  readonly cassandra: RealCassandra | undefined;

  constructor(client: Client, reader: Reader, options: CassOperatorSimulatorOptions = {}) {
    this.client = client;
    this.reader = reader;
    this.readyDelayMs = options.readyDelayMs ?? 0;
    this.pods = options.pods ?? true;
    if (options.cassandra) this.cassandra = new RealCassandra(options.cassandra === true ? {} : options.cassandra);
    if (!Number.isFinite(this.readyDelayMs) || this.readyDelayMs < 0) throw new Error(`readyDelayMs must be a finite number >= 0, not ${this.readyDelayMs}`);
  }

  async reconcile(req: Request): Promise<Result | void> {
    let dc: CassandraDatacenter;
    try {
      // Read from the server, not a cache: each step builds on the status the previous one wrote.
      dc = await this.reader.get(CassandraDatacenter, req);
    } catch (err) {
      if (!isNotFound(err)) throw err;
      await this.forget(req);
      return;
    }
    try {
      if (dc.metadata.deletionTimestamp) {
        if (this.cassandra) return await this.delete(dc, this.cassandra);
        // Someone else's finalizer holds it (cass-operator would decommission now): the nodes go.
        await this.syncPods(dc, []);
        return;
      }
      // Real nodes must leave before the object goes, so the stand-in holds cass-operator's finalizer.
      if (this.cassandra && !dc.metadata.finalizers?.includes(CASS_OPERATOR_FINALIZER)) {
        dc = await this.client.update({ ...dc, metadata: { ...dc.metadata, finalizers: [...(dc.metadata.finalizers ?? []), CASS_OPERATOR_FINALIZER] } });
      }
      await this.ensureSeedService(dc);
      return await this.advance(dc);
    } catch (err) {
      // Someone wrote the datacenter between our read and our write: read it again.
      if (isConflict(err)) return { requeue: true };
      throw err;
    }
  }

  private async advance(dc: CassandraDatacenter): Promise<Result | void> {
    const key = keyOf(dc);
    const generation = dc.metadata.generation ?? 0;
    let nodes = desiredNodes(dc);
    const real = this.cassandra;
    if (
      dc.status?.cassandraOperatorProgress === "Ready" &&
      dc.status.observedGeneration === generation &&
      (!real || real.isCurrent(dc.metadata.uid!, generation))
    ) {
      this.changes.delete(key);
      if (this.pods) await this.syncPods(dc, real ? withLive(nodes, await real.nodes(dc.metadata.uid!)) : nodes);
      return;
    }

    let change = this.changes.get(key);
    if (!change || change.uid !== dc.metadata.uid || change.generation !== generation) {
      change = { uid: dc.metadata.uid!, generation, kind: changeKind(dc, nodes), since: Date.now() };
      this.changes.set(key, change);
    }
    const plan = real && !invalidSpec(dc) ? await planFor(dc, nodes, real.heap, this.reader, this.client) : undefined;
    const problem = invalidSpec(dc) ?? (await this.configProblem(dc)) ?? (typeof plan === "string" ? plan : undefined) ?? "";
    if (change.announced !== problem) {
      dc = await this.writeStatus(dc, updatingStatus(dc, change.kind, nodes, problem || undefined, timestamp()));
      change.announced = problem;
      log.fromContext().info({ change: change.kind, problem: problem || undefined }, "datacenter updating");
    }
    if (problem) {
      // An invalid spec waits for the next spec change; a missing config Secret is looked for again.
      return invalidSpec(dc) ? undefined : { requeueAfter: CONFIG_RETRY_MS };
    }
    const remaining = change.since + this.readyDelayMs - Date.now();
    if (remaining > 0) return { requeueAfter: remaining };

    if (real && plan && typeof plan !== "string") {
      // Real nodes take tens of seconds each: they converge in the background while this looks in now and then.
      const state = await real.sync(dc.metadata.uid!, key, generation, plan);
      nodes = withLive(nodes, state.nodes);
      if (this.pods) await this.syncPods(dc, nodes);
      if (state.phase !== "done") return { requeueAfter: REAL_POLL_MS };
    } else if (this.pods) await this.syncPods(dc, nodes);
    await this.writeStatus(dc, readyStatus(dc, change.kind, nodes, timestamp()));
    this.changes.delete(key);
    log.fromContext().info({ change: change.kind, nodes: nodes.length }, "datacenter ready");
  }

  /** cass-operator does not start a datacenter whose configSecret is missing or holds no `config` JSON. */
  private async configProblem(dc: CassandraDatacenter): Promise<string | undefined> {
    const name = dc.spec.configSecret;
    if (!name) return undefined;
    let secret;
    try {
      secret = await this.reader.get(Secret, { namespace: dc.metadata.namespace, name });
    } catch (err) {
      if (isNotFound(err)) return `configSecret ${name} not found`;
      throw err;
    }
    const encoded = secret.data?.[CONFIG_SECRET_KEY];
    if (!encoded) return `configSecret ${name} has no ${CONFIG_SECRET_KEY} key`;
    try {
      const config: unknown = JSON.parse(Buffer.from(encoded, "base64").toString("utf8"));
      if (typeof config !== "object" || config === null || Array.isArray(config)) return `configSecret ${name}: config is not a JSON object`;
    } catch {
      return `configSecret ${name}: config is not valid JSON`;
    }
    return undefined;
  }

  private async writeStatus(dc: CassandraDatacenter, status: CassandraDatacenter["status"]): Promise<CassandraDatacenter> {
    return this.client.status().update({ ...dc, status });
  }

  /** The headless Service selecting the cluster's seed pods; every datacenter of the cluster in the namespace owns it. */
  private async ensureSeedService(dc: CassandraDatacenter): Promise<void> {
    const key = { namespace: dc.metadata.namespace, name: seedServiceName(dc) };
    const owner = ownerOf(dc);
    let service;
    try {
      service = await this.reader.get(Service, key);
    } catch (err) {
      if (!isNotFound(err)) throw err;
      const cluster = cleanLabelValue(dc.spec.clusterName);
      await this.client.create<Service>({
        apiVersion: "v1",
        kind: "Service",
        metadata: { ...key, labels: { [CLUSTER_LABEL]: cluster, ...MANAGED_BY }, ownerReferences: [owner] },
        spec: { clusterIP: "None", type: "ClusterIP", publishNotReadyAddresses: true, selector: { [CLUSTER_LABEL]: cluster, [SEED_NODE_LABEL]: "true" } },
      });
      return;
    }
    const owners = service.metadata?.ownerReferences ?? [];
    if (!owners.some((o) => o.uid === owner.uid)) {
      await this.client.update({ ...service, metadata: { ...service.metadata, ownerReferences: [...owners, owner] } });
    }
  }

  /** Makes the datacenter's pods match the nodes: missing ones created and reported running, extra ones deleted. */
  private async syncPods(dc: CassandraDatacenter, nodes: SimulatedNode[]): Promise<void> {
    const namespace = dc.metadata.namespace;
    const existing = (await this.reader.list(Pod, { namespace, labelSelector: { ...datacenterLabels(dc), ...MANAGED_BY } })).items.filter((p) =>
      p.metadata?.ownerReferences?.some((o) => o.uid === dc.metadata.uid),
    );
    const wanted = new Map(nodes.map((n) => [n.pod, n]));
    for (const pod of existing) {
      const node = wanted.get(pod.metadata!.name!);
      if (node && pod.metadata?.labels?.[SEED_NODE_LABEL] === (node.seed ? "true" : undefined)) {
        wanted.delete(node.pod);
        const ready = pod.status?.conditions?.find((c) => c.type === "Ready")?.status === (node.ready === false ? "False" : "True");
        if (!ready || pod.status?.podIP !== node.ip) await this.writePodStatus(pod, node);
        continue;
      }
      await this.client.delete(pod).catch(ignoreNotFound);
    }
    for (const node of wanted.values()) await this.writePodStatus(await this.client.create<Pod>(podFor(dc, node)), node);
  }

  /** The pod runs at the node's address; Ready as the node is (real nodes: once CQL answers). */
  private async writePodStatus(pod: Pod, node: SimulatedNode): Promise<void> {
    const ready = node.ready === false ? "False" : "True";
    await this.client.status().update<Pod>({
      ...pod,
      status: {
        phase: "Running",
        podIP: node.ip,
        podIPs: [{ ip: node.ip }],
        startTime: pod.status?.startTime ?? timestamp(),
        conditions: [{ type: "Ready", status: ready, lastTransitionTime: timestamp() }],
      },
    });
  }

  /**
   * Deletion with real nodes, as cass-operator does it: progress Updating, the nodes decommissioned first when the
   * decommission-on-delete annotation is set (and the cluster has another datacenter), then stopped with their
   * data gone; then the finalizer is released.
   */
  private async delete(dc: CassandraDatacenter, real: RealCassandra): Promise<Result | void> {
    if (!dc.metadata.finalizers?.includes(CASS_OPERATOR_FINALIZER)) return;
    const decommission = dc.metadata.annotations?.[DECOMMISSION_ON_DELETE_ANNOTATION] !== undefined;
    if (real.remove(dc.metadata.uid!, decommission) === "working") {
      if (dc.status?.cassandraOperatorProgress !== "Updating") await this.writeStatus(dc, { ...dc.status, cassandraOperatorProgress: "Updating" });
      return { requeueAfter: REAL_POLL_MS };
    }
    if (this.pods) await this.syncPods(dc, []);
    const fresh = await this.reader.get(CassandraDatacenter, { namespace: dc.metadata.namespace, name: dc.metadata.name! });
    await this.client.update({ ...fresh, metadata: { ...fresh.metadata, finalizers: fresh.metadata.finalizers?.filter((f) => f !== CASS_OPERATOR_FINALIZER) } });
  }

  /** `host:9042` of each ready node of the datacenter (real Cassandra only; empty otherwise). */
  async contactPoints(namespace: string, name: string): Promise<string[]> {
    return (await this.cassandra?.contactPoints(namespace, name)) ?? [];
  }

  /** Stops every real node and removes its data. */
  async shutdown(): Promise<void> {
    await this.cassandra?.shutdown();
  }

  /** The datacenter is gone: so are its pods, and its share of the seed Service. */
  private async forget(req: ObjectKey): Promise<void> {
    this.changes.delete(`${req.namespace}/${req.name}`);
    this.cassandra?.forget(req.namespace!, req.name);
    const ownedByIt = (owners: OwnerReference[] | undefined) =>
      owners?.some((o) => o.kind === CassandraDatacenter.kind && o.apiVersion === CassandraDatacenter.apiVersion && o.name === req.name) ?? false;
    const pods = await this.reader.list(Pod, { namespace: req.namespace, labelSelector: { [DATACENTER_LABEL]: cleanLabelValue(req.name), ...MANAGED_BY } });
    for (const pod of pods.items) {
      if (ownedByIt(pod.metadata?.ownerReferences)) await this.client.delete(pod).catch(ignoreNotFound);
    }
    const services = await this.reader.list(Service, { namespace: req.namespace, labelSelector: MANAGED_BY });
    for (const service of services.items) {
      const owners = service.metadata?.ownerReferences ?? [];
      if (!ownedByIt(owners)) continue;
      const rest = owners.filter((o) => !(o.kind === CassandraDatacenter.kind && o.name === req.name));
      if (rest.length) await this.client.update({ ...service, metadata: { ...service.metadata, ownerReferences: rest } });
      else await this.client.delete(service).catch(ignoreNotFound);
    }
  }
}

/** The planned nodes as the real ones are: their addresses, host IDs and readiness; nodes not started yet left out. */
function withLive(nodes: SimulatedNode[], live: LiveNode[]): SimulatedNode[] {
  const byPod = new Map(live.map((n) => [n.pod, n]));
  return nodes.flatMap((n) => {
    const l = byPod.get(n.pod);
    return l ? [{ ...n, ip: l.address, hostID: l.hostID ?? "", ready: l.ready }] : [];
  });
}

function keyOf(dc: CassandraDatacenter): string {
  return `${dc.metadata.namespace}/${dc.metadata.name}`;
}

function ownerOf(dc: CassandraDatacenter): OwnerReference {
  return { apiVersion: CassandraDatacenter.apiVersion, kind: CassandraDatacenter.kind, name: dc.metadata.name!, uid: dc.metadata.uid! };
}

function ignoreNotFound(err: unknown): void {
  if (!isNotFound(err)) throw err;
}

function podFor(dc: CassandraDatacenter, node: SimulatedNode): Pod {
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: {
      name: node.pod,
      namespace: dc.metadata.namespace,
      labels: {
        ...datacenterLabels(dc),
        [RACK_LABEL]: cleanLabelValue(node.rack),
        [NODE_STATE_LABEL]: "Started",
        ...(node.seed ? { [SEED_NODE_LABEL]: "true" } : {}),
        "app.kubernetes.io/name": "cassandra",
        "app.kubernetes.io/instance": `cassandra-${cleanLabelValue(dc.spec.clusterName)}`,
        "statefulset.kubernetes.io/pod-name": node.pod,
        ...MANAGED_BY,
      },
      ownerReferences: [ownerOf(dc)],
    },
    spec: {
      // A scheduler of that name does not exist, so no kubelet ever runs these pods.
      schedulerName: SIMULATOR_NAME,
      containers: [{ name: "cassandra", image: dc.spec.serverImage || `k8ssandra/cass-management-api:${dc.spec.serverVersion}` }],
    },
  };
}

/** Adds the simulator's controller to a manager whose cluster has the CassandraDatacenter CRD. */
export async function setupCassOperatorSimulator(mgr: Manager, options: CassOperatorSimulatorOptions = {}): Promise<CassOperatorSimulator> {
  const simulator = new CassOperatorSimulator(mgr.client, mgr.apiReader, options);
  await controllerManagedBy(mgr)
    .for(CassandraDatacenter)
    .named(SIMULATOR_NAME)
    // It stands for another program, so it runs whether or not this replica leads the manager it shares.
    .withOptions({ needLeaderElection: false })
    .complete(simulator);
  if (options.tasks ?? Boolean(options.cassandra)) await setupCassandraTaskRunner(mgr, simulator.cassandra);
  return simulator;
}

export interface RunningSimulator {
  readonly simulator: CassOperatorSimulator;
  readonly manager: Manager;
  /** Settles when the simulator stops; rejects if it failed. */
  readonly done: Promise<void>;
  /** Stops the simulator and waits for it; rethrows a failure. */
  stop(): Promise<void>;
}

/**
 * Runs a cass-operator simulator against the cluster of this kubeconfig (a KubeConfig or its YAML) in a manager of its
 * own, until stop().
 */
export async function startSimulator(kubeconfig: KubeConfig | string, options: CassOperatorSimulatorOptions = {}): Promise<RunningSimulator> {
  let config = kubeconfig;
  if (typeof config === "string") {
    config = new KubeConfig();
    config.loadFromString(kubeconfig as string);
  }
  const manager = await Manager.create({ kubeconfig: config });
  const simulator = await setupCassOperatorSimulator(manager, options);
  if (options.stargateDeployments) await setupStargateDeploymentSimulator(manager);
  const abort = new AbortController();
  const done = manager.start(abort.signal);
  // A failure surfaces through done and stop(); it must not also count as unhandled meanwhile.
  done.catch(() => {});
  return {
    simulator,
    manager,
    done,
    async stop() {
      abort.abort();
      try {
        await done;
      } finally {
        await simulator.shutdown();
      }
    },
  };
}
