// The operator as its image runs it: src/cli/main.ts and everything it imports in one file, tree-shaken, built from the
// workspace packages' sources (the operator-ts-source condition). Importing @kubernetes/client-node's index loads every
// generated API model; a bundle keeps only what the operator calls (see docs/benchmarks.md, "The image's bundle").
// scripts/production-build.sh runs it; `npm run build` still builds the package's own dist for npm.
import { defineConfig, type Plugin } from "tsup";

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
  esbuildOptions(options) {
    options.conditions = ["operator-ts-source"];
  },
  // CommonJS dependencies (cassandra-driver, pino) require Node's built-ins, which an ES module bundle has no
  // `require` for.
  banner: { js: 'import { createRequire as __bundleRequire } from "node:module"; const require = __bundleRequire(import.meta.url);' },
});
