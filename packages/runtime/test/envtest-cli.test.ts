import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "envtest-cli-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("operator-ts-envtest start", () => {
  it("writes the kubeconfigs into --out, making the folder first, and stops its clusters on SIGTERM", async () => {
    const out = join(dir, "not", "there", "yet");
    const bin = new URL("../bin/operator-ts-envtest.js", import.meta.url).pathname;
    const child = spawn(process.execPath, [bin, "start", "--names", "cli-out", "--out", out], { stdio: ["ignore", "pipe", "pipe"] });
    let stderr = "";
    child.stderr!.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
    const lines: string[] = [];
    for await (const line of createInterface({ input: child.stdout! })) {
      lines.push(line);
      if (line.startsWith("press Ctrl-C")) break;
    }
    expect(lines.join("\n"), stderr).toContain(`cli-out: https://`);
    const path = join(out, "cli-out.kubeconfig");
    expect(lines.join("\n")).toContain(`KUBECONFIG=${path}`);
    expect(readFileSync(path, "utf8")).toMatch(/server: https:\/\/127\.0\.0\.1:\d+/);

    child.kill("SIGTERM");
    expect(await exited, stderr).toBe(0);
  });
});
