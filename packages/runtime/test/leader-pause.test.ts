import { type ChildProcess, spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ConfigMap, Lease, Patch, RestClient, RestTransport } from "../src/index.ts";
import type { WatchEvent } from "../src/client/index.ts";
import { startCluster, type TestCluster } from "../src/envtest/index.ts";
import { eventually } from "../../../test/support/eventually.ts";

// Short, so that the test takes seconds; the algorithm is the same with controller-runtime's 15 s / 10 s / 2 s, which
// LEADER_PAUSE_TIMING=15000,10000,2000 selects to measure the figures with them.
const [leaseDurationMs, renewDeadlineMs, retryPeriodMs] = (process.env.LEADER_PAUSE_TIMING ?? "4000,3000,500").split(",").map(Number) as [number, number, number];
const timing = { leaseDurationMs, renewDeadlineMs, retryPeriodMs };
const NAMESPACE = "pause";
const ITEMS = 4;

interface Writer {
  identity: string;
  child: ChildProcess;
  reports: { event: string; name?: string; error?: string }[];
  stderr: string[];
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>;
}

/** One operator process (fixtures/leader-writer.ts) with leader election, writing its identity as fast as it can. */
function startWriter(cluster: TestCluster, identity: string): Writer {
  const fixture = new URL("./fixtures/leader-writer.ts", import.meta.url).pathname;
  const child = spawn(process.execPath, ["--conditions=operator-ts-source", fixture], {
    env: {
      ...process.env,
      WRITER_IDENTITY: identity,
      WRITER_NAMESPACE: NAMESPACE,
      WRITER_KUBECONFIG: cluster.kubeconfigPath,
      LEASE_MS: String(timing.leaseDurationMs),
      RENEW_MS: String(timing.renewDeadlineMs),
      RETRY_MS: String(timing.retryPeriodMs),
      LOG_LEVEL: "warn",
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const writer: Writer = {
    identity,
    child,
    reports: [],
    stderr: [],
    exited: new Promise((resolve) => child.once("exit", (code, signal) => resolve({ code, signal, at: performance.now() }))),
  };
  createInterface({ input: child.stdout! }).on("line", (line) => {
    try {
      writer.reports.push(JSON.parse(line) as Writer["reports"][number]);
    } catch {
      writer.stderr.push(line);
    }
  });
  createInterface({ input: child.stderr! }).on("line", (line) => writer.stderr.push(line));
  return writer;
}

interface Seen {
  kind: "ConfigMap" | "Lease";
  name: string;
  rv: number;
  /** data.writer of a ConfigMap, holderIdentity of the Lease. */
  who: string | undefined;
  at: number;
}

/**
 * Every change to the ConfigMaps and the Lease, in the order the API server made them: one etcd, so resourceVersions
 * are its revisions and order writes across both kinds. A watch delivers every revision of a watched object.
 */
async function watchAll(transport: RestTransport, signal: AbortSignal, seen: Seen[]): Promise<void> {
  const follow = async (kind: Seen["kind"], path: string) => {
    const list = await transport.request<{ metadata: { resourceVersion: string } }>("GET", path);
    for await (const batch of transport.watch<ConfigMap & Lease>(path, { resourceVersion: list.metadata.resourceVersion, allowWatchBookmarks: false }, signal)) {
      for (const e of batch as WatchEvent<ConfigMap & Lease>[]) {
        const o = e.object;
        const who = kind === "ConfigMap" ? o.data?.writer : (o.spec?.holderIdentity ?? undefined);
        seen.push({ kind, name: o.metadata!.name!, rv: Number(o.metadata!.resourceVersion), who, at: performance.now() });
      }
    }
  };
  void follow("ConfigMap", `/api/v1/namespaces/${NAMESPACE}/configmaps`).catch(() => undefined);
  void follow("Lease", `/apis/coordination.k8s.io/v1/namespaces/${NAMESPACE}/leases`).catch(() => undefined);
}

describe("leader election: a leader paused past its lease (SIGSTOP) and woken (SIGCONT)", () => {
  let cluster: TestCluster;
  let admin: RestClient;
  const writers: Writer[] = [];

  beforeAll(async () => {
    cluster = await startCluster({ name: "leader-pause" });
    admin = await RestClient.fromKubeConfig(cluster.kubeconfig);
    await admin.create({ apiVersion: "v1", kind: "Namespace", metadata: { name: NAMESPACE } });
    for (const name of [...Array.from({ length: ITEMS }, (_, i) => `item-${i}`), "ticker", "marker"]) {
      await admin.create({ apiVersion: "v1", kind: "ConfigMap", metadata: { namespace: NAMESPACE, name }, data: {} });
    }
  });

  afterAll(async () => {
    for (const w of writers) {
      w.child.kill("SIGCONT");
      w.child.kill("SIGKILL");
      await w.exited;
    }
    await admin?.close();
    await cluster?.stop();
  });

  it("the deposed leader writes nothing after it wakes, and exits at once", async () => {
    const watcher = await RestTransport.fromKubeConfig(cluster.kubeconfig);
    const stopWatching = new AbortController();
    const seen: Seen[] = [];
    try {
      await watchAll(watcher, stopWatching.signal, seen);
      const writesBy = (who: string) => seen.filter((s) => s.kind === "ConfigMap" && s.who === who).length;

      const a = startWriter(cluster, "writer-a");
      writers.push(a);
      await eventually(() => a.reports.some((r) => r.event === "leading"), "writer-a leading", 60_000);
      const b = startWriter(cluster, "writer-b");
      writers.push(b);
      // Both writers busy before the pause: a's writes going out, b waiting for the lease.
      await eventually(() => writesBy("writer-a") >= 50, "writer-a writing");
      await eventually(() => b.reports.some((r) => r.event === "started"), "writer-b started", 60_000);

      a.child.kill("SIGSTOP");
      const stoppedAt = performance.now();
      const takeover = await eventually(() => seen.find((s) => s.kind === "Lease" && s.who === "writer-b"), "writer-b taking the lease", 30_000);
      await eventually(() => writesBy("writer-b") >= 10, "writer-b writing");
      // Ordered by the API server's commits, not by when the watch delivered them (a loaded machine delivers late): a
      // write of a's committed after b's latest one while a was stopped was made after a woke.
      const lastWhileStopped = Math.max(...seen.filter((s) => s.kind === "ConfigMap" && s.who === "writer-b").map((s) => s.rv));
      a.child.kill("SIGCONT");
      const wokenAt = performance.now();
      const pausedMs = wokenAt - stoppedAt;

      const exit = await a.exited;
      // Everything the API server did before this marker write has reached the watch by the time the marker has.
      await admin.patch({ apiVersion: "v1", kind: "ConfigMap", metadata: { namespace: NAMESPACE, name: "marker" } }, Patch.merge({ data: { writer: "test" } }));
      await eventually(() => seen.some((s) => s.name === "marker" && s.who === "test"), "the marker write in the watch");

      const afterWaking = seen.filter((s) => s.kind === "ConfigMap" && s.who === "writer-a" && s.rv > lastWhileStopped).length;
      const whileBHeld = seen.filter((s) => s.kind === "ConfigMap" && s.who === "writer-a" && s.rv > takeover.rv).length;
      const figures = {
        pausedMs: Math.round(pausedMs),
        takeoverAfterStopMs: Math.round(takeover.at - stoppedAt),
        deposedStoppedAfterWakeMs: Math.round(exit.at - wokenAt),
        deposedWritesAfterWake: afterWaking,
        deposedWritesWhileOtherHeldLease: whileBHeld,
        writesByA: writesBy("writer-a"),
        writesByB: writesBy("writer-b"),
      };
      console.log(`leader pause figures: ${JSON.stringify(figures)}`);

      expect(pausedMs).toBeGreaterThan(timing.leaseDurationMs);
      expect(afterWaking).toBe(0);
      expect(whileBHeld).toBe(0);
      expect(exit.code).toBe(1);
      expect(a.reports.find((r) => r.event === "failed")?.name).toBe("LeaderElectionLostError");
      // Generous: it stops as soon as it runs; this only catches a drain or a renew loop left to time out.
      expect(exit.at - wokenAt).toBeLessThan(10_000);
      expect(b.child.exitCode).toBe(null);
      expect(b.reports.some((r) => r.event === "leading")).toBe(true);

      b.child.kill("SIGTERM");
      expect((await b.exited).code).toBe(0);
    } finally {
      stopWatching.abort();
      await watcher.destroy();
    }
  });
});
