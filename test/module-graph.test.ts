import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { repoRoot as repo } from "./support/paths.ts";

// Folders import downwards only: within a package, the graph of which folder imports which (type imports and
// re-exports included) has no cycle. Files directly in src/ (the package's index) may import any folder.

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return sources(path);
    return e.name.endsWith(".ts") ? [path] : [];
  });
}

/** folder -> folders it imports, each with one import that shows it. */
function folderGraph(src: string): Map<string, Map<string, string>> {
  const folderOf = (file: string) => relative(src, dirname(file)).split("/")[0] || ".";
  const graph = new Map<string, Map<string, string>>();
  for (const file of sources(src)) {
    const text = readFileSync(file, "utf8");
    const specifiers = [...text.matchAll(/\bfrom\s+"(\.{1,2}\/[^"]+)"|\bimport\(\s*"(\.{1,2}\/[^"]+)"\s*\)/g)].map((m) => m[1] ?? m[2]!);
    for (const spec of specifiers) {
      const from = folderOf(file);
      const to = folderOf(resolve(dirname(file), spec));
      if (from === to || from === ".") continue;
      if (!graph.has(from)) graph.set(from, new Map());
      if (!graph.get(from)!.has(to)) graph.get(from)!.set(to, `${relative(src, file)} imports ${spec}`);
    }
  }
  return graph;
}

/** Every cycle a depth-first search meets, as the imports that close it. */
function cycles(graph: Map<string, Map<string, string>>): string[] {
  const found: string[] = [];
  const state = new Map<string, "open" | "done">();
  const path: string[] = [];
  const visit = (node: string) => {
    state.set(node, "open");
    path.push(node);
    for (const [next] of graph.get(node) ?? []) {
      if (state.get(next) === "open") {
        const loop = [...path.slice(path.indexOf(next)), next];
        found.push(loop.slice(1).map((to, i) => graph.get(loop[i]!)!.get(to)!).join("; "));
      } else if (!state.has(next)) visit(next);
    }
    path.pop();
    state.set(node, "done");
  };
  for (const node of graph.keys()) if (!state.has(node)) visit(node);
  return found;
}

describe("module graph", () => {
  it.each(["runtime", "multicluster", "k8ssandra-operator"])("has no folder cycle in packages/%s/src", (pkg) => {
    const graph = folderGraph(join(repo, "packages", pkg, "src"));
    expect(graph.size).toBeGreaterThan(0);
    expect(cycles(graph)).toEqual([]);
  });

  it("finds a cycle when there is one", () => {
    const graph = new Map([
      ["a", new Map([["b", "a/x.ts imports ../b/y.ts"]])],
      ["b", new Map([["a", "b/y.ts imports ../a/x.ts"]])],
    ]);
    expect(cycles(graph)).toEqual(["a/x.ts imports ../b/y.ts; b/y.ts imports ../a/x.ts"]);
  });
});

describe("package comments", () => {
  it.each(["runtime", "multicluster"])("open every folder's index.ts in packages/%s/src", (pkg) => {
    const src = join(repo, "packages", pkg, "src");
    const indexes = sources(src).filter((f) => f.endsWith("/index.ts"));
    const without = indexes.filter((f) => !readFileSync(f, "utf8").startsWith("/**")).map((f) => relative(src, f));
    expect(indexes.length).toBeGreaterThan(1);
    expect(without).toEqual([]);
  });
});
