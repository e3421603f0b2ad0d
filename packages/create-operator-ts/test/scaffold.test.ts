import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { createApi, createWebhook, initProject, readProject, ScaffoldError, toolVersions } from "../src/index.ts";
import { repoRoot } from "../../../test/support/paths.ts";

const root = mkdtempSync(join(tmpdir(), "create-operator-ts-unit-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

let n = 0;
const newProject = () => {
  const dir = join(root, `p${n++}`);
  initProject(dir, { name: "guestbook-operator", domain: "my.domain" });
  return dir;
};
const read = (dir: string, file: string) => readFileSync(join(dir, file), "utf8");

describe("create-operator-ts init", () => {
  it("lays out a project with kubebuilder's scripts, strict TypeScript and the runtime at this scaffold's version", () => {
    const dir = newProject();
    const manifest = JSON.parse(read(dir, "package.json")) as { scripts: Record<string, string>; dependencies: Record<string, string> };
    expect(Object.keys(manifest.scripts)).toEqual(expect.arrayContaining(["build", "test", "run", "manifests", "generate", "typecheck"]));
    const own = JSON.parse(read(join(repoRoot, "packages/create-operator-ts"), "package.json")) as { version: string };
    expect(manifest.dependencies["@operator-ts/runtime"]).toBe(`^${own.version}`);
    const tsconfig = JSON.parse(read(dir, "tsconfig.json")) as { compilerOptions: Record<string, unknown> };
    expect(tsconfig.compilerOptions).toMatchObject({ strict: true, skipLibCheck: false, noUncheckedIndexedAccess: true });
    expect(read(dir, "src/main.ts")).toContain("parseStandardFlags(");
    expect(readProject(dir)).toEqual({ version: 1, projectName: "guestbook-operator", domain: "my.domain", resources: [] });
  });

  it("asks for the tool versions this repository builds with", () => {
    const rootManifest = JSON.parse(read(repoRoot, "package.json")) as { devDependencies: Record<string, string> };
    const runtime = JSON.parse(read(join(repoRoot, "packages/runtime"), "package.json")) as { dependencies: Record<string, string> };
    for (const tool of ["typescript", "vitest", "@types/node"] as const) expect(toolVersions[tool]).toBe(rootManifest.devDependencies[tool]);
    for (const dep of ["@kubernetes/client-node", "yaml"] as const) expect(toolVersions[dep]).toBe(runtime.dependencies[dep]);
  });

  it("refuses bad names and non-empty folders with the rule they break", () => {
    expect(() => initProject(join(root, "bad"), { name: "Guestbook_Operator" })).toThrow(/must be lowercase letters, digits and "-"/);
    expect(() => initProject(join(root, "bad"), { name: "ok", domain: "localhost" })).toThrow(/must be a DNS name with a dot/);
    const dir = newProject();
    expect(() => initProject(dir, { name: "again" })).toThrow(ScaffoldError);
    expect(() => initProject(dir, { name: "again" })).toThrow(/is not empty/);
  });
});

describe("create api and create webhook", () => {
  it("write the type, controller, tests and sample, and wire them into setup.ts at the markers", () => {
    const dir = newProject();
    expect(createApi(dir, { group: "webapp", version: "v1", kind: "Guestbook" })).toEqual([
      "src/api/v1/guestbook.ts",
      "config/samples/webapp_v1_guestbook.yaml",
      "src/controllers/guestbook.ts",
      "test/guestbook.test.ts",
      "test/guestbook.envtest.test.ts",
    ]);
    expect(read(dir, "src/api/v1/guestbook.ts")).toContain('group: "webapp.my.domain"');
    const setup = read(dir, "src/setup.ts");
    expect(setup).toContain('import { Guestbook } from "./api/v1/guestbook.ts";\nimport { setupGuestbookController, guestbookPermissions } from "./controllers/guestbook.ts";\n// +operator-ts:scaffold:imports');
    expect(setup).toContain("  Guestbook,\n  // +operator-ts:scaffold:apis");
    expect(setup).toContain("  await setupGuestbookController(mgr);\n  // +operator-ts:scaffold:controllers");

    expect(createWebhook(dir, { group: "webapp", version: "v1", kind: "Guestbook", defaulting: true })).toEqual(["src/webhooks/guestbook.ts", "test/guestbook-webhook.test.ts"]);
    const webhook = read(dir, "src/webhooks/guestbook.ts");
    expect(webhook).toContain(".for(Guestbook).withDefaulter(guestbookDefaulter).complete()");
    expect(webhook).not.toContain("Validator");
    expect(read(dir, "src/setup.ts")).toContain("  setupGuestbookWebhook,\n  // +operator-ts:scaffold:webhooks");
    expect(readProject(dir).resources).toEqual([{ group: "webapp", version: "v1", kind: "Guestbook", controller: true, webhooks: { defaulting: true, validation: false } }]);
  });

  it("refuse what would clash or has nothing to attach to", () => {
    const dir = newProject();
    expect(() => createApi(dir, { group: "webapp", version: "1", kind: "Guestbook" })).toThrow(/must look like v1, v1beta1/);
    expect(() => createApi(dir, { group: "webapp", version: "v1", kind: "guestbook" })).toThrow(/must be PascalCase/);
    expect(() => createWebhook(dir, { group: "webapp", version: "v1", kind: "Guestbook", validation: true })).toThrow(/run create api for it first/);
    createApi(dir, { group: "webapp", version: "v1", kind: "Guestbook" });
    expect(() => createApi(dir, { group: "webapp", version: "v1", kind: "Guestbook" })).toThrow(/exists in operator-ts.json already/);
    expect(() => createApi(dir, { group: "shop", version: "v1", kind: "Guestbook" })).toThrow(/exists in group webapp already/);
    expect(() => createWebhook(dir, { group: "webapp", version: "v1", kind: "Guestbook" })).toThrow(/--defaulting, --programmatic-validation or both/);
    expect(() => initProject(join(dir, "src"), { name: "x" })).toThrow(/is not empty/);
  });

  it("refuses to edit a setup.ts that lost a marker, saying which, before writing anything", () => {
    const dir = newProject();
    const setup = join(dir, "src/setup.ts");
    writeFileSync(setup, readFileSync(setup, "utf8").replace("  // +operator-ts:scaffold:apis\n", ""));
    expect(() => createApi(dir, { group: "webapp", version: "v1", kind: "Guestbook" })).toThrow(/lost its "\/\/ \+operator-ts:scaffold:apis" comment/);
    expect(existsSync(join(dir, "src/api/v1/guestbook.ts"))).toBe(false);
    expect(readProject(dir).resources).toEqual([]);
  });
});
