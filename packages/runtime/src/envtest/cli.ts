#!/usr/bin/env node
// operator-ts-envtest: builds or finds the test binaries (like setup-envtest), and starts local clusters by hand.
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { prepareEnvtest, startClusters, stopClusters } from "./index.ts";

const usage = `usage:
  operator-ts-envtest setup [--controller-manager]      build (once) and print the folder for KUBEBUILDER_ASSETS
  operator-ts-envtest start [--clusters N] [--names a,b] [--crds path,...] [--controller-manager] [--out dir (made if missing)]
                                                         start local clusters, write their kubeconfigs, wait for Ctrl-C`;

async function main() {
  const { positionals, values } = parseArgs({
    allowPositionals: true,
    options: {
      clusters: { type: "string", default: "1" },
      names: { type: "string" },
      crds: { type: "string" },
      "controller-manager": { type: "boolean", default: false },
      out: { type: "string" },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  const command = positionals[0];
  if (values.help || !command) {
    console.log(usage);
    return;
  }
  if (command === "setup") {
    const { dir } = await prepareEnvtest({ controllerManager: values["controller-manager"] });
    console.log(dir);
    return;
  }
  if (command === "start") {
    const names = values.names?.split(",").filter(Boolean);
    const n = names?.length ?? Number(values.clusters);
    // Made before the clusters start, so a folder that cannot be made fails in a moment, not after the start.
    if (values.out) await mkdir(values.out, { recursive: true });
    const started = Date.now();
    const clusters = await startClusters(n, {
      names,
      crds: values.crds?.split(",").filter(Boolean),
      controllerManager: values["controller-manager"],
    });
    console.log(`started ${n} cluster(s) in ${((Date.now() - started) / 1000).toFixed(1)}s`);
    for (const c of clusters) {
      let path = c.kubeconfigPath;
      if (values.out) {
        path = join(values.out, `${c.name}.kubeconfig`);
        await writeFile(path, c.kubeconfigYaml, { mode: 0o600 });
      }
      console.log(`  ${c.name}: ${c.server}  KUBECONFIG=${path}`);
    }
    console.log("press Ctrl-C to stop them");
    await new Promise<void>((resolve) => {
      process.once("SIGINT", resolve);
      process.once("SIGTERM", resolve);
    });
    await stopClusters(clusters);
    console.log("stopped");
    return;
  }
  console.error(usage);
  process.exitCode = 2;
}

main().catch((err: Error) => {
  console.error(err.message);
  process.exit(1);
});
