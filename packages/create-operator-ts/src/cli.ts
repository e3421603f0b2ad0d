#!/usr/bin/env node
/**
 * `npm create operator-ts@latest my-op` (bin create-operator-ts) or `npx operator-ts <verb>` in a project:
 *   init [dir] [--name n] [--domain example.com] [--skip-install] [--force]
 *   create api --group g --version v1 --kind Kind [--no-resource] [--no-controller] [--force]
 *   create webhook --group g --version v1 --kind Kind [--defaulting] [--programmatic-validation] [--force]
 */
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { basename, join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { ScaffoldError } from "./names.ts";
import { createApi, createWebhook, initProject } from "./scaffold.ts";

const USAGE = `usage:
  create-operator-ts [init] <dir> [--name <name>] [--domain <domain>] [--skip-install] [--force]
  operator-ts create api --group <group> --version <version> --kind <Kind> [--no-resource] [--no-controller] [--force]
  operator-ts create webhook --group <group> --version <version> --kind <Kind> [--defaulting] [--programmatic-validation] [--force]
`;

function npm(dir: string, args: string[]): void {
  process.stderr.write(`$ npm ${args.join(" ")}\n`);
  const result = spawnSync("npm", args, { cwd: dir, stdio: "inherit" });
  if (result.error) throw new ScaffoldError(`npm ${args.join(" ")} could not start: ${result.error.message}`);
  if (result.status !== 0) throw new ScaffoldError(`npm ${args.join(" ")} failed in ${dir} (exit code ${result.status}); fix what it says and run it again there`);
}

function report(files: string[]): void {
  for (const f of files) process.stdout.write(`  wrote ${f}\n`);
}

/** create api and create webhook end as kubebuilder's do: the manifests written again, when the project is installed. */
function manifestsIfInstalled(dir: string): void {
  if (existsSync(join(dir, "node_modules"))) npm(dir, ["run", "--silent", "manifests"]);
  else process.stdout.write("next: npm install && npm run manifests\n");
}

function main(argv: string[]): number {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    allowNegative: true,
    options: {
      name: { type: "string" },
      domain: { type: "string" },
      group: { type: "string" },
      version: { type: "string" },
      kind: { type: "string" },
      resource: { type: "boolean" },
      controller: { type: "boolean" },
      defaulting: { type: "boolean" },
      "programmatic-validation": { type: "boolean" },
      "skip-install": { type: "boolean" },
      force: { type: "boolean" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  const [verb, ...rest] = positionals;
  if (verb === "create") {
    const [what] = rest;
    const { group, version, kind } = values;
    if (!group || !version || !kind) throw new ScaffoldError(`create ${what ?? "<api|webhook>"} needs --group, --version and --kind\n${USAGE}`);
    const dir = process.cwd();
    if (what === "api") {
      report(createApi(dir, { group, version, kind, resource: values.resource, controller: values.controller, force: values.force }));
    } else if (what === "webhook") {
      report(createWebhook(dir, { group, version, kind, defaulting: values.defaulting, validation: values["programmatic-validation"], force: values.force }));
    } else {
      throw new ScaffoldError(`create ${what ?? ""}: expected "create api" or "create webhook"\n${USAGE}`);
    }
    manifestsIfInstalled(dir);
    return 0;
  }
  const target = verb === "init" ? rest[0] : verb;
  const dir = resolve(target ?? ".");
  const name = values.name ?? basename(dir);
  report(initProject(dir, { name, domain: values.domain, force: values.force }));
  if (values["skip-install"]) {
    process.stdout.write(`next: cd ${target ?? "."} && npm install && npm run manifests\n`);
    return 0;
  }
  npm(dir, ["install", "--no-fund", "--no-audit"]);
  npm(dir, ["run", "--silent", "manifests"]);
  process.stdout.write(`${name} is ready. next: cd ${target ?? "."} && npx operator-ts create api --group <group> --version v1 --kind <Kind>\n`);
  return 0;
}

try {
  process.exitCode = main(process.argv.slice(2));
} catch (err) {
  if (!(err instanceof ScaffoldError) && !(err instanceof TypeError)) throw err;
  // parseArgs throws TypeErrors naming the unknown or malformed flag: a usage error, not a crash.
  process.stderr.write(`${err.message}\n${err instanceof TypeError ? USAGE : ""}`);
  process.exitCode = 2;
}
