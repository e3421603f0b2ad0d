// The main job on a local default: three clusters on loopback (control plane, east, west), the real cass-operator
// CRDs in the data planes, and how to reach each. Ctrl-C stops everything.
import { mkdir, writeFile } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { startClusters, stopClusters } from "@operator-ts/runtime/envtest";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const sharedCrds = process.env.OPERATOR_TS_SHARED_CRDS ?? join(root, "..", "shared", "crds");

const started = Date.now();
console.log("demo: starting clusters control-plane, east and west on loopback");
const clusters = await startClusters(3, { names: ["control-plane", "east", "west"] });
await Promise.all(clusters.slice(1).map((c) => c.installCRDs([join(sharedCrds, "cass-operator")])));
console.log(`demo: 3 clusters ready in ${((Date.now() - started) / 1000).toFixed(1)}s`);
for (const c of clusters) {
  const file = join(root, ".envtest", `${c.name}.kubeconfig`);
  await mkdir(dirname(file), { recursive: true });
  await writeFile(file, c.kubeconfigYaml, { mode: 0o600 });
  console.log(`  ${c.name.padEnd(14)} ${c.server}   kubectl --kubeconfig ${file} get ns`);
}
console.log("demo: press Ctrl-C to stop the clusters");
await new Promise<void>((done) => {
  process.once("SIGINT", done);
  process.once("SIGTERM", done);
});
await stopClusters(clusters);
console.log("demo: stopped");
