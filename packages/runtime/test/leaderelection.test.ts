import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ConfigMap, Lease, LeaderElectionLostError, LeaderElector, log, Manager, metrics, RestClient, RestTransport, runnableFunc } from "../src/index.ts";
import { startCluster, type TestCluster } from "../src/envtest/index.ts";
import { eventually } from "../../../test/support/eventually.ts";
import { recordLogs } from "../../../test/support/logs.ts";
import { kubeconfigThrough, LoopbackProxy } from "./support/cache-proxy.ts";

// Short timings keep the test quick; the algorithm is the same with controller-runtime's 15 s / 10 s / 2 s defaults.
const timing = { leaseDurationMs: 3000, renewDeadlineMs: 2000, retryPeriodMs: 500 };

interface Replica {
  mgr: Manager;
  stop: AbortController;
  running: Promise<void>;
  leading: () => boolean;
}

async function replica(cluster: TestCluster, identity: string, releaseOnCancel = true): Promise<Replica> {
  const mgr = await Manager.create({
    kubeconfig: cluster.kubeconfig,
    leaderElection: true,
    leaderElectionID: "le-test",
    leaderElectionNamespace: "default",
    leaderElectionIdentity: identity,
    leaderElectionReleaseOnCancel: releaseOnCancel,
    ...timing,
  });
  let leading = false;
  await mgr.add(runnableFunc(async (signal) => {
    leading = true;
    await new Promise((resolve) => signal.addEventListener("abort", resolve, { once: true }));
    leading = false;
  }));
  const stop = new AbortController();
  return { mgr, stop, running: mgr.start(stop.signal), leading: () => leading };
}

describe("leader election on a Lease", () => {
  let cluster: TestCluster;

  beforeAll(async () => {
    cluster = await startCluster({ name: "leader-election" });
  });

  afterAll(async () => {
    await cluster?.stop();
  });

  it("lets one of two managers lead; when the leader stops, the other leads within the lease duration", async () => {
    const a = await replica(cluster, "replica-a");
    await eventually(() => a.leading(), "a leads");
    const b = await replica(cluster, "replica-b");
    await eventually(async () => (await b.mgr.apiReader.get(Lease, { namespace: "default", name: "le-test" })).spec?.holderIdentity === "replica-a", "lease held by a");
    expect(b.leading()).toBe(false);

    const gauge = await metrics.registry.getSingleMetric("leader_election_master_status")!.get();
    expect(gauge.values.find((v) => v.labels.name === "le-test")?.value).toBe(1);

    a.stop.abort();
    await a.running;
    expect(a.leading()).toBe(false);
    const stoppedAt = Date.now();
    await eventually(() => b.leading(), "b leads", timing.leaseDurationMs + 2 * timing.retryPeriodMs);
    expect(Date.now() - stoppedAt).toBeLessThanOrEqual(timing.leaseDurationMs + 2 * timing.retryPeriodMs);
    const lease = await b.mgr.apiReader.get(Lease, { namespace: "default", name: "le-test" });
    expect(lease.spec?.holderIdentity).toBe("replica-b");
    expect(lease.spec?.leaseTransitions).toBeGreaterThanOrEqual(1);

    b.stop.abort();
    await b.running;
  });

  it("takes over from a leader that vanished without releasing, only after the lease expired", async () => {
    const a = await replica(cluster, "crashing-a", false);
    await eventually(() => a.leading(), "a leads");
    // Stopping without release leaves the lease held, as a crashed process would.
    a.stop.abort();
    await a.running;
    const reader = await RestClient.fromKubeConfig(cluster.kubeconfig);
    const held = await reader.get(Lease, { namespace: "default", name: "le-test" });
    await reader.close();
    expect(held.spec?.holderIdentity).toBe("crashing-a");

    const b = await replica(cluster, "patient-b");
    const startedAt = Date.now();
    await eventually(() => b.leading(), "b leads after expiry", 3 * timing.leaseDurationMs);
    // Expiry is judged from when b first saw the record, so b waits at least one lease duration.
    expect(Date.now() - startedAt).toBeGreaterThanOrEqual(timing.leaseDurationMs - timing.retryPeriodMs);
    b.stop.abort();
    await b.running;
  });
});

