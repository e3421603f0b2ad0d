// `scripts/with-node node bench/heap-summary.ts <file.heapsnapshot> [--top N]`: where a V8 heap snapshot's bytes are,
// by the objects' own (shallow) size, grouped by node type and constructor or string kind. Written by the benchmark's
// --profile runs (the K8ssandra scenario takes one at each idle point); a quick answer to "what holds the heap",
// without opening DevTools.
import { readFile } from "node:fs/promises";
import { parseArgs } from "node:util";

interface Snapshot {
  snapshot: { meta: { node_fields: string[]; node_types: [string[], ...unknown[]] } };
  nodes: number[];
  strings: string[];
}

const { values, positionals } = parseArgs({ allowPositionals: true, options: { top: { type: "string", default: "25" } } });
if (positionals.length !== 1) {
  console.error("usage: bench/heap-summary.ts <file.heapsnapshot> [--top N]");
  process.exit(2);
}
const snapshot = JSON.parse(await readFile(positionals[0]!, "utf8")) as Snapshot;
const fields = snapshot.snapshot.meta.node_fields;
const types = snapshot.snapshot.meta.node_types[0];
const width = fields.length;
const [typeAt, nameAt, sizeAt] = ["type", "name", "self_size"].map((f) => fields.indexOf(f)) as [number, number, number];

const groups = new Map<string, { bytes: number; count: number }>();
let total = 0;
for (let i = 0; i < snapshot.nodes.length; i += width) {
  const type = types[snapshot.nodes[i + typeAt]!]!;
  const bytes = snapshot.nodes[i + sizeAt]!;
  // Objects and closures by constructor; strings, code and arrays by their type alone (their "names" are contents).
  const name = type === "object" || type === "closure" || type === "native" ? `${type} ${snapshot.strings[snapshot.nodes[i + nameAt]!]}` : type;
  const g = groups.get(name) ?? { bytes: 0, count: 0 };
  g.bytes += bytes;
  g.count++;
  groups.set(name, g);
  total += bytes;
}

const mib = (b: number) => (b / 2 ** 20).toFixed(2);
console.log(`${mib(total)} MiB in ${(snapshot.nodes.length / width).toLocaleString("en")} objects`);
console.log("MiB      share  count      what");
for (const [name, g] of [...groups].sort((a, b) => b[1].bytes - a[1].bytes).slice(0, Number(values.top))) {
  console.log(`${mib(g.bytes).padStart(7)}  ${((g.bytes / total) * 100).toFixed(1).padStart(5)} %  ${String(g.count).padEnd(9)}  ${name.slice(0, 100)}`);
}
