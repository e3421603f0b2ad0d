// The contract between the CRDs this package ships for cass-operator's kinds (config/cass-operator-crd) and
// cass-operator's own: every object the operator and the simulator write is accepted by both and stored alike, and
// what cass-operator's CRD turns down, the shipped one turns down too. cass-operator's CRDs are the reference when
// they are available (OPERATOR_TS_REFERENCE_CRDS, which CI sets, or the real CRDs the other tests use); without them
// the shipped CRDs are still held to the stored objects the reference gives (nothing pruned, nothing defaulted).
import { readFile } from "node:fs/promises";
import { type ObjectMeta, RestClient } from "@operator-ts/runtime";
import { type JSONSchemaProps, staleCRDs } from "@operator-ts/runtime/crd";
import { readCRDs, startClusters, stopClusters, type TestCluster } from "@operator-ts/runtime/envtest";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { CassandraDatacenter, CassandraTask, type K8ssandraCluster } from "../src/api/index.ts";
import { datacentersOf, desiredDatacenter } from "../src/controllers/k8ssandracluster/desired.ts";
import { CASS_OPERATOR_CRDS } from "../src/dev/environment.ts";
import { SAMPLE } from "../src/dev/demo.ts";
import { desiredNodes, invalidSpec } from "../src/simulator/index.ts";
import { type ChangeKind, readyStatus, updatingStatus } from "../src/simulator/status.ts";
import { referenceCassOperatorCRDs } from "../../../test/support/paths.ts";

const reference = referenceCassOperatorCRDs();
const NOW = "2026-01-02T03:04:05Z";

interface Stored {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
  spec: unknown;
  status?: unknown;
}

/** What the API server made of an object, without what differs between any two servers (uid, times, versions). */
function content(obj: Stored) {
  const { labels, annotations, name, namespace, generation } = obj.metadata;
  return { metadata: { name, namespace, labels, annotations, generation }, spec: obj.spec, status: obj.status };
}

/** The richest K8ssandraCluster this operator turns into CassandraDatacenters: every field desiredDatacenter maps. */
function richCluster(): K8ssandraCluster {
  return {
    apiVersion: "k8ssandra.io/v1alpha1",
    kind: "K8ssandraCluster",
    metadata: { name: "rich", namespace: "default", uid: "uid-rich" },
    spec: {
      cassandra: {
        clusterName: "Rich Cluster",
        serverType: "dse",
        serverVersion: "6.8.50",
        serverImage: "datastax/dse-mgmtapi-6_8:6.8.50",
        superuserSecretRef: { name: "rich-admin" },
        additionalSeeds: ["10.9.0.1"],
        storageConfig: {
          cassandraDataVolumeClaimSpec: { storageClassName: "fast", accessModes: ["ReadWriteOnce"], resources: { requests: { storage: "10Gi" } } },
          additionalVolumes: [
            { name: "commitlog", mountPath: "/var/lib/cassandra/commitlog", pvcSpec: { accessModes: ["ReadWriteOnce"], resources: { requests: { storage: "1Gi" } } } },
          ],
        },
        config: {
          cassandraYaml: { num_tokens: 16, authenticator: "PasswordAuthenticator" },
          dseYaml: { authentication_options: { enabled: true } },
          jvmOptions: { heap_initial_size: "1Gi", heap_max_size: "2Gi", additionalOptions: ["-Dcassandra.ring_delay_ms=0"] },
        },
        networking: { hostNetwork: true, nodePort: { native: 30042, internode: 30070 } },
        resources: { requests: { cpu: "1", memory: "4Gi" }, limits: { memory: "4Gi" } },
        datacenters: [
          {
            metadata: { name: "dc1", labels: { team: "data" }, annotations: { note: "first" } },
            k8sContext: "east",
            size: 3,
            racks: [
              { name: "r1", nodeAffinityLabels: { "topology.kubernetes.io/zone": "a" } },
              { name: "r2", nodeAffinityLabels: { "topology.kubernetes.io/zone": "b" } },
            ],
          },
          { metadata: { name: "dc2" }, k8sContext: "west", size: 1, stopped: true, datacenterName: "DC Two" },
        ],
      },
    },
  };
}

