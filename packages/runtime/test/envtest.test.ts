import { spawn } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createInterface } from "node:readline";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as delay } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ApiError, isForbidden, isNotFound } from "../src/client/errors.ts";
import { RestTransport } from "../src/client/transport.ts";
import { ensureAssets, startClusters, TestCluster, type TestClusterOptions } from "../src/envtest/index.ts";
import { eventually } from "../../../test/support/eventually.ts";
import { cassOperatorCRDs } from "../../../test/support/paths.ts";

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ port, host: "127.0.0.1" });
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

const dc = (name: string, spec: Record<string, unknown>) => ({
  apiVersion: "cassandra.datastax.com/v1beta1",
  kind: "CassandraDatacenter",
  metadata: { name, namespace: "default" },
  spec,
});

describe("envtest: several real clusters", () => {
  let clusters: TestCluster[] = [];
  let east: RestTransport;
  let west: RestTransport;

  beforeAll(async () => {
    clusters = await startClusters(2, { names: ["east", "west"], crds: [cassOperatorCRDs()] });
    east = await RestTransport.fromKubeConfig(clusters[0]!.kubeconfig);
    west = await RestTransport.fromKubeConfig(clusters[1]!.kubeconfig);
  });

  afterAll(async () => {
    await east?.close();
    await west?.close();
    await Promise.all(clusters.map((c) => c.stop()));
  });

  it("gives each cluster its own name, context, server and storage", async () => {
    expect(clusters.map((c) => c.name)).toEqual(["east", "west"]);
    expect(clusters[0]!.kubeconfig.getCurrentContext()).toBe("east");
    expect(clusters[0]!.kubeconfigYaml).toContain("current-context: east");
    expect(clusters[0]!.server).not.toBe(clusters[1]!.server);

    await east.request("POST", "/api/v1/namespaces/default/configmaps", {
      body: { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "only-in-east" }, data: { a: "1" } },
    });
    const got = await east.request<{ data: Record<string, string> }>("GET", "/api/v1/namespaces/default/configmaps/only-in-east");
    expect(got.data.a).toBe("1");
    const missing = await west.request("GET", "/api/v1/namespaces/default/configmaps/only-in-east").catch((e) => e);
    expect(isNotFound(missing)).toBe(true);
  });

  it("validates CassandraDatacenters with the installed CRD's schema (cass-operator's own when present)", async () => {
    const valid = dc("dc1", {
      clusterName: "demo",
      serverType: "cassandra",
      serverVersion: "4.1.5",
      size: 3,
      storageConfig: { cassandraDataVolumeClaimSpec: { storageClassName: "standard" } },
    });
    const created = await east.request<{ metadata: { uid: string } }>(
      "POST",
      "/apis/cassandra.datastax.com/v1beta1/namespaces/default/cassandradatacenters",
      { body: valid },
    );
    expect(created.metadata.uid).toBeTruthy();

    const invalid = dc("dc2", { clusterName: "demo", serverType: "mysql", serverVersion: "4.1.5", size: 0, storageConfig: {} });
    const err = await east
      .request("POST", "/apis/cassandra.datastax.com/v1beta1/namespaces/default/cassandradatacenters", { body: invalid })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).reason).toBe("Invalid");
    expect((err as ApiError).message).toMatch(/serverType/);
    expect((err as ApiError).message).toMatch(/size/);
  });

  it("enforces RBAC: a service account bound to a narrow Role is denied outside it", async () => {
    const admin = east;
    for (const ns of ["team-a", "team-b"]) {
      await admin.request("POST", "/api/v1/namespaces", { body: { apiVersion: "v1", kind: "Namespace", metadata: { name: ns } } });
    }
    await admin.request("POST", "/apis/rbac.authorization.k8s.io/v1/namespaces/team-a/roles", {
      body: {
        apiVersion: "rbac.authorization.k8s.io/v1",
        kind: "Role",
        metadata: { name: "configmap-reader" },
        rules: [{ apiGroups: [""], resources: ["configmaps"], verbs: ["get", "list"] }],
      },
    });
    await admin.request("POST", "/apis/rbac.authorization.k8s.io/v1/namespaces/team-a/rolebindings", {
      body: {
        apiVersion: "rbac.authorization.k8s.io/v1",
        kind: "RoleBinding",
        metadata: { name: "reader" },
        roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: "configmap-reader" },
        subjects: [{ kind: "ServiceAccount", name: "reader", namespace: "team-a" }],
      },
    });
    const kc = await clusters[0]!.serviceAccountKubeConfig("team-a", "reader");
    const reader = await RestTransport.fromKubeConfig(kc);
    try {
      const list = await reader.request<{ items: unknown[] }>("GET", "/api/v1/namespaces/team-a/configmaps");
      expect(Array.isArray(list.items)).toBe(true);
      const otherNamespace = await reader.request("GET", "/api/v1/namespaces/team-b/configmaps").catch((e) => e);
      expect(isForbidden(otherNamespace)).toBe(true);
      const otherVerb = await reader
        .request("POST", "/api/v1/namespaces/team-a/configmaps", {
          body: { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "x" } },
        })
        .catch((e) => e);
      expect(isForbidden(otherVerb)).toBe(true);
      expect((otherVerb as Error).message).not.toContain(kc.getCurrentUser()!.token!);
    } finally {
      await reader.close();
    }
  });
});

