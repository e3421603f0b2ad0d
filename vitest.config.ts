import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

const packages = fileURLToPath(new URL("./packages/", import.meta.url));

export default defineConfig({
  resolve: {
    // Workspace packages resolve to their TypeScript sources, so tests never run against a stale build.
    alias: [
      { find: /^@operator-ts\/runtime\/envtest\/setup$/, replacement: `${packages}runtime/src/envtest/setup.ts` },
      { find: /^@operator-ts\/runtime\/(.+)$/, replacement: `${packages}runtime/src/$1/index.ts` },
      { find: /^@operator-ts\/([\w-]+)$/, replacement: `${packages}$1/src/index.ts` },
    ],
  },
  test: {
    include: ["packages/*/test/**/*.test.ts", "examples/*/test/**/*.test.ts", "test/**/*.test.ts"],
    globalSetup: ["test/support/global-setup.ts"],
    reporters: ["default", "./test/support/summary-reporter.ts"],
    pool: "forks",
    // Operators log JSON lines at info; tests keep warnings and errors unless LOG_LEVEL asks for more.
    env: { LOG_LEVEL: process.env.LOG_LEVEL ?? "warn" },
    // Each worker may run several API servers; on a 2-core machine two workers keep them from starving.
    maxWorkers: 2,
    testTimeout: 120_000,
    hookTimeout: 180_000,
    teardownTimeout: 60_000,
  },
});
