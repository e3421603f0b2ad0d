import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

describe("the k8ssandra-operator bin", () => {
  it("runs the CLI's source in a checkout, with no build first", () => {
    const bin = fileURLToPath(new URL("../bin/k8ssandra-operator.js", import.meta.url));
    const { version } = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as { version: string };
    expect(execFileSync(process.execPath, [bin, "--version"], { encoding: "utf8" }).trim()).toBe(version);
  });
});
