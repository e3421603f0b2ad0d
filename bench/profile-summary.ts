// Summarises V8 CPU profiles (node --cpu-prof, as `npm run bench -- --profile` writes them): self time by function and
// by package or source folder, as percentages of the samples.
// Run: scripts/with-node node bench/profile-summary.ts bench/results/profiles/<run>/*.cpuprofile [--top 25]
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";

interface Node {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
  children?: number[];
}
interface Profile {
  nodes: Node[];
  samples?: number[];
  timeDeltas?: number[];
}

const { values, positionals } = parseArgs({ allowPositionals: true, options: { top: { type: "string", default: "25" } } });
const top = Number(values.top);

/** Where a frame's code lives: an npm package, a folder of ours, or a Node internal. */
function area(url: string): string {
  if (!url) return "(native / V8)";
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg) return `npm:${pkg[1]}`;
  const ours = /\/(packages\/[^/]+\/src\/[^/]+|bench\/[^/]+)/.exec(url);
  if (ours) return ours[1]!.replace(/\.ts$/, "");
  if (url.startsWith("node:")) return url.split("/")[0]!.replace(/^node:/, "node:");
  return url;
}

for (const file of positionals) {
  const p = JSON.parse(readFileSync(file, "utf8")) as Profile;
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  // Self time per node from samples and time deltas (hitCount alone ignores the sampling interval's jitter).
  const self = new Map<number, number>();
  const samples = p.samples ?? [];
  const deltas = p.timeDeltas ?? [];
  for (let i = 0; i < samples.length; i++) self.set(samples[i]!, (self.get(samples[i]!) ?? 0) + (deltas[i] ?? 0));
  let total = 0;
  for (const v of self.values()) total += v;
  const byFunction = new Map<string, number>();
  const byArea = new Map<string, number>();
  for (const [id, t] of self) {
    const n = byId.get(id)!;
    const { functionName, url, lineNumber } = n.callFrame;
    const name = functionName || "(anonymous)";
    const where = url ? `${url.replace(/^file:\/\/.*?\/(packages|node_modules|bench)\//, "$1/")}:${lineNumber + 1}` : "";
    const key = url ? `${name}  ${where}` : name;
    byFunction.set(key, (byFunction.get(key) ?? 0) + t);
    byArea.set(area(url), (byArea.get(area(url)) ?? 0) + t);
  }
  const pct = (t: number) => `${((t / total) * 100).toFixed(1).padStart(5)} %`;
  console.log(`\n${file}: ${(total / 1e6).toFixed(2)} s sampled`);
  console.log("  self time by package / folder:");
  for (const [k, t] of [...byArea].sort((a, b) => b[1] - a[1]).slice(0, 15)) console.log(`    ${pct(t)}  ${k}`);
  console.log("  self time by function:");
  for (const [k, t] of [...byFunction].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`    ${pct(t)}  ${k}`);
}
