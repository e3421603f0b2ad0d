// `make demo`: the K8ssandra operator on three local clusters (control plane, east, west). Ctrl-C tears it all down.
//   --exit-when-ready          stop once the K8ssandraCluster is Ready (and, with real Cassandra, the row is read back)
//   --simulator=auto|cassandra|instant
//                              the data planes' cass-operator stand-in: real Cassandra (one JVM per node; needs
//                              Java 17+ and Maven), or the instant simulator (no Cassandra); auto (default) picks
//                              real Cassandra when the machine can run it
//   --ready-delay-ms N         how long the instant simulator keeps each datacenter Updating (default 3000)
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { runDemo } from "../packages/k8ssandra-operator/src/dev/demo.ts";
import type { SimulatorChoice } from "../packages/k8ssandra-operator/src/dev/data-plane.ts";

const root = resolve(import.meta.dirname, "..");
const CHOICES: SimulatorChoice[] = ["auto", "cassandra", "instant"];
try {
  const { values } = parseArgs({
    options: {
      "exit-when-ready": { type: "boolean", default: false },
      simulator: { type: "string", default: "auto" },
      "ready-delay-ms": { type: "string", default: "3000" },
    },
  });
  const simulator = values.simulator as SimulatorChoice;
  if (!CHOICES.includes(simulator)) throw new Error(`--simulator must be one of ${CHOICES.join(", ")}, not "${values.simulator}"`);
  await runDemo({
    workDir: join(root, ".envtest"),
    simulator,
    readyDelayMs: Number(values["ready-delay-ms"]),
    exitWhenReady: values["exit-when-ready"],
  });
} catch (err) {
  process.stderr.write(`demo failed: ${(err as Error).message}\n`);
  process.exitCode = 1;
}
