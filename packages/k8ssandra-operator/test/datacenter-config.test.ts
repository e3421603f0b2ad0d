import { loadYaml } from "@kubernetes/client-node";
import { type Condition, Deployment, Event, Patch, Secret } from "@operator-ts/runtime";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CassandraDatacenter, type CassandraDatacenterConfig, K8ssandraCluster, Stargate } from "../src/api/index.ts";
import { type LocalEnvironment, OPERATOR_NAMESPACE, startLocalEnvironment } from "../src/dev/environment.ts";
import { cassOperatorCRDs } from "../../../test/support/paths.ts";
import { eventually } from "../../../test/support/eventually.ts";

const NS = OPERATOR_NAMESPACE;

// K8ssandra Operator's own test fixtures (test/testdata/fixtures), as written there but for the k8sContext (our data
// plane is "east") and the datacenter names (each fixture used dc1, and here they share one namespace); multi-dc-auth
// gets a Stargate in its second datacenter.
const MULTI_DC_AUTH = `
apiVersion: k8ssandra.io/v1alpha1
kind: K8ssandraCluster
metadata:
  name: cluster1
spec:
  auth: false
  cassandra:
    serverVersion: 4.1.8
    datacenters:
      - metadata:
          name: noauth-dc1
        k8sContext: east
        size: 1
        storageConfig:
          cassandraDataVolumeClaimSpec:
            storageClassName: standard
            accessModes:
              - ReadWriteOnce
            resources:
              requests:
                storage: 5Gi
        config:
          jvmOptions:
            heapSize: 512Mi
        networking:
          hostNetwork: true
      - metadata:
          name: noauth-dc2
        k8sContext: east
        size: 1
        datacenterName: real-dc2
        storageConfig:
          cassandraDataVolumeClaimSpec:
            storageClassName: standard
            accessModes:
              - ReadWriteOnce
            resources:
              requests:
                storage: 5Gi
        config:
          jvmOptions:
            heapSize: 512Mi
        networking:
          hostNetwork: true
        stargate:
          size: 1
    mgmtAPIHeap: 64Mi
  reaper:
    deploymentMode: PER_DC
    heapSize: 256Mi
`;

const STARGATE_JWT = `
apiVersion: k8ssandra.io/v1alpha1
kind: K8ssandraCluster
metadata:
  name: jwt
spec:
  cassandra:
    serverVersion: 3.11.14
    datacenters:
      - metadata:
          name: jwt-dc1
        k8sContext: east
        size: 1
        storageConfig:
          cassandraDataVolumeClaimSpec:
            storageClassName: standard
            accessModes:
              - ReadWriteOnce
            resources:
              requests:
                storage: 5Gi
        stargate:
          size: 1
          heapSize: 384Mi
          authOptions:
            apiAuthMethod: JWT
            providerUrl: http://keycloak-stargate-service:8080/realms/stargate/protocol/openid-connect/certs
          cassandraConfigMapRef:
            name: cassandra-config
    mgmtAPIHeap: 64Mi
`;

// K8ssandra's single-dc fixture, trimmed (fewer jvmOptions, no Vector sinks): pod template parts, extra volumes,
// a cluster name that is no DNS label, and cassandraYaml and jvmOptions at the datacenter.
const SINGLE_DC = `
apiVersion: k8ssandra.io/v1alpha1
kind: K8ssandraCluster
metadata:
  name: test
spec:
  cassandra:
    clusterName: "Weird Cluster Name"
    metadata:
      commonLabels:
        test-label-name: test-label-value
    telemetry:
      mcac:
        enabled: false
    datacenters:
      - metadata:
          name: single-dc1
        k8sContext: east
        size: 3
        serverVersion: 4.0.17
        storageConfig:
          cassandraDataVolumeClaimSpec:
            storageClassName: standard
            accessModes:
              - ReadWriteOnce
            resources:
              requests:
                storage: 5Gi
        containers:
          - name: "cassandra"
          - name: busybox
            image: busybox:stable
            command: ["sleep", "3600"]
        extraVolumes:
          volumes:
            - name: busybox-vol
              emptyDir: {}
        config:
          cassandraYaml:
            data_file_directories:
              - /var/lib/cassandra/data
              - /var/lib/extra/data
            commitlog_directory: "/var/lib/cassandra/commitlog2"
          jvmOptions:
            heap_initial_size: 512Mi
            heap_max_size: 512Mi
            vm_enable_assertions: false
            cassandra_ring_delay_ms: 100
            gc: G1GC
            gc_g1_max_gc_pause_ms: 500
            jmx_port: 7199
            additionalOptions:
              - -Dfoo=true
              - -Dbar
    mgmtAPIHeap: 64Mi
`;

