import { execFile } from "node:child_process";
import { builtinModules } from "node:module";
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { repoRoot } from "./support/paths.ts";
import { installTarballs, packPackages, publishedPackages } from "./support/tarballs.ts";

const run = promisify(execFile);
const fixture = join(repoRoot, "test", "fixtures", "two-cluster-operator");

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((entry) => {
    const path = join(dir, entry);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

function packageOf(specifier: string): string {
  const parts = specifier.split("/");
  return specifier.startsWith("@") ? `${parts[0]}/${parts[1]}` : parts[0]!;
}

/** The packages a dist imports, in its JavaScript and its declarations. */
function distImports(dist: string): Set<string> {
  const found = new Set<string>();
  const builtins = new Set(builtinModules);
  for (const file of filesUnder(dist)) {
    if (!/\.(js|d\.ts)$/.test(file)) continue;
    const text = readFileSync(file, "utf8");
    for (const m of text.matchAll(/(?:^|[\s;])(?:import|export)\s[^"';]*?from\s*["']([^"']+)["']|import\(\s*["']([^"']+)["']\s*\)|^import\s+["']([^"']+)["']/gm)) {
      const specifier = (m[1] ?? m[2] ?? m[3])!;
      if (specifier.startsWith(".") || specifier.startsWith("node:") || builtins.has(specifier.split("/")[0]!)) continue;
      found.add(packageOf(specifier));
    }
  }
  return found;
}

/** Every import from @operator-ts/* in the docs' code, made type-only: each name must be exported by the dist. */
function docsImports(): string[] {
  const docs = [join(repoRoot, "README.md"), ...filesUnder(join(repoRoot, "docs")).filter((f) => !f.includes("/research/")), ...Object.values(publishedPackages).map((dir) => join(repoRoot, dir, "README.md"))];
  const lines = new Set<string>();
  for (const file of docs.filter((f) => f.endsWith(".md"))) {
    for (const m of readFileSync(file, "utf8").matchAll(/import\s+(?:type\s+)?\{([^}]*)\}\s+from\s+"(@operator-ts\/[^"]+)"/g)) {
      const names = m[1]!.split(",").map((n) => n.trim().replace(/^type\s+/, "")).filter(Boolean);
      lines.add(`import type { ${names.join(", ")} } from "${m[2]}";`);
    }
  }
  return [...lines];
}

