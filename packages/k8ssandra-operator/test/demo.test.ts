import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const root = fileURLToPath(new URL("../../..", import.meta.url));

describe("the README's demo command", () => {
  it("brings a 2-DC K8ssandraCluster up across three local clusters, prints every cluster's state, and tears down", async () => {
    const child = spawn(process.execPath, ["--conditions=operator-ts-source", "scripts/demo.ts", "--exit-when-ready", "--simulator=instant", "--ready-delay-ms", "500"], {
      cwd: root,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    child.stderr.on("data", (d: Buffer) => (out += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.on("exit", resolve));
    expect(out, out).toContain("K8ssandraCluster demo is Ready: 2/2 datacenters");
    expect(out).toContain("data plane: the instant cass-operator simulator, no Cassandra runs (asked for with --simulator=instant)");
    expect(code).toBe(0);
    // The datacenters come up one after the other, dc2 with dc1's seeds.
    expect(out.indexOf("dc1 (east): Ready")).toBeLessThan(out.indexOf("dc2 created in west with seeds"));
    for (const cluster of ["control-plane", "east", "west"]) expect(out).toContain(`cluster ${cluster}:`);
    expect(out).toMatch(/demo-superuser\s+password,username/);
    // Where to read each datacenter's superuser; no CQL without Cassandra.
    for (const [dc, cluster] of [["dc1", "east"], ["dc2", "west"]]) {
      expect(out).toContain(`${dc} (cluster ${cluster}): CQL at none (the instant simulator runs no Cassandra)`);
      expect(out).toContain(`kubectl --kubeconfig .envtest/${cluster}.kubeconfig -n k8ssandra-operator get secret demo-superuser -o jsonpath='{.data.password}' | base64 -d`);
    }
    expect(out).toContain("all clusters stopped and removed");
    // The terminal tells the story; the operators' JSON logs go to a file.
    expect(out).not.toMatch(/"level":\d+/);
  });
});
