// The operator as its image runs it: src/cli/main.ts and everything it imports in one file, tree-shaken, built from the
// workspace packages' sources (the operator-ts-source condition). Importing @kubernetes/client-node's index loads every
// generated API model; a bundle keeps only what the operator calls (see docs/benchmarks.md, "The built operator, bundled").
// scripts/production-build.sh runs it; `npm run build` still builds the package's own dist for npm.
import { createRequire } from "node:module";
import { join } from "node:path";
import { defineConfig, type Options, type Plugin } from "tsup";

type EsbuildPlugin = NonNullable<Options["esbuildPlugins"]>[number];

/**
 * V8 keeps a script's source in memory for its whole life, as one-byte characters only while every character is
 * ASCII: one "’" in a dependency's comment (undici has many) doubles it. The bundle's 5.7 MB source took 10.8 MiB of
 * heap, the largest object the operator has. Each non-ASCII UTF-16 unit becomes a \u escape, which means the same in
 * strings, regular expressions and identifiers (esbuild leaves some raw) and is plain text in comments; the source map
 * is off by a few columns on the lines that had one.
 */
const asciiSource: Plugin = {
  name: "ascii-source",
  renderChunk(code, chunk) {
    if (chunk.type !== "chunk") return undefined;
    return { code: code.replace(/[^\x00-\x7f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`) };
  },
};

/** undici and client-node as the operator uses them, without the parts of their indexes it never loads: bundle/. */
const leanIndexes: EsbuildPlugin = {
  name: "lean-indexes",
  setup(build) {
    build.onResolve({ filter: /^undici$/ }, () => ({ path: join(import.meta.dirname, "bundle", "undici.js") }));
    build.onResolve({ filter: /^@kubernetes\/client-node$/ }, () => ({ path: join(import.meta.dirname, "bundle", "client-node.js") }));
  },
};

/**
 * `node:http` by require, not as an ES module. Node builds an ES module's view of a built-in by reading every export,
 * and http's WebSocket, CloseEvent and MessageEvent are getters that load Node's own copy of undici: 13 MiB of RSS in
 * a process that never opens a WebSocket (a `require("node:http")` costs 4). The names are the module's plain data
 * properties, read from the Node that builds; a getter it gains later is left out, and a missing name fails the build.
 */
const httpByRequire: EsbuildPlugin = {
  name: "http-by-require",
  setup(build) {
    const http = createRequire(import.meta.url)("node:http") as object;
    const names = Object.entries(Object.getOwnPropertyDescriptors(http))
      .filter(([name, d]) => "value" in d && /^[A-Za-z_$][\w$]*$/.test(name))
      .map(([name]) => name);
    const contents = `const http = require("node:http");\nexport default http;\nexport const { ${names.join(", ")} } = http;\n`;
    build.onResolve({ filter: /^(node:)?http$/ }, (args) => (args.kind === "import-statement" ? { path: "http", namespace: "http-by-require" } : undefined));
    build.onLoad({ filter: /.*/, namespace: "http-by-require" }, () => ({ contents, loader: "js" }));
  },
};

export default defineConfig({
  entry: { "cli/main": "src/cli/main.ts" },
  // production-build.sh copies it to the image's dist/cli/main.js, beside the package.json and config/ it reads.
  outDir: "dist/bundle",
  format: ["esm"],
  platform: "node",
  target: "node22",
  // Everything, workspace packages included: the image holds no node_modules.
  noExternal: [/.*/],
  splitting: false,
  treeshake: true,
  sourcemap: true,
  clean: true,
  dts: false,
  plugins: [asciiSource],
  esbuildPlugins: [leanIndexes, httpByRequire],
  // tsup's own plugin would take every `node:` import before httpByRequire sees it.
  removeNodeProtocol: false,
  esbuildOptions(options) {
    options.conditions = ["operator-ts-source"];
  },
  // CommonJS dependencies (cassandra-driver, pino) require Node's built-ins, which an ES module bundle has no
  // `require` for.
  banner: { js: 'import { createRequire as __bundleRequire } from "node:module"; const require = __bundleRequire(import.meta.url);' },
});
