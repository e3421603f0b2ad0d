// The TS side as it ships: bundled and tree-shaken with the options the K8ssandra operator's image is built with
// (packages/k8ssandra-operator/tsup.bundle.config.ts: everything in one file, workspace packages from their sources),
// run with plain `node`, not from source with type stripping. Built once per run into a temporary folder outside the
// repository, removed when the harness exits.
import { rmSync } from "node:fs";
import { cp, mkdir, mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { build, type Options } from "tsup";
import type { Context } from "./context.ts";

let runDir: Promise<string> | undefined;
const built = new Map<string, Promise<unknown>>();

function dir(): Promise<string> {
  runDir ??= mkdtemp(join(tmpdir(), "operator-ts-bench-bundles-")).then((d) => {
    process.once("exit", () => rmSync(d, { recursive: true, force: true }));
    return d;
  });
  return runDir;
}

async function shippedOptions(tsRoot: string): Promise<Options> {
  const config = ((await import(join(tsRoot, "packages", "k8ssandra-operator", "tsup.bundle.config.ts"))) as { default: unknown }).default;
  if (typeof config !== "object" || config === null || Array.isArray(config)) throw new Error("tsup.bundle.config.ts no longer exports one options object");
  return config as Options;
}

async function bundle(ctx: Context, entryName: string, entry: string, outDir: string): Promise<void> {
  const t0 = Date.now();
  await build({
    ...(await shippedOptions(ctx.tsRoot)),
    entry: { [entryName]: entry },
    outDir,
    // These options alone, not a config file found from the harness's folder; the root tsconfig, as the image's
    // build (run in packages/k8ssandra-operator, which has none of its own) finds it.
    config: false,
    tsconfig: join(ctx.tsRoot, "tsconfig.json"),
    silent: true,
  });
  ctx.say(`  bundled ${entry} in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
}

function once<T>(key: string, make: () => Promise<T>): Promise<T> {
  let p = built.get(key) as Promise<T> | undefined;
  if (!p) built.set(key, (p = make()));
  return p;
}

/** bench/ts/<scenario>.ts bundled as the operator is: the path of the .js file to run with `node`. */
export function bundledProgram(ctx: Context, scenario: string): Promise<string> {
  return once(`program:${scenario}`, async () => {
    // A folder each: the shipped options clean their output folder first.
    const out = join(await dir(), "programs", scenario);
    await bundle(ctx, scenario, join(ctx.tsRoot, "bench", "ts", `${scenario}.ts`), out);
    // An ES module bundle; without a package.json saying so, node would take the .js for CommonJS first.
    await writeFile(join(out, "package.json"), '{ "type": "module" }\n');
    return join(out, `${scenario}.js`);
  });
}

export interface BuiltOperator {
  /** node's arguments before the script, and the environment, from the image's Dockerfile. */
  nodeArgs: string[];
  env: Record<string, string>;
  main: string;
}

/** The image's ENTRYPOINT flags and ENV lines, so that the operator runs here as its container runs it. */
async function imageCommand(tsRoot: string): Promise<{ nodeArgs: string[]; env: Record<string, string> }> {
  const dockerfile = await readFile(join(tsRoot, "packages", "k8ssandra-operator", "Dockerfile"), "utf8");
  const entry = /^ENTRYPOINT\s+(\[.*\])\s*$/m.exec(dockerfile)?.[1];
  if (!entry) throw new Error("no ENTRYPOINT [...] line in the operator's Dockerfile");
  const words = JSON.parse(entry) as string[];
  const env: Record<string, string> = {};
  for (const m of dockerfile.matchAll(/^ENV\s+(\w+)=(\S+)\s*$/gm)) env[m[1]!] = m[2]!;
  return { nodeArgs: words.slice(1, -1), env };
}

/**
 * The K8ssandra operator as scripts/production-build.sh lays it out in the image's /app: its bundle of src/cli/main.ts
 * in dist/cli/main.js, beside the package.json (its version) and config/ (its RBAC) the CLI reads.
 */
export function builtOperator(ctx: Context): Promise<BuiltOperator> {
  return once("operator", async () => {
    const app = join(await dir(), "app");
    const pkg = join(ctx.tsRoot, "packages", "k8ssandra-operator");
    await bundle(ctx, "cli/main", join(pkg, "src", "cli", "main.ts"), join(app, "dist"));
    await mkdir(app, { recursive: true });
    await cp(join(pkg, "package.json"), join(app, "package.json"));
    await cp(join(pkg, "config"), join(app, "config"), { recursive: true });
    return { ...(await imageCommand(ctx.tsRoot)), main: join(app, "dist", "cli", "main.js") };
  });
}
