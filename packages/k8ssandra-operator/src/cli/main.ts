#!/usr/bin/env node
// k8ssandra-operator: run the operator, register a data-plane cluster with the control plane, or check both.
import { readFileSync, realpathSync } from "node:fs";
import { pathToFileURL } from "node:url";
import { formatPreflightTable } from "@operator-ts/multicluster";
import { Command, InvalidArgumentError, Option } from "commander";
import { controlPlaneFromEnv } from "../operator.ts";
import { createClientConfig, DEFAULT_NAMESPACE, DEFAULT_SERVICE_ACCOUNT, DEFAULT_TOKEN_DURATION_SECONDS } from "./clientconfig.ts";
import { loadKubeConfig } from "./kubeconfig.ts";
import { runPreflight } from "./preflight.ts";
import { WEBHOOK_CERT_SECRET } from "../webhook/index.ts";
import { LOG_LEVELS, runOperator } from "./run.ts";

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError("expected a positive whole number");
  return n;
}

const collect = (value: string, previous: string[]) => [...previous, value];

/** Only the first line of a failure, and never a stack: messages here are written for the person at the terminal. */
function fail(command: string, err: unknown): void {
  const message = (err instanceof Error ? err.message : String(err)).split("\n")[0];
  process.stderr.write(`k8ssandra-operator ${command}: ${message}\n`);
  process.exitCode = 1;
}

function version(): string {
  try {
    return (JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version: string }).version;
  } catch {
    return "unknown";
  }
}

function share(value: string): number {
  const n = Number(value);
  if (!(n > 0 && n < 1)) throw new InvalidArgumentError(`"${value}" is not a share between 0 and 1 (0.8 renews after 80% of a token's lifetime)`);
  return n;
}