/** Every CassandraDatacenter the operator writes for the sample and for richCluster, as its reconciler builds them. */
async function datacentersTheOperatorWrites(): Promise<CassandraDatacenter[]> {
  const sample = parse(await readFile(SAMPLE, "utf8")) as K8ssandraCluster;
  sample.metadata = { ...sample.metadata, namespace: "default", uid: "uid-demo" };
  const out: CassandraDatacenter[] = [];
  for (const k8c of [sample, richCluster()]) {
    datacentersOf(k8c).forEach((dc, position) => {
      const seeds = position === 0 ? [] : ["10.1.0.1", "10.1.0.2"];
      const { datacenter } = desiredDatacenter(k8c, dc, position, seeds);
      out.push({ ...datacenter, metadata: { ...datacenter.metadata, name: `${k8c.metadata.name}-${datacenter.metadata.name}` } });
    });
  }
  return out;
}

/** The statuses the simulator writes for a datacenter, through every change it reports, one after the other. */
function simulatorStatuses(dc: CassandraDatacenter): NonNullable<CassandraDatacenter["status"]>[] {
  const nodes = desiredNodes(dc);
  const statuses: NonNullable<CassandraDatacenter["status"]>[] = [];
  let current = dc;
  const next = (status: NonNullable<CassandraDatacenter["status"]>) => {
    statuses.push(status);
    current = { ...current, status };
  };
  next(updatingStatus(current, "Initializing", nodes, "configSecret rich-dc1-config not found", NOW));
  const kinds: ChangeKind[] = ["Initializing", "ScalingUp", "ScalingDown", "Updating", "Stopping", "Resuming"];
  for (const kind of kinds) {
    next(updatingStatus(current, kind, nodes, undefined, NOW));
    next(readyStatus(current, kind, nodes, NOW));
  }
  return statuses;
}

/** CassandraTasks as the real-Cassandra work will write them (no writer exists yet): rebuild, cleanup, restart. */
function tasks(): CassandraTask[] {
  const task = (name: string, spec: CassandraTask["spec"]): CassandraTask => ({
    apiVersion: CassandraTask.apiVersion,
    kind: CassandraTask.kind,
    metadata: { name, namespace: "default" },
    spec,
  });
  const datacenter = { name: "demo-dc2", namespace: "default" };
  return [
    task("rebuild-dc2", {
      datacenter,
      jobs: [{ name: "rebuild-dc2", command: "rebuild", args: { source_datacenter: "dc1" } }],
      concurrencyPolicy: "Forbid",
      restartPolicy: "OnFailure",
      ttlSecondsAfterFinished: 600,
    }),
    task("cleanup-dc1", {
      datacenter,
      jobs: [{ name: "cleanup", command: "cleanup", args: { keyspace_name: "ks1", tables: ["t1", "t2"], jobs: 2 } }],
      scheduledTime: NOW,
      concurrencyPolicy: "Allow",
    }),
    // maxConcurrentPods and retries are cass-operator's, not modelled here: kept as written all the same.
    task("restart-r1", {
      datacenter,
      jobs: [{ name: "restart", command: "restart", args: { rack: "r1", fast: true } }],
      restartPolicy: "Never",
      ...{ maxConcurrentPods: 2, retries: 3 },
    }),
  ];
}

function taskStatus(): NonNullable<CassandraTask["status"]> {
  return {
    startTime: NOW,
    completionTime: NOW,
    succeeded: 3,
    failed: 0,
    active: 0,
    conditions: [
      { type: "Running", status: "False", reason: "JobsFinished", message: "", lastTransitionTime: NOW },
      { type: "Complete", status: "True", reason: "CompletedSuccessfully", message: "3 pods succeeded", lastTransitionTime: NOW },
    ],
    podStatuses: { "demo-dc2-default-sts-0": { status: "Completed", startTime: NOW, completionTime: NOW } },
  };
}

/** A CassandraDatacenter as cass-operator's own examples write it, with fields this package does not model. */
const CASS_OPERATOR_EXAMPLE = `
apiVersion: cassandra.datastax.com/v1beta1
kind: CassandraDatacenter
metadata:
  name: example-dc1
  namespace: default
spec:
  clusterName: cluster1
  serverType: cassandra
  serverVersion: "4.1.5"
  managementApiAuth:
    insecure: {}
  size: 3
  allowMultipleNodesPerWorker: true
  canaryUpgrade: false
  minReadySeconds: 5
  maxUnavailable: 1
  nodeSelector:
    disktype: ssd
  storageConfig:
    cassandraDataVolumeClaimSpec:
      storageClassName: server-storage
      accessModes:
        - ReadWriteOnce
      resources:
        requests:
          storage: 5Gi
  racks:
    - name: rack1
    - name: rack2
  users:
    - secretName: app-user
      superuser: false
`;

async function rejection(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (err) {
    return (err as Error).message;
  }
  throw new Error("the API server accepted it");
}

