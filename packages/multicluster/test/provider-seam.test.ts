import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { KubeConfig } from "@kubernetes/client-node";
import type { Cluster } from "@operator-ts/runtime";
import { stringify } from "yaml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ClusterAware, contextFingerprint, KubeconfigDirectoryProvider, KubeconfigFileProvider } from "../src/index.ts";
import { eventually } from "../../../test/support/eventually.ts";
import { recordLogs } from "../../../test/support/logs.ts";

/** A ClusterAware with no manager behind it: it records what is engaged, and rejects the engages it is told to. */
class FakeAware implements ClusterAware {
  /** name -> the engaged kubeconfig's server and fingerprint */
  readonly engaged = new Map<string, { server: string; context: string; print: string }>();
  readonly calls: string[] = [];
  readonly failing = new Set<string>();

  async engage(name: string, from: KubeConfig | Cluster): Promise<Cluster> {
    if (!(from instanceof KubeConfig)) throw new Error("this fake takes kubeconfigs only");
    const print = contextFingerprint(from);
    this.calls.push(`engage ${name}`);
    if (this.failing.has(name)) throw new Error(`engaging "${name}" failed`);
    if (this.engaged.get(name)?.print !== print) {
      this.engaged.set(name, { server: from.getCurrentCluster()!.server, context: from.getCurrentContext(), print });
    }
    return {} as Cluster;
  }

  async disengage(name: string): Promise<void> {
    this.calls.push(`disengage ${name}`);
    this.engaged.delete(name);
  }

  hasCluster(name: string): boolean {
    return this.engaged.has(name);
  }
}

function kubeconfigYaml(contexts: Record<string, string>): string {
  const names = Object.keys(contexts);
  return stringify({
    apiVersion: "v1",
    kind: "Config",
    clusters: names.map((n) => ({ name: n, cluster: { server: contexts[n] } })),
    users: names.map((n) => ({ name: n, user: { token: `token-${n}` } })),
    contexts: names.map((n) => ({ name: n, context: { cluster: n, user: n } })),
    "current-context": names[0],
  });
}

describe("the kubeconfig file provider alone, against a fake ClusterAware", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "seam-"));
  });
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("engages each context as a cluster of its own, re-engages only a changed one and disengages a vanished one", async () => {
    const path = join(dir, "contexts.yaml");
    await writeFile(path, kubeconfigYaml({ home: "https://home:6443", east: "https://east:6443", west: "https://west:6443" }));
    const aware = new FakeAware();
    const provider = new KubeconfigFileProvider(aware, { path, exclude: ["home"] });

    await provider.sync();
    expect([...aware.engaged.keys()].sort()).toEqual(["east", "west"]);
    expect(aware.engaged.get("east")).toMatchObject({ server: "https://east:6443", context: "east" });
    expect(aware.engaged.get("west")).toMatchObject({ server: "https://west:6443", context: "west" });

    aware.calls.length = 0;
    await provider.sync();
    expect(aware.calls).toEqual([]);

    await writeFile(path, kubeconfigYaml({ home: "https://home:6443", east: "https://east-moved:6443", west: "https://west:6443" }));
    await provider.sync();
    expect(aware.calls).toEqual(["engage east"]);
    expect(aware.engaged.get("east")?.server).toBe("https://east-moved:6443");

    aware.calls.length = 0;
    await writeFile(path, kubeconfigYaml({ home: "https://home:6443", east: "https://east-moved:6443" }));
    await provider.sync();
    expect(aware.calls).toEqual(["disengage west"]);
    expect([...aware.engaged.keys()]).toEqual(["east"]);
  });

  it("reports a failed engage, keeps the others, and engages it again at the next read", async () => {
    const path = join(dir, "failing.yaml");
    await writeFile(path, kubeconfigYaml({ north: "https://north:6443", south: "https://south:6443" }));
    const aware = new FakeAware();
    aware.failing.add("north");
    const provider = new KubeconfigFileProvider(aware, { path });

    await expect(provider.sync()).rejects.toThrow(/north: engaging "north" failed/);
    expect([...aware.engaged.keys()]).toEqual(["south"]);

    aware.failing.delete("north");
    aware.calls.length = 0;
    await provider.sync();
    expect(aware.calls).toEqual(["engage north"]);
    expect([...aware.engaged.keys()].sort()).toEqual(["north", "south"]);
  });

  it("when running, retries a failed engage after a backoff rather than the poll interval", async () => {
    const path = join(dir, "running.yaml");
    await writeFile(path, kubeconfigYaml({ flaky: "https://flaky:6443" }));
    const aware = new FakeAware();
    aware.failing.add("flaky");
    const { logger, lines } = recordLogs();
    // An hour between reads: only the backoff can bring the retry within the test's time.
    const provider = new KubeconfigFileProvider(aware, { path, pollIntervalMs: 3_600_000, logger });
    const stop = new AbortController();
    const running = provider.start(stop.signal);
    try {
      await eventually(() => aware.calls.includes("engage flaky"), "the first engage");
      await eventually(() => lines.some((l) => l.includes("kubeconfig-file") && l.includes("retryInMs")), "the failure logged");
      aware.failing.delete("flaky");
      await eventually(() => aware.hasCluster("flaky"), "the engage retried");
      expect(aware.calls.filter((c) => c === "engage flaky").length).toBeGreaterThanOrEqual(2);
    } finally {
      stop.abort();
      await running;
    }
  });
});

