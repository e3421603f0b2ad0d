import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { packPackages } from "../../../test/support/tarballs.ts";

const exec = promisify(execFile);
const packageDir = fileURLToPath(new URL("..", import.meta.url));
const work = mkdtempSync(join(tmpdir(), "create-operator-ts-e2e-"));
afterAll(() => {
  if (!process.env.OPERATOR_TS_KEEP_SCAFFOLD) rmSync(work, { recursive: true, force: true });
});

/** Runs a command as a user would in a shell, failing with its output; the step's duration goes to stderr. */
async function sh(cwd: string, command: string, ...args: string[]): Promise<string> {
  const started = Date.now();
  try {
    const { stdout, stderr } = await exec(command, args, {
      cwd,
      maxBuffer: 64 * 1024 * 1024,
      env: { ...process.env, npm_config_update_notifier: "false", npm_config_fund: "false", npm_config_audit: "false" },
    });
    return stdout + stderr;
  } catch (err) {
    const e = err as Error & { stdout?: string; stderr?: string };
    throw new Error(`${command} ${args.join(" ")} failed in ${cwd}: ${e.message}\n${e.stdout ?? ""}\n${e.stderr ?? ""}`);
  } finally {
    process.stderr.write(`scaffold e2e: ${command} ${args.join(" ")}: ${Math.round((Date.now() - started) / 1000)} s\n`);
  }
}

describe("a project scaffolded from the packed tarballs, in a folder outside the repository", () => {
  it("installs, grows an API with a controller and webhooks, typechecks strictly and passes its own tests", { timeout: 20 * 60_000 }, async () => {
    const tarballDir = join(work, "tarballs");
    const tarballs = await packPackages(tarballDir);
    // This package is published beside the others: built and packed the same way.
    await sh(packageDir, "npm", "run", "build");
    const [packed] = JSON.parse(await sh(packageDir, "npm", "pack", "--json", "--silent", "--pack-destination", tarballDir)) as { filename: string }[];
    const scaffold = join(tarballDir, packed!.filename);

    // What `npm create operator-ts@latest guestbook-operator` runs: the package's create-operator-ts bin.
    await sh(work, "npm", "exec", "--yes", `--package=file:${scaffold}`, "--", "create-operator-ts", "guestbook-operator", "--domain", "my.domain", "--skip-install");
    const project = join(work, "guestbook-operator");
    // The registry does not have these versions: the tarballs stand in for it.
    const manifestPath = join(project, "package.json");
    const manifest = JSON.parse(readFileSync(manifestPath, "utf8")) as { dependencies: Record<string, string>; devDependencies: Record<string, string> };
    manifest.dependencies["@operator-ts/runtime"] = `file:${tarballs["@operator-ts/runtime"]}`;
    manifest.devDependencies["create-operator-ts"] = `file:${scaffold}`;
    writeFileSync(manifestPath, `${JSON.stringify(manifest, null, 2)}\n`);
    await sh(project, "npm", "install", "--prefer-offline");

    // In the project, through its own devDependency's bin, as kubebuilder's create api and create webhook.
    await sh(project, "npx", "operator-ts", "create", "api", "--group", "webapp", "--version", "v1", "--kind", "Guestbook");
    await sh(project, "npx", "operator-ts", "create", "webhook", "--group", "webapp", "--version", "v1", "--kind", "Guestbook", "--defaulting", "--programmatic-validation");

    await sh(project, "npm", "run", "typecheck");
    // Without the colours vitest adds when the outer run has them.
    const tests = (await sh(project, "npm", "test")).replace(/\u001b\[[0-9;]*m/g, "");
    expect(tests).toMatch(/Tests\s+\S*\s*\d+ passed/);
    expect(tests).not.toMatch(/\d+ (failed|skipped)/);
    // The first reconciles of a healthy controller log no errors (a status write that conflicts would).
    expect(tests).not.toContain('"level":50');
    await sh(project, "npm", "run", "verify-manifests");
    await sh(project, "npm", "run", "build");

    // Least privilege: the reconciled kind, what it owns, Events; nothing cluster-wide beyond that.
    const role = readFileSync(join(project, "config/rbac/role.yaml"), "utf8");
    expect(role).toContain("name: guestbook-operator-manager-role");
    expect(role).toContain("      - guestbooks/status\n");
    expect(role).not.toContain("'*'");
    expect(readFileSync(join(project, "config/crd/webapp.my.domain_guestbooks.yaml"), "utf8")).toContain("name: guestbooks.webapp.my.domain");
    expect(readFileSync(join(project, "config/webhook/manifests.yaml"), "utf8")).toContain("path: /validate-webapp-my-domain-v1-guestbook");
  });
});
