// The operator as its image runs it: src/cli/main.ts and everything it imports in one file, tree-shaken, built from the
// workspace packages' sources (the operator-ts-source condition). Importing @kubernetes/client-node's index loads every
// generated API model; a bundle keeps only what the operator calls (see docs/benchmarks.md, "The image's bundle").
// scripts/production-build.sh runs it; `npm run build` still builds the package's own dist for npm.
import { defineConfig } from "tsup";

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
  esbuildOptions(options) {
    options.conditions = ["operator-ts-source"];
  },
  // CommonJS dependencies (cassandra-driver, pino) require Node's built-ins, which an ES module bundle has no
  // `require` for.
  banner: { js: 'import { createRequire as __bundleRequire } from "node:module"; const require = __bundleRequire(import.meta.url);' },
});
