import { readFileSync } from "node:fs";

/**
 * Ranges of what a new project depends on besides @operator-ts/*: the versions this repository builds and tests
 * with (a test keeps them equal to the root package.json's).
 */
export const toolVersions = {
  "@kubernetes/client-node": "^2.0.1",
  "@types/node": "^24.10.0",
  // @kubernetes/client-node's declarations import isomorphic-ws, whose own import "ws" has no types without this:
  // under skipLibCheck false (the project's setting) that is an error in node_modules.
  "@types/ws": "^8.18.1",
  typescript: "~5.9.3",
  vitest: "^5.1.1",
  yaml: "^2.9.1",
} as const;

/** This package's version: @operator-ts/runtime is released with it, so a new project asks for the same. */
export function ownVersion(): string {
  // src/ and dist/ are both one level below the package root.
  const manifest = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as { version: string };
  return manifest.version;
}
