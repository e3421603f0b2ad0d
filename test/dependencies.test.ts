import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { repoRoot } from "./support/paths.ts";

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((entry) => {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) return sources(path);
    return path.endsWith(".ts") ? [path] : [];
  });
}

function packageOf(specifier: string): string {
  const parts = specifier.split("/");
  return specifier.startsWith("@") ? `${parts[0]}/${parts[1]}` : parts[0]!;
}

// A bare import missing from package.json works in this workspace (hoisting) but breaks the published package: tsup
// bundles undeclared modules, and a bundled CommonJS module cannot require Node's built-ins from ESM.
describe("every package declares what its sources import", () => {
  for (const dir of ["packages/runtime", "packages/multicluster", "packages/k8ssandra-operator", "examples/memcached", "examples/secret-mirror"]) {
    it(dir, () => {
      const manifest = JSON.parse(readFileSync(join(repoRoot, dir, "package.json"), "utf8")) as {
        name: string;
        dependencies?: Record<string, string>;
      };
      const declared = new Set([manifest.name, ...Object.keys(manifest.dependencies ?? {})]);
      const missing = new Set<string>();
      for (const file of sources(join(repoRoot, dir, "src"))) {
        for (const m of readFileSync(file, "utf8").matchAll(/^\s*(?:import|export)[^"']*from\s+["']([^"'.][^"']*)["']/gm)) {
          const specifier = m[1]!;
          if (specifier.startsWith("node:")) continue;
          if (!declared.has(packageOf(specifier))) missing.add(`${packageOf(specifier)} (${file.slice(repoRoot.length + 1)})`);
        }
      }
      expect([...missing]).toEqual([]);
    });
  }
});