describe("the packed tarballs, installed into a project outside the repository", () => {
  let root: string;
  let tarballs: Record<string, string>;
  let project: string;

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), "operator-ts-tarballs-"));
    tarballs = await packPackages(join(root, "tarballs"));
    project = join(root, "project");
    cpSync(fixture, project, { recursive: true });
    // @kubernetes/client-node's declarations import ws (through isomorphic-ws) without depending on its types.
    await installTarballs(project, tarballs, { "@types/ws": "^8.18.1" });
  }, 600_000);

  afterAll(() => {
    if (root) rmSync(root, { recursive: true, force: true });
  });

  it("hold README, LICENSE, package.json and dist (the operator: its config too), no sources", async () => {
    for (const [name, tarball] of Object.entries(tarballs)) {
      const { stdout } = await run("tar", ["-tzf", tarball]);
      const entries = stdout.split("\n").filter(Boolean).map((e) => e.replace(/^package\//, ""));
      const tops = [...new Set(entries.map((e) => e.split("/")[0]))].sort();
      const expected = {
        "@operator-ts/runtime": ["LICENSE", "README.md", "bin", "dist", "package.json"],
        "@operator-ts/multicluster": ["LICENSE", "README.md", "bin", "dist", "package.json"],
        "@operator-ts/k8ssandra-operator": ["LICENSE", "README.md", "bin", "config", "dist", "package.json"],
      };
      expect(tops, name).toEqual(expected[name as keyof typeof expected] ?? ["LICENSE", "README.md", "dist", "package.json"]);
      expect(entries.filter((e) => e.includes("simulator")), name).toEqual([]);
    }
  });

  it("declare exactly the packages their dist imports, and each other with caret ranges", () => {
    for (const name of Object.keys(publishedPackages)) {
      const dir = join(project, "node_modules", name);
      const manifest = JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as { dependencies?: Record<string, string> };
      const declared = Object.keys(manifest.dependencies ?? {}).sort();
      expect([...distImports(join(dir, "dist"))].filter((p) => p !== name).sort(), name).toEqual(declared);
      for (const [dep, range] of Object.entries(manifest.dependencies ?? {})) {
        if (dep.startsWith("@operator-ts/")) expect(range, `${name} -> ${dep}`).toMatch(/^\^/);
      }
    }
  });

  it("typecheck a two-cluster operator, the names the docs import and the types they name, strictly, with skipLibCheck off", async () => {
    mkdirSync(join(project, "check"), { recursive: true });
    // A file per import: the same name imported from two modules is no clash then.
    docsImports().forEach((line, i) => writeFileSync(join(project, "check", `docs-${i}.ts`), `${line}\n`));
    writeFileSync(
      join(project, "check", "public-types.ts"),
      [
        'import type { client, CreateOptions, GetOptions, labels, LabelSelector, ListOptions, log, Logger, PatchOptions } from "@operator-ts/runtime";',
        'import type { TestCluster } from "@operator-ts/runtime/envtest";',
        'import { startClusters } from "@operator-ts/runtime/envtest";',
        "export type Named = [LabelSelector, CreateOptions, PatchOptions, GetOptions, ListOptions, Logger, labels.LabelSelector, client.CreateOptions, client.PatchOptions, log.Logger];",
        "export async function two(): Promise<[TestCluster, TestCluster]> {",
        "  const [a, b] = await startClusters(2);",
        "  return [a, b];",
        "}",
        "",
      ].join("\n"),
    );
    const tsc = join(project, "node_modules", "typescript", "bin", "tsc");
    const result = await run(process.execPath, [tsc, "-p", "tsconfig.json"], { cwd: project }).catch((err: { stdout?: string }) => ({ stdout: err.stdout ?? String(err) }));
    expect(result.stdout).toBe("");
  });

  it("link the bins, which run from dist", async () => {
    const bin = (name: string) => join(project, "node_modules", ".bin", name);
    const { stdout } = await run(bin("operator-ts-envtest"), ["--help"], { cwd: project });
    expect(stdout).toMatch(/^usage:\n {2}operator-ts-envtest setup/);
    const operator = await run(bin("k8ssandra-operator"), ["--version"], { cwd: project });
    expect(operator.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
    // A bad flag: the preflight program ran (it parsed its arguments) without reaching any cluster.
    const preflight = await run(bin("operator-ts-preflight"), ["--bogus"], { cwd: project }).catch((err: { code?: number; stderr?: string }) => err);
    expect(preflight).toMatchObject({ code: 2, stderr: expect.stringMatching(/^preflight: Unknown option '--bogus'/) });
  });

  it("are small in declarations: a kind constant is named, not spelled out", () => {
    const kinds = readFileSync(join(project, "node_modules", "@operator-ts", "runtime", "dist", "api", "kinds.d.ts"), "utf8");
    expect(kinds).toContain("export declare const Pod: ResourceType<Pod>;");
  });

  it("run the operator's fake-client and API-server tests with plain node, without a build step or a helper of the author's own", async () => {
    const lines = filesUnder(join(project, "src")).concat(filesUnder(join(project, "test"))).reduce((n, f) => n + readFileSync(f, "utf8").split("\n").length, 0);
    expect(lines).toBeLessThan(150);
    const { stdout } = await run(process.execPath, ["--test", "--test-reporter=tap", "--test-global-setup=node_modules/@operator-ts/runtime/dist/envtest/setup.js", "test/fake-client.spec.ts", "test/api-server.spec.ts"], {
      cwd: project,
      env: { ...process.env, LOG_LEVEL: "warn" },
    });
    expect(stdout).toMatch(/^# pass 2$/m);
    expect(stdout).toMatch(/^# fail 0$/m);
  });
});
