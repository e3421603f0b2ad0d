// The memcached operator's entry point: `npm start -- --kubeconfig ~/.kube/config`.
import { parseArgs } from "node:util";
import { KubeConfig } from "@kubernetes/client-node";
import { log, Manager, setupSignalHandler } from "@operator-ts/runtime";
import { setupMemcachedController } from "./controller.ts";

const { values } = parseArgs({
  options: {
    kubeconfig: { type: "string" },
    context: { type: "string" },
    "metrics-bind-address": { type: "string", default: ":8080" },
    "health-probe-bind-address": { type: "string", default: ":8081" },
    "leader-elect": { type: "boolean", default: false },
    namespace: { type: "string" },
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

log.getLogger().info("starting manager");
await mgr.start(setupSignalHandler());
