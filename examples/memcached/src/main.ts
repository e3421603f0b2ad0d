// The memcached operator's entry point: `npm start -- --kubeconfig ~/.kube/config`.
import { parseArgs } from "node:util";
import { KubeConfig } from "@kubernetes/client-node";
import { log, Manager, RestClient, setupSignalHandler } from "@operator-ts/runtime";
import { CertRotator, getWebhookServer, serviceDNSNames } from "@operator-ts/runtime/webhook";
import { setupMemcachedController } from "./controller.ts";
import { WEBHOOK_CONFIGURATIONS, WEBHOOK_SERVICE } from "./manifests.ts";
import { setupMemcachedWebhooks } from "./webhooks.ts";

const { values } = parseArgs({
  options: {
    kubeconfig: { type: "string" },
    context: { type: "string" },
    "metrics-bind-address": { type: "string", default: ":8080" },
    "health-probe-bind-address": { type: "string", default: ":8081" },
    "leader-elect": { type: "boolean", default: false },
    namespace: { type: "string" },
    "webhook-port": { type: "string", default: "9443" },
    // cert-manager (or anything else) mounts tls.crt and tls.key here; they are reloaded when they change.
    "webhook-cert-dir": { type: "string" },
    // Or the operator makes and rotates its own, kept in this Secret of the operator's namespace.
    "webhook-cert-secret": { type: "string" },
  },
});

const kubeconfig = new KubeConfig();
if (values.kubeconfig) kubeconfig.loadFromFile(values.kubeconfig);
else kubeconfig.loadFromDefault();
if (values.context) kubeconfig.setCurrentContext(values.context);

const mgr = await Manager.create({
  kubeconfig,
  metricsBindAddress: values["metrics-bind-address"],
  healthProbeBindAddress: values["health-probe-bind-address"],
  leaderElection: values["leader-elect"],
  leaderElectionID: "86f835c3.example.com",
  leaderElectionNamespace: values.namespace,
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
