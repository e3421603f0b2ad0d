// Warm start time of the test kit: 1 and 3 clusters, binaries already built. Not a test: it reports, it asserts nothing.
// Run: scripts/with-node node --conditions=operator-ts-source bench/envtest-start.ts [repetitions]
import { cpus } from "node:os";
import { ensureAssets, startClusters, stopClusters } from "@operator-ts/runtime/envtest";

const repetitions = Number(process.argv[2] ?? 3);
await ensureAssets({ withControllerManager: false });

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

const results: Record<string, { runsMs: number[]; medianMs: number }> = {};
for (const n of [1, 3]) {
  const runs: number[] = [];
  for (let i = 0; i < repetitions; i++) {
    const t0 = performance.now();
    const clusters = await startClusters(n);
    runs.push(Math.round(performance.now() - t0));
    await stopClusters(clusters);
  }
  results[`${n} cluster(s)`] = { runsMs: runs, medianMs: median(runs) };
  console.log(`envtest warm start, ${n} cluster(s): median ${(median(runs) / 1000).toFixed(2)} s over ${runs.join(", ")} ms`);
}
console.log(JSON.stringify({ machine: { cores: cpus().length, cpu: cpus()[0]?.model }, results }, null, 2));
