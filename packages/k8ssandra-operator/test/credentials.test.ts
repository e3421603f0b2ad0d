import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { KubeConfig } from "@kubernetes/client-node";
import { Cluster, type Condition, Event, metrics, Namespace, Patch, RestClient, Secret, ServiceAccount } from "@operator-ts/runtime";
import { startClusters, stopClusters, type TestCluster } from "@operator-ts/runtime/envtest";
import { stringify } from "yaml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CassandraDatacenter, ClientConfig, CONFIRM_CLUSTER_IDENTITY_ANNOTATION, K8ssandraCluster, KUBECONFIG_SECRET_KEY } from "../src/api/index.ts";
import { createClientConfig } from "../src/cli/clientconfig.ts";
import { createOperator, type Operator } from "../src/operator.ts";
import { cassOperatorCRDs } from "../../../test/support/paths.ts";
import { eventually } from "../../../test/support/eventually.ts";
import { recordLogs } from "../../../test/support/logs.ts";
import { clientCertificate, generateCA, SwitchableProxy } from "./support/remote.ts";

const crdDir = fileURLToPath(new URL("../config/crd", import.meta.url));
const NS = "k8ssandra-operator";
const { logger, lines: logLines } = recordLogs();
const condition = (obj: { status?: { conditions?: Condition[] } } | undefined, type: string) => obj?.status?.conditions?.find((c) => c.type === type);

interface InformerStats {
  lists: number;
  watches: number;
  watching: boolean;
}

