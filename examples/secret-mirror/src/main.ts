// secret-mirror: `npm start -- --reference-kubeconfig ref.yaml --mirror-kubeconfig mirror.yaml`, or one kubeconfig
// with two contexts: `npm start -- --kubeconfig all.yaml --reference-context ref --mirror-context mirror`.
import { KubeConfig } from "@kubernetes/client-node";
import { parseStandardFlags, setupSignalHandler } from "@operator-ts/runtime";
import { MultiClusterManager } from "@operator-ts/multicluster";
import { setupSecretMirror } from "./mirror.ts";

// The standard flags (--kubeconfig and --context name the mirror cluster, where the manager runs; see --help), and
// the reference cluster's.
const { kubeconfig, managerOptions, values } = parseStandardFlags({
  program: "secret-mirror",
  flags: {
    "mirror-kubeconfig": { type: "string", description: "kubeconfig of the mirror cluster; default --kubeconfig's" },
    "mirror-context": { type: "string", description: "its context; default --context, else that kubeconfig's current-context" },
    "reference-kubeconfig": { type: "string", description: "kubeconfig of the reference cluster; default --kubeconfig's" },
    "reference-context": { type: "string", description: "its context; default that kubeconfig's current-context" },
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
const mirror = values["mirror-kubeconfig"] || values["mirror-context"] ? load(values["mirror-kubeconfig"] ?? values.kubeconfig, values["mirror-context"] ?? values.context) : kubeconfig;

// The manager lives in the mirror cluster (its lease, its Events); the reference cluster is added beside it.
const mcm = await MultiClusterManager.create({ ...managerOptions, kubeconfig: mirror });
await mcm.addCluster("reference", reference);
await setupSecretMirror(mcm, { reference: "reference", mirror: "" });
await mcm.start(setupSignalHandler());