function manifest(yaml: string): K8ssandraCluster {
  const k8c = loadYaml<K8ssandraCluster>(yaml);
  k8c.metadata.namespace = NS;
  return k8c;
}

/** The 1-DC cluster of the side-by-side run against the Go operator. */
function demo(): K8ssandraCluster {
  return {
    apiVersion: K8ssandraCluster.apiVersion,
    kind: K8ssandraCluster.kind,
    metadata: { name: "demo", namespace: NS },
    spec: {
      cassandra: {
        serverVersion: "4.1.5",
        storageConfig: { cassandraDataVolumeClaimSpec: { storageClassName: "standard", accessModes: ["ReadWriteOnce"], resources: { requests: { storage: "5Gi" } } } },
        config: { jvmOptions: { heapSize: "512Mi" } },
        datacenters: [{ metadata: { name: "dc1" }, k8sContext: "east", size: 3 }],
      },
      stargate: { size: 1 },
    },
  };
}

const condition = (k8c: K8ssandraCluster, type: string) => (k8c.status?.conditions as Condition[] | undefined)?.find((c) => c.type === type);

describe("the configuration the operator writes into each CassandraDatacenter, on real API servers", () => {
  let env: LocalEnvironment;
  const east = () => env.operator.mcm.getCluster("east").apiReader;
  const k8c = (name: string) => env.admin.get(K8ssandraCluster, { namespace: NS, name });
  const dc = (name: string) => east().get(CassandraDatacenter, { namespace: NS, name });
  const configOf = async (name: string): Promise<CassandraDatacenterConfig> => {
    const secret = await east().get(Secret, { namespace: NS, name: (await dc(name)).spec.configSecret! });
    return JSON.parse(Buffer.from(secret.data!.config!, "base64").toString()) as CassandraDatacenterConfig;
  };
  const ready = (name: string, timeoutMs?: number) =>
    eventually(async () => {
      const c = await k8c(name);
      return condition(c, "Ready")?.status === "True" ? c : undefined;
    }, `${name} Ready`, timeoutMs);
  const stargateDeployment = (stargate: string) =>
    eventually(async () => (await east().list(Deployment, { namespace: NS, labelSelector: { "k8ssandra.io/stargate": stargate } })).items[0], `${stargate} Deployment`);
  const envOf = (d: Deployment) => Object.fromEntries((d.spec!.template.spec!.containers[0]!.env ?? []).map((e) => [e.name, e.value]));

  beforeAll(async () => {
    // The operators run as their service accounts with the shipped RBAC: writing the annotation is within it.
    env = await startLocalEnvironment({
      cassOperatorCRDs: cassOperatorCRDs(),
      names: { controlPlane: "control-plane", dataPlanes: ["east"] },
      readyDelayMs: 200,
      clusterProbeIntervalMs: 300,
      asServiceAccount: true,
    });
    await eventually(() => env.operator.mcm.hasCluster("east"), "east registered");
  });

  afterAll(async () => {
    await env?.stop();
  });

  it("writes what K8ssandra writes for a 1-DC cluster: auth, num_tokens 16, system replication, G1GC, and the annotation", async () => {
    await env.admin.create(demo());
    await ready("demo");
    const config = await configOf("dc1");
    expect(config["cassandra-yaml"]).toEqual({
      authenticator: "PasswordAuthenticator",
      authorizer: "CassandraAuthorizer",
      role_manager: "CassandraRoleManager",
      num_tokens: 16,
    });
    expect(config["cassandra-env-sh"]).toEqual({
      "additional-jvm-opts": ["-Dcassandra.allow_alter_rf_during_range_movement=true", "-Dcassandra.system_distributed_replication=dc1:3"],
    });
    expect(config["jvm-server-options"]).toEqual({ initial_heap_size: 512 * 2 ** 20, max_heap_size: 512 * 2 ** 20 });
    expect(config["jvm11-server-options"]).toEqual({ garbage_collector: "G1GC" });
    const cluster = await k8c("demo");
    expect(cluster.metadata.annotations?.["k8ssandra.io/initial-system-replication"]).toBe('{"dc1":3}');
    expect(condition(cluster, "UnsupportedFields")).toBeUndefined();
    // Stargate authenticates as the cluster does.
    const sg = await eventually(() => east().get(Stargate, { namespace: NS, name: "demo-dc1-stargate" }), "Stargate");
    expect(sg.spec.auth).toBe(true);
    expect(envOf(await stargateDeployment("demo-dc1-stargate")).ENABLE_AUTH).toBe("true");
  });

  it("refuses a num_tokens change on the live datacenter with a condition and an Event, and still applies the size change", async () => {
    const current = await k8c("demo");
    const spec = structuredClone(current.spec);
    spec.cassandra!.config = { ...spec.cassandra!.config, cassandraYaml: { num_tokens: 32, concurrent_reads: 4 } };
    spec.cassandra!.datacenters![0]!.size = 4;
    await env.admin.patch(current, Patch.merge({ spec }));

    await eventually(async () => (await dc("dc1")).spec.size === 4, "dc1 scaled to 4");
    const refused = await eventually(async () => condition(await k8c("demo"), "NumTokensUnchanged"), "NumTokensUnchanged condition");
    expect(refused).toMatchObject({ status: "False", reason: "NumTokensImmutable" });
    expect(refused.message).toMatch(/datacenter dc1: num_tokens cannot change once the datacenter exists: it runs with 16, the spec asks for 32; keeping 16/);
    await eventually(async () => {
      const events = await env.admin.list(Event, { namespace: NS });
      return events.items.find((e) => e.involvedObject?.name === "demo" && e.reason === "NumTokensImmutable" && e.type === "Warning");
    }, "NumTokensImmutable Warning Event");
    // The rest of the configuration went through; num_tokens stayed.
    await eventually(async () => (await configOf("dc1"))["cassandra-yaml"]?.concurrent_reads === 4, "concurrent_reads applied");
    expect((await configOf("dc1"))["cassandra-yaml"]?.num_tokens).toBe(16);
    const scaled = await ready("demo");
    expect(condition(scaled, "NumTokensUnchanged")?.status).toBe("False");
    // The annotation keeps the replication the cluster was created with.
    expect(scaled.metadata.annotations?.["k8ssandra.io/initial-system-replication"]).toBe('{"dc1":3}');

    // Asking for the count it runs with again clears the condition.
    spec.cassandra!.config.cassandraYaml = { num_tokens: 16, concurrent_reads: 4 };
    await env.admin.patch(await k8c("demo"), Patch.merge({ spec }));
    await eventually(async () => condition(await k8c("demo"), "NumTokensUnchanged") === undefined, "condition cleared");
  });

  it("applies K8ssandra's multi-dc-auth fixture: AllowAll everywhere, system replication in the first datacenter only, Stargate without auth", async () => {
    await env.admin.create(manifest(MULTI_DC_AUTH));
    const cluster = await ready("cluster1");
    expect(cluster.status?.readyDatacenters).toBe("2/2");
    for (const name of ["noauth-dc1", "noauth-dc2"]) {
      expect((await configOf(name))["cassandra-yaml"]).toEqual({
        authenticator: "AllowAllAuthenticator",
        authorizer: "AllowAllAuthorizer",
        role_manager: "CassandraRoleManager",
        num_tokens: 16,
      });
    }
    expect((await configOf("noauth-dc1"))["cassandra-env-sh"]?.["additional-jvm-opts"]).toEqual([
      "-Dcassandra.allow_alter_rf_during_range_movement=true",
      "-Dcassandra.system_distributed_replication=noauth-dc1:1",
    ]);
    expect((await configOf("noauth-dc2"))["cassandra-env-sh"]?.["additional-jvm-opts"]).toEqual(["-Dcassandra.allow_alter_rf_during_range_movement=true"]);
    expect(cluster.metadata.annotations?.["k8ssandra.io/initial-system-replication"]).toBe('{"noauth-dc1":1}');
    expect(condition(cluster, "UnsupportedFields")?.message).toBe("ignored by this operator: spec.cassandra.mgmtAPIHeap, spec.reaper");
    const sg = await eventually(() => east().get(Stargate, { namespace: NS, name: "cluster1-noauth-dc2-stargate" }), "Stargate");
    expect(sg.spec.auth).toBe(false);
    expect(envOf(await stargateDeployment("cluster1-noauth-dc2-stargate"))).not.toHaveProperty("ENABLE_AUTH");
  });

  it("applies K8ssandra's stargate-jwt fixture on 3.11 and keeps its 256 tokens through an upgrade to 4.1", async () => {
    await env.admin.create(manifest(STARGATE_JWT));
    const cluster = await ready("jwt");
    const config = await configOf("jwt-dc1");
    expect(config["cassandra-yaml"]).toMatchObject({ authenticator: "PasswordAuthenticator", num_tokens: 256, start_rpc: false });
    expect(config["jvm-options"]).toEqual({ garbage_collector: "G1GC" });
    expect(config["cassandra-env-sh"]).toEqual({ "additional-jvm-opts": ["-Dcassandra.system_distributed_replication=jwt-dc1:1"] });
    expect(condition(cluster, "UnsupportedFields")?.message).toBe(
      "ignored by this operator: spec.cassandra.datacenters[0].stargate.cassandraConfigMapRef, spec.cassandra.mgmtAPIHeap",
    );
    const javaOpts = envOf(await stargateDeployment("jwt-jwt-dc1-stargate")).JAVA_OPTS;
    expect(javaOpts).toContain("-Dstargate.auth_id=AuthJwtService -Dstargate.auth.jwt_provider_url=http://keycloak-stargate-service:8080/");

    // Upgrading to 4.1, whose default is 16: the running datacenter keeps 256, with no refusal (nothing asked for 16).
    const spec = structuredClone(cluster.spec);
    spec.cassandra!.serverVersion = "4.1.5";
    await env.admin.patch(cluster, Patch.merge({ spec }));
    await eventually(async () => (await dc("jwt-dc1")).spec.serverVersion === "4.1.5", "jwt-dc1 upgraded");
    const upgraded = await configOf("jwt-dc1");
    expect(upgraded["cassandra-yaml"]?.num_tokens).toBe(256);
    expect(upgraded["jvm11-server-options"]).toEqual({ garbage_collector: "G1GC" });
    expect(upgraded["cassandra-env-sh"]?.["additional-jvm-opts"]).toContain("-Dcassandra.allow_alter_rf_during_range_movement=true");
    expect(condition(await ready("jwt"), "NumTokensUnchanged")).toBeUndefined();
  });

  it("applies K8ssandra's single-dc fixture: the user's cassandra.yaml and options kept, K8ssandra's options first, the rest reported", async () => {
    await env.admin.create(manifest(SINGLE_DC));
    const cluster = await ready("test");
    expect((await dc("single-dc1")).spec.clusterName).toBe("Weird Cluster Name");
    const config = await configOf("single-dc1");
    expect(config["cassandra-yaml"]).toEqual({
      data_file_directories: ["/var/lib/cassandra/data", "/var/lib/extra/data"],
      commitlog_directory: "/var/lib/cassandra/commitlog2",
      authenticator: "PasswordAuthenticator",
      authorizer: "CassandraAuthorizer",
      role_manager: "CassandraRoleManager",
      num_tokens: 16,
    });
    expect(config["jvm-server-options"]).toEqual({ initial_heap_size: 512 * 2 ** 20, max_heap_size: 512 * 2 ** 20 });
    expect(config["cassandra-env-sh"]?.["additional-jvm-opts"]).toEqual([
      "-Dcassandra.allow_alter_rf_during_range_movement=true",
      "-Dcassandra.system_distributed_replication=single-dc1:3",
      "-Dfoo=true",
      "-Dbar",
    ]);
    expect(cluster.metadata.annotations?.["k8ssandra.io/initial-system-replication"]).toBe('{"single-dc1":3}');
    expect(condition(cluster, "UnsupportedFields")?.message?.replace("ignored by this operator: ", "").split(", ").sort()).toEqual([
      "spec.cassandra.datacenters[0].config.jvmOptions.cassandra_ring_delay_ms",
      "spec.cassandra.datacenters[0].config.jvmOptions.gc_g1_max_gc_pause_ms",
      "spec.cassandra.datacenters[0].config.jvmOptions.jmx_port",
      "spec.cassandra.datacenters[0].config.jvmOptions.vm_enable_assertions",
      "spec.cassandra.datacenters[0].containers",
      "spec.cassandra.datacenters[0].extraVolumes",
      "spec.cassandra.metadata",
      "spec.cassandra.mgmtAPIHeap",
      "spec.cassandra.telemetry",
    ]);
  });

  it("reports an unreadable dc-replication annotation as an invalid spec with an Event, and goes on once it is fixed", async () => {
    const current = await k8c("demo");
    await env.admin.patch(current, Patch.merge({ metadata: { annotations: { "k8ssandra.io/dc-replication": '{"dc2": {"ks1": 3}' } } }));
    const invalid = await eventually(async () => {
      const c = await k8c("demo");
      return condition(c, "SpecValid")?.status === "False" ? c : undefined;
    }, "SpecValid False");
    expect(condition(invalid, "SpecValid")?.message).toMatch(/annotation k8ssandra.io\/dc-replication is not JSON; expected JSON such as/);
    await eventually(async () => {
      const events = await env.admin.list(Event, { namespace: NS });
      return events.items.find((e) => e.involvedObject?.name === "demo" && e.reason === "InvalidSpec" && /dc-replication/.test(e.message ?? ""));
    }, "InvalidSpec Event");
    await env.admin.patch(invalid, Patch.merge({ metadata: { annotations: { "k8ssandra.io/dc-replication": '{"dc2": {"ks1": 3}}' } } }));
    await eventually(async () => condition(await k8c("demo"), "SpecValid")?.status === "True", "SpecValid again");
    await ready("demo");
  });
});