describe(`the shipped cass-operator CRDs, ${reference ? `against cass-operator's own in ${reference}` : "alone (cass-operator's own are not available)"}`, () => {
  let clusters: TestCluster[] = [];
  /** The shipped CRDs' server first; cass-operator's second when the reference is available. */
  let clients: RestClient[] = [];

  beforeAll(async () => {
    const crds = reference ? [CASS_OPERATOR_CRDS, reference] : [CASS_OPERATOR_CRDS];
    clusters = await startClusters(crds.length, { names: reference ? ["shipped", "reference"] : ["shipped"] });
    await Promise.all(clusters.map((c, i) => c.installCRDs([crds[i]!])));
    clients = await Promise.all(clusters.map((c) => RestClient.fromKubeConfig(c.kubeconfig)));
  });

  afterAll(async () => {
    await Promise.all(clients.map((c) => c.close()));
    await stopClusters(clusters);
  });

  /** Writes the object on every server and returns what each stored. */
  async function createEverywhere<T extends Stored>(obj: T): Promise<T[]> {
    return Promise.all(clients.map((c) => c.create<T>(structuredClone(obj))));
  }

  function expectStoredAlike(stored: Stored[]): void {
    const [shipped, ...others] = stored.map(content);
    for (const other of others) expect(shipped).toEqual(other);
  }

  it("are what the TypeScript definitions generate, each field with cass-operator's name, type and validation", async () => {
    expect(await staleCRDs(CASS_OPERATOR_CRDS, [CassandraDatacenter, CassandraTask])).toEqual([]);
    const shipped = await readCRDs([CASS_OPERATOR_CRDS]);
    expect(shipped.map((c) => c.metadata.name)).toEqual(["cassandradatacenters.cassandra.datastax.com", "cassandratasks.control.k8ssandra.io"]);
    if (!reference) return;
    const real = await readCRDs([reference]);
    const mismatches: string[] = [];
    for (const crd of shipped) {
      const theirs = real.find((c) => c.metadata.name === crd.metadata.name);
      expect(theirs, crd.metadata.name).toBeDefined();
      const ours = topSchema(crd);
      const them = topSchema(theirs!);
      for (const part of ["spec", "status"]) {
        compareSchemas(ours.properties![part]!, them.properties![part]!, `${crd.metadata.name}.${part}`, mismatches);
      }
    }
    expect(mismatches).toEqual([]);
  });

  it("accept every CassandraDatacenter the operator writes, and the simulator's statuses, storing them as written", async () => {
    const datacenters = await datacentersTheOperatorWrites();
    expect(datacenters.map((d) => d.metadata.name)).toEqual(["demo-dc1", "demo-dc2", "rich-dc1", "rich-dc2"]);
    // The rich cluster reaches every field of the mapping: config by Secret, racks, networking, resources, stopped.
    const rich = datacenters[2]!.spec;
    expect(rich).toMatchObject({ serverType: "dse", configSecret: "richcluster-dc1-config", networking: { hostNetwork: true } });
    expect(rich.racks).toHaveLength(2);
    expect(datacenters[3]!.spec).toMatchObject({ stopped: true, datacenterName: "DC Two", additionalSeeds: ["10.1.0.1", "10.1.0.2", "10.9.0.1"] });

    for (const dc of datacenters) {
      const stored = await createEverywhere(dc);
      // No default added, no field pruned: what the reference CRD does with these objects.
      expect(stored[0]!.spec).toEqual(dc.spec);
      expectStoredAlike(stored);

      expect(invalidSpec(stored[0]!)).toBeUndefined();
      let current = stored;
      for (const status of simulatorStatuses(stored[0]!)) {
        current = await Promise.all(clients.map((c, i) => c.status().update<CassandraDatacenter>({ ...current[i]!, status })));
        expect(current[0]!.status).toEqual(status);
        expectStoredAlike(current);
      }
    }
  });

  it("accept cass-operator's example manifest, keeping the fields this package does not model", async () => {
    const example = parse(CASS_OPERATOR_EXAMPLE) as CassandraDatacenter;
    const stored = await createEverywhere(example);
    expect(stored[0]!.spec).toEqual(example.spec);
    expectStoredAlike(stored);
  });

  it("accept the CassandraTasks the operator will write, and their status, storing them as written", async () => {
    for (const task of tasks()) {
      const stored = await createEverywhere(task);
      expect(stored[0]!.spec).toEqual(task.spec);
      expectStoredAlike(stored);
      const status = taskStatus();
      const updated = await Promise.all(clients.map((c, i) => c.status().update<CassandraTask>({ ...stored[i]!, status })));
      expect(updated[0]!.status).toEqual(status);
      expectStoredAlike(updated);
    }
  });

  it("turn down what cass-operator's CRD turns down, naming the field", async () => {
    const [valid] = await datacentersTheOperatorWrites();
    const bad: [string, (spec: Record<string, unknown>) => void, RegExp][] = [
      ["size-0", (s) => (s.size = 0), /spec\.size/],
      ["no-storage", (s) => delete s.storageConfig, /spec\.storageConfig/],
      ["server-type", (s) => (s.serverType = "scylla"), /spec\.serverType/],
      ["server-version", (s) => (s.serverVersion = "latest"), /spec\.serverVersion/],
      ["cluster-name", (s) => (s.clusterName = "x"), /spec\.clusterName/],
      ["rack-name", (s) => (s.racks = [{ name: "r" }]), /spec\.racks\[0\]\.name/],
      ["config-object", (s) => (s.config = { "cassandra-yaml": { num_tokens: 16 } }), /spec\.config/],
    ];
    for (const [name, mutate, field] of bad) {
      const dc = structuredClone(valid!) as CassandraDatacenter;
      dc.metadata.name = `bad-${name}`;
      mutate(dc.spec as Record<string, unknown>);
      for (const client of clients) expect(await rejection(client.create(structuredClone(dc)))).toMatch(field);
    }
    const task = tasks()[0]!;
    task.metadata.name = "bad-job";
    task.spec.jobs = [{ name: "no-command" } as NonNullable<CassandraTask["spec"]["jobs"]>[number]];
    for (const client of clients) expect(await rejection(client.create(structuredClone(task)))).toMatch(/spec\.jobs\[0\]\.command/);
  });
});