describe("leader election: a lease that cannot be renewed", () => {
  let cluster: TestCluster;
  let admin: RestClient;
  // Longer than the test's timings: what bounds an attempt must be the renew deadline, not the request timeout.
  const requestTimeoutMs = 30_000;
  const slow = { leaseDurationMs: 6000, renewDeadlineMs: 4000, retryPeriodMs: 1000 };

  beforeAll(async () => {
    cluster = await startCluster({ name: "leader-renew" });
    admin = await RestClient.fromKubeConfig(cluster.kubeconfig);
  });

  afterAll(async () => {
    await admin?.close();
    await cluster?.stop();
  });

  const renewed = async (id: string) => {
    const lease = await admin.get(Lease, { namespace: "default", name: id });
    return lease.spec?.renewTime !== lease.spec?.acquireTime;
  };

  it("abandons a renewal against an API server that stopped answering at the renew deadline, request included", async () => {
    const proxy = await LoopbackProxy.start(cluster.ports.apiServer);
    const transport = await RestTransport.fromKubeConfig(kubeconfigThrough(cluster.kubeconfig, proxy.port), { connections: 1, requestTimeoutMs });
    try {
      const { logger, lines } = recordLogs("info");
      const elector = new LeaderElector(transport, { id: "silent-server", namespace: "default", identity: "renewer", log: logger, ...slow });
      expect(await elector.acquire(AbortSignal.timeout(30_000))).toBe(true);
      const renewing = elector.renewUntil(new AbortController().signal).then(() => undefined, (err: unknown) => err);
      await eventually(() => renewed("silent-server"), "a first renewal");
      proxy.silence();
      const silencedAt = performance.now();
      const err = await renewing;
      const lostAfterMs = performance.now() - silencedAt;
      const lostAtWallMs = Date.now();
      expect(err).toBeInstanceOf(LeaderElectionLostError);
      expect(elector.lost.aborted).toBe(true);
      expect(elector.isLeader()).toBe(false);
      // Leadership ends renewDeadline after the last renewal began, which was at most a retry period (and an attempt)
      // before the silence; generous upper bound for a loaded machine, still far below the 30 s request timeout.
      expect(lostAfterMs).toBeGreaterThan(slow.renewDeadlineMs - slow.retryPeriodMs - 1000);
      expect(lostAfterMs).toBeLessThan(slow.renewDeadlineMs + 3000);
      // The request in flight was aborted at the deadline, not left to its 30 s timeout: the attempt logged the abort
      // as it gave up, just as leadership ended (HTTP/2 resets the stream; the connection may stay open).
      const aborted = lines.map((l) => JSON.parse(l) as { msg: string; err?: { message?: string }; time: number }).filter((l) => /error (retrieving|updating) lease/.test(l.msg) && /abort/i.test(l.err?.message ?? ""));
      expect(aborted.length).toBeGreaterThanOrEqual(1);
      expect(Math.abs(aborted.at(-1)!.time - lostAtWallMs)).toBeLessThan(1000);
      console.log(`renewal against a silent API server abandoned ${Math.round(lostAfterMs)} ms after the silence (renew deadline ${slow.renewDeadlineMs} ms)`);
    } finally {
      await transport.destroy();
      await proxy.close();
    }
  });

  it("a leader that finds another holder on the Lease stops at its next renewal, without waiting for the deadline", async () => {
    const transport = await RestTransport.fromKubeConfig(cluster.kubeconfig);
    try {
      const elector = new LeaderElector(transport, { id: "usurped", namespace: "default", identity: "deposed", log: log.getLogger(), ...slow });
      expect(await elector.acquire(AbortSignal.timeout(30_000))).toBe(true);
      const renewing = elector.renewUntil(new AbortController().signal).then(() => undefined, (err: unknown) => err);
      const lease = await admin.get(Lease, { namespace: "default", name: "usurped" });
      await admin.update({ ...lease, spec: { ...lease.spec, holderIdentity: "usurper" } });
      const usurpedAt = performance.now();
      const err = await renewing;
      expect(err).toBeInstanceOf(LeaderElectionLostError);
      expect((err as Error).message).toContain("held by usurper");
      expect(performance.now() - usurpedAt).toBeLessThan(slow.renewDeadlineMs);
    } finally {
      await transport.destroy();
    }
  });

  it("a manager that loses the lease stops its leader-only work at once, fences its writes, and skips the graceful drain", async () => {
    const proxy = await LoopbackProxy.start(cluster.ports.apiServer);
    const mgr = await Manager.create({
      kubeconfig: kubeconfigThrough(cluster.kubeconfig, proxy.port),
      leaderElection: true,
      leaderElectionID: "no-drain",
      leaderElectionNamespace: "default",
      leaderElectionIdentity: "stubborn",
      gracefulShutdownTimeoutMs: 60_000,
      ...slow,
    });
    let abortedWith: unknown;
    let lateWrite: Promise<unknown> | undefined;
    await mgr.add(runnableFunc(async (signal) => {
      await new Promise<void>((resolve) => signal.addEventListener("abort", () => resolve(), { once: true }));
      abortedWith = signal.reason;
      // Leader-only work that goes on after being told to stop: its write is refused here, never sent.
      lateWrite = mgr.client.create({ apiVersion: "v1", kind: "ConfigMap", metadata: { namespace: "default", name: "late" } }).then(() => "written", (err: unknown) => err);
      await new Promise(() => {}); // and never returns: nothing waits for it
    }));
    const running = mgr.start().then(() => undefined, (err: unknown) => err);
    try {
      await mgr.elected();
      await eventually(() => renewed("no-drain"), "a first renewal");
      // Leader-only work started from outside any runnable (a timer, a provider) writes while this replica leads.
      const outside = await new Promise<unknown>((resolve) => {
        setTimeout(() => void mgr.runAsLeader(() => mgr.client.create({ apiVersion: "v1", kind: "ConfigMap", metadata: { namespace: "default", name: "from-a-timer" } })).then(resolve, resolve), 0);
      });
      expect((outside as ConfigMap).metadata?.name).toBe("from-a-timer");
      proxy.silence();
      const silencedAt = performance.now();
      const err = await running;
      const stoppedAfterMs = performance.now() - silencedAt;
      expect(err).toBeInstanceOf(LeaderElectionLostError);
      expect(abortedWith).toBe(err);
      expect(await lateWrite).toBeInstanceOf(LeaderElectionLostError);
      // The same from outside, once deposed: refused by the fence, not sent to the (silent) server.
      const deposed = await mgr.runAsLeader(() => mgr.client.create({ apiVersion: "v1", kind: "ConfigMap", metadata: { namespace: "default", name: "late-timer" } })).then(() => "written", (err: unknown) => err);
      expect(deposed).toBeInstanceOf(LeaderElectionLostError);
      // No graceful drain: start() returned with the runnable still running, well before the 60 s shutdown timeout.
      expect(stoppedAfterMs).toBeLessThan(slow.renewDeadlineMs + 3000);
      await expect(admin.get(ConfigMap, { namespace: "default", name: "late" })).rejects.toThrow(/not found/);
      await expect(admin.get(ConfigMap, { namespace: "default", name: "late-timer" })).rejects.toThrow(/not found/);
    } finally {
      await proxy.close();
    }
  });
});
