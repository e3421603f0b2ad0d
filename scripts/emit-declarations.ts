// Emits a package's declarations with tsc, one .d.ts per source file, into its dist (run from the package folder,
// after tsup has bundled the JavaScript). tsup's rolled-up declarations broke namespace re-exports (TS2693 under
// skipLibCheck: false) and left most types unnamed; per-file output keeps every exported name where the sources
// put it. tsc keeps the sources' ".ts" specifiers in declarations, so they are turned into the ".js" a consumer's
// resolver expects.
import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";

const tsc = createRequire(import.meta.url).resolve("typescript/bin/tsc");
execFileSync(process.execPath, [tsc, "-p", "tsconfig.build.json"], { stdio: "inherit" });

function declarations(dir: string): string[] {
  return readdirSync(dir).flatMap((entry) => {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) return declarations(path);
    return path.endsWith(".d.ts") ? [path] : [];
  });
}

const relative = /((?:from|import)\s*\(?\s*["'])(\.\.?\/[^"']*?)\.ts(["'])/g;
for (const file of declarations("dist")) {
  const text = readFileSync(file, "utf8");
  const rewritten = text.replace(relative, "$1$2.js$3");
  if (rewritten !== text) writeFileSync(file, rewritten);
}
