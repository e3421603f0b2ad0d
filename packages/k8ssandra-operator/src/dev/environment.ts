/**
 * A whole K8ssandra setup on loopback, for the demo and the end-to-end tests: three real clusters (a control plane and
 * two data planes), the CRDs, the operator in each mode, a cass-operator simulator in each data plane, and the data
 * planes registered with ClientConfigs. The operator itself never imports this folder.
 */
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { KubeConfig } from "@kubernetes/client-node";
import { preflight } from "@operator-ts/multicluster";
import { type Logger, Namespace, RestClient } from "@operator-ts/runtime";
import { startClusters, stopClusters, type TestCluster } from "@operator-ts/runtime/envtest";
import { createOperator, type Operator } from "../operator.ts";
import { type RealCassandraOptions, type RunningSimulator, startSimulator } from "../simulator/index.ts";
import { applyManifests, registerDataPlane } from "./register.ts";

const here = dirname(fileURLToPath(import.meta.url));
export const OPERATOR_CRDS = resolve(here, "../../config/crd");
/** The CRDs of the cass-operator kinds the operator writes, generated from its own types, for clusters without cass-operator. */
export const CASS_OPERATOR_CRDS = resolve(here, "../../config/cass-operator-crd");
const RBAC = resolve(here, "../../config/rbac");
export const OPERATOR_NAMESPACE = "k8ssandra-operator";

export interface EnvironmentOptions {
  /** Files or folders with the CassandraDatacenter and CassandraTask CRDs; default the shipped CASS_OPERATOR_CRDS. */
  cassOperatorCRDs?: string;
  /** Names of the control plane and the data planes; default control-plane, east, west. */
  names?: { controlPlane: string; dataPlanes: string[] };
  /** How long the simulated cass-operator keeps a datacenter Updating; default 0. */
  readyDelayMs?: number;
  /** Register the data planes with ClientConfigs right away (default true). */
  register?: boolean;
  /**
   * Run each operator as the k8ssandra-operator service account with the RBAC of config/rbac for its mode, instead of
   * as cluster admin: the proof that the shipped permissions are enough.
   */
  asServiceAccount?: boolean;
  clusterProbeIntervalMs?: number;
  /**
   * Run real Cassandra in the data planes (one JVM per node, see simulator/cassandra) instead of the instant
   * simulator; its progress lines go to `progress`, prefixed with the data plane's name. The jars are resolved before
   * this returns.
   */
  cassandra?: boolean | RealCassandraOptions;
  logger?: Logger;
  progress?: (line: string) => void;
}

export interface Running {
  operator: Operator;
  stop: AbortController;
  done: Promise<void>;
}

export interface LocalEnvironment {
  controlPlane: TestCluster;
  dataPlanes: TestCluster[];
  /** The operator in control-plane mode, on the control plane. */
  operator: Operator;
  /** The operator in data-plane mode, one per data plane (Stargates). */
  dataPlaneOperators: Running[];
  simulators: RunningSimulator[];
  /** An admin client of the control plane, for applying objects. */
  admin: RestClient;
  register(plane: TestCluster): Promise<void>;
  stop(): Promise<void>;
}

function run(operator: Operator): Running {
  const stop = new AbortController();
  const done = operator.start(stop.signal);
  done.catch(() => {});
  return { operator, stop, done };
}

async function ensureNamespace(kubeconfig: KubeConfig, name: string): Promise<void> {
  const c = await RestClient.fromKubeConfig(kubeconfig);
  try {
    await c.create<Namespace>({ apiVersion: "v1", kind: "Namespace", metadata: { name } }).catch(() => undefined);
  } finally {
    await c.close();
  }
}

