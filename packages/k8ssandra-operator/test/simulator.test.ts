import { Manager, Pod, Secret, Service, type Shared } from "@operator-ts/runtime";
import { startCluster, type TestCluster } from "@operator-ts/runtime/envtest";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  CassandraDatacenter,
  type CassandraDatacenterStatus,
  datacenterCondition,
  isDatacenterSettled,
  seedServiceName,
  SEED_NODE_LABEL,
} from "../src/api/index.ts";
import { desiredNodes, invalidSpec, type RunningSimulator, startSimulator } from "../src/simulator/index.ts";
import { cassOperatorCRDs } from "../../../test/support/paths.ts";
import { eventually } from "../../../test/support/eventually.ts";
import { gone } from "../../../test/support/gone.ts";

interface Seen {
  at: number;
  generation: number;
  status: CassandraDatacenterStatus;
}

function condition(status: CassandraDatacenterStatus | undefined, type: string) {
  return status?.conditions?.find((c) => c.type === type);
}

describe("cass-operator's topology, as the simulator reproduces it", () => {
  const dc = (spec: Partial<CassandraDatacenter["spec"]>, name = "dc1"): CassandraDatacenter => ({
    apiVersion: CassandraDatacenter.apiVersion,
    kind: CassandraDatacenter.kind,
    metadata: { name, namespace: "default", uid: `uid-${name}` },
    spec: { clusterName: "demo", serverType: "cassandra", serverVersion: "4.1.5", size: 3, storageConfig: {}, ...spec },
  });

  it("spreads nodes over racks (first racks take the remainder) and picks cass-operator's seeds", () => {
    const layout = (d: CassandraDatacenter) => desiredNodes(d).map((n) => `${n.pod}${n.seed ? "*" : ""}`);
    expect(layout(dc({ size: 1 }))).toEqual(["demo-dc1-default-sts-0*"]);
    // Three seeds per datacenter, spread like the nodes.
    expect(layout(dc({ size: 5, racks: [{ name: "r1" }, { name: "r2" }] }))).toEqual([
      "demo-dc1-r1-sts-0*",
      "demo-dc1-r1-sts-1*",
      "demo-dc1-r1-sts-2",
      "demo-dc1-r2-sts-0*",
      "demo-dc1-r2-sts-1",
    ]);
    // One seed per rack past three racks.
    expect(layout(dc({ size: 5, racks: ["a1", "b1", "c1", "d1"].map((name) => ({ name })) })).filter((p) => p.endsWith("*"))).toHaveLength(4);
    expect(desiredNodes(dc({ size: 3, stopped: true }))).toEqual([]);
    // Names cleaned as cass-operator cleans them.
    expect(desiredNodes(dc({ clusterName: "Demo_Cluster", racks: [{ name: "Rack_1" }], size: 1 }))[0]!.pod).toBe("demo-cluster-dc1-rack-1-sts-0");
    expect(seedServiceName(dc({ clusterName: "Demo_Cluster" }))).toBe("demo-cluster-seed-service");
  });

  it("gives every node a stable address and host ID, distinct across datacenters", () => {
    const a = desiredNodes(dc({ size: 3 }, "dc1"));
    expect(desiredNodes(dc({ size: 3 }, "dc1"))).toEqual(a);
    const b = desiredNodes(dc({ size: 3 }, "dc2"));
    const ips = [...a, ...b].map((n) => n.ip);
    expect(new Set(ips).size).toBe(6);
    expect(new Set([...a, ...b].map((n) => n.hostID)).size).toBe(6);
  });

  it("refuses fewer nodes than racks, and duplicate racks, as cass-operator does", () => {
    expect(invalidSpec(dc({ size: 1, racks: [{ name: "r1" }, { name: "r2" }] }))).toMatch(/smaller than the number of racks/);
    expect(invalidSpec(dc({ size: 2, racks: [{ name: "r1" }, { name: "r1" }] }))).toMatch(/unique/);
    expect(invalidSpec(dc({ size: 2, racks: [{ name: "r1" }, { name: "r2" }] }))).toBeUndefined();
  });
});