export function buildProgram(): Command {
  const program = new Command("k8ssandra-operator")
    .description("K8ssandra operator: Cassandra datacenters across Kubernetes clusters")
    .version(version())
    .showHelpAfterError();

  program
    .command("run")
    .description("run the operator until SIGTERM or SIGINT")
    .option("--kubeconfig <file>", "kubeconfig file (default: $KUBECONFIG, ~/.kube/config, or the pod's service account)")
    .option("--context <name>", "kubeconfig context (default: the current one)")
    .option("--metrics-bind-address <address>", 'address of the /metrics endpoint; "0" disables it', ":8080")
    .option("--health-probe-bind-address <address>", 'address of /healthz and /readyz; "0" disables them', ":8081")
    .option("--leader-elect", "elect a leader, so that only one replica reconciles", false)
    .option("--leader-election-namespace <namespace>", "namespace of the leader-election Lease (default: the pod's)")
    .addOption(new Option("--log-level <level>", "log level (default: $LOG_LEVEL or info)").choices(LOG_LEVELS))
    .option("--control-plane", "reconcile K8ssandraClusters and ClientConfigs here (default: $K8SSANDRA_CONTROL_PLANE, else true)")
    .option("--no-control-plane", "run the data-plane controllers only")
    .option("--clientconfig-namespace <namespace>", "where ClientConfigs are read (default: every namespace)")
    .option("--no-cql", "do not talk CQL to the datacenters (system keyspaces, rebuilds, removal checks): for data planes that run no Cassandra, such as the instant simulator's")
    .option("--credential-renewal-share <share>", "renew data-plane tokens once this share of their lifetime passed", share, 0.8)
    .option("--webhook-port <port>", "serve the K8ssandraCluster validating webhook (HTTPS) on this port (default: no webhook)", positiveInt)
    .option("--webhook-cert-dir <dir>", "the webhook's tls.crt and tls.key, such as cert-manager's Secret (default: made and rotated by the operator)")
    .option("--webhook-cert-secret <name>", "the Secret of the operator's namespace keeping the certificates it makes", WEBHOOK_CERT_SECRET)
    .action(async (opts: {
      kubeconfig?: string;
      context?: string;
      credentialRenewalShare: number;
      cql: boolean;
      metricsBindAddress: string;
      healthProbeBindAddress: string;
      leaderElect: boolean;
      leaderElectionNamespace?: string;
      logLevel?: string;
      controlPlane?: boolean;
      clientconfigNamespace?: string;
      webhookPort?: number;
      webhookCertDir?: string;
      webhookCertSecret: string;
    }) => {
      try {
        await runOperator({
          kubeconfig: loadKubeConfig(opts.kubeconfig, opts.context),
          controlPlane: opts.controlPlane ?? controlPlaneFromEnv(),
          clientConfigNamespace: opts.clientconfigNamespace,
          metricsBindAddress: opts.metricsBindAddress,
          healthProbeBindAddress: opts.healthProbeBindAddress,
          leaderElection: opts.leaderElect,
          leaderElectionNamespace: opts.leaderElectionNamespace,
          logLevel: opts.logLevel,
          credentialRenewalShare: opts.credentialRenewalShare,
          cql: opts.cql,
          webhook: opts.webhookPort ? { port: opts.webhookPort, certDir: opts.webhookCertDir, certSecret: opts.webhookCertSecret } : undefined,
        });
        // Stopped and drained: the process ends here, as a Go operator's does when main returns, so that a handle a
        // library keeps open after its owner closed it (a pooled socket, a timer) cannot keep it alive past the pod's
        // grace period. The logs are written synchronously, so nothing is lost.
        process.exit(0);
      } catch (err) {
        fail("run", err);
        // A manager that failed half-way may leave sockets or timers behind; the operator must not linger.
        process.exit(1);
      }
    });

  program
    .command("create-clientconfig")
    .description("give the control plane access to a data-plane cluster: ServiceAccount, RBAC and token there, ClientConfig and Secret here")
    .option("--src-kubeconfig <file>", "kubeconfig of the data-plane cluster (default: the default kubeconfig)")
    .option("--src-context <name>", "its context (default: the current one)")
    .option("--dest-kubeconfig <file>", "kubeconfig of the control plane (default: the default kubeconfig)")
    .option("--dest-context <name>", "its context (default: the current one)")
    .option("--namespace <namespace>", "the ServiceAccount's namespace in the data plane and the ClientConfig's in the control plane", DEFAULT_NAMESPACE)
    .option("--service-account <name>", "the data-plane ServiceAccount the control plane acts as", DEFAULT_SERVICE_ACCOUNT)
    .option("--context-name <name>", "the name K8ssandraClusters use in k8sContext (default: the src context's name)")
    .option("--token-duration <seconds>", "lifetime of the minted token (the operator renews it before it expires; at least 600)", positiveInt, DEFAULT_TOKEN_DURATION_SECONDS)
    .option("--src-server <url>", "the data plane's API server URL as the control plane reaches it (default: the src kubeconfig's)")
    .option("--datacenter-namespace <namespace>", "a data-plane namespace where datacenters live (repeatable; default: --namespace)", collect, [])
    .action(async (opts: {
      srcKubeconfig?: string;
      srcContext?: string;
      destKubeconfig?: string;
      destContext?: string;
      namespace: string;
      serviceAccount: string;
      contextName?: string;
      tokenDuration: number;
      srcServer?: string;
      datacenterNamespace: string[];
    }) => {
      try {
        const result = await createClientConfig({
          src: loadKubeConfig(opts.srcKubeconfig, opts.srcContext),
          dest: loadKubeConfig(opts.destKubeconfig, opts.destContext),
          namespace: opts.namespace,
          serviceAccount: opts.serviceAccount,
          contextName: opts.contextName,
          tokenDurationSeconds: opts.tokenDuration,
          server: opts.srcServer,
          datacenterNamespaces: opts.datacenterNamespace,
          report: (line) => process.stdout.write(`${line}\n`),
        });
        process.stdout.write(`done: K8ssandraClusters may now use k8sContext "${result.contextName}" (ClientConfig ${result.namespace}/${result.clientConfigName})\n`);
      } catch (err) {
        fail("create-clientconfig", err);
      }
    });

  program
    .command("preflight")
    .description("check the control plane and every data plane: reachable, CRDs served, permissions granted")
    .option("--kubeconfig <file>", "kubeconfig of the control plane (default: the default kubeconfig)")
    .option("--context <name>", "its context (default: the current one)")
    .option("--data-plane-context <name>", "a data-plane context of the same kubeconfig (repeatable; default: the ClientConfigs' clusters)", collect, [])
    .option("--clientconfig-namespace <namespace>", "where ClientConfigs are read (default: every namespace)")
    .option("--namespace <namespace>", "the data planes' namespace of datacenters and their Secrets", DEFAULT_NAMESPACE)
    .option("--timeout <ms>", "how long each cluster may take to answer", positiveInt, 10_000)
    .action(async (opts: {
      kubeconfig?: string;
      context?: string;
      dataPlaneContext: string[];
      clientconfigNamespace?: string;
      namespace: string;
      timeout: number;
    }) => {
      try {
        const report = await runPreflight({
          controlPlane: loadKubeConfig(opts.kubeconfig, opts.context),
          dataPlaneContexts: opts.dataPlaneContext,
          clientConfigNamespace: opts.clientconfigNamespace,
          namespace: opts.namespace,
          timeoutMs: opts.timeout,
        });
        process.stdout.write(`${formatPreflightTable(report.results)}\n`);
        if (!report.ok) process.exitCode = 1;
      } catch (err) {
        fail("preflight", err);
      }
    });

  return program;
}

// Run only as a program (npm's bin links are symlinks, hence realpath), not when imported.
if (process.argv[1] && import.meta.url === pathToFileURL(realpathSync(process.argv[1])).href) {
  buildProgram().parseAsync(process.argv).catch((err: unknown) => fail("", err));
}
