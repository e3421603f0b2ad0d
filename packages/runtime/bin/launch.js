// Runs one of a package's programs. In a checkout (src/ beside dist/) that is the TypeScript source, so a bin works
// before any build and never runs a stale one; an installed package holds only dist/. The other packages' bins use
// it too (@operator-ts/runtime/launch), with their own package folder.
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { constants } from "node:os";
import { fileURLToPath } from "node:url";

/**
 * @param {string} entry the program's path under src/ and dist/, without extension
 * @param {URL | string} packageRoot the package's folder, ending in "/" (default: this package's)
 */
export async function launch(entry, packageRoot = new URL("../", import.meta.url)) {
  const source = fileURLToPath(new URL(`src/${entry}.ts`, packageRoot));
  if (!existsSync(source)) {
    const dist = new URL(`dist/${entry}.js`, packageRoot);
    // A program that runs only when it is the one node was started with (not when imported) looks at argv[1].
    process.argv[1] = fileURLToPath(dist);
    await import(dist.href);
    return;
  }
  // The source condition makes other workspace packages (a CRD module importing @operator-ts/runtime/crd) resolve
  // to their sources too: one copy of each module, as in the repository's own scripts.
  const child = spawn(process.execPath, ["--conditions=operator-ts-source", source, ...process.argv.slice(2)], { stdio: "inherit" });
  // Ctrl-C reaches the child from the terminal itself; this process only waits for it to finish its cleanup.
  process.on("SIGINT", () => {});
  process.on("SIGTERM", () => child.kill("SIGTERM"));
  child.on("exit", (code, signal) => {
    process.exitCode = code ?? 128 + (signal ? constants.signals[signal] : 0);
  });
}
