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
  const pkgSrc = /\/(packages\/[^/]+\/src\/[^/]+)/.exec(url);
  if (pkgSrc) return pkgSrc[1]!.replace(/\.ts$/, "");
  const bench = /\/(bench\/(?:ts|lib)\/[^/]+)/.exec(url);
  if (bench) return bench[1]!.replace(/\.ts$/, "");
  if (url.startsWith("node:")) return url.split("/")[0]!.replace(/^node:/, "node:");
  return url;
}

function keyOf(n: Node): string {
  const { functionName, url, lineNumber } = n.callFrame;
  const name = functionName || "(anonymous)";
  if (!url) return name;
  return `${name}  ${url.replace(/^file:\/\/.*\/(packages|node_modules|bench\/ts|bench\/lib)\//, "$1/")}:${lineNumber + 1}`;
}

for (const file of positionals) {
  const p = JSON.parse(readFileSync(file, "utf8")) as Profile;
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  // Time per sample from the time deltas (hit counts alone ignore the sampling interval's jitter); idle left out.
  const self = new Map<number, number>();
  const samples = p.samples ?? [];
  const deltas = p.timeDeltas ?? [];
  let idle = 0;
  for (let i = 0; i < samples.length; i++) {
    const id = samples[i]!;
    const t = deltas[i + 1] ?? deltas[i] ?? 0;
    if (byId.get(id)?.callFrame.functionName === "(idle)") idle += t;
    else self.set(id, (self.get(id) ?? 0) + t);
  }
  let busy = 0;
  for (const v of self.values()) busy += v;
  const byFunction = new Map<string, number>();
  const byArea = new Map<string, number>();
  const inclusive = new Map<string, number>();
  const inclusiveArea = new Map<string, number>();
  for (const [id, t] of self) {
    const n = byId.get(id)!;
    byFunction.set(keyOf(n), (byFunction.get(keyOf(n)) ?? 0) + t);
    byArea.set(area(n.callFrame.url), (byArea.get(area(n.callFrame.url)) ?? 0) + t);
    // Inclusive: every distinct function and area on the sampled stack gets the sample once.
    const seenKeys = new Set<string>();
    const seenAreas = new Set<string>();
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const f = byId.get(cur)!;
      if (f.callFrame.functionName === "(root)") break;
      seenKeys.add(keyOf(f));
      if (f.callFrame.url) seenAreas.add(area(f.callFrame.url));
    }
    for (const k of seenKeys) inclusive.set(k, (inclusive.get(k) ?? 0) + t);
    for (const k of seenAreas) inclusiveArea.set(k, (inclusiveArea.get(k) ?? 0) + t);
  }
  const pct = (t: number) => `${((t / busy) * 100).toFixed(1).padStart(5)} %`;
  const list = (m: Map<string, number>, n: number) => [...m].sort((a, b) => b[1] - a[1]).slice(0, n).map(([k, t]) => `    ${pct(t)}  ${k}`).join("\n");
  console.log(`\n${file}: ${(busy / 1e6).toFixed(2)} s on CPU, ${(idle / 1e6).toFixed(2)} s idle; percentages of the time on CPU`);
  console.log(`  self time by package / folder:\n${list(byArea, 18)}`);
  console.log(`  inclusive time by package / folder (on the stack):\n${list(inclusiveArea, 18)}`);
  console.log(`  self time by function:\n${list(byFunction, top)}`);
  console.log(`  inclusive time by function:\n${list(inclusive, top)}`);
}
