import { type ConfigMap, Manager, RestTransport } from "@operator-ts/runtime";
import { startCluster, type TestCluster } from "@operator-ts/runtime/envtest";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ClusterIdentityError, IdentityGate, readClusterIdentity } from "../src/index.ts";

/**
 * Leader-only writes go over the transport's HTTP/1.1 pool, which makes a connection per concurrent write. The gate
 * checks the cluster again after a reconnect, not per connection: the writes must go through, not be refused until the
 * caller gives up.
 */
describe("the identity gate under leader election, on a real API server", () => {
  let cluster: TestCluster;
  let manager: Manager;
  const stop = new AbortController();
  let running: Promise<void>;
  let uid: string;

  /** Runs fn as leader-only work of the manager, the way a controller's reconcile or a provider's renewal runs. */
  const asLeader = <T>(fn: () => Promise<T>): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      void manager.add({ start: async () => fn().then(resolve, reject) });
    });

  const gatedTransport = async (expected: string | undefined) => {
    const transport = await RestTransport.fromKubeConfig(cluster.kubeconfig);
    const seen = { identities: [] as string[], mismatches: [] as string[] };
    const gate = new IdentityGate({
      cluster: "east",
      transport,
      expected,
      onIdentity: (found) => seen.identities.push(found),
      onMismatch: (found) => seen.mismatches.push(found),
    });
    return { transport, gate, seen };
  };

  const createConfigMaps = (transport: RestTransport, prefix: string, count: number) =>
    Promise.all(
      Array.from({ length: count }, (_, i) =>
        transport.request<ConfigMap>("POST", "/api/v1/namespaces/default/configmaps", {
          body: { apiVersion: "v1", kind: "ConfigMap", metadata: { name: `${prefix}-${i}` }, data: { i: String(i) } },
        }),
      ),
    );

  beforeAll(async () => {
    cluster = await startCluster();
    manager = await Manager.create({
      kubeconfig: cluster.kubeconfig,
      leaderElection: true,
      leaderElectionID: "identity-gate-test",
      leaderElectionNamespace: "default",
      metricsBindAddress: "0",
      healthProbeBindAddress: "0",
    });
    running = manager.start(stop.signal);
    running.catch(() => undefined);
    const probe = await RestTransport.fromKubeConfig(cluster.kubeconfig);
    uid = await readClusterIdentity(probe);
    await probe.destroy();
  });

  afterAll(async () => {
    stop.abort();
    await running?.catch(() => undefined);
    await cluster?.stop();
  });

  it("writes concurrent leader-only requests over new connections, and again after every connection was dropped, with one identity read", async () => {
    const { transport, gate, seen } = await gatedTransport(undefined);
    try {
      const first = await asLeader(() => createConfigMaps(transport, "gated", 8));
      expect(first.map((cm) => cm.metadata?.name).sort()).toEqual(Array.from({ length: 8 }, (_, i) => `gated-${i}`).sort());
      // Every connection dropped: the next leader-only writes come over new ones.
      transport.resetConnections();
      const second = await asLeader(() => createConfigMaps(transport, "reconnected", 4));
      expect(second).toHaveLength(4);
      expect(seen.identities).toEqual([uid]);
      expect(seen.mismatches).toEqual([]);
      expect(gate.mismatched).toBeUndefined();
    } finally {
      gate.close();
      await transport.destroy();
    }
  });

  it("refuses leader-only writes to a server that answers as another cluster, and writes nothing there", async () => {
    const { transport, gate, seen } = await gatedTransport("the-uid-of-a-cluster-that-is-gone");
    try {
      const refused = await asLeader(() => createConfigMaps(transport, "elsewhere", 3).then(() => undefined, (err: unknown) => err));
      expect(refused).toBeInstanceOf(ClusterIdentityError);
      expect(seen.mismatches).toEqual([uid]);
      const admin = await RestTransport.fromKubeConfig(cluster.kubeconfig);
      const list = await admin.request<{ items: ConfigMap[] }>("GET", "/api/v1/namespaces/default/configmaps");
      await admin.destroy();
      expect(list.items.filter((cm) => cm.metadata?.name?.startsWith("elsewhere-"))).toEqual([]);
    } finally {
      gate.close();
      await transport.destroy();
    }
  });
});