function topSchema(crd: Awaited<ReturnType<typeof readCRDs>>[number]): JSONSchemaProps {
  return (crd.spec as unknown as { versions: { schema: { openAPIV3Schema: JSONSchemaProps } }[] }).versions[0]!.schema.openAPIV3Schema;
}

const VALIDATION = ["type", "format", "pattern", "enum", "minimum", "maximum", "exclusiveMinimum", "minLength", "maxLength", "minItems", "maxItems", "default", "nullable", "x-kubernetes-int-or-string", "x-kubernetes-list-type", "x-kubernetes-list-map-keys", "x-kubernetes-map-type"];

/**
 * Every node of ours must exist in theirs with the same validation keywords and required fields. Below a node we
 * keep free-form (x-kubernetes-preserve-unknown-fields, no properties: a Kubernetes type such as a PVC spec) theirs
 * may go on; where ours keeps unknown fields and theirs does not, theirs must be the stricter one, never ours.
 */
function compareSchemas(ours: JSONSchemaProps, theirs: JSONSchemaProps, path: string, out: string[]): void {
  for (const key of VALIDATION) {
    if (JSON.stringify(ours[key]) !== JSON.stringify(theirs[key])) out.push(`${path}: ${key} ${JSON.stringify(ours[key])} here, ${JSON.stringify(theirs[key])} in cass-operator's`);
  }
  if (JSON.stringify([...(ours.required ?? [])].sort()) !== JSON.stringify([...(theirs.required ?? [])].sort())) {
    out.push(`${path}: required ${JSON.stringify(ours.required ?? [])} here, ${JSON.stringify(theirs.required ?? [])} in cass-operator's`);
  }
  const freeForm = ours["x-kubernetes-preserve-unknown-fields"] && !ours.properties;
  if (!freeForm && ours["x-kubernetes-preserve-unknown-fields"] !== theirs["x-kubernetes-preserve-unknown-fields"] && !ours["x-kubernetes-preserve-unknown-fields"]) {
    out.push(`${path}: prunes unknown fields here, keeps them in cass-operator's`);
  }
  for (const [name, child] of Object.entries(ours.properties ?? {})) {
    const other = theirs.properties?.[name];
    if (!other) out.push(`${path}.${name}: not in cass-operator's CRD`);
    else compareSchemas(child, other, `${path}.${name}`, out);
  }
  if (ours.items) {
    if (!theirs.items) out.push(`${path}[*]: no item schema in cass-operator's CRD`);
    else compareSchemas(ours.items, theirs.items, `${path}[*]`, out);
  }
  if (typeof ours.additionalProperties === "object") {
    if (typeof theirs.additionalProperties !== "object") out.push(`${path}{*}: a map here, not in cass-operator's CRD`);
    else compareSchemas(ours.additionalProperties, theirs.additionalProperties, `${path}{*}`, out);
  }
}