describe("remote credentials and identities, on real API servers", () => {
  let control: TestCluster;
  let east: TestCluster;
  let other: TestCluster;
  let admin: { control: RestClient; east: RestClient; other: RestClient };
  let operator: Operator;
  const stop = new AbortController();
  let done: Promise<void> | undefined;
  let caDir: string;
  const proxy = new SwitchableProxy(0);
  /** Every token the Secret held while the test looked: none of them may show anywhere. */
  const seenTokens = new Set<string>();
  let clientCert: { cert: string; key: string };
  let clientCa: Awaited<ReturnType<typeof generateCA>>;

  const clientConfig = (name: string) => admin.control.get(ClientConfig, { namespace: NS, name });
  const storedToken = async (): Promise<string> => {
    const secret = await admin.control.get(Secret, { namespace: NS, name: "east-config" });
    const kc = new KubeConfig();
    kc.loadFromString(Buffer.from(secret.data![KUBECONFIG_SECRET_KEY]!, "base64").toString("utf8"));
    const token = kc.getCurrentUser()!.token!;
    seenTokens.add(token);
    return token;
  };
  const warned = async (name: string, reason: string) =>
    (await admin.control.list(Event, { namespace: NS })).items.some(
      (e) => e.involvedObject?.kind === "ClientConfig" && e.involvedObject.name === name && e.type === "Warning" && e.reason === reason,
    );
  const kubeSystemUid = async (c: RestClient) => (await c.get(Namespace, { name: "kube-system" })).metadata!.uid!;

  beforeAll(async () => {
    // One client CA trusted by both data planes: a certificate valid in either, as a cloud account's credential is.
    const ca = await generateCA("operator-ts-test-clients", 24 * 3600_000);
    clientCa = ca;
    caDir = await mkdtemp(join(tmpdir(), "operator-ts-client-ca-"));
    await writeFile(join(caDir, "ca.crt"), ca.cert);
    const started = await startClusters(3, { names: ["control", "east", "other"], apiServerFlags: { "client-ca-file": join(caDir, "ca.crt") } });
    [control, east, other] = started as [TestCluster, TestCluster, TestCluster];
    await control.installCRDs([crdDir]);
    await Promise.all([east, other].map((c) => c.installCRDs([crdDir, cassOperatorCRDs()])));
    admin = {
      control: await RestClient.fromKubeConfig(control.kubeconfig),
      east: await RestClient.fromKubeConfig(east.kubeconfig),
      other: await RestClient.fromKubeConfig(other.kubeconfig),
    };
    for (const c of [admin.control, admin.other]) await c.create<Namespace>({ apiVersion: "v1", kind: "Namespace", metadata: { name: NS } });
    operator = await createOperator({
      kubeconfig: control.kubeconfig,
      controlPlane: true,
      clientConfigNamespace: NS,
      // As the Deployment runs it: leader-only writes go over their own connections, behind the identity gate.
      leaderElection: true,
      leaderElectionNamespace: NS,
      clusterProbeIntervalMs: 500,
      // 600 s tokens (the API server's minimum) renewed after 1% of their life: every 6 s.
      credentialRenewal: { share: 0.01, initialRetryMs: 200, maxRetryMs: 2000 },
      logger,
    });
    done = operator.start(stop.signal);
    done.catch(() => undefined);

    clientCert = clientCertificate(ca, "test-admin", ["system:masters"]);
    await proxy.start();
    proxy.switchTo(east.ports.apiServer);
  });

  afterAll(async () => {
    stop.abort();
    await done?.catch(() => undefined);
    await proxy.stop();
    for (const c of Object.values(admin ?? {})) await c.close();
    await stopClusters([control, east, other].filter(Boolean));
    if (caDir) await rm(caDir, { recursive: true, force: true });
  });

  it("renews a short-lived token before it expires and swaps it in place: same cluster, same informer, no relist", async () => {
    const result = await createClientConfig({ src: east.kubeconfig, dest: control.kubeconfig, tokenDurationSeconds: 600 });
    expect(result.actions.some((l) => l.includes(`Role ${NS}/k8ssandra-operator-token-renewal created`))).toBe(true);
    const first = await storedToken();
    const ready = await eventually(async () => {
      const cc = await clientConfig("east");
      return condition(cc, "Ready")?.status === "True" && cc.status?.clusterIdentity?.uid ? cc : undefined;
    }, "ClientConfig east Ready with its identity recorded");
    expect(ready.status?.clusterIdentity?.uid).toBe(await kubeSystemUid(admin.east));
    expect(ready.status?.credential).toMatchObject({ kind: "token", serviceAccount: `${NS}/k8ssandra-operator` });
    expect(Date.parse(ready.status!.credential!.expiresAt!)).toBeGreaterThan(Date.now());

    const cluster = operator.mcm.getCluster("east");
    const informer = await cluster.cache.getInformer(CassandraDatacenter);
    await informer.waitForSync();
    const stats = () => (informer as unknown as { stats(): InformerStats }).stats();
    const before = await eventually(() => (stats().watching ? stats() : undefined), "the informer's watch open");

    // Two renewals in a row: the second is made with the token the first gave.
    const second = await eventually(async () => {
      const t = await storedToken();
      return t !== first ? t : undefined;
    }, "a first renewal", 30_000);
    await eventually(async () => ((await storedToken()) !== second ? true : undefined), "a second renewal", 30_000);
    const renewed = await eventually(async () => {
      const cc = await clientConfig("east");
      return cc.status?.credential?.lastRenewal && condition(cc, "CredentialRenewed")?.status === "True" ? cc : undefined;
    }, "status shows the last renewal");
    expect(Date.parse(renewed.status!.credential!.lastRenewal!)).toBeGreaterThan(Date.parse(ready.metadata.creationTimestamp!));
    await eventually(async () => (cluster.kubeconfig.getCurrentUser()?.token === (await storedToken()) ? true : undefined), "the running cluster holds the stored token");

    // The same Cluster, its informer still on its first list and first watch, and still delivering.
    expect(operator.mcm.getCluster("east")).toBe(cluster);
    await admin.east.create<CassandraDatacenter>({
      apiVersion: CassandraDatacenter.apiVersion,
      kind: CassandraDatacenter.kind,
      metadata: { name: "after-renewal", namespace: NS },
      spec: { clusterName: "demo", serverType: "cassandra", serverVersion: "4.1.5", size: 1, storageConfig: {} },
    });
    await eventually(() => informer.getByKey({ namespace: NS, name: "after-renewal" }), "the informer sees an object made after the renewals");
    expect(stats()).toMatchObject({ lists: before.lists, watches: before.watches, watching: true });

    const metric = await metrics.registry.getSingleMetricAsString("multicluster_credential_expiry_timestamp_seconds");
    expect(metric).toMatch(/multicluster_credential_expiry_timestamp_seconds\{cluster="east"\} \d{10}/);
  });

  it("reports a revoked credential with a condition and an Event within seconds, and recovers when create-clientconfig runs again", async () => {
    const cluster = operator.mcm.getCluster("east");
    await admin.east.delete({ apiVersion: "v1", kind: "ServiceAccount", metadata: { namespace: NS, name: "k8ssandra-operator" } });
    const rejected = await eventually(async () => {
      const cc = await clientConfig("east");
      return condition(cc, "Ready")?.reason === "CredentialRejected" ? cc : undefined;
    }, "Ready=False CredentialRejected", 20_000);
    expect(condition(rejected, "Ready")?.message).toMatch(/rejects its credential \(token\)/);
    await eventually(() => warned("east", "CredentialRejected"), "a Warning Event CredentialRejected");
    // Renewal cannot work either, and says so before the token would expire.
    const failing = await eventually(async () => {
      const cc = await clientConfig("east");
      return condition(cc, "CredentialRenewed")?.reason === "RenewalFailing" ? cc : undefined;
    }, "CredentialRenewed=False RenewalFailing", 20_000);
    expect(condition(failing, "CredentialRenewed")?.message).toMatch(/the credential expires at/);
    await eventually(() => warned("east", "CredentialRenewalFailing"), "a Warning Event CredentialRenewalFailing");

    await createClientConfig({ src: east.kubeconfig, dest: control.kubeconfig, tokenDurationSeconds: 600 });
    await storedToken();
    await eventually(async () => {
      const cc = await clientConfig("east");
      return condition(cc, "Ready")?.status === "True" && condition(cc, "CredentialRenewed")?.status === "True" ? cc : undefined;
    }, "Ready again with a renewable credential", 30_000);
    expect(operator.mcm.getCluster("east")).toBe(cluster);
  });

  it("stops writing to a cluster replaced at the same address, says so on the K8ssandraCluster, and goes on once a person confirms", async () => {
    // Reached through one address that the proxy points at east, then at another cluster; the CA bundle and the
    // client certificate are good for both, so only the identity tells them apart.
    const bundle = [east, other].map((c) => Buffer.from(c.kubeconfig.getCurrentCluster()!.caData!, "base64").toString("utf8")).join("");
    const kubeconfig = new KubeConfig();
    kubeconfig.loadFromOptions({
      clusters: [{ name: "moving", server: `https://127.0.0.1:${proxy.port}`, caData: Buffer.from(bundle).toString("base64"), skipTLSVerify: false }],
      users: [{ name: "moving", certData: Buffer.from(clientCert.cert).toString("base64"), keyData: Buffer.from(clientCert.key).toString("base64") }],
      contexts: [{ name: "moving", cluster: "moving", user: "moving" }],
      currentContext: "moving",
    });
    await admin.control.create<Secret>({
      apiVersion: "v1",
      kind: "Secret",
      metadata: { name: "moving-config", namespace: NS },
      data: { [KUBECONFIG_SECRET_KEY]: Buffer.from(stringify(JSON.parse(kubeconfig.exportConfig()))).toString("base64") },
    });
    await admin.control.create<ClientConfig>({
      apiVersion: ClientConfig.apiVersion,
      kind: ClientConfig.kind,
      metadata: { name: "moving", namespace: NS },
      spec: { contextName: "moving", kubeConfigSecret: { name: "moving-config" } },
    });
    const eastUid = await kubeSystemUid(admin.east);
    const first = await eventually(async () => {
      const cc = await clientConfig("moving");
      return condition(cc, "Ready")?.status === "True" && cc.status?.clusterIdentity ? cc : undefined;
    }, "ClientConfig moving Ready");
    expect(first.status?.clusterIdentity?.uid).toBe(eastUid);
    expect(first.status?.credential?.kind).toBe("client-certificate");
    expect(Date.parse(first.status!.credential!.expiresAt!)).toBeGreaterThan(Date.now());

    await admin.control.create<K8ssandraCluster>({
      apiVersion: K8ssandraCluster.apiVersion,
      kind: K8ssandraCluster.kind,
      metadata: { name: "moved", namespace: NS },
      spec: {
        cassandra: {
          serverVersion: "4.1.5",
          storageConfig: { cassandraDataVolumeClaimSpec: { storageClassName: "standard", accessModes: ["ReadWriteOnce"], resources: { requests: { storage: "5Gi" } } } },
          datacenters: [{ metadata: { name: "dc1" }, k8sContext: "moving", size: 1 }],
        },
      },
    });
    await eventually(() => admin.east.get(CassandraDatacenter, { namespace: NS, name: "dc1" }), "dc1 created in east");

    const otherUid = await kubeSystemUid(admin.other);
    proxy.switchTo(other.ports.apiServer);
    const replaced = await eventually(async () => {
      const cc = await clientConfig("moving");
      return condition(cc, "Ready")?.reason === "ClusterReplaced" ? cc : undefined;
    }, "Ready=False ClusterReplaced", 20_000);
    const message = condition(replaced, "Ready")!.message;
    expect(message).toContain(otherUid);
    expect(message).toContain(`${CONFIRM_CLUSTER_IDENTITY_ANNOTATION}=${otherUid}`);
    expect(replaced.status?.clusterIdentity?.uid).toBe(eastUid);
    await eventually(() => warned("moving", "ClusterReplaced"), "a Warning Event ClusterReplaced");
    const said = await eventually(async () => {
      const k8c = await admin.control.get(K8ssandraCluster, { namespace: NS, name: "moved" });
      const c = condition(k8c, "ClustersReachable");
      return c?.status === "False" && c.message.includes("ClusterReplaced") ? c : undefined;
    }, "the K8ssandraCluster says its cluster was replaced");
    expect(said.message).toMatch(/ClientConfig k8ssandra-operator\/moving for k8sContext moving is not usable \(ClusterReplaced\)/);
    // Nothing of the K8ssandraCluster reached the other cluster.
    expect((await admin.other.list(CassandraDatacenter, { namespace: NS })).items).toEqual([]);
    expect((await admin.other.list(Secret, { namespace: NS })).items).toEqual([]);

    // A person says the new cluster is the one meant: it is recorded and used.
    await admin.control.patch(replaced, Patch.merge({ metadata: { annotations: { [CONFIRM_CLUSTER_IDENTITY_ANNOTATION]: otherUid } } }));
    const confirmed = await eventually(async () => {
      const cc = await clientConfig("moving");
      return condition(cc, "Ready")?.status === "True" && cc.status?.clusterIdentity?.uid === otherUid ? cc : undefined;
    }, "Ready again with the confirmed identity", 20_000);
    expect(confirmed.status?.clusterIdentity?.uid).toBe(otherUid);
    await eventually(() => admin.other.get(CassandraDatacenter, { namespace: NS, name: "dc1" }), "dc1 created in the confirmed cluster", 30_000);
  });

  it("picks up a rotated client certificate file in the running cluster", async () => {
    const [certFile, keyFile] = [join(caDir, "client.crt"), join(caDir, "client.key")];
    const write = async (user: string) => {
      const pair = clientCertificate(clientCa, user, ["system:masters"]);
      await writeFile(keyFile, pair.key, { mode: 0o600 });
      await writeFile(certFile, pair.cert);
    };
    await write("user-one");
    const kc = new KubeConfig();
    kc.loadFromOptions({
      clusters: [{ name: "files", server: east.server, caData: east.kubeconfig.getCurrentCluster()!.caData, skipTLSVerify: false }],
      users: [{ name: "files", certFile, keyFile }],
      contexts: [{ name: "files", cluster: "files", user: "files" }],
      currentContext: "files",
    });
    const cluster = await Cluster.create(kc, { name: "files", credentialRefreshMs: 200 });
    const whoami = async () =>
      (
        await cluster.transport.request<{ status: { userInfo: { username: string } } }>("POST", "/apis/authentication.k8s.io/v1/selfsubjectreviews", {
          body: { apiVersion: "authentication.k8s.io/v1", kind: "SelfSubjectReview" },
        })
      ).status.userInfo.username;
    try {
      expect(await whoami()).toBe("user-one");
      await write("user-two");
      await eventually(async () => ((await whoami()) === "user-two" ? true : undefined), "requests made with the rotated certificate");
    } finally {
      await cluster.transport.destroy();
    }
  });

  it("shows no token or key in any log line, Event or status", async () => {
    await storedToken();
    const events = (await admin.control.list(Event, { namespace: NS })).items.map((e) => JSON.stringify(e));
    const statuses = (await admin.control.list(ClientConfig, { namespace: NS })).items.map((cc) => JSON.stringify(cc.status));
    const everything = [...logLines, ...events, ...statuses].join("\n");
    expect(logLines.length).toBeGreaterThan(0);
    for (const token of seenTokens) expect(everything).not.toContain(token);
    expect(everything).not.toMatch(/eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}/);
    expect(everything).not.toContain(clientCert.key.split("\n")[1]!);
    expect(logLines.some((l) => l.includes("cluster credential renewed"))).toBe(true);
    expect(logLines.some((l) => l.includes("swapped in place"))).toBe(true);
  });
});
