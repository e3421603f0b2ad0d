// The Go baseline is built once per content: the binary is cached outside the repository under a hash of go.mod,
// go.sum, the Go sources and the Go version, so a warm run does not rebuild.
import { execFileSync, spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, readdir, readFile, rename, rm } from "node:fs/promises";
import { homedir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";

export const GO_BASELINE_DIR = join(import.meta.dirname, "..", "go-baseline");
const GO_ENV = { ...process.env, GOTOOLCHAIN: "local", CGO_ENABLED: "0" };

function cacheRoot(): string {
  return join(process.env.XDG_CACHE_HOME ?? join(homedir(), ".cache"), "operator-ts", "bench");
}

export async function goBaselineHash(): Promise<string> {
  const h = createHash("sha256");
  h.update(execFileSync("go", ["version"], { encoding: "utf8", env: GO_ENV }));
  const files = (await readdir(GO_BASELINE_DIR)).filter((f) => f === "go.mod" || f === "go.sum" || f.endsWith(".go")).sort();
  for (const f of files) {
    h.update(`\0${f}\0`);
    h.update(await readFile(join(GO_BASELINE_DIR, f)));
  }
  return h.digest("hex").slice(0, 16);
}

/** Path of the built go-baseline binary, building it first (with progress on `say`) when the cache lacks it. */
export async function ensureGoBaseline(say: (line: string) => void): Promise<string> {
  const dir = join(cacheRoot(), `go-baseline-${await goBaselineHash()}`);
  const binary = join(dir, "go-baseline");
  if (existsSync(binary)) {
    say(`Go baseline: cached ${binary}`);
    return binary;
  }
  await mkdir(dir, { recursive: true });
  const tmp = `${binary}.tmp-${process.pid}`;
  say("Go baseline: building (the first build compiles controller-runtime and client-go: a few minutes on 2 cores)");
  const t0 = Date.now();
  let packages = 0;
  let lastPackage = "";
  const child = spawn("go", ["build", "-v", "-trimpath", "-o", tmp, "."], { cwd: GO_BASELINE_DIR, env: GO_ENV, stdio: ["ignore", "inherit", "pipe"] });
  const other: string[] = [];
  createInterface({ input: child.stderr }).on("line", (line) => {
    // -v names each package as it is compiled; anything else is an error or a download note.
    if (/^[\w.-]+(\/[\w.~-]+)*$/.test(line.trim())) {
      packages++;
      lastPackage = line.trim();
    } else {
      other.push(line);
      say(`  go: ${line}`);
    }
  });
  const progress = setInterval(() => say(`  ...${Math.round((Date.now() - t0) / 1000)} s, ${packages} packages compiled (last: ${lastPackage})`), 10_000);
  const code = await new Promise<number | null>((resolve) => child.on("exit", resolve));
  clearInterval(progress);
  if (code !== 0) {
    await rm(tmp, { force: true });
    throw new Error(`go build of the Go baseline failed (exit ${code}):\n${other.slice(-20).join("\n")}`);
  }
  await rename(tmp, binary);
  say(`Go baseline: built ${packages} packages in ${Math.round((Date.now() - t0) / 1000)} s -> ${binary}`);
  return binary;
}
