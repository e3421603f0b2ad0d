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

interface Manifest {
  name: string;
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
}

/** Each package a folder's sources import, with the first file that does. */
function imported(dir: string): Map<string, string> {
  const found = new Map<string, string>();
  for (const file of sources(dir)) {
    for (const m of readFileSync(file, "utf8").matchAll(/^\s*(?:import|export)[^"']*from\s+["']([^"'.][^"']*)["']/gm)) {
      const specifier = m[1]!;
      if (specifier.startsWith("node:")) continue;
      if (!found.has(packageOf(specifier))) found.set(packageOf(specifier), file.slice(repoRoot.length + 1));
    }
  }
  return found;
}

// A bare import missing from package.json works in this workspace (hoisting) but breaks the published package: tsup
// bundles undeclared modules, and a bundled CommonJS module cannot require Node's built-ins from ESM. A declared
// dependency nothing imports is installed by every user for nothing. What ships is checked exactly, against the
// built dist, by test/tarballs.test.ts; here the sources, without a build: dev-only code (the k8ssandra simulator and
// demo) may use devDependencies.
// Packages only the emitted declarations import: the operator's CRD types are TypeBox schemas, inferred.
const declarationsOnly: Record<string, string[]> = { "packages/k8ssandra-operator": ["@sinclair/typebox"] };

describe("every package declares what its sources import, and nothing more", () => {
  for (const dir of ["packages/runtime", "packages/multicluster", "packages/k8ssandra-operator", "examples/memcached", "examples/secret-mirror"]) {
    it(dir, () => {
      const manifest = JSON.parse(readFileSync(join(repoRoot, dir, "package.json"), "utf8")) as Manifest;
      const uses = imported(join(repoRoot, dir, "src"));
      const declared = new Set([manifest.name, ...Object.keys(manifest.dependencies ?? {}), ...Object.keys(manifest.devDependencies ?? {})]);
      expect([...uses].filter(([pkg]) => !declared.has(pkg)).map(([pkg, file]) => `${pkg} (${file})`)).toEqual([]);
      const unused = Object.keys(manifest.dependencies ?? {}).filter((pkg) => !uses.has(pkg) && !declarationsOnly[dir]?.includes(pkg));
      expect(unused).toEqual([]);
    });
  }
});
