// secret-mirror: `npm start -- --reference-kubeconfig ref.yaml --mirror-kubeconfig mirror.yaml`, or one kubeconfig
// with two contexts: `npm start -- --kubeconfig all.yaml --reference-context ref --mirror-context mirror`.
import { parseArgs } from "node:util";
import { KubeConfig } from "@kubernetes/client-node";
import { setupSignalHandler } from "@operator-ts/runtime";
import { MultiClusterManager } from "@operator-ts/multicluster";
import { setupSecretMirror } from "./mirror.ts";

const { values } = parseArgs({
  options: {
    kubeconfig: { type: "string" },
    "reference-kubeconfig": { type: "string" },
    "mirror-kubeconfig": { type: "string" },
    "reference-context": { type: "string" },
    "mirror-context": { type: "string" },
    "metrics-bind-address": { type: "string", default: ":8080" },
    "health-probe-bind-address": { type: "string", default: ":8081" },
  },
});

function load(file: string | undefined, context: string | undefined): KubeConfig {
  const kc = new KubeConfig();
  if (file) kc.loadFromFile(file);
  else kc.loadFromDefault();
  if (context) kc.setCurrentContext(context);
  return kc;
}

const reference = load(values["reference-kubeconfig"] ?? values.kubeconfig, values["reference-context"]);
const mirror = load(values["mirror-kubeconfig"] ?? values.kubeconfig, values["mirror-context"]);

// The manager lives in the mirror cluster (its lease, its Events); the reference cluster is added beside it.
const mcm = await MultiClusterManager.create({
  kubeconfig: mirror,
  metricsBindAddress: values["metrics-bind-address"],
  healthProbeBindAddress: values["health-probe-bind-address"],
});
await mcm.addCluster("reference", reference);
await setupSecretMirror(mcm, { reference: "reference", mirror: "" });
await mcm.start(setupSignalHandler());