describe("envtest: teardown", () => {
  it("leaves no process, port or folder behind after stop()", async () => {
    const [cluster] = await startClusters(1, { names: ["short-lived"] });
    const c = cluster!;
    const pids = c.pids;
    const ports = [c.ports.apiServer, c.ports.etcdClient];
    expect(pids.length).toBe(2);
    expect(pids.every(processAlive)).toBe(true);
    expect(await portOpen(c.ports.apiServer)).toBe(true);

    await c.stop();

    expect(pids.filter(processAlive)).toEqual([]);
    for (const port of ports) expect(await portOpen(port)).toBe(false);
    expect(existsSync(c.dir)).toBe(false);
  });
});

describe("envtest: a paused API server", () => {
  it("answers nothing while paused (connections hang, they are not refused), again once resumed, and still stops", async () => {
    const [cluster] = await startClusters(1, { names: ["paused"] });
    const c = cluster!;
    const transport = await RestTransport.fromKubeConfig(c.kubeconfig);
    try {
      c.pauseApiServer();
      const started = Date.now();
      const err = await transport.requestText("GET", "/readyz", { timeoutMs: 1000, signal: AbortSignal.timeout(1500) }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(Error);
      // Hung, not refused: the failure comes from our own deadline.
      expect(Date.now() - started).toBeGreaterThanOrEqual(900);
      expect(await portOpen(c.ports.apiServer)).toBe(true);
      c.resumeApiServer();
      expect(await transport.requestText("GET", "/readyz", { timeoutMs: 10_000 })).toBe("ok");
      c.pauseApiServer();
    } finally {
      await transport.close();
    }
    // stop() ends a paused server too.
    const pids = c.pids;
    await c.stop();
    expect(pids.filter(processAlive)).toEqual([]);
  });
});

/** The processes whose command line names a folder of this cluster (etcd's data, the API server's certificates). */
function processesOf(name: string): Map<number, number[]> {
  const marker = `operator-ts-envtest-${name}-`;
  const found = new Map<number, number[]>();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    let cmdline: string;
    try {
      cmdline = readFileSync(`/proc/${entry}/cmdline`, "utf8");
    } catch {
      continue;
    }
    if (!cmdline.includes(marker)) continue;
    found.set(Number(entry), [...cmdline.matchAll(/(?:--secure-port=|127\.0\.0\.1:)(\d+)/g)].map((m) => Number(m[1])));
  }
  return found;
}

