import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Lease, Manager, metrics, RestClient, runnableFunc } from "../src/index.ts";
import { startCluster, type TestCluster } from "../src/envtest/index.ts";
import { eventually } from "../../../test/support/eventually.ts";

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
