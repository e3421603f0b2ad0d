#!/usr/bin/env node
// operator-ts-envtest: builds or finds the test binaries (like setup-envtest), and starts local clusters by hand.
import { mkdir, rm, symlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { cacheRoot, ensureAssets, startClusters, stopClusters } from "./index.ts";

const usage = `usage:
  operator-ts-envtest setup [--controller-manager]      build (once) and print the folder for KUBEBUILDER_ASSETS
  operator-ts-envtest start [--clusters N] [--names a,b] [--crds path,...] [--controller-manager] [--out dir]
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
    const assets = await ensureAssets({ withControllerManager: values["controller-manager"] });
    // One folder with every binary, as setup-envtest prints it, so that KUBEBUILDER_ASSETS=$(... setup) works.
    const dir = join(cacheRoot(), "envtest", `assets-${assets.kubernetesVersion}`);
    await mkdir(dir, { recursive: true });
    const links: [string, string | undefined][] = [
      ["kube-apiserver", assets.kubeApiserver],
      ["etcd", assets.etcd],
      ["kube-controller-manager", assets.kubeControllerManager],
    ];
    for (const [name, target] of links) {
      if (!target || target === join(dir, name)) continue;
      await rm(join(dir, name), { force: true });
      await symlink(target, join(dir, name));
    }
    console.log(dir);
    return;
  }
  if (command === "start") {
    const names = values.names?.split(",").filter(Boolean);
    const n = names?.length ?? Number(values.clusters);
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