describe("envtest: a start that fails after etcd and kube-apiserver were launched", () => {
  let scratch: string;
  beforeAll(async () => {
    scratch = await mkdtemp(join(tmpdir(), "envtest-bad-crd-"));
    // No type at the top of the schema: the API server turns the CRD down (not structural).
    await writeFile(join(scratch, "bad.yaml"), `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: gadgets.example.com
spec:
  group: example.com
  scope: Namespaced
  names: { plural: gadgets, singular: gadget, kind: Gadget, listKind: GadgetList }
  versions:
    - name: v1
      served: true
      storage: true
      schema:
        openAPIV3Schema:
          properties:
            spec: { type: object }
`);
  });
  afterAll(() => rm(scratch, { recursive: true, force: true }));

  const cases: [string, (assets: Awaited<ReturnType<typeof ensureAssets>>) => [TestClusterOptions, typeof assets], RegExp][] = [
    ["a CRD path that does not exist", (a) => [{ crds: ["/nonexistent/operator-ts-crds"] }, a], /ENOENT/],
    ["an invalid CRD", (a) => [{ crds: [join(scratch, "bad.yaml")] }, a], /gadgets\.example\.com|Invalid|type/],
    ["a controller manager whose binary is missing", (a) => [{ controllerManager: true }, { ...a, kubeControllerManager: undefined }], /kube-controller-manager binary/],
  ];
  for (const [what, setup, message] of cases) {
    it(`stops them, removes their folder and frees their ports: ${what}`, async () => {
      const name = `fails-${Math.random().toString(36).slice(2, 8)}`;
      const [options, assets] = setup(await ensureAssets({ withControllerManager: true }));
      let settled = false;
      const start = TestCluster.start({ ...options, name }, assets).finally(() => (settled = true));
      start.catch(() => {});
      // Watch the processes while the start runs: they are up for seconds before the failure comes.
      const seen = new Map<number, number[]>();
      while (!settled) {
        for (const [pid, ports] of processesOf(name)) seen.set(pid, ports);
        await delay(20);
      }
      const err = await start.then(() => new Error("the start succeeded"), (e: unknown) => e as Error);
      expect(err.message).toMatch(/did not start/);
      expect(err.message).toMatch(message);

      expect(seen.size).toBeGreaterThanOrEqual(2);
      expect([...seen.keys()].filter(processAlive)).toEqual([]);
      expect(processesOf(name).size).toBe(0);
      const ports = [...new Set([...seen.values()].flat())];
      expect(ports.length).toBeGreaterThanOrEqual(3);
      for (const port of ports) {
        expect(await portOpen(port)).toBe(false);
        expect(existsSync(join(tmpdir(), "operator-ts-ports", String(port)))).toBe(false);
      }
      expect(readdirSync(tmpdir()).filter((d) => d.startsWith(`operator-ts-envtest-${name}-`))).toEqual([]);
    });
  }
});

describe("envtest: a killed test process", () => {
  it("leaves no orphan: the reaper kills its API server and etcd and removes their folder", async () => {
    const fixture = new URL("./fixtures/start-and-hang.ts", import.meta.url).pathname;
    const child = spawn(process.execPath, ["--conditions=operator-ts-source", fixture], {
      stdio: ["ignore", "pipe", "inherit"],
    });
    const [line] = await Promise.race([
      createInterface({ input: child.stdout! })[Symbol.asyncIterator]().next().then((r) => [r.value as string]),
      new Promise<never>((_, reject) => child.once("exit", (code) => reject(new Error(`fixture exited with ${code}`)))),
    ]);
    const started = JSON.parse(line!) as { pids: number[]; dir: string; port: number };
    expect(started.pids.every(processAlive)).toBe(true);

    child.kill("SIGKILL");

    await eventually(() => started.pids.every((pid) => !processAlive(pid)), "the reaper killing the API server and etcd");
    await eventually(() => !existsSync(started.dir), "the reaper removing the cluster folder");
    expect(await portOpen(started.port)).toBe(false);
  });
});

describe("envtest: kube-controller-manager", () => {
  it("garbage-collects dependents whose owner is deleted", async () => {
    const [cluster] = await startClusters(1, { names: ["with-kcm"], controllerManager: true });
    const api = await RestTransport.fromKubeConfig(cluster!.kubeconfig);
    try {
      const owner = await api.request<{ metadata: { uid: string } }>("POST", "/api/v1/namespaces/default/configmaps", {
        body: { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "owner" } },
      });
      await api.request("POST", "/api/v1/namespaces/default/configmaps", {
        body: {
          apiVersion: "v1",
          kind: "ConfigMap",
          metadata: {
            name: "dependent",
            ownerReferences: [{ apiVersion: "v1", kind: "ConfigMap", name: "owner", uid: owner.metadata.uid }],
          },
        },
      });
      await api.request("DELETE", "/api/v1/namespaces/default/configmaps/owner");
      await eventually(
        async () => isNotFound(await api.request("GET", "/api/v1/namespaces/default/configmaps/dependent").catch((e) => e)),
        "the dependent garbage-collected",
        60_000,
      );
    } finally {
      await api.close();
      await cluster!.stop();
    }
  });
});
