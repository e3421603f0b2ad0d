import { startClusters, stopClusters } from "@operator-ts/runtime/envtest";
import { execFileSync } from "node:child_process";
const [c] = await startClusters(1, { names: ["memx"] });
const gob = process.argv[2]!;
execFileSync(gob, ["loadgen", "--kubeconfig", c!.kubeconfigPath, "--params", JSON.stringify({ mode: "create", count: 10000 })]);
console.log(c!.kubeconfigPath);
await new Promise((r) => setTimeout(r, 1000 * 400));
await stopClusters([c!]);
