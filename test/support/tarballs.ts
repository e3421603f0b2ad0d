import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { setTimeout as delay } from "node:timers/promises";
import { promisify } from "node:util";
import { repoRoot } from "./paths.ts";

const run = promisify(execFile);

/** The published packages, in build order (each builds against the dist of the ones before it). */
export const publishedPackages = {
  "@operator-ts/runtime": "packages/runtime",
  "@operator-ts/multicluster": "packages/multicluster",
  "@operator-ts/k8ssandra-operator": "packages/k8ssandra-operator",
} as const;

function log(message: string): void {
  process.stderr.write(`tarballs: ${message}\n`);
}

function filesUnder(path: string): string[] {
  if (!existsSync(path)) return [];
  if (!statSync(path).isDirectory()) return [path];
  return readdirSync(path)
    .sort()
    .flatMap((entry) => (entry === "node_modules" || entry === "dist" ? [] : filesUnder(join(path, entry))));
}

// What a build and a pack read: a change to any of it makes new tarballs, anything else reuses the last ones, so
// several test files (and several vitest workers) in one run build once.
function sourceHash(): string {
  const hash = createHash("sha256");
  for (const dir of Object.values(publishedPackages)) {
    for (const file of filesUnder(join(repoRoot, dir))) {
      if (file.includes(`${join(repoRoot, dir, "test")}/`)) continue;
      hash.update(file.slice(repoRoot.length)).update("\0").update(readFileSync(file)).update("\0");
    }
  }
  for (const file of ["package-lock.json", "tsconfig.json", "tsconfig.base.json", "README.md", "LICENSE"]) {
    const path = join(repoRoot, file);
    if (existsSync(path)) hash.update(file).update("\0").update(readFileSync(path));
  }
  return hash.digest("hex").slice(0, 16);
}

async function npm(args: string[], cwd: string): Promise<string> {
  try {
    const { stdout } = await run("npm", args, { cwd, maxBuffer: 64 * 1024 * 1024, env: { ...process.env, npm_config_update_notifier: "false" } });
    return stdout;
  } catch (err) {
    const e = err as Error & { stdout?: string; stderr?: string };
    throw new Error(`npm ${args.join(" ")} (in ${cwd}) failed: ${e.message}\n${e.stdout ?? ""}\n${e.stderr ?? ""}`);
  }
}

async function buildAndPack(into: string): Promise<void> {
  for (const [name, dir] of Object.entries(publishedPackages)) {
    const started = Date.now();
    log(`building ${name}`);
    await npm(["run", "build"], join(repoRoot, dir));
    const out = await npm(["pack", "--json", "--pack-destination", into], join(repoRoot, dir));
    const [packed] = JSON.parse(out) as Array<{ filename: string }>;
    if (!packed) throw new Error(`npm pack of ${name} reported no tarball`);
    renameSync(join(into, packed.filename), join(into, `${name.replace("@operator-ts/", "")}.tgz`));
    log(`packed ${name} in ${Math.round((Date.now() - started) / 1000)} s`);
  }
}

let packed: Promise<string> | undefined;

/** The folder holding this source state's tarballs, built and packed once per state; concurrent callers wait on a lock. */
async function cachedTarballs(): Promise<string> {
  const root = join(tmpdir(), "operator-ts-tarballs");
  const ready = join(root, sourceHash());
  const lock = join(root, "lock");
  mkdirSync(root, { recursive: true });
  for (;;) {
    if (existsSync(ready)) return ready;
    try {
      mkdirSync(lock);
    } catch {
      // A lock left by a run that died holds nobody up for long: a build and pack take well under ten minutes.
      const held = statSync(lock, { throwIfNoEntry: false });
      if (held && Date.now() - held.mtimeMs > 10 * 60_000) rmSync(lock, { recursive: true, force: true });
      await delay(500);
      continue;
    }
    try {
      if (existsSync(ready)) return ready;
      const staging = join(root, `staging-${process.pid}`);
      rmSync(staging, { recursive: true, force: true });
      mkdirSync(staging);
      await buildAndPack(staging);
      renameSync(staging, ready);
      // Earlier source states' tarballs are of no further use: one state's worth is kept.
      for (const entry of readdirSync(root)) {
        if (/^[0-9a-f]{16}$/.test(entry) && join(root, entry) !== ready) rmSync(join(root, entry), { recursive: true, force: true });
      }
      return ready;
    } finally {
      rmSync(lock, { recursive: true, force: true });
    }
  }
}

/**
 * Builds the published packages (`npm run build`) and packs them (`npm pack`) into outDir; returns each package's
 * name with the absolute path of its tarball. The build runs once per state of the sources, shared by every caller
 * in a run.
 */
export async function packPackages(outDir: string): Promise<Record<string, string>> {
  packed ??= cachedTarballs().catch((err: unknown) => {
    packed = undefined;
    throw err;
  });
  const from = await packed;
  mkdirSync(outDir, { recursive: true });
  const tarballs: Record<string, string> = {};
  for (const name of Object.keys(publishedPackages)) {
    const file = `${name.replace("@operator-ts/", "")}.tgz`;
    const to = resolve(outDir, file);
    copyFileSync(join(from, file), to);
    tarballs[name] = to;
  }
  return tarballs;
}

function rootDevDependency(name: string): string {
  const manifest = JSON.parse(readFileSync(join(repoRoot, "package.json"), "utf8")) as { devDependencies: Record<string, string> };
  const version = manifest.devDependencies[name];
  if (!version) throw new Error(`the repository's package.json has no devDependency ${name}`);
  return version;
}

/**
 * Makes projectDir a project that depends on the given tarballs (as `file:` dependencies, the way a user installs
 * downloaded packages) and installs them with `npm install`; its devDependencies are TypeScript and @types/node at
 * the repository's versions, plus extraDeps (name -> version range from the npm registry, e.g. vitest).
 */
export async function installTarballs(projectDir: string, tarballs: Record<string, string>, extraDeps: Record<string, string> = {}): Promise<void> {
  mkdirSync(projectDir, { recursive: true });
  const manifest = {
    name: "operator-ts-tarball-user",
    version: "0.0.0",
    private: true,
    type: "module",
    dependencies: Object.fromEntries(Object.entries(tarballs).map(([name, path]) => [name, `file:${path}`])),
    devDependencies: { typescript: rootDevDependency("typescript"), "@types/node": rootDevDependency("@types/node"), ...extraDeps },
  };
  writeFileSync(join(projectDir, "package.json"), `${JSON.stringify(manifest, null, 2)}\n`);
  const started = Date.now();
  log(`installing ${Object.keys(tarballs).join(", ")} into ${projectDir}`);
  await npm(["install", "--no-audit", "--no-fund", "--prefer-offline"], projectDir);
  log(`installed in ${Math.round((Date.now() - started) / 1000)} s`);
}
