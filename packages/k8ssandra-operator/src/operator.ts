import type { KubeConfig } from "@kubernetes/client-node";
import { MultiClusterManager, type RenewalOptions } from "@operator-ts/multicluster";
import { cache, isNoMatch, type Logger } from "@operator-ts/runtime";
import { CassandraDatacenter } from "./api/index.ts";
import { clientConfigProvider } from "./controllers/clientconfig.ts";
import { type CqlOptions, setupK8ssandraClusterController } from "./controllers/k8ssandracluster/index.ts";
import { setupStargateController } from "./controllers/stargate.ts";
import { type K8ssandraWebhookOptions, setupK8ssandraWebhook } from "./webhook/index.ts";

export interface OperatorOptions {
  kubeconfig: KubeConfig;
  /** Control plane: K8ssandraClusters and ClientConfigs are reconciled here. Data-plane controllers always run. */
  controlPlane: boolean;
  /** Where ClientConfigs (and their Secrets) live; default: every namespace. */
  clientConfigNamespace?: string;
  metricsBindAddress?: string;
  healthProbeBindAddress?: string;
  leaderElection?: boolean;
  leaderElectionNamespace?: string;
  /** Health probe period of remote clusters; default 5 s. */
  clusterProbeIntervalMs?: number;
  /** When remote service-account tokens are renewed, as a share of their lifetime (default 0.8), and retried. */
  credentialRenewal?: RenewalOptions;
  logger?: Logger;
  /** Serve the K8ssandraCluster validating webhook (control plane only); config/webhook installs its configuration. */
  webhook?: K8ssandraWebhookOptions;
  /**
   * Control plane: talk CQL to the datacenters (replication, rebuilds, removal checks). Default false, for embedders
   * whose datacenters run no Cassandra (the instant simulator); `k8ssandra-operator run` turns it on.
   */
  cql?: boolean | CqlOptions;
}

export const LEADER_ELECTION_ID = "dcabfd9d.k8ssandra.io";

/** `K8SSANDRA_CONTROL_PLANE=true|false`; unset means control plane, as a single-cluster install expects. */
export function controlPlaneFromEnv(env: NodeJS.ProcessEnv = process.env): boolean {
  const value = env.K8SSANDRA_CONTROL_PLANE?.trim().toLowerCase();
  if (value === undefined || value === "") return true;
  if (value === "true") return true;
  if (value === "false") return false;
  throw new Error(`K8SSANDRA_CONTROL_PLANE must be "true" or "false", not "${env.K8SSANDRA_CONTROL_PLANE}"`);
}

export interface Operator {
  mcm: MultiClusterManager;
  start(signal: AbortSignal): Promise<void>;
}

/**
 * The operator, wired from the public APIs of the runtime and multicluster packages. In control-plane mode the
 * data-plane clusters come from ClientConfigs while it runs: added, re-credentialed and removed without a restart.
 */
export async function createOperator(options: OperatorOptions): Promise<Operator> {
  if (options.webhook && !options.controlPlane) throw new Error("the K8ssandraCluster webhook runs on the control plane; a data plane serves none");
  // Nothing here reads server-side apply's bookkeeping, often the larger part of a cached object: every cluster's
  // cache, this one's and the data planes', drops it.
  const withoutManagedFields = { cache: { defaultTransform: cache.transformStripManagedFields() } };
  const mcm = await MultiClusterManager.create({
    kubeconfig: options.kubeconfig,
    metricsBindAddress: options.metricsBindAddress,
    healthProbeBindAddress: options.healthProbeBindAddress,
    leaderElection: options.leaderElection,
    leaderElectionID: LEADER_ELECTION_ID,
    leaderElectionNamespace: options.leaderElectionNamespace,
    health: { intervalMs: options.clusterProbeIntervalMs ?? 5000 },
    logger: options.logger,
    cluster: withoutManagedFields,
    clusterDefaults: withoutManagedFields,
  });
  mcm.manager.addHealthzCheck("ping", () => {});
  // A cluster is a data plane when cass-operator is installed there; the control plane need not be one.
  const hasCassOperator = await mcm.manager.mapper.mapping(CassandraDatacenter).then(() => true, (err: unknown) => {
    if (isNoMatch(err)) return false;
    throw err;
  });
  if (hasCassOperator) await setupStargateController(mcm.manager);
  else if (!options.controlPlane) throw new Error("data-plane mode needs cass-operator's CassandraDatacenter CRD in this cluster, and it is not installed");
  else mcm.manager.log.info("cass-operator's CRD is not installed in the control plane: it hosts no datacenters");
  if (options.controlPlane) {
    const clientConfigs = clientConfigProvider(mcm, { namespace: options.clientConfigNamespace, renewal: options.credentialRenewal });
    await mcm.manager.add(clientConfigs);
    await setupK8ssandraClusterController(mcm, { clientConfigs, cql: options.cql ?? false });
    if (options.webhook) setupK8ssandraWebhook(mcm, clientConfigs, options.webhook);
  }
  return { mcm, start: (signal) => mcm.start(signal) };
}
