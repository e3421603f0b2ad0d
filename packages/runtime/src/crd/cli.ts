#!/usr/bin/env node
/**
 * Writes config/crd files from the custom resources that modules export:
 *   operator-ts-crd <out-dir> <module.ts>... [--check]
 * With --check nothing is written and the exit code is 1 when a file is missing or out of date.
 */
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { isCustomResourceType, staleCRDs, writeCRDs } from "./write.ts";

async function main(args: string[]): Promise<number> {
  const check = args.includes("--check");
  const [dir, ...modules] = args.filter((a) => a !== "--check");
  if (!dir || !modules.length) {
    process.stderr.write("usage: operator-ts-crd <out-dir> <module>... [--check]\n");
    return 2;
  }
  const defs = [];
  for (const module of modules) {
    const exports = (await import(pathToFileURL(resolve(module)).href)) as Record<string, unknown>;
    defs.push(...Object.values(exports).filter(isCustomResourceType));
  }
  if (!defs.length) {
    process.stderr.write(`no custom resources exported by ${modules.join(", ")}\n`);
    return 1;
  }
  if (check) {
    const stale = await staleCRDs(dir, defs);
    for (const path of stale) process.stderr.write(`out of date: ${path}\n`);
    return stale.length ? 1 : 0;
  }
  for (const path of await writeCRDs(dir, defs)) process.stdout.write(`${path}\n`);
  return 0;
}

process.exitCode = await main(process.argv.slice(2));
