import { defineConfig } from "tsup";

export default defineConfig({
  entry: {
    index: "src/index.ts",
    "envtest/index": "src/envtest/index.ts",
    "envtest/cli": "src/envtest/cli.ts",
    "envtest/setup": "src/envtest/setup.ts",
    "fake/index": "src/fake/index.ts",
    "crd/index": "src/crd/index.ts",
    "crd/cli": "src/crd/cli.ts",
    "webhook/index": "src/webhook/index.ts",
  },
  format: ["esm"],
  // Declarations come from tsc, per source file (scripts/emit-declarations.ts): tsup's rollup broke namespaces.
  dts: false,
  sourcemap: true,
  clean: true,
  target: "node22",
});
