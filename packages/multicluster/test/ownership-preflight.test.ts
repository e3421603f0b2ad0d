import { spawnSync } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { ConfigMap, resourceType } from "@operator-ts/runtime";
import { startClusters, type TestCluster } from "@operator-ts/runtime/envtest";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type ClusterRequest,
  CrossClusterOwnership,
  formatPreflightTable,
  mcControllerManagedBy,
  MultiClusterManager,
  preflight,
  remoteClusters,
} from "../src/index.ts";
import { cassOperatorCRDs } from "../../../test/support/paths.ts";
import { eventually } from "../../../test/support/eventually.ts";

describe("cross-cluster ownership and pre-flight on real clusters", () => {
  let home: TestCluster;
  let east: TestCluster;
  let west: TestCluster;

  beforeAll(async () => {
    [home, east, west] = (await startClusters(3, { names: ["own-home", "own-east", "own-west"] })) as [TestCluster, TestCluster, TestCluster];
    await east.installCRDs([cassOperatorCRDs()]);
  });

  afterAll(async () => {
    await Promise.all([home, east, west].map((c) => c?.stop()));
  });

  it("maps children's events in other clusters back to their owner, and deletes them everywhere", async () => {
    const mcm = await MultiClusterManager.create({ kubeconfig: home.kubeconfig });
    await mcm.addCluster("east", east.kubeconfig);
    await mcm.addCluster("west", west.kubeconfig);
    const ownership = new CrossClusterOwnership();
    const seen: ClusterRequest[] = [];
    await mcControllerManagedBy(mcm)
      .named("owner")
      .watches(ConfigMap, ownership.enqueueOwner<ConfigMap>(), { clusters: remoteClusters })
      .complete(async (req) => void seen.push(req));
    const stop = new AbortController();
    const running = mcm.start(stop.signal);
    try {
      const owner = await mcm.manager.client.create<ConfigMap>({
        apiVersion: "v1",
        kind: "ConfigMap",
        metadata: { name: "the-owner", namespace: "default" },
      });
      for (const cluster of ["east", "west"]) {
        const child: ConfigMap = { apiVersion: "v1", kind: "ConfigMap", metadata: { name: `child-of-owner`, namespace: "default" } };
        ownership.setOwner(child, owner, "");
        await mcm.getCluster(cluster).client.create(child);
      }
      await eventually(() => seen.some((r) => r.cluster === "" && r.name === "the-owner" && r.namespace === "default"), "owner enqueued");
      expect(seen.every((r) => r.cluster === "" && r.name === "the-owner")).toBe(true);
      expect(ownership.ownerOf((await mcm.getCluster("east").apiReader.get(ConfigMap, { namespace: "default", name: "child-of-owner" })))).toEqual({
        cluster: "",
        namespace: "default",
        name: "the-owner",
      });

      // West does not serve CassandraDatacenters: its ConfigMaps must still go.
      const cassdc = resourceType("cassandra.datastax.com/v1beta1", "CassandraDatacenter");
      let result = await ownership.deleteChildren(mcm, owner, "", [cassdc, ConfigMap]);
      expect(result.unreachable).toEqual([]);
      while (result.remaining > 0) {
        result = await ownership.deleteChildren(mcm, owner, "", [cassdc, ConfigMap]);
      }
      for (const cluster of ["east", "west"]) {
        const left = await mcm.getCluster(cluster).apiReader.list(ConfigMap, { namespace: "default", labelSelector: ownership.labelsFor(owner) });
        expect(left.items).toEqual([]);
      }
      expect(() => ownership.labelsFor({ metadata: { name: "x".repeat(64), namespace: "default" } })).toThrow(/at most 63/);
    } finally {
      stop.abort();
      await running;
    }
  });

  it("checks reachability, CRDs and permissions per cluster and prints a table", async () => {
    const limited = await east.serviceAccountKubeConfig("default", "preflight-limited");
    const stopped = west.kubeconfig;
    await west.stopApiServer();
    try {
      const results = await preflight(
        [
          { name: "east-admin", kubeconfig: east.kubeconfig },
          { name: "east-limited", kubeconfig: limited },
          { name: "west", kubeconfig: stopped },
        ],
        {
          crds: ["cassandradatacenters.cassandra.datastax.com"],
          permissions: [{ verb: "create", group: "cassandra.datastax.com", resource: "cassandradatacenters", namespace: "default" }],
        },
        3000,
      );
      const [admin, sa, down] = results;
      expect(admin!.ok).toBe(true);
      expect(sa!.ok).toBe(false);
      expect(sa!.checks.find((c) => c.check.startsWith("can create"))).toMatchObject({ ok: false });
      expect(sa!.checks.find((c) => c.check.startsWith("CRD"))).toMatchObject({ ok: true });
      expect(down!.ok).toBe(false);
      expect(down!.checks[0]).toMatchObject({ check: "API server reachable", ok: false });
      const table = formatPreflightTable(results);
      expect(table).toMatch(/east-admin\s+ok\s+CRD cassandradatacenters.cassandra.datastax.com\s+served: v1beta1/);
      expect(table).toContain("preflight failed for: east-limited, west");
      expect(table).not.toContain(limited.getCurrentUser()!.token!);
    } finally {
      await west.startApiServer();
    }
  });

  it("has a CLI that exits non-zero when a check fails", async () => {
    const dir = await mkdtemp(join(tmpdir(), "preflight-cli-"));
    try {
      const file = join(dir, "kubeconfig.yaml");
      await writeFile(file, east.kubeconfigYaml);
      // The package's bin, as npx runs it: in a checkout it runs the source, with no build first.
      const cli = fileURLToPath(new URL("../bin/operator-ts-preflight.js", import.meta.url));
      const ok = spawnSync(process.execPath, [cli, "--kubeconfig", file, "--crd", "cassandradatacenters.cassandra.datastax.com"], { encoding: "utf8" });
      expect(ok.stdout).toContain("preflight passed");
      expect(ok.status).toBe(0);
      const missing = spawnSync(process.execPath, [cli, "--kubeconfig", file, "--crd", "k8ssandraclusters.k8ssandra.io"], { encoding: "utf8" });
      expect(missing.stdout).toMatch(/FAIL\s+CRD k8ssandraclusters.k8ssandra.io\s+not installed/);
      expect(missing.status).toBe(1);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