describe("the kubeconfig folder provider alone, against a fake ClusterAware", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "seam-dir-"));
  });
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("engages one cluster per file, named after it, again only when its file changes, and disengages a removed one", async () => {
    await writeFile(join(dir, "east.yaml"), kubeconfigYaml({ "east-admin": "https://east:6443" }));
    await writeFile(join(dir, "west"), kubeconfigYaml({ "west-admin": "https://west:6443" }));
    await mkdir(join(dir, "..data"));
    const aware = new FakeAware();
    const provider = new KubeconfigDirectoryProvider(aware, { path: dir });

    await provider.sync();
    expect([...aware.engaged.keys()].sort()).toEqual(["east", "west"]);
    expect(aware.engaged.get("east")).toMatchObject({ server: "https://east:6443", context: "east-admin" });

    aware.calls.length = 0;
    await provider.sync();
    expect(aware.calls).toEqual([]);

    await writeFile(join(dir, "west"), kubeconfigYaml({ "west-admin": "https://west-moved:6443" }));
    await rm(join(dir, "east.yaml"));
    await provider.sync();
    expect(aware.calls).toEqual(["disengage east", "engage west"]);
    expect(aware.engaged.get("west")?.server).toBe("https://west-moved:6443");
    await rm(join(dir, "west"));
    await rm(join(dir, "..data"), { recursive: true });
  });

  it("keeps a cluster whose file turned unusable, says which file without quoting it, and follows the fixed file", async () => {
    await writeFile(join(dir, "south.yaml"), kubeconfigYaml({ south: "https://south:6443" }));
    const aware = new FakeAware();
    const provider = new KubeconfigDirectoryProvider(aware, { path: dir });
    await provider.sync();

    await writeFile(join(dir, "south.yaml"), "token: s3cret-in-a-broken-file: [");
    const err = await provider.sync().then(() => undefined, (e: Error) => e);
    expect(err?.message).toMatch(/south: file south\.yaml does not hold a kubeconfig/);
    expect(err?.message).not.toContain("s3cret");
    expect(aware.engaged.get("south")?.server).toBe("https://south:6443");

    await writeFile(join(dir, "south.yaml"), kubeconfigYaml({ south: "https://south-fixed:6443" }));
    await provider.sync();
    expect(aware.engaged.get("south")?.server).toBe("https://south-fixed:6443");
    await rm(join(dir, "south.yaml"));
  });

  it("reports a failed engage and engages it at the next read", async () => {
    await writeFile(join(dir, "flaky.yaml"), kubeconfigYaml({ flaky: "https://flaky:6443" }));
    const aware = new FakeAware();
    aware.failing.add("flaky");
    const provider = new KubeconfigDirectoryProvider(aware, { path: dir });
    await expect(provider.sync()).rejects.toThrow(/flaky: engaging "flaky" failed/);
    expect(aware.hasCluster("flaky")).toBe(false);
    aware.failing.delete("flaky");
    await provider.sync();
    expect(aware.hasCluster("flaky")).toBe(true);
  });
});