describe("cass-operator simulator on a real API server with the CassandraDatacenter CRD", () => {
  const namespace = "default";
  let cluster: TestCluster;
  let mgr: Manager;
  const stopObserver = new AbortController();
  let observing: Promise<void>;
  let sim: RunningSimulator | undefined;
  // Every version of every datacenter's status, as a watch delivers them: the transitions, not just the end state.
  const history = new Map<string, Seen[]>();

  const dcKey = (name: string) => ({ namespace, name });
  const get = (name: string) => mgr.apiReader.get(CassandraDatacenter, dcKey(name));
  const seen = (name: string) => history.get(name) ?? [];

  async function create(name: string, spec: Partial<CassandraDatacenter["spec"]> = {}): Promise<CassandraDatacenter> {
    return mgr.client.create<CassandraDatacenter>({
      apiVersion: CassandraDatacenter.apiVersion,
      kind: CassandraDatacenter.kind,
      metadata: { name, namespace },
      spec: {
        clusterName: "demo",
        serverType: "cassandra",
        serverVersion: "4.1.5",
        size: 3,
        storageConfig: { cassandraDataVolumeClaimSpec: { accessModes: ["ReadWriteOnce"], resources: { requests: { storage: "1Gi" } } } },
        ...spec,
      },
    });
  }

  async function patchSpec(name: string, spec: Partial<CassandraDatacenter["spec"]>): Promise<CassandraDatacenter> {
    return mgr.client.patch(await get(name), { type: "merge", data: { spec } });
  }

  /**
   * Waits until the simulator is done with this generation, as K8ssandra waits for cass-operator, and until the
   * observing informer (whose history the tests read) has seen it too: its watch may trail the direct read.
   */
  async function settled(name: string, generation: number): Promise<CassandraDatacenter> {
    const dc = await eventually(async () => {
      const dc = await get(name);
      return dc.metadata.generation === generation && isDatacenterSettled(dc) ? dc : undefined;
    }, `${name} settled at generation ${generation}`, 60_000);
    await eventually(
      () => seen(name).some((s) => s.generation === generation && s.status.observedGeneration === generation && s.status.cassandraOperatorProgress === "Ready"),
      `the informer's history of ${name} at generation ${generation}, Ready`,
    );
    return dc;
  }

  async function podsOf(name: string) {
    const pods = await mgr.apiReader.list(Pod, { namespace, labelSelector: { "cassandra.datastax.com/datacenter": name } });
    return pods.items.map((p) => p.metadata!.name!).sort();
  }

  beforeAll(async () => {
    cluster = await startCluster({ name: "cass-sim", crds: [cassOperatorCRDs()] });
    mgr = await Manager.create({ kubeconfig: cluster.kubeconfig });
    observing = mgr.start(stopObserver.signal);
    const informer = await mgr.cache.getInformer(CassandraDatacenter);
    const record = (dc: Shared<CassandraDatacenter>) => {
      const list = history.get(dc.metadata.name!) ?? [];
      list.push({ at: Date.now(), generation: dc.metadata.generation ?? 0, status: structuredClone(dc.status ?? {}) as CassandraDatacenterStatus });
      history.set(dc.metadata.name!, list);
    };
    informer.addEventHandler({ onAdd: record, onUpdate: (_, dc) => record(dc) });
  });

  afterAll(async () => {
    await sim?.stop();
    stopObserver.abort();
    await observing;
    await cluster?.stop();
  });

  describe("with a delay of 500 ms", () => {
    const delay = 500;

    beforeAll(async () => {
      sim = await startSimulator(cluster.kubeconfigYaml, { readyDelayMs: delay });
    });

    afterAll(async () => {
      await sim?.stop();
      sim = undefined;
    });

    it("takes a new datacenter from Updating to Ready after the delay, with cass-operator's conditions, node statuses and pods", async () => {
      const before = Date.now();
      const created = await create("dc1", { racks: [{ name: "r1" }, { name: "r2" }] });
      const dc = await settled("dc1", created.metadata.generation!);

      // Updating came first, with no nodes yet and Ready False; Ready came no sooner than the delay allows.
      const updating = seen("dc1").find((s) => s.status.cassandraOperatorProgress === "Updating");
      expect(updating?.status.nodeStatuses).toBeUndefined();
      expect(condition(updating?.status, "Ready")).toMatchObject({ status: "False", reason: "NodesStarting" });
      const ready = seen("dc1").find((s) => s.status.cassandraOperatorProgress === "Ready")!;
      expect(seen("dc1").indexOf(ready)).toBeGreaterThan(seen("dc1").indexOf(updating!));
      expect(ready.at - before).toBeGreaterThanOrEqual(delay);

      const status = dc.status!;
      // Exactly these fields: the real schema would have pruned any it did not know.
      expect(Object.keys(status).sort()).toEqual([
        "cassandraOperatorProgress",
        "conditions",
        "datacenterName",
        "lastServerNodeStarted",
        "nodeReplacements",
        "nodeStatuses",
        "observedGeneration",
        "superUserUpserted",
        "usersUpserted",
      ]);
      expect(status.observedGeneration).toBe(dc.metadata.generation);
      expect(status.datacenterName).toBe("dc1");
      expect(Object.fromEntries(status.conditions!.map((c) => [c.type, c.status]))).toEqual({ Valid: "True", Ready: "True", Initialized: "True" });
      for (const c of status.conditions!) {
        expect(typeof c.reason).toBe("string");
        expect(typeof c.message).toBe("string");
        expect(c.lastTransitionTime).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
      }
      // Three nodes over two racks, named as cass-operator names its StatefulSets' pods.
      expect(Object.keys(status.nodeStatuses!).sort()).toEqual(["demo-dc1-r1-sts-0", "demo-dc1-r1-sts-1", "demo-dc1-r2-sts-0"]);
      expect(status.nodeStatuses!["demo-dc1-r2-sts-0"]).toMatchObject({ rack: "r2", ip: expect.stringMatching(/^10\.\d+\.\d+\.\d+$/) });
      const hostIDs = Object.values(status.nodeStatuses!).map((n) => n.hostID);
      expect(new Set(hostIDs).size).toBe(3);

      // The pods, labelled as cass-operator labels them, report the nodes' IPs; all three are seeds.
      const pods = await mgr.apiReader.list(Pod, { namespace, labelSelector: { "cassandra.datastax.com/cluster": "demo", [SEED_NODE_LABEL]: "true" } });
      expect(pods.items.map((p) => [p.metadata!.name, p.metadata!.labels!["cassandra.datastax.com/rack"], p.status?.podIP]).sort()).toEqual(
        Object.entries(status.nodeStatuses!).map(([pod, n]) => [pod, n.rack, n.ip]).sort(),
      );

      const seeds = await mgr.apiReader.get(Service, { namespace, name: "demo-seed-service" });
      expect(seeds.spec).toMatchObject({ clusterIP: "None", publishNotReadyAddresses: true, selector: { "cassandra.datastax.com/cluster": "demo", [SEED_NODE_LABEL]: "true" } });
      expect(seeds.metadata?.ownerReferences?.map((o) => o.name)).toEqual(["dc1"]);
    });

    it("scales up and down: ScalingUp/ScalingDown while Updating, node statuses and pods follow the size", async () => {
      const up = await patchSpec("dc1", { size: 5 });
      let dc = await settled("dc1", up.metadata.generation!);
      expect(Object.keys(dc.status!.nodeStatuses!).sort()).toEqual([
        "demo-dc1-r1-sts-0",
        "demo-dc1-r1-sts-1",
        "demo-dc1-r1-sts-2",
        "demo-dc1-r2-sts-0",
        "demo-dc1-r2-sts-1",
      ]);
      const scalingUp = seen("dc1").find((s) => s.generation === up.metadata.generation && s.status.cassandraOperatorProgress === "Updating");
      expect(condition(scalingUp?.status, "ScalingUp")).toMatchObject({ status: "True", message: "scaling up from 3 to 5 nodes" });
      // A running datacenter stays Ready while it grows, as with cass-operator.
      expect(condition(scalingUp?.status, "Ready")?.status).toBe("True");
      expect(datacenterCondition(dc, "ScalingUp")?.status).toBe("False");
      expect(await podsOf("dc1")).toEqual(Object.keys(dc.status!.nodeStatuses!).sort());

      const down = await patchSpec("dc1", { size: 2 });
      dc = await settled("dc1", down.metadata.generation!);
      expect(Object.keys(dc.status!.nodeStatuses!).sort()).toEqual(["demo-dc1-r1-sts-0", "demo-dc1-r2-sts-0"]);
      const scalingDown = seen("dc1").find((s) => s.generation === down.metadata.generation && s.status.cassandraOperatorProgress === "Updating");
      expect(condition(scalingDown?.status, "ScalingDown")?.status).toBe("True");
      expect(datacenterCondition(dc, "ScalingDown")?.status).toBe("False");
      expect(await podsOf("dc1")).toEqual(["demo-dc1-r1-sts-0", "demo-dc1-r2-sts-0"]);
    });

    it("stops a datacenter (Stopped True, Ready False, no nodes) and resumes it", async () => {
      const stop = await patchSpec("dc1", { stopped: true });
      let dc = await settled("dc1", stop.metadata.generation!);
      expect(dc.status?.cassandraOperatorProgress).toBe("Ready");
      expect(datacenterCondition(dc, "Stopped")).toMatchObject({ status: "True" });
      expect(datacenterCondition(dc, "Ready")).toMatchObject({ status: "False", reason: "Stopped" });
      expect(dc.status?.nodeStatuses).toEqual({});
      expect(await podsOf("dc1")).toEqual([]);

      const resume = await patchSpec("dc1", { stopped: false });
      dc = await settled("dc1", resume.metadata.generation!);
      const resuming = seen("dc1").find((s) => s.generation === resume.metadata.generation && s.status.cassandraOperatorProgress === "Updating");
      expect(condition(resuming?.status, "Resuming")?.status).toBe("True");
      expect(Object.fromEntries(dc.status!.conditions!.map((c) => [c.type, c.status]))).toMatchObject({
        Ready: "True",
        Stopped: "False",
        Resuming: "False",
        Initialized: "True",
      });
      expect(Object.keys(dc.status!.nodeStatuses!)).toHaveLength(2);
      expect(await podsOf("dc1")).toHaveLength(2);
    });
  });

  describe("with no delay", () => {
    beforeAll(async () => {
      sim = await startSimulator(cluster.kubeconfig, { readyDelayMs: 0 });
    });

    afterAll(async () => {
      await sim?.stop();
      sim = undefined;
    });

    it("still reports Updating before Ready, and picks up where the previous simulator left off", async () => {
      const created = await create("dc2", { size: 1 });
      const dc = await settled("dc2", created.metadata.generation!);
      expect(seen("dc2").map((s) => s.status.cassandraOperatorProgress)).toEqual([undefined, "Updating", "Ready"]);
      expect(Object.keys(dc.status!.nodeStatuses!)).toEqual(["demo-dc2-default-sts-0"]);
      // The datacenter the first simulator made is untouched: nothing left to do for its generation.
      const dc1 = await get("dc1");
      expect(isDatacenterSettled(dc1)).toBe(true);
      const seeds = await mgr.apiReader.get(Service, { namespace, name: "demo-seed-service" });
      expect(seeds.metadata?.ownerReferences?.map((o) => o.name).sort()).toEqual(["dc1", "dc2"]);
    });

    it("holds an invalid spec at Valid False until it is fixed", async () => {
      const created = await create("dc3", { size: 1, racks: [{ name: "r1" }, { name: "r2" }] });
      const invalid = await eventually(async () => {
        const dc = await get("dc3");
        return datacenterCondition(dc, "Valid")?.status === "False" ? dc : undefined;
      }, "Valid False", 60_000);
      expect(invalid.status?.cassandraOperatorProgress).toBe("Updating");
      expect(datacenterCondition(invalid, "Valid")?.message).toBe("the number of nodes cannot be smaller than the number of racks");
      expect(invalid.status?.observedGeneration).toBeUndefined();

      const fixed = await patchSpec("dc3", { size: 2 });
      expect(fixed.metadata.generation).toBeGreaterThan(created.metadata.generation!);
      const dc = await settled("dc3", fixed.metadata.generation!);
      expect(datacenterCondition(dc, "Valid")?.status).toBe("True");
    });

    it("waits for the configSecret the datacenter names, then starts", async () => {
      const created = await create("dc4", { size: 1, configSecret: "dc4-config" });
      const waiting = await eventually(async () => {
        const dc = await get("dc4");
        return datacenterCondition(dc, "Valid")?.status === "False" ? dc : undefined;
      }, "Valid False for the missing Secret", 60_000);
      expect(datacenterCondition(waiting, "Valid")?.message).toBe("configSecret dc4-config not found");

      await mgr.client.create<Secret>({
        apiVersion: "v1",
        kind: "Secret",
        metadata: { name: "dc4-config", namespace },
        stringData: { config: JSON.stringify({ "cassandra-yaml": { num_tokens: 16 } }) },
      });
      const dc = await settled("dc4", created.metadata.generation!);
      expect(Object.keys(dc.status!.nodeStatuses!)).toEqual(["demo-dc4-default-sts-0"]);
    });

    it("removes a deleted datacenter's pods, and the seed Service with the last datacenter of the cluster", async () => {
      const service = () => mgr.apiReader.get(Service, { namespace, name: "demo-seed-service" });
      for (const name of ["dc3", "dc4", "dc2"]) {
        await mgr.client.delete(await get(name));
        await eventually(async () => (await podsOf(name)).length === 0, `${name}'s pods gone`, 60_000);
      }
      await eventually(async () => {
        const owners = (await service()).metadata?.ownerReferences?.map((o) => o.name);
        return owners?.length === 1 && owners[0] === "dc1";
      }, "seed Service owned by dc1 alone", 60_000);

      await mgr.client.delete(await get("dc1"));
      await eventually(async () => (await podsOf("dc1")).length === 0, "dc1's pods gone", 60_000);
      await eventually(() => gone(service()), "seed Service gone", 60_000);
    });
  });
});
