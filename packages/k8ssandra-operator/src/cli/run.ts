import type { KubeConfig } from "@kubernetes/client-node";
import { ApiError, client, log, RestTransport, setupSignalHandler } from "@operator-ts/runtime";
import { createOperator } from "../operator.ts";
import type { K8ssandraWebhookOptions } from "../webhook/index.ts";

export const LOG_LEVELS = log.LOG_LEVELS;

export interface RunOptions {
  kubeconfig: KubeConfig;
  controlPlane: boolean;
  clientConfigNamespace?: string;
  metricsBindAddress: string;
  healthProbeBindAddress: string;
  leaderElection: boolean;
  leaderElectionNamespace?: string;
  logLevel?: string;
  /** Stops the operator; default SIGTERM/SIGINT. */
  signal?: AbortSignal;
  /** When data-plane tokens are renewed, as a share of their lifetime; default 0.8. */
  credentialRenewalShare?: number;
  /** How long the API server may take to answer at startup; default 10 s. */
  connectTimeoutMs?: number;
  webhook?: K8ssandraWebhookOptions;
  /** CQL to the datacenters (replication, rebuilds, removal checks); default true, as a production install needs. */
  cql?: boolean;
}

/** A failure with a message meant for a person: the CLI prints it as is, on one line, without a stack. */
export class StartupError extends Error {
  override readonly name = "StartupError";
}

/** Asks the API server for its version, so that a wrong address or credential fails at once and plainly. */
export async function checkApiServer(kubeconfig: KubeConfig, timeoutMs = 10_000): Promise<string> {
  let transport: RestTransport;
  try {
    transport = await RestTransport.fromKubeConfig(kubeconfig);
  } catch (err) {
    throw new StartupError(`cannot use kubeconfig context "${kubeconfig.getCurrentContext()}": ${(err as Error).message}`);
  }
  try {
    const version = await transport.request<{ gitVersion?: string }>("GET", "/version", { signal: AbortSignal.timeout(timeoutMs), timeoutMs });
    return version.gitVersion ?? "unknown";
  } catch (err) {
    const why = err instanceof ApiError ? (err.code === 0 ? (err.status.message ?? err.message) : err.message) : (err as Error).message;
    if (client.isUnauthorized(err)) throw new StartupError(`the Kubernetes API server at ${transport.server} rejected the credentials of context "${kubeconfig.getCurrentContext()}"`);
    throw new StartupError(`cannot reach the Kubernetes API server at ${transport.server}: ${why}`);
  } finally {
    await transport.close();
  }
}

/** `k8ssandra-operator run`: the operator until SIGTERM or SIGINT. */
export async function runOperator(options: RunOptions): Promise<void> {
  if (options.logLevel) log.getLogger().level = options.logLevel;
  const version = await checkApiServer(options.kubeconfig, options.connectTimeoutMs);
  const logger = log.getLogger();
  logger.info({ server: options.kubeconfig.getCurrentCluster()?.server, version, controlPlane: options.controlPlane }, "starting k8ssandra-operator");
  const operator = await createOperator({
    kubeconfig: options.kubeconfig,
    controlPlane: options.controlPlane,
    clientConfigNamespace: options.clientConfigNamespace,
    metricsBindAddress: options.metricsBindAddress,
    healthProbeBindAddress: options.healthProbeBindAddress,
    leaderElection: options.leaderElection,
    leaderElectionNamespace: options.leaderElectionNamespace,
    credentialRenewal: { share: options.credentialRenewalShare },
    webhook: options.webhook,
    cql: options.cql ?? true,
  });
  await operator.start(options.signal ?? setupSignalHandler());
  logger.info("k8ssandra-operator stopped");
}
