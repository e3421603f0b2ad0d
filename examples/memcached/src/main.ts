// The memcached operator's entry point: `npm start -- --kubeconfig ~/.kube/config`.
import { log, Manager, parseStandardFlags, RestClient, setupSignalHandler } from "@operator-ts/runtime";
import { CertRotator, getWebhookServer, serviceDNSNames } from "@operator-ts/runtime/webhook";
import { setupMemcachedController } from "./controller.ts";
import { WEBHOOK_CONFIGURATIONS, WEBHOOK_SERVICE } from "./manifests.ts";
import { setupMemcachedWebhooks } from "./webhooks.ts";

// The standard flags (--kubeconfig, --metrics-bind-address, --health-probe-bind-address, --leader-elect, --log-level,
// ...; see --help), and this operator's own.
const { managerOptions, values } = parseStandardFlags({
  program: "memcached-operator",
  flags: {
    namespace: { type: "string", description: "watch only this namespace (and keep the Lease there)" },
    "webhook-port": { type: "string", default: "9443", description: "port of the webhook server" },
    "webhook-cert-dir": { type: "string", description: "folder where cert-manager (or anything else) mounts tls.crt and tls.key; reloaded when they change" },
    "webhook-cert-secret": { type: "string", description: "or: the Secret (in the operator's namespace) where the operator keeps the certificates it makes and rotates" },
  },
});

const mgr = await Manager.create({
  ...managerOptions,
  leaderElectionID: "86f835c3.example.com",
  leaderElectionNamespace: managerOptions.leaderElectionNamespace ?? values.namespace,
  cluster: values.namespace ? { cache: { namespaces: [values.namespace] } } : undefined,
});
mgr.addHealthzCheck("ping", () => {});
mgr.addReadyzCheck("ping", () => {});
await setupMemcachedController(mgr);
// As kubebuilder's main.go: webhooks are on unless ENABLE_WEBHOOKS=false (running outside the cluster, say).
if (process.env.ENABLE_WEBHOOKS !== "false") {
  const port = Number(values["webhook-port"]);
  const secret = values["webhook-cert-secret"];
  const namespace = values.namespace ?? WEBHOOK_SERVICE.namespace;
  getWebhookServer(mgr, {
    port,
    ...(values["webhook-cert-dir"] ? { certDir: values["webhook-cert-dir"] } : {}),
    ...(secret
      ? {
          certificates: new CertRotator({
            client: new RestClient(mgr.cluster.transport, { mapper: mgr.mapper }),
            secret: { namespace, name: secret },
            hosts: serviceDNSNames({ namespace, name: WEBHOOK_SERVICE.name }),
            targets: {
              validating: [WEBHOOK_CONFIGURATIONS.validating.metadata!.name!],
              mutating: [WEBHOOK_CONFIGURATIONS.mutating.metadata!.name!],
            },
          }),
        }
      : {}),
  });
  setupMemcachedWebhooks(mgr);
}

log.getLogger().info("starting manager");
await mgr.start(setupSignalHandler());
