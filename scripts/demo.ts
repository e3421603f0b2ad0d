// `make demo`: the K8ssandra operator on three local clusters (control plane, east, west). Ctrl-C tears it all down.
//   --exit-when-ready   stop once the K8ssandraCluster is Ready (what CI and the demo's test use)
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { runDemo } from "../packages/k8ssandra-operator/src/dev/demo.ts";

const root = resolve(import.meta.dirname, "..");
const { values } = parseArgs({
  options: {
    "exit-when-ready": { type: "boolean", default: false },
    "ready-delay-ms": { type: "string", default: "3000" },
  },
});
try {
  await runDemo({
    workDir: join(root, ".envtest"),
    readyDelayMs: Number(values["ready-delay-ms"]),
    exitWhenReady: values["exit-when-ready"],
  });
} catch (err) {
  process.stderr.write(`demo failed: ${(err as Error).message}\n`);
  process.exitCode = 1;
}