export async function startLocalEnvironment(options: EnvironmentOptions): Promise<LocalEnvironment> {
  const say = options.progress ?? (() => {});
  const names = options.names ?? { controlPlane: "control-plane", dataPlanes: ["east", "west"] };
  say(`starting clusters ${[names.controlPlane, ...names.dataPlanes].join(", ")} on loopback`);
  const clusters = await startClusters(1 + names.dataPlanes.length, { names: [names.controlPlane, ...names.dataPlanes] });
  const [controlPlane, ...dataPlanes] = clusters as [TestCluster, ...TestCluster[]];
  const running: Running[] = [];
  const simulators: RunningSimulator[] = [];
  let admin: RestClient | undefined;
  const stopAll = async () => {
    for (const r of running) r.stop.abort();
    await Promise.allSettled(running.map((r) => r.done));
    if (options.cassandra) say("stopping the Cassandra nodes");
    await Promise.allSettled(simulators.map((s) => s.stop()));
    await admin?.close();
    say("stopping the clusters");
    await stopClusters(clusters);
  };
  try {
    say("installing CRDs: K8ssandra's everywhere, cass-operator's kinds in the data planes");
    await controlPlane.installCRDs([OPERATOR_CRDS]);
    await Promise.all(dataPlanes.map((c) => c.installCRDs([OPERATOR_CRDS, options.cassOperatorCRDs ?? CASS_OPERATOR_CRDS])));
    await Promise.all(clusters.map((c) => ensureNamespace(c.kubeconfig, OPERATOR_NAMESPACE)));
    const identity = async (c: TestCluster, mode: "control-plane" | "data-plane"): Promise<KubeConfig> => {
      if (!options.asServiceAccount) return c.kubeconfig;
      await applyManifests(c.kubeconfig, [resolve(RBAC, "common"), resolve(RBAC, mode)]);
      const kc = await c.serviceAccountKubeConfig(OPERATOR_NAMESPACE, "k8ssandra-operator", { contextName: c.name });
      // New bindings take a moment to reach the authorizer: start the operator once its identity holds them.
      const probe = mode === "control-plane"
        ? { verb: "watch", group: "k8ssandra.io", resource: "k8ssandraclusters" }
        : { verb: "watch", group: "cassandra.datastax.com", resource: "cassandradatacenters" };
      const deadline = Date.now() + 20_000;
      while (!(await preflight([{ name: c.name, kubeconfig: kc }], { permissions: [probe] }))[0]!.ok) {
        if (Date.now() > deadline) throw new Error(`service account in ${c.name} never got its ${mode} permissions`);
        await new Promise((r) => setTimeout(r, 100));
      }
      return kc;
    };

    const standIn = options.cassandra ? "the cass-operator stand-in running real Cassandra" : "the cass-operator simulator";
    say(`starting the operator (control plane) and, in each data plane, the operator (data plane) and ${standIn}`);
    const operator = await createOperator({
      kubeconfig: await identity(controlPlane, "control-plane"),
      controlPlane: true,
      clientConfigNamespace: OPERATOR_NAMESPACE,
      clusterProbeIntervalMs: options.clusterProbeIntervalMs ?? 1000,
      // CQL to the datacenters (system keyspaces, rebuilds, removal checks) needs Cassandra: the instant simulator has none.
      cql: Boolean(options.cassandra),
      logger: options.logger,
    });
    running.push(run(operator));
    for (const plane of dataPlanes) {
      running.push(run(await createOperator({ kubeconfig: await identity(plane, "data-plane"), controlPlane: false, logger: options.logger })));
      const own = options.cassandra === true ? {} : options.cassandra;
      const cassandra = own && { ...own, log: own.log ?? ((line: string) => say(`${plane.name}: ${line}`)) };
      simulators.push(await startSimulator(plane.kubeconfig, { readyDelayMs: options.readyDelayMs ?? 0, stargateDeployments: true, cassandra }));
    }
    if (options.cassandra) {
      say("real Cassandra: making sure its jars are in the user cache (fetched from Maven Central once per version)");
      // One data plane resolves; the others find the cache complete (the resolver locks across processes too).
      const [first, ...rest] = simulators;
      const distribution = await first!.simulator.cassandra!.prepare();
      await Promise.all(rest.map((s) => s.simulator.cassandra!.prepare()));
      say(`real Cassandra ${distribution.version}: jars in ${distribution.lib}`);
    }
    admin = await RestClient.fromKubeConfig(controlPlane.kubeconfig);
    const register = async (plane: TestCluster) => {
      say(`registering ${plane.name} with a ClientConfig`);
      await registerDataPlane(controlPlane, plane, OPERATOR_NAMESPACE);
    };
    if (options.register ?? true) for (const plane of dataPlanes) await register(plane);
    return {
      controlPlane,
      dataPlanes,
      operator,
      dataPlaneOperators: running.slice(1),
      simulators,
      admin,
      register,
      stop: stopAll,
    };
  } catch (err) {
    await stopAll();
    throw err;
  }
}

