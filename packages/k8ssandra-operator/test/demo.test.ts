import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Secret } from "@operator-ts/runtime";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import type { K8ssandraCluster } from "../src/api/index.ts";
import { chooseSimulator, parseJavaVersion } from "../src/dev/data-plane.ts";
import { localCassandraManifest, runDemo, SAMPLE } from "../src/dev/demo.ts";
import { OPERATOR_NAMESPACE } from "../src/dev/environment.ts";

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

describe("the demo with real Cassandra", () => {
  it("prints each datacenter's CQL contact point and the commands reading its superuser Secret, never the password, and reads dc1's row back in dc2", async () => {
    const workDir = await mkdtemp(join(tmpdir(), "operator-ts-demo-"));
    const lines: string[] = [];
    let password: string | undefined;
    try {
      await runDemo({
        workDir,
        simulator: "cassandra",
        exitWhenReady: true,
        print: (line) => lines.push(line),
        onReady: async (env) => {
          const secret = await env.admin.get(Secret, { namespace: OPERATOR_NAMESPACE, name: "demo-superuser" });
          password = Buffer.from(secret.data!.password!, "base64").toString("utf8");
        },
      });
    } finally {
      await rm(workDir, { recursive: true, force: true });
    }
    const out = lines.join("\n");
    expect(out, out).toContain("data plane: real Cassandra 5.0.9, one JVM per node on loopback (asked for with --simulator=cassandra");
    expect(out).toContain("K8ssandraCluster demo is Ready: 2/2 datacenters");
    for (const [dc, cluster] of [["dc1", "east"], ["dc2", "west"]]) {
      expect(out).toMatch(new RegExp(`${dc} \\(cluster ${cluster}\\): CQL at 127\\.0\\.\\d+\\.1:9042`));
      expect(out).toContain(`kubectl --kubeconfig ${join(workDir, `${cluster}.kubeconfig`)} -n k8ssandra-operator get secret demo-superuser -o jsonpath='{.data.password}' | base64 -d`);
    }
    expect(out).toMatch(/CQL: wrote in dc1 through 127\.0\.\d+\.1:9042 at LOCAL_QUORUM: id=\S+ message='hello from dc1'/);
    expect(out).toMatch(/CQL: read in dc2 through 127\.0\.\d+\.1:9042 \(its system\.local: data_center dc2\) at LOCAL_ONE: message='hello from dc1' written_in=dc1/);
    expect(password).toBeTruthy();
    expect(out).not.toContain(password);
    expect(out).toContain("all clusters stopped and removed");
  }, 900_000);
});

describe("the demo's choice of data plane", () => {
  it("reads java -version as JDKs print it, old and new", () => {
    expect(parseJavaVersion('openjdk version "17.0.15" 2025-04-15\nOpenJDK Runtime Environment (build 17.0.15+6)')).toEqual({ major: 17, version: "17.0.15" });
    expect(parseJavaVersion('java version "1.8.0_392"')).toEqual({ major: 8, version: "1.8.0_392" });
    expect(parseJavaVersion('openjdk version "21" 2023-09-19')).toEqual({ major: 21, version: "21" });
    expect(parseJavaVersion("bash: java: command not found")).toBeUndefined();
  });

  it("runs the instant simulator when asked, whatever the machine has", async () => {
    expect(await chooseSimulator("instant")).toEqual({ kind: "instant", reason: "asked for with --simulator=instant" });
  });

  it("runs the sample with one small node per datacenter on real Cassandra, and leaves the sample as it is", () => {
    const sample = parse(readFileSync(SAMPLE, "utf8")) as K8ssandraCluster;
    const local = localCassandraManifest(sample);
    expect(local.spec.cassandra?.datacenters?.map((d) => [d.metadata.name, d.size])).toEqual([["dc1", 1], ["dc2", 1]]);
    expect(local.spec.cassandra?.serverVersion).toBe("5.0.9");
    expect(local.spec.cassandra?.config?.jvmOptions?.heapSize).toBe("256Mi");
    expect(sample.spec.cassandra?.datacenters?.map((d) => d.size)).toEqual([3, 3]);
  });
});
